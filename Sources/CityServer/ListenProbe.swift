import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An address the aggregator cannot listen on, found before anything is created: in use by
/// another process, not permitted, or not an address of this machine.
public struct ListenError: Error, CustomStringConvertible {
    /// The setting (`listen`, `monitoring-listen`) and its address.
    public let key: String
    public let address: String
    public let code: Int32

    public init(key: String, address: String, code: Int32) {
        self.key = key
        self.address = address
        self.code = code
    }

    public var description: String {
        switch code {
        case EADDRINUSE:
            "cannot listen on \(address) (\(key)): another process listens there (ss -ltnp shows which); stop it or choose another port"
        case EACCES:
            "cannot listen on \(address) (\(key)): permission denied (a port below 1024 needs CAP_NET_BIND_SERVICE, as the unit gives)"
        case EADDRNOTAVAIL:
            "cannot listen on \(address) (\(key)): not an address of this machine"
        default:
            "cannot listen on \(address) (\(key)): \(String(cString: strerror(code)))"
        }
    }

    /// The exit status: 75 (EX_TEMPFAIL) when the port is taken, which may pass and the unit
    /// retries after its delay; 77 without permission and 78 for an address not of this machine,
    /// which only a person can change.
    public var exitStatus: Int32 {
        switch code {
        case EADDRINUSE: 75
        case EACCES: 77
        default: 78
        }
    }
}

/// Binds the address once and lets it go, as the server will bind it (`SO_REUSEADDR`), so a
/// taken or wrong address stops the start before the database or the feed key is created.
enum ListenProbe {
    static func check(key: String, host: String, port: Int) throws(ListenError) {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let info = found else {
            throw ListenError(key: key, address: address, code: EADDRNOTAVAIL)
        }
        defer { freeaddrinfo(found) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            throw ListenError(key: key, address: address, code: errno)
        }
    }
}
