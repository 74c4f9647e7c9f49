import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Holds idle TCP connections to a port, as a network attacker without a certificate would: each
/// is opened and never starts a TLS handshake. Held in a process of their own, so that the one
/// measuring the server keeps a small descriptor table.
///
/// Prints `opened N` once the connections are open, then waits for its standard input to end;
/// then prints `closed K`, the number the server has closed (a read gives end of file or a
/// reset), and exits.
struct HoldBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Hold idle TCP connections to a port until standard input ends; print how many the server closed.")

    @Option(help: "The port on 127.0.0.1.") var port: Int
    @Option(help: "Connections to open.") var count = 1_200

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be 1...65535") }
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be 1...100000") }
    }

    func run() throws {
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(count + 64) {
            limit.rlim_cur = min(limit.rlim_max, rlim_t(count + 64))
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        for _ in 0..<count {
            if let fd = Self.idleConnection(port: port) { sockets.append(fd) }
        }
        FileHandle.standardOutput.write(Data("opened \(sockets.count)\n".utf8))
        _ = FileHandle.standardInput.readDataToEndOfFile()
        FileHandle.standardOutput.write(Data("closed \(sockets.filter(Self.closedByServer).count)\n".utf8))
    }

    /// Opens a TCP connection to `port` on loopback without waiting for it (non-blocking).
    static func idleConnection(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 || errno == EINPROGRESS else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Whether the server closed `fd` (a read gives end of file or a reset).
    static func closedByServer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let read = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINPROGRESS)
    }
}
