import ArgumentParser
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

    /// With `clerks`, the daemon also serves its console, and that many clerks each load a page a
    /// second from it (curl with the clerk's certificate) while the commits are timed.
    static func measure(commits: Int, idleSeconds: Int, folder: URL, pki: String, clerks: Int = 0) async throws -> Figures {
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
        var arguments = [binary.path, "--db", countyPath, "--city", "https://127.0.0.1:\(port)", "--ca", "\(pki)/ca.pem",
                         "--cert", "\(pki)/county-\(code).pem", "--key", "\(pki)/county-\(code).key", "--log-level", "warning"]
        let consolePortFile = folder.appendingPathComponent("console.port").path
        if clerks > 0 {
            try BenchCity.runPKI(["county-server", pki, code, "localhost", "127.0.0.1"])
            try BenchCity.runPKI(["clerk", pki, code, "bench"], environment: ["P12_PASSWORD": "bench"])
            arguments += ["--console-listen", "127.0.0.1:0", "--console-cert", "\(pki)/county-server-\(code).pem",
                          "--console-key", "\(pki)/county-server-\(code).key", "--console-port-file", consolePortFile]
        }
        guard let pid = ChildProcess.start(arguments, output: "/dev/null") else { throw BenchError("cannot start \(binary.path)") }
        defer { ChildProcess.stop(pid) }
        // Running once it has pulled.
        try await waitFor(seconds: 30) { try county.syncPosition().lastPullAtMs != nil }
        // Clerks browsing: each a curl loading the overview, the platform list and the city's
        // decisions in turn, one page a second, on one connection, for as long as the commits run.
        var browsing: [pid_t] = []
        defer { for clerk in browsing { ChildProcess.stop(clerk, signal: SIGKILL) } }
        if clerks > 0 {
            try await waitFor(seconds: 30) { (try? String(contentsOfFile: consolePortFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } != nil }
            let consolePort = try String(contentsOfFile: consolePortFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let pages = (0..<3_600).map { ["/console", "/console/platforms", "/console/decisions"][$0 % 3] }.map { "https://localhost:\(consolePort)\($0)" }
            for _ in 0..<clerks {
                guard let clerk = ChildProcess.start(["/usr/bin/curl", "-s", "-o", "/dev/null", "--rate", "1/s", "--cacert", "\(pki)/ca.pem",
                                                      "--cert", "\(pki)/clerk-\(code)-bench.pem", "--key", "\(pki)/clerk-\(code)-bench.key"] + pages,
                                                     output: "/dev/null") else { throw BenchError("cannot start curl") }
                browsing.append(clerk)
            }
        }

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

/// `sync-bench daemon`: commit → visible at the city through the real daemon, with no console
/// and with its console serving clerks who browse it, side by side in one run.
struct DaemonConsoleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Commit → visible through county-syncd, without its console and with clerks browsing it, side by side.")

    @Option(help: "Commits timed in each mode.") var commits = 200
    @Option(help: "Clerks loading a console page a second each, in the second mode.") var clerks = 5
    @Option(help: "Seconds the daemon is watched idle, for its memory and CPU.") var idleSeconds = 10

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-daemon-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pki = folder.appendingPathComponent("pki").path
        try BenchCity.makePKI(pki, counties: ["130204"])
        print("sync-bench daemon: \(commits) commits at the county, each timed until the city holds it, through the real county-syncd")
        print("mode                                   p50 ms    p99 ms   idle RSS MB   idle CPU %")
        var base: DaemonBench.Figures?
        for clerks in [0, clerks] {
            let figures = try await DaemonBench.measure(commits: commits, idleSeconds: idleSeconds,
                                                        folder: folder.appendingPathComponent("clerks-\(clerks)"), pki: pki, clerks: clerks)
            let name = clerks == 0 ? "no console" : "console, \(clerks) clerks browsing"
            let ratio = base.map { String(format: "   p99 %.2fx no console", figures.p99Ms / $0.p99Ms) } ?? ""
            print(name.padding(toLength: 36, withPad: " ", startingAt: 0)
                  + String(format: "%8.1f %9.1f %13.1f %12.2f", figures.p50Ms, figures.p99Ms, figures.rssMB, figures.cpuPercent) + ratio)
            if base == nil { base = figures }
        }
    }
}
