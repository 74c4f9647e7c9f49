import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Wakes the daemon when the replica's files change, whichever process wrote them: SQLite in WAL
/// mode appends every commit to `<db>-wal` (and a checkpoint writes `<db>`), and inotify reports
/// the write. The daemon then needs no frequent polling: with nothing written it sleeps until the
/// next pull is due, and a local commit is pushed at once.
///
/// Where inotify is unavailable (a kernel without it, too many watches), `start` returns nil and
/// the daemon polls at its watch interval as before.
final class ChangeWatcher: Sendable {
    private let descriptor: Int32
    private let signal = WakeSignal()

    /// Watches the folder of `databasePath` for writes to the database and its WAL.
    static func start(databasePath: String) -> ChangeWatcher? {
        let url = URL(fileURLWithPath: databasePath).standardizedFileURL
        let folder = url.deletingLastPathComponent().path
        let names: Set<String> = [url.lastPathComponent, url.lastPathComponent + "-wal"]
        let descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        guard inotify_add_watch(descriptor, folder, UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)) >= 0 else {
            close(descriptor)
            return nil
        }
        let watcher = ChangeWatcher(descriptor: descriptor)
        let thread = Thread {
            // Signals are for the process, not this thread: with SIGTERM open here, the kernel
            // could deliver it to this thread, where the ignored disposition drops it, and the
            // service lifecycle (which reads signals through signalfd) would never stop.
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, nil)
            watcher.readEvents(names: names)
        }
        thread.name = "county-sync.watch"
        thread.start()
        return watcher
    }

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Returns once a watched file was written since the last call (or `wake` was called), or
    /// when the task is cancelled.
    func changed() async { await signal.wait() }

    /// Wakes the waiter as a write would (a graceful shutdown does not wait for the next pull).
    func wake() { signal.fire() }

    /// Reads events for the life of the process (the daemon watches until it exits).
    private func readEvents(names: Set<String>) {
        let size = 64 * 1_024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer, size)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            var offset = 0
            var relevant = false
            while offset + MemoryLayout<inotify_event>.size <= count {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                let nameStart = buffer.advanced(by: offset + MemoryLayout<inotify_event>.size)
                if event.len > 0 {
                    let name = String(cString: nameStart.assumingMemoryBound(to: CChar.self))
                    if names.contains(name) { relevant = true }
                }
                offset += MemoryLayout<inotify_event>.size + Int(event.len)
            }
            if relevant { signal.fire() }
        }
    }
}

/// A one-slot wake-up: `fire` wakes the waiter, or the next one if none waits.
final class WakeSignal: Sendable {
    private struct State {
        var fired = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Wakes the waiter, or remembers the wake-up for the next `wait`.
    func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.fired = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next wake-up (or at once if one came since the last wait), or on cancellation.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.fired || Task.isCancelled {
                        state.fired = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
