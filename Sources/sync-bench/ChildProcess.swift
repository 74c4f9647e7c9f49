import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The benchmarks' child processes (the peer baselines, the aggregator, nginx, the daemon),
/// started with no signal blocked and every signal at its default: a child inherits the
/// spawning thread's mask, and Swift's threads block SIGTERM, with which they are stopped.
/// (`Foundation.Process` passes the mask on.)
enum ChildProcess {
    /// Runs `path` with `arguments` (see `start`) and waits for it; its exit status, or nil if it
    /// could not start.
    static func run(_ path: String, _ arguments: [String], output: String) -> Int32? {
        guard let pid = start([path] + arguments, output: output) else { return nil }
        return wait(pid)
    }

    /// Starts `arguments[0]` with the rest as arguments, stdin from /dev/null and stdout and
    /// stderr to `output`. Returns its pid, or nil if it could not start.
    static func start(_ arguments: [String], output: String) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ) == 0 else { return nil }
        return pid
    }

    /// Sends `signal` to `pid` and waits for it to end; its exit status.
    @discardableResult
    static func stop(_ pid: pid_t, signal: Int32 = SIGTERM) -> Int32 {
        kill(pid, signal)
        return wait(pid)
    }

    /// Waits for `pid` to end; its exit status (128 + the signal that ended it).
    private static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
