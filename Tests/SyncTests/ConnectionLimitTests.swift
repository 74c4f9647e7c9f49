import CurlTransport
import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A network attacker without any certificate, against the real aggregator under the descriptor
/// limit a unit without `LimitNOFILE` has (1,024): 1,200 idle TCP connections that never start a
/// handshake. Release 0.15.0 ran out of descriptors, every county's handshake timed out and the
/// process spun. Now connections are bounded below the limit, handshakes have a deadline, and a
/// county still syncs.
@Suite("Connections without a certificate", .serialized)
struct ConnectionLimitTests {
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

    /// CPU seconds the process has used (user and system), from /proc.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    @Test(.timeLimit(.minutes(2)))
    func twelveHundredIdleConnectionsLeaveTheCityServingCounties() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity(["--handshake-timeout-seconds", "3"], descriptorLimit: 1_024)
        let county = try cluster.makeCounty("130202")
        let (cert, key) = try cluster.certificate("130202")
        let transport = try cluster.transport(cert: cert, key: key)
        let pid = try #require(cluster.city?.process.processIdentifier)

        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        for _ in 0..<1_200 {
            if let fd = Self.idleConnection(port: cluster.cityPort) { sockets.append(fd) }
        }
        #expect(sockets.count == 1_200, "the attacker holds \(sockets.count) connections")

        // A county still pushes, and /healthz answers, while the idle connections are held.
        try county.addPlatforms(makePlatforms("130202", count: 5))
        let batch = try #require(try county.nextPushBatch(limit: 100))
        var pushed: PushResponse?
        let deadline = ContinuousClock.now + .seconds(30)
        while pushed == nil, ContinuousClock.now < deadline {
            pushed = try? await transport.push(batch)
            if pushed == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(pushed?.highWater == batch.lastSeq)
        let health = try await transport.request(method: "GET", path: "/healthz")
        #expect(health.status == 200)
        #expect(cluster.city?.isRunning == true)

        // The city holds none of them: each was refused at once over its bounds, or closed at
        // the handshake deadline. (Connections the kernel's backlog has not passed on yet are
        // the client kernel's, retrying its SYN; the city has not accepted them.)
        func connectionGauges() async throws -> [String: Int] {
            let text = String(decoding: try await transport.request(method: "GET", path: "/metrics").body, as: UTF8.self)
            var gauges: [String: Int] = [:]
            for line in text.split(separator: "\n") where line.hasPrefix("sync_connections") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let value = Int(parts[1]) { gauges[String(parts[0])] = value }
            }
            return gauges
        }
        var gauges: [String: Int] = [:]
        let settled = ContinuousClock.now + .seconds(20)
        repeat {
            gauges = try await connectionGauges()
            if (gauges["sync_connections_open"] ?? .max) <= 2 && gauges["sync_connections_handshaking"] == 0 { break }
            try await Task.sleep(for: .milliseconds(250))
        } while ContinuousClock.now < settled
        #expect((gauges["sync_connections_open"] ?? .max) <= 2 && gauges["sync_connections_handshaking"] == 0, "\(gauges)")
        #expect((gauges["sync_connections_refused_total"] ?? 0) > 0, "connections over the bound were refused: \(gauges)")
        // Every connection it refused it closed at once, so its client sees it closed. (How many
        // of the rest the kernel has passed on yet varies from run to run.)
        let closed = sockets.filter(Self.closedByServer).count
        #expect(closed >= (gauges["sync_connections_refused_total"] ?? .max), "the city closed \(closed) of the idle connections: \(gauges)")
        // And it does not spin: well under one core while they were held and after.
        let before = Self.cpuSeconds(pid: pid)
        try await Task.sleep(for: .seconds(2))
        if let before, let after = Self.cpuSeconds(pid: pid) {
            #expect(after - before < 1.0, "the aggregator used \(after - before) s of CPU in 2 s")
        }
    }
}
