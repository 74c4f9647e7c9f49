import Foundation
import GRDB
import SyncCore
import SyncStore
#if canImport(Glibc)
import Glibc
#endif

/// The real `county-syncd` (the release binary beside this one) against the real aggregator:
/// how long a committed row takes to be visible at the city, then what the daemon costs while
/// nothing changes.
enum DaemonBench {
    struct Figures {
        var p50Ms: Double
        var p99Ms: Double
        var rssMB: Double
        var cpuPercent: Double
    }

    static func measure(commits: Int, idleSeconds: Int, folder: URL, pki: String) async throws -> Figures {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let code = "130204"
        let countyPath = folder.appendingPathComponent("county.db").path
        let county = try CountyDatabase.create(at: countyPath, county: code)
        let configuration = BenchCity.configuration(database: folder.appendingPathComponent("city.db").path, pki: pki)
        let (server, port) = try await BenchCity.start(configuration)
        defer { server.cancel() }
        let city = try CityDatabase.open(at: configuration.databasePath)

        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("county-syncd")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw BenchError("no \(binary.path): build the package with -c release") }
        guard let pid = ChildProcess.start([binary.path, "--db", countyPath, "--city", "https://127.0.0.1:\(port)", "--ca", "\(pki)/ca.pem",
                                            "--cert", "\(pki)/county-\(code).pem", "--key", "\(pki)/county-\(code).key", "--log-level", "warning"],
                                           output: "/dev/null") else { throw BenchError("cannot start \(binary.path)") }
        defer { ChildProcess.stop(pid) }
        // Running once it has pulled.
        try await waitFor(seconds: 30) { try county.syncPosition().lastPullAtMs != nil }

        let exists = "SELECT 1 FROM platform WHERE id = ?"
        var latencies: [Double] = []
        for index in 0..<commits {
            var platform = PushBench.makePlatform(500_000 + index)
            platform.county = code
            let start = ContinuousClock.now
            try county.addPlatform(platform)
            try await waitFor(seconds: 10, every: .microseconds(500)) {
                try city.pool.read { db in try Bool.fetchOne(db, sql: exists, arguments: [platform.id]) } != nil
            }
            latencies.append((ContinuousClock.now - start).seconds * 1_000)
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)] }

        // Idle: nothing written; let the last round settle, then watch.
        try await Task.sleep(for: .seconds(2))
        let before = try usage(pid)
        try await Task.sleep(for: .seconds(idleSeconds))
        let after = try usage(pid)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return Figures(p50Ms: percentile(0.5), p99Ms: percentile(0.99), rssMB: after.rssKB / 1_024,
                       cpuPercent: (after.cpuTicks - before.cpuTicks) / ticks / Double(idleSeconds) * 100)
    }

    /// Polls `condition` until it holds, or throws after `seconds`.
    static func waitFor(seconds: Double, every interval: Duration = .milliseconds(20), _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1_000))
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw BenchError("timed out after \(seconds) s") }
            try await Task.sleep(for: interval)
        }
    }

    /// CPU ticks used and resident memory of a process, from /proc.
    static func usage(_ pid: Int32) throws -> (cpuTicks: Double, rssKB: Double) {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        let cpu = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8).split(separator: "\n")
        func field(_ name: String) -> Double {
            status.first { $0.hasPrefix(name + ":") }.flatMap { Double($0.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") } ?? 0
        }
        return (cpu, field("VmRSS"))
    }
}
