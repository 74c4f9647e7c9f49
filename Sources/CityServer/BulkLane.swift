import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One thread, at a lower scheduling priority (nice +10), for the work of large requests: a
/// push's decoding and apply, a return, a snapshot page. The city's writer is one anyway, and on
/// a busy machine the kernel then runs the short requests of other counties first.
///
/// The lane is fair between counties: each county has its own queue of at most
/// `queuedPerCounty` jobs, and the thread serves the queues round-robin, one job each in turn.
/// A county whose queue is full is answered 429 with `Retry-After` (`LaneFull`) instead of
/// queuing behind itself, and a job whose client has gone (its task was cancelled) is dropped
/// before it starts. One county flooding the city with its largest batches, or with pushes it
/// abandons, thus delays another county's push by at most one job of its own (release 0.15.0
/// had one FIFO: forty abandoned pushes made another county's one-change push take 20.9 s).
final class BulkLane: Sendable {
    /// A county's queue is full.
    struct LaneFull: Error {
        let county: String
        let queued: Int
    }

    private struct Job {
        let county: String
        let run: @Sendable () -> Void
    }

    private struct State {
        var queues: [String: [Job]] = [:]
        /// Counties with queued work, in the order of their turns.
        var turns: [String] = []
        /// Jobs of each county queued or running.
        var held: [String: Int] = [:]
        /// The county whose job ran last: it goes after any other county waiting.
        var lastServed: String?
    }

    /// Most jobs one county may have queued or running on the lane.
    let queuedPerCounty: Int
    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)

    /// Starts the lane's thread.
    init(niceness: Int32 = 10, queuedPerCounty: Int = 4) {
        self.queuedPerCounty = queuedPerCounty
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
                guard let job = nextJob() else { continue }
                job.run()
                state.withLock { state in
                    let held = state.held[job.county, default: 1] - 1
                    state.held[job.county] = held > 0 ? held : nil
                }
            }
        }
        thread.name = "county-sync.bulk"
        thread.start()
    }

    /// The next job: the first county in turn, unless it ran last and another one waits.
    private func nextJob() -> Job? {
        state.withLock { state in
            guard !state.turns.isEmpty else { return nil }
            if state.turns.count > 1, state.turns[0] == state.lastServed {
                state.turns.append(state.turns.removeFirst())
            }
            let county = state.turns.removeFirst()
            let job = state.queues[county]!.removeFirst()
            if state.queues[county]!.isEmpty {
                state.queues[county] = nil
            } else {
                state.turns.append(county)
            }
            state.lastServed = county
            return job
        }
    }

    /// How many jobs `county` has queued or running now.
    func queued(_ county: String) -> Int { state.withLock { $0.held[county] ?? 0 } }

    /// Runs `body` on the lane in `county`'s turn; returns or throws what it does. Throws
    /// `LaneFull` at once when the county's queue is full, and `CancellationError` when the
    /// client is gone (`isGone`, or the calling task cancelled) before the job starts.
    func run<T: Sendable>(county: String, isGone: @escaping @Sendable () -> Bool = { false },
                          _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let gone = Mutex(false)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let job = Job(county: county) {
                    if gone.withLock({ $0 }) || isGone() {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume(with: Result(catching: body))
                    }
                }
                let queued: Int? = state.withLock { state in
                    let held = state.held[county, default: 0]
                    guard held < queuedPerCounty else { return held }
                    state.held[county] = held + 1
                    if state.queues[county] == nil { state.turns.append(county) }
                    state.queues[county, default: []].append(job)
                    return nil
                }
                if let queued {
                    continuation.resume(throwing: LaneFull(county: county, queued: queued))
                } else {
                    ready.signal()
                }
            }
        } onCancel: {
            gone.withLock { $0 = true }
        }
    }
}

/// How many of something each county holds at once (bodies being received), with a limit.
final class CountyCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Takes one for `county`; nil when taken, or the count held when it is at `limit`.
    func enter(_ county: String, limit: Int) -> Int? {
        counts.withLock { counts in
            let now = counts[county, default: 0]
            guard now < limit else { return now }
            counts[county] = now + 1
            return nil
        }
    }

    /// Gives one back.
    func leave(_ county: String) {
        counts.withLock { counts in
            let now = counts[county, default: 1] - 1
            counts[county] = now > 0 ? now : nil
        }
    }
}
