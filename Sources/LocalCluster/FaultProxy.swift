import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the proxy does to the traffic passing through it.
public enum LinkFault: String, Sendable, CaseIterable, Hashable {
    /// Forward everything untouched.
    case pass
    /// Hold every chunk back for a while before forwarding it.
    case delay
    /// Close connections (a clean FIN) as soon as they carry anything.
    case drop
    /// Forward part of a request or response, then reset both ends (a truncated body).
    case reset
    /// Accept connections and read from them, but never forward or answer anything.
    case blackHole
    /// The aggregator is unreachable: connections are reset at once.
    case down
    /// A very slow link: a few kilobytes per second.
    case slow
    /// Requests reach the aggregator, which applies them, but its answers are cut off: the
    /// first answer bytes on a connection past its TLS handshake reset both ends. The county
    /// then sends again what the city already committed.
    case loseAnswers
}

/// A TCP proxy on loopback that injects link faults between the county daemons and the
/// aggregator. TLS passes through it untouched (it never sees plaintext), so every fault is one a
/// real network can cause: delays, drops, resets in the middle of a body, black holes, refusals
/// and slow links. The fault can change at any moment and applies to open connections too, so a
/// keep-alive connection is cut as a real one would be.
public final class FaultProxy: @unchecked Sendable {
    /// The port the proxy listens on (127.0.0.1).
    public let port: Int
    /// The URL a daemon should use to reach the aggregator through the proxy.
    public var url: String { "https://127.0.0.1:\(port)" }

    private let listener: Int32
    private let upstream: @Sendable () -> Int
    private let state = Mutex(State())

    struct State {
        var fault = LinkFault.pass
        var delayMs = 0
        var bytesPerSecond = 4_096
        var resetAfterBytes = 0
        var stopped = false
        var connections: [ObjectIdentifier: Connection] = [:]
        /// Connections or chunks a fault actually hit, by kind.
        var hits: [LinkFault: Int] = [:]
    }

    /// Starts a proxy to the port `upstream` returns (read at every new connection, so the
    /// aggregator may restart on another port).
    public init(upstream: @escaping @Sendable () -> Int) throws {
        self.upstream = upstream
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClusterError("proxy: socket() failed: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw ClusterError("proxy: cannot listen on 127.0.0.1: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "fault-proxy-accept"
        thread.start()
    }

    deinit { stop() }

    /// Sets the fault for new and open connections. `delayMs` applies to `.delay`,
    /// `bytesPerSecond` to `.slow`, `resetAfterBytes` (bytes forwarded before the reset) to `.reset`.
    public func set(_ fault: LinkFault, delayMs: Int = 300, bytesPerSecond: Int = 4_096, resetAfterBytes: Int = 2_048) {
        let cut: [Connection] = state.withLock { state in
            state.fault = fault
            state.delayMs = delayMs
            state.bytesPerSecond = max(1, bytesPerSecond)
            state.resetAfterBytes = max(1, resetAfterBytes)
            for connection in state.connections.values { connection.forwardedSinceFault = 0 }
            // A black hole or an outage also swallows connections that are idle right now.
            return fault == .down ? Array(state.connections.values) : []
        }
        for connection in cut { connection.abort() }
    }

    /// How often each fault has hit so far: connections cut, refused or swallowed, and chunks
    /// delayed or throttled.
    public var hits: [LinkFault: Int] { state.withLock { $0.hits } }

    /// Stops listening and cuts every connection.
    public func stop() {
        let open: [Connection] = state.withLock { state in
            guard !state.stopped else { return [] }
            state.stopped = true
            return Array(state.connections.values)
        }
        shutdown(listener, Int32(SHUT_RDWR))
        for connection in open { connection.abort() }
    }

    // MARK: - Plumbing

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                break
            }
            let (fault, stopped) = state.withLock { ($0.fault, $0.stopped) }
            if stopped {
                close(client)
                break
            }
            switch fault {
            case .down:
                Connection.resetAndClose(client)
                record(.down)
            case .blackHole:
                record(.blackHole)
                let thread = Thread { Self.swallow(client) }
                thread.start()
            default:
                let server = connectUpstream()
                guard server >= 0 else {
                    // The aggregator is down: the county sees the connection refused, as it would directly.
                    Connection.resetAndClose(client)
                    continue
                }
                let connection = Connection(client: client, server: server)
                state.withLock { $0.connections[ObjectIdentifier(connection)] = connection }
                for (from, to) in [(client, server), (server, client)] {
                    let thread = Thread { [self] in pump(connection, from: from, to: to) }
                    thread.start()
                }
            }
        }
        close(listener)
    }

    private func connectUpstream() -> Int32 {
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard server >= 0 else { return -1 }
        var address = Self.loopback(port: upstream())
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(server)
            return -1
        }
        return server
    }

    private func record(_ fault: LinkFault) {
        state.withLock { $0.hits[fault, default: 0] += 1 }
    }

    /// A black hole: read and discard until the client gives up.
    private static func swallow(_ client: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while read(client, &buffer, buffer.count) > 0 {}
        close(client)
    }

    /// Copies one direction of a connection, applying the fault of the moment to every chunk.
    private func pump(_ connection: Connection, from: Int32, to: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        loop: while true {
            let count = read(from, &buffer, buffer.count)
            if count <= 0 {
                if count < 0 && errno == EINTR { continue }
                connection.halfClose(to)
                break
            }
            let (fault, delayMs, bytesPerSecond, resetAfter) = state.withLock { ($0.fault, $0.delayMs, $0.bytesPerSecond, $0.resetAfterBytes) }
            var chunk = buffer[0..<count]
            if from == connection.client { connection.clientChunks += 1 }
            switch fault {
            case .pass:
                break
            case .loseAnswers:
                // Past the handshake (ClientHello, client Finished) the client's writes are
                // requests, so what the server sends back is an answer to a committed request.
                if from == connection.server && connection.clientChunks >= 3 {
                    record(.loseAnswers)
                    connection.abort()
                    break loop
                }
            case .delay:
                record(.delay)
                usleep(useconds_t(delayMs * 1_000))
            case .drop:
                record(.drop)
                connection.halfClose(to)
                connection.halfClose(from)
                connection.abort(reset: false)
                break loop
            case .down:
                record(.down)
                connection.abort()
                break loop
            case .blackHole:
                // An open connection falls silent: what the client sends goes nowhere.
                if !connection.swallowing {
                    connection.swallowing = true
                    record(.blackHole)
                }
                continue loop
            case .reset:
                let room = resetAfter - connection.forwardedSinceFault
                if room < chunk.count {
                    if room > 0 { _ = Connection.writeAll(to, chunk.prefix(room)) }
                    record(.reset)
                    connection.abort()
                    break loop
                }
            case .slow:
                record(.slow)
                // Forward in tenths of a second's worth, pausing between them.
                let piece = max(1, bytesPerSecond / 10)
                while chunk.count > piece {
                    guard Connection.writeAll(to, chunk.prefix(piece)) else { break loop }
                    chunk = chunk.dropFirst(piece)
                    usleep(100_000)
                }
                usleep(useconds_t(max(1, chunk.count * 1_000_000 / bytesPerSecond)))
            }
            guard Connection.writeAll(to, chunk) else {
                connection.abort()
                break
            }
            connection.forwardedSinceFault += chunk.count
        }
        if connection.pumpFinished() {
            state.withLock { _ = $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
        }
    }
}

/// One proxied connection: two sockets and the two pumps between them.
final class Connection: @unchecked Sendable {
    let client: Int32
    let server: Int32
    private let lock = Mutex((pumps: 2, aborted: false, reset: false))
    /// Bytes forwarded (both directions) since the fault last changed; only a heuristic, so unguarded.
    var forwardedSinceFault = 0
    /// Whether a black hole has swallowed this connection.
    var swallowing = false
    /// Chunks the client has sent; only its pump counts, so unguarded.
    var clientChunks = 0

    init(client: Int32, server: Int32) {
        self.client = client
        self.server = server
    }

    /// Ends the connection: wakes both pumps; the last one out closes the sockets, with an RST
    /// when `reset` (SO_LINGER 0) or a plain FIN otherwise.
    func abort(reset: Bool = true) {
        let first = lock.withLock { state -> Bool in
            defer { state.aborted = true; state.reset = state.reset || reset }
            return !state.aborted
        }
        guard first else { return }
        if reset {
            for fd in [client, server] { Self.lingerZero(fd) }
        }
        // SHUT_RD sends nothing on Linux but wakes a blocked read, so the pumps notice.
        shutdown(client, Int32(SHUT_RD))
        shutdown(server, Int32(SHUT_RD))
    }

    /// Passes an end of stream on.
    func halfClose(_ fd: Int32) {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Called by each pump as it ends; the second closes both sockets. Returns true then.
    func pumpFinished() -> Bool {
        let last = lock.withLock { state -> Bool in
            state.pumps -= 1
            return state.pumps == 0
        }
        if last {
            close(client)
            close(server)
        }
        return last
    }

    static func lingerZero(_ fd: Int32) {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    static func resetAndClose(_ fd: Int32) {
        lingerZero(fd)
        close(fd)
    }

    /// Writes all of `bytes`; false if the peer is gone.
    static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        var rest = bytes
        while !rest.isEmpty {
            let written = rest.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            rest = rest.dropFirst(written)
        }
        return true
    }
}
