import ArgumentParser
import CountyDaemon
import CurlTransport
import Foundation
import Logging
import SyncCore
import SyncProtocol
import SyncStore

/// Another county's pull latency while one county floods the city with its largest legal
/// batches, as a ratio to the same pulls with the city idle, measured in one run against the real
/// aggregator over mutual TLS. Run once with pushes applied in slices (the default) and once with
/// each batch applied in one transaction, so the effect of slicing shows side by side.
struct FloodBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flood",
        abstract: "Another county's pull latency while one county pushes its largest legal batches, vs. idle.")

    @Option(help: "Platforms the flooding county pushes.") var rows = 20_000
    @Option(help: "Changes per push: the city's max-batch-changes.") var batch = 2_000
    @Option(help: "Pulls timed while the city is idle.") var idlePulls = 200
    @Option(help: "Pushes of the largest batch the flooding county sends and abandons (hangs up after 0.3 s) during the flood.")
    var abandoned = 40
    @Option(help: "Slice sizes to compare (changes per apply transaction), comma-separated; the batch size is one transaction per batch.")
    var slices = "\(SyncLimits().applySliceChanges),1000,2000"
    @Option(help: "Connections of the flooding county that send a push body at 1 KiB/s (slow bodies) during the flood.")
    var slowBodies = 10
    @Option(help: ArgumentHelp("Where the flooding county runs: in-process (a SyncClient in this process, sharing its CPUs) or daemon (the real county-syncd beside this binary), comma-separated to compare.", valueName: "modes"))
    var flooder = "in-process"
    @Option(help: ArgumentHelp("With daemon: the CPU the flooding county's processes run on (taskset), as on a machine of their own; run this benchmark itself on another, e.g. taskset -c 0 sync-bench flood --flooder daemon --flooder-cpu 1.", valueName: "n"))
    var flooderCPU: Int?

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-flood-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pki = folder.appendingPathComponent("pki").path
        try BenchCity.makePKI(pki, counties: ["130202", "130203"])
        print("sync-bench flood: county 130202 pushes \(rows) platforms in batches of \(batch) (remarks at the 200-character limit),")
        print("and sends \(abandoned) more pushes of \(batch) changes that it abandons (hangs up after 0.3 s), and \(slowBodies) at 1 KiB/s (slow bodies);")
        print("county 130203 pulls its feed and pushes one change at a time meanwhile. Its latencies, over HTTPS with mutual TLS:")
        print("mode                                     requests  p50 ms    p99 ms    max ms   p99 / idle p99")
        let sizes = slices.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
        guard !sizes.isEmpty else { throw ValidationError("--slices: expected sizes such as 1000,250") }
        let modes = try flooder.split(separator: ",").map { text -> Flooder in
            switch text.trimmingCharacters(in: .whitespaces) {
            case "in-process": return .inProcess
            case "daemon": return .daemon(cpu: flooderCPU)
            default: throw ValidationError("--flooder: expected in-process or daemon, got \(text)")
            }
        }
        for mode in modes {
            for slice in sizes {
                let name = (slice >= batch ? "1 transaction per batch" : "\(slice) per transaction\(slice == SyncLimits().applySliceChanges ? " (default)" : "")")
                    + ", \(mode)"
                _ = try await Self.measure(name: name, slice: slice, rows: rows, batch: batch, idlePulls: idlePulls, abandoned: abandoned,
                                           slowBodies: slowBodies, flooder: mode, folder: folder.appendingPathComponent("\(mode.folder)-\(slice)"), pki: pki)
            }
        }
    }

    /// Another county's pull p99 with the city idle and while one county floods it, in ms
    /// (the default slicing), for the report.
    static func pullLatency(rows: Int, batch: Int, idlePulls: Int, folder: URL, pki: String) async throws -> (idleP99: Double, busyP99: Double) {
        try await measure(name: "\(SyncLimits().applySliceChanges) per transaction", slice: SyncLimits().applySliceChanges, rows: rows, batch: batch,
                          idlePulls: idlePulls, abandoned: 0, folder: folder, pki: pki)
    }

    /// Where the flooding county runs.
    enum Flooder: CustomStringConvertible {
        /// A `SyncClient` in this process: its encoding, compression and TLS share this
        /// process's CPUs with the city it floods.
        case inProcess
        /// The real `county-syncd`, on its own CPU if given (`taskset`), as on its own machine.
        case daemon(cpu: Int?)

        var description: String {
            switch self {
            case .inProcess: "flooder in process"
            case .daemon(let cpu): "flooder a daemon" + (cpu.map { " on CPU \($0)" } ?? "")
            }
        }
        var folder: String {
            switch self {
            case .inProcess: "in-process"
            case .daemon: "daemon"
            }
        }
        /// `arguments` run on the flooder's CPU, if it has one.
        func pinned(_ arguments: [String]) -> [String] {
            guard case .daemon(let cpu?) = self else { return arguments }
            return ["/usr/bin/taskset", "-c", String(cpu)] + arguments
        }
    }

    /// Prints the latencies of one mode; returns the pulls' idle and busy p99.
    @discardableResult
    static func measure(name: String, slice: Int, rows: Int, batch: Int, idlePulls: Int, abandoned: Int = 0, slowBodies: Int = 0,
                        flooder mode: Flooder = .inProcess, folder: URL, pki: String) async throws -> (idleP99: Double, busyP99: Double) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let flooder = try CountyDatabase.create(at: folder.appendingPathComponent("flooder.db").path, county: "130202")
        let platforms = (0..<rows).map { index -> Platform in
            var platform = PushBench.makePlatform(index)
            platform.remarks = String(repeating: "备", count: 200)
            return platform
        }
        for chunk in stride(from: 0, to: rows, by: 5_000) { try flooder.addPlatforms(Array(platforms[chunk..<min(chunk + 5_000, rows)])) }
        let puller = try CountyDatabase.create(at: folder.appendingPathComponent("puller.db").path, county: "130203")

        var configuration = BenchCity.configuration(database: folder.appendingPathComponent("city.db").path, pki: pki)
        configuration.limits.applySliceChanges = slice
        configuration.limits.maxBatchChanges = batch
        let (server, port) = try await BenchCity.start(configuration)
        defer { server.cancel() }
        let neighbour = try BenchCity.transport(port: port, pki: pki, county: "130203")
        let node = puller.replica.node
        var serial = 1_000_000
        func timed(_ body: () async throws -> Void) async throws -> Double {
            let start = ContinuousClock.now
            try await body()
            return (ContinuousClock.now - start).seconds * 1_000
        }
        func pullOnce() async throws -> Double {
            try await timed { _ = try await neighbour.pull(node: node, after: 0, limit: 100) }
        }
        func pushOnce() async throws -> Double {
            serial += 1
            var platform = PushBench.makePlatform(serial)
            platform.county = "130203"
            try puller.addPlatform(platform)
            guard let request = try puller.nextPushBatch(limit: 10) else { throw BenchError("nothing to push") }
            return try await timed { try puller.acknowledge(request, try await neighbour.push(request)) }
        }
        _ = try await pullOnce()
        var idle: (pulls: [Double], pushes: [Double]) = ([], [])
        for _ in 0..<idlePulls {
            idle.pulls.append(try await pullOnce())
            idle.pushes.append(try await pushOnce())
        }

        // The abandoned pushes: the flooder's next batch, sent as it is by curl processes that
        // hang up after 0.3 s, so the city receives them and their clients are gone; and slow
        // bodies, the same batch sent at 1 KiB/s for up to 20 s.
        var hangUps: [pid_t] = []
        if abandoned + slowBodies > 0, let first = try flooder.nextPushBatch(limit: batch) {
            let body = folder.appendingPathComponent("abandoned.json")
            try Data(JSONText.pushRequest(first).utf8).write(to: body)
            func curl(_ limits: [String]) throws -> pid_t {
                let arguments = ["/usr/bin/curl", "-s", "-o", "/dev/null"] + limits + ["--cacert", "\(pki)/ca.pem", "--cert", "\(pki)/county-130202.pem",
                                 "--key", "\(pki)/county-130202.key", "-H", "Content-Type: application/json", "-H", "Sync-Protocol: 2",
                                 "-H", "Expect:", "--data-binary", "@\(body.path)", "https://127.0.0.1:\(port)/v1/push"]
                guard let pid = ChildProcess.start(mode.pinned(arguments), output: "/dev/null") else { throw BenchError("cannot start curl") }
                return pid
            }
            for _ in 0..<abandoned { hangUps.append(try curl(["--max-time", "0.3"])) }
            for _ in 0..<slowBodies { hangUps.append(try curl(["--max-time", "20", "--limit-rate", "1K"])) }
        }
        let flood: Task<Void, any Error>
        switch mode {
        case .inProcess:
            var logger = Logger(label: "sync-bench")
            logger.logLevel = .critical
            let client = SyncClient(database: flooder, transport: try BenchCity.transport(port: port, pki: pki, county: "130202"),
                                    logger: logger, batchSize: batch)
            // The flooder retries a push refused with 429 (its share of the city taken by its own
            // abandoned pushes), as the daemon does with its backoff.
            flood = Task {
                while true {
                    do {
                        _ = try await client.pushPending()
                        return
                    } catch TransportError.http(_, _, let status, _) where status == 429 {
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
        case .daemon:
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("county-syncd")
            guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw BenchError("no \(binary.path): build the package with -c release") }
            guard let pid = ChildProcess.start(mode.pinned([binary.path, "--db", flooder.path, "--city", "https://127.0.0.1:\(port)", "--ca", "\(pki)/ca.pem",
                                                            "--cert", "\(pki)/county-130202.pem", "--key", "\(pki)/county-130202.key",
                                                            "--batch-size", String(batch), "--log-level", "warning"]),
                                               output: folder.appendingPathComponent("flooder.log").path) else { throw BenchError("cannot start \(binary.path)") }
            flood = Task {
                defer { ChildProcess.stop(pid) }
                while try flooder.pendingCount() > 0 { try await Task.sleep(for: .milliseconds(50)) }
            }
        }
        var busy: (pulls: [Double], pushes: [Double]) = ([], [])
        while true {
            busy.pulls.append(try await pullOnce())
            busy.pushes.append(try await pushOnce())
            if busy.pulls.count % 10 == 0, try flooder.pendingCount() == 0 { break }
            if busy.pulls.count > 100_000 { throw BenchError("the flood did not finish") }
        }
        _ = try await flood.value
        for pid in hangUps { ChildProcess.stop(pid, signal: SIGKILL) }
        let left = try flooder.pendingCount()
        guard left == 0 else { throw BenchError("\(left) of \(rows) changes were not pushed") }
        print(Self.row("idle city: pulls", idle.pulls, idle: idle.pulls))
        print(Self.row("idle city: pushes", idle.pushes, idle: idle.pushes))
        print(Self.row("flood, \(name): pulls", busy.pulls, idle: idle.pulls))
        print(Self.row("flood, \(name): pushes", busy.pushes, idle: idle.pushes))
        return (percentile(idle.pulls, 0.99), percentile(busy.pulls, 0.99))
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    static func row(_ name: String, _ values: [Double], idle: [Double]) -> String {
        let p99 = percentile(values, 0.99)
        return name.padding(toLength: max(42, name.count + 1), withPad: " ", startingAt: 0)
            + String(format: "%7d %9.1f %9.1f %9.1f %12.2fx", values.count, percentile(values, 0.5), p99, values.max() ?? 0, p99 / percentile(idle, 0.99))
    }
}
