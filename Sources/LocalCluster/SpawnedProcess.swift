import CSpawn
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with every descriptor but its standard three closed as it starts
/// (`county_sync_spawn`).
///
/// `Foundation.Process` closes the descriptors it finds open when it prepares a start; one that
/// another thread opens in the meantime (a pipe of a parallel test, the socket with which
/// Foundation itself learns that a child ended) is inherited. Inherited by a long-running
/// aggregator or daemon, it is held until that process ends: a read to the end of a pipe, or a
/// wait for another child's exit, never returns, and the test run hangs.
public final class SpawnedProcess: @unchecked Sendable {
    /// The child's process id.
    public let processIdentifier: pid_t
    /// The raw wait status once the child was reaped.
    private let reaped = Mutex<Int32?>(nil)

    private init(processIdentifier: pid_t) { self.processIdentifier = processIdentifier }

    /// Starts `executable` with `arguments`, `environment` (the whole environment; nil: this
    /// process's), in `directory`, its standard streams from the given descriptors.
    static func start(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
                      stdin: Int32, stdout: Int32, stderr: Int32) throws -> SpawnedProcess {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in env { free(pointer) }
        }
        var pid: pid_t = 0
        let error = argv.withUnsafeBufferPointer { argvBuffer in
            env.withUnsafeBufferPointer { envBuffer in
                county_sync_spawn(&pid, executable, argvBuffer.baseAddress, envBuffer.baseAddress, stdin, stdout, stderr, directory)
            }
        }
        guard error == 0 else { throw ClusterError("cannot start \(executable): \(String(cString: strerror(error)))") }
        return SpawnedProcess(processIdentifier: pid)
    }

    /// Reaps the child if it has ended; its raw wait status then.
    private func poll() -> Int32? {
        reaped.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            let result = waitpid(processIdentifier, &raw, WNOHANG)
            if result == processIdentifier { status = raw }
            return status
        }
    }

    /// Whether the child still runs.
    public var isRunning: Bool { poll() == nil }

    /// Waits for the child to end.
    public func waitUntilExit() {
        while poll() == nil { usleep(5_000) }
    }

    /// Its exit status, or the signal that ended it (as `Foundation.Process` reports them).
    public var terminationStatus: Int32 {
        waitUntilExit()
        let raw = poll() ?? 0
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : signal
    }

    /// Sends `signal` (SIGTERM by default) to the child.
    public func terminate(signal: Int32 = SIGTERM) {
        guard isRunning else { return }
        kill(processIdentifier, signal)
    }

    /// Runs `executable` to its end, its output and error collected; its input is /dev/null.
    static func capture(_ executable: String, _ arguments: [String], environment: [String: String]?, directory: String?)
        throws -> (status: Int32, stdout: Data, stderr: Data) {
        let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ClusterError("cannot open /dev/null: errno \(errno)") }
        defer { close(input) }
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard county_sync_pipe(&out) == 0 else { throw ClusterError("pipe: errno \(errno)") }
        guard county_sync_pipe(&err) == 0 else {
            close(out[0]); close(out[1])
            throw ClusterError("pipe: errno \(errno)")
        }
        let child: SpawnedProcess
        do {
            child = try start(executable, arguments, environment: environment, directory: directory, stdin: input, stdout: out[1], stderr: err[1])
        } catch {
            for fd in out + err { close(fd) }
            throw error
        }
        close(out[1])
        close(err[1])
        defer { close(out[0]); close(err[0]) }
        // Both streams at once: a child that fills one pipe while the other is read would wait.
        var collected = [Data(), Data()]
        var fds = [pollfd(fd: out[0], events: Int16(POLLIN), revents: 0), pollfd(fd: err[0], events: Int16(POLLIN), revents: 0)]
        var open = 2
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while open > 0 {
            guard Glibc.poll(&fds, nfds_t(fds.count), -1) >= 0 else {
                if errno == EINTR { continue }
                throw ClusterError("poll: errno \(errno)")
            }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = read(fds[index].fd, &buffer, buffer.count)
                if count > 0 {
                    collected[index].append(buffer, count: count)
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    fds[index].fd = -1
                    open -= 1
                }
            }
        }
        return (child.terminationStatus, collected[0], collected[1])
    }
}
