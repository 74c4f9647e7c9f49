import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One thread, at a lower scheduling priority (nice +10), for the work of large requests: a
/// push's decoding and apply. Pushes are serialized by SQLite's single writer anyway, and on a
/// busy machine the kernel then runs the short requests of other counties (pulls, heartbeats)
/// first: a county pushing its largest batches does not slow everyone else's sync.
final class BulkLane: Sendable {
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)

    /// Starts the lane's thread.
    init(niceness: Int32 = 10) {
        let thread = Thread { [self] in
            // Signals are for the process: SIGTERM delivered here would be dropped (its
            // disposition is "ignore"; the service lifecycle reads it through signalfd).
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, nil)
            // Only this thread: on Linux the nice value is a thread's, and 0 names the caller.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
            while true {
                ready.wait()
                let job = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                job?()
            }
        }
        thread.name = "county-sync.bulk"
        thread.start()
    }

    /// Runs `body` on the lane; returns or throws what it does.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            jobs.withLock { $0.append { continuation.resume(with: Result(catching: body)) } }
            ready.signal()
        }
    }
}
