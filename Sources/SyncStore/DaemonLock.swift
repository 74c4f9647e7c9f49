import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The advisory lock a running `county-syncd`, or a `syncctl sync`, holds on `<db>.daemon.lock`:
/// one process syncs a replica at a time, and `syncctl status` can tell whether the daemon runs.
/// The kernel releases the lock when the process dies, `kill -9` included.
public final class DaemonLock: Sendable {
    private let descriptor: Int32

    /// The lock file of a database.
    public static func path(for database: String) -> String { database + ".daemon.lock" }

    /// Takes the lock; throws naming the pid of the process that holds it. `holder` names what
    /// takes it, for that message (`county-syncd`, `syncctl sync`).
    public init(database: String, holder name: String = "county-syncd") throws {
        let path = Self.path(for: database)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError.sqlite(op: "create lock", path: path, message: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readPid(descriptor)
            close(descriptor)
            throw StoreError.notAllowed("\(database) is already being synced by another process\(holder.map { " (pid \($0))" } ?? ""), county-syncd or syncctl sync; \(name) syncs a replica only when nothing else does (stop the daemon to sync by hand)")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The pid of the daemon running on `database`, or nil if none is.
    public static func holder(of database: String) -> Int32? {
        let descriptor = open(path(for: database), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return nil
        }
        return readPid(descriptor) ?? -1
    }

    private static func readPid(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &buffer, 31, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
