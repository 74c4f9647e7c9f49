import Foundation
import LocalCluster
import Testing

/// The shipped systemd units are hardened: `systemd-analyze security` rates each 2.0 or lower.
@Suite struct UnitHardeningTests {
    @Test(arguments: ["city-aggregator.service", "county-syncd.service"])
    func systemdRatesTheUnitTwoOrLower(unit: String) throws {
        let analyze = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: analyze) else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_FUZZ"] == nil, "systemd-analyze is missing")
            return
        }
        let path = Cluster.packageRoot.appendingPathComponent("Deploy/systemd/\(unit)").path
        let result = try Cluster.capture(analyze, ["security", "--offline=true", path])
        let line = result.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") } ?? ""
        let level = line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }
        #expect(level.map { $0 <= 2.0 } == true, "\(unit): \(line) \(result.stderr.suffix(500))")
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("RestartPreventExitStatus=65 77 78"))
    }
}

/// `Type=notify`: the aggregator says READY=1 on `$NOTIFY_SOCKET` once its listener is bound, and
/// feeds the watchdog when systemd asks for one.
@Suite("systemd notification", .serialized)
struct SystemdNotifyTests {
    @Test(.timeLimit(.minutes(2)))
    func theAggregatorReportsReadyAndFeedsTheWatchdog() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let socketPath = cluster.dir.appendingPathComponent("notify.sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in socketPath.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0, "bind: \(errno)")
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        try await cluster.startCity([], environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "400000"])
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !(messages.contains { $0.contains("READY=1") } && messages.contains { $0 == "WATCHDOG=1" }) {
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { messages.append(String(decoding: buffer[..<count], as: UTF8.self)) }
        }
        #expect(messages.contains { $0.hasPrefix("READY=1") && $0.contains("STATUS=listening") }, "\(messages)")
        #expect(messages.contains("WATCHDOG=1"), "\(messages)")
        cluster.stopCity()
    }
}
