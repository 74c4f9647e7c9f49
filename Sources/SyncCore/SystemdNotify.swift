#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The systemd notification protocol, with no library: a datagram to `$NOTIFY_SOCKET`. A unit with
/// `Type=notify` is started only once the process sends `READY=1`, so `systemctl start` fails when
/// the listener cannot bind; with `WatchdogSec=`, the process sends `WATCHDOG=1` at half the
/// interval (`$WATCHDOG_USEC`) while it is healthy, and systemd restarts it when it stops. Outside
/// systemd (no `$NOTIFY_SOCKET`) every call does nothing.
public enum SystemdNotify {
    /// Sends `state` (e.g. `READY=1`, `STOPPING=1`, `STATUS=...`); returns whether it was sent.
    @discardableResult
    public static func send(_ state: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        #if canImport(Glibc)
        guard var path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return false }
        // An abstract socket is named with a leading "@", sent as a leading NUL.
        let abstract = path.hasPrefix("@")
        if abstract { path.removeFirst() }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count + (abstract ? 1 : 0) < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            let offset = abstract ? 1 : 0
            for (index, byte) in bytes.enumerated() { buffer[offset + index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 1 : 0))
        let payload = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(fd, payload, payload.count, 0, socketAddress, length)
            }
        }
        return sent == payload.count
        #else
        return false
        #endif
    }

    /// Half the watchdog interval systemd asked for, or nil when it asked for none.
    public static func watchdogInterval(environment: [String: String] = ProcessInfo.processInfo.environment) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"], Int32(pid) != getpid() { return nil }
        return .microseconds(microseconds / 2)
    }

    /// Sends `WATCHDOG=1` every half interval while `healthy()` holds, until the task is cancelled.
    public static func runWatchdog(healthy: @escaping @Sendable () -> Bool) async {
        guard let interval = watchdogInterval() else { return }
        while !Task.isCancelled {
            if healthy() { send("WATCHDOG=1") }
            try? await Task.sleep(for: interval)
        }
    }
}
