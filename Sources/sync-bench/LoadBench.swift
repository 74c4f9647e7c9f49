import ArgumentParser
import CurlTransport
import Foundation
import Synchronization
import SyncCore
import SyncProtocol
#if canImport(Glibc)
import Glibc
#endif

/// N simulated counties against one real `city-aggregator` process: each county has its own
/// certificate, node and keep-alive TLS connection, and sends the daemon's mix (pulls,
/// heartbeats, small pushes, now and then a catch-up of 500 changes) back to back, from at most
/// `workers` requests in flight. In the same run, nginx answers the same requests over TLS with
/// client certificates, as the reference for what this machine's TLS and HTTP cost alone.
struct LoadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "N counties against one aggregator: requests/s, latency, the city's CPU and memory; nginx beside it.")

    @Option(parsing: .upToNextOption, help: "Numbers of counties, one run each.") var counties: [Int] = [18, 300, 2_800]
    @Option(help: "Seconds each run lasts.") var seconds = 20
    @Option(help: "Most requests in flight at once.") var workers = 32
    @Option(help: "Folder to keep the certificates in between runs (made on first use).") var pki: String?
    @Flag(help: "Leave out the nginx reference.") var noNginx = false

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let most = counties.max() ?? 18
        let codes = (1...most).map { String(format: "5%05d", $0) }
        let pkiPath = URL(fileURLWithPath: pki ?? folder.appendingPathComponent("pki").path).standardizedFileURL.path
        progress("sync-bench load: \(counties.map(String.init).joined(separator: ", ")) counties, \(seconds) s each, at most \(workers) requests in flight")
        try Self.makePKI(pkiPath, codes: codes)
        let list = folder.appendingPathComponent("counties.json")
        try JSONEncoder().encode(codes.enumerated().map { County(code: $1, name: "模拟县\($0 + 1)", englishName: "Simulated \($0 + 1)", kind: "county") })
            .write(to: list)
        let nginx = noNginx ? nil : try? NginxReference(folder: folder.appendingPathComponent("nginx"), pki: pkiPath)
        if nginx == nil, !noNginx { progress("  (nginx reference not run: nginx is not installed; apt-get install nginx)") }

        var lines: [String] = []
        for count in counties {
            let city = try CityProcess(folder: folder.appendingPathComponent("city-\(count)"), pki: pkiPath, counties: list)
            let ours = try await Self.drive(url: city.url, codes: Array(codes.prefix(count)), pki: pkiPath, seconds: seconds, workers: workers) {
                try city.usage()
            }
            city.stop()
            lines.append(Self.line("city-aggregator", count, ours))
            progress(lines.last!)
            if let nginx {
                try nginx.start()
                let reference = try await Self.drive(url: nginx.url, codes: Array(codes.prefix(count)), pki: pkiPath, seconds: seconds, workers: workers) {
                    try nginx.usage()
                }
                nginx.stop()
                lines.append(Self.line("nginx (TLS, same requests)", count, reference))
                progress(lines.last!)
            }
        }
        print()
        print("server                        counties  requests/s   p50 ms   p99 ms  errors  server CPU  server RSS  changes/s")
        for line in lines { print(line) }
    }

    struct Figures {
        var requests = 0
        var errors = 0
        var changes = 0
        var latenciesMs: [Double] = []
        var seconds = 0.0
        var cpuPercent = 0.0
        var rssMB = 0.0
    }

    static func line(_ server: String, _ count: Int, _ figures: Figures) -> String {
        let sorted = figures.latenciesMs.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)] }
        // nginx applies nothing: it has no changes per second.
        let applied = server.hasPrefix("nginx") ? "-" : String(format: "%.0f", Double(figures.changes) / figures.seconds)
        return server.padding(toLength: 30, withPad: " ", startingAt: 0)
            + String(format: "%8d %11.0f %8.1f %8.1f %7d %10.0f%% %9.0f MB ", count, Double(figures.requests) / figures.seconds,
                     percentile(0.5), percentile(0.99), figures.errors, figures.cpuPercent, figures.rssMB)
            + String(repeating: " ", count: max(0, 10 - applied.count)) + applied
    }

    /// One county as the load generator plays it.
    final class SimulatedCounty: @unchecked Sendable {
        let code: String
        let node: String
        let transport: CurlTransport
        var seq: Int64 = 0
        var hlc = HybridLogicalClock(last: .zero)
        var serial = 0

        init(code: String, url: String, pki: String) throws {
            self.code = code
            node = "county-\(code)-load\(UInt32.random(in: 0...UInt32.max))"
            transport = try CurlTransport(TransportConfiguration(baseURL: url, caFile: "\(pki)/ca.pem", certFile: "\(pki)/county-\(code).pem",
                                                                 keyFile: "\(pki)/county-\(code).key"))
        }

        /// A push of `count` new platforms, as JSON.
        func push(_ count: Int) -> (body: Data, changes: Int) {
            let changes = (0..<count).map { _ -> WireChange in
                seq += 1
                serial += 1
                let prefix = "91" + code + String(format: "%09d", serial)
                let credit = prefix + String(CreditCode.checkCharacter(for: prefix) ?? "0")
                let values: [String: ColumnValue] = [
                    "county": .text(code), "name": .text("负载平台 \(serial)"), "category": .text("key_lab"), "level": .text("municipal"),
                    "subtype": .null, "host_org": .text("依托单位 \(serial % 97)"), "credit_code": .text(credit), "industry": .text("钢铁冶金"),
                    "recognized_on": .null, "status": .text("registered"), "evaluation": .null, "contact": .text("联系人"), "remarks": .text("load"),
                ]
                let reading = hlc.tick(wallMs: Int64(Date().timeIntervalSince1970 * 1_000))
                return WireChange(seq: seq, table: "platform", rowId: RecordID.generate(), op: "insert", hlc: reading.rawValue, node: node,
                                  values: values, bases: [:])
            }
            return (Data(JSONText.pushRequestBytes(PushRequest(node: node, changes: changes, epochBaseSeq: 0))), count)
        }
    }

    /// Runs the mix against `url` for `seconds`; `usage` reads the server's CPU ticks and RSS.
    static func drive(url: String, codes: [String], pki: String, seconds: Int, workers: Int,
                      usage: @escaping () throws -> (cpuTicks: Double, rssKB: Double)) async throws -> Figures {
        let simulated = try codes.map { try SimulatedCounty(code: $0, url: url, pki: pki) }
        let lanes = min(workers, simulated.count)
        let deadline = ContinuousClock.now + .seconds(seconds)
        let before = try usage()
        let start = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: Figures.self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    var figures = Figures()
                    var turn = 0
                    var random = SystemRandomNumberGenerator()
                    let mine = stride(from: lane, to: simulated.count, by: lanes).map { simulated[$0] }
                    while ContinuousClock.now < deadline {
                        let county = mine[turn % mine.count]
                        turn += 1
                        let roll = Int.random(in: 0..<100, using: &random)
                        let method: String, path: String, body: Data?
                        var changes = 0
                        switch roll {
                        case 0..<50:
                            (method, path, body) = ("GET", "/v1/pull?node=\(county.node)&after=0&limit=100", nil)
                        case 50..<70:
                            (method, path) = ("POST", "/v1/heartbeat")
                            body = Data(#"{"node":"\#(county.node)","pending":0,"oldestPendingAgeSeconds":0}"#.utf8)
                        case 70..<99:
                            let push = county.push(Int.random(in: 1...5, using: &random))
                            (method, path, body, changes) = ("POST", "/v1/push", push.body, push.changes)
                        default:
                            let push = county.push(500)
                            (method, path, body, changes) = ("POST", "/v1/push", push.body, push.changes)
                        }
                        let sent = ContinuousClock.now
                        let answer = try? await county.transport.request(method: method, path: path, body: body)
                        figures.latenciesMs.append((ContinuousClock.now - sent).seconds * 1_000)
                        figures.requests += 1
                        if answer?.status == 200 { figures.changes += changes } else { figures.errors += 1 }
                    }
                    return figures
                }
            }
            var total = Figures()
            for try await figures in group {
                total.requests += figures.requests
                total.errors += figures.errors
                total.changes += figures.changes
                total.latenciesMs += figures.latenciesMs
            }
            return total
        }
        var figures = results
        figures.seconds = (ContinuousClock.now - start).seconds
        let after = try usage()
        figures.cpuPercent = (after.cpuTicks - before.cpuTicks) / Double(sysconf(Int32(_SC_CLK_TCK))) / figures.seconds * 100
        figures.rssMB = after.rssKB / 1_024
        return figures
    }

    /// A CA, a server certificate for 127.0.0.1 and one certificate per county, made by
    /// `Deploy/pki.sh` (kept in `path` and reused).
    static func makePKI(_ path: String, codes: [String]) throws {
        if !FileManager.default.fileExists(atPath: "\(path)/ca.pem") {
            try BenchCity.makePKI(path, counties: [])
        }
        let missing = codes.filter { !FileManager.default.fileExists(atPath: "\(path)/county-\($0).pem") }
        guard !missing.isEmpty else { return }
        progress("  making \(missing.count) county certificates in \(path)")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Deploy/pki.sh").path
        let list = "\(path)/codes-to-make.txt"
        try missing.joined(separator: "\n").write(toFile: list, atomically: true, encoding: .utf8)
        let status = ChildProcess.run("/bin/bash", ["-c", "xargs -P 2 -I CODE bash '\(script)' county '\(path)' CODE < '\(list)'"], output: "\(path)/pki.log")
        guard status == 0 else { throw BenchError("making county certificates failed; see \(path)/pki.log") }
    }
}

/// The real aggregator as its own process, so its CPU and memory are its own.
final class CityProcess {
    let url: String
    private let pid: pid_t

    init(folder: URL, pki: String, counties: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let database = folder.appendingPathComponent("city.db").path
        guard ChildProcess.run(binaries.appendingPathComponent("syncctl").path,
                                  ["init", "--db", database, "--city", "--counties", counties.path], output: folder.appendingPathComponent("init.log").path) == 0 else {
            throw BenchError("syncctl init --city failed; see \(folder.path)/init.log")
        }
        let portFile = folder.appendingPathComponent("port").path
        let arguments = [binaries.appendingPathComponent("city-aggregator").path, "--db", database, "--listen", "127.0.0.1:0", "--port-file", portFile,
                         "--cert", "\(pki)/server.pem", "--key", "\(pki)/server.key", "--client-ca", "\(pki)/ca.pem", "--counties", counties.path,
                         "--log-level", "warning"]
        guard let started = ChildProcess.start(arguments, output: folder.appendingPathComponent("city.log").path) else { throw BenchError("cannot start city-aggregator") }
        pid = started
        let deadline = Date().addingTimeInterval(20)
        while (try? String(contentsOfFile: portFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true {
            guard Date() < deadline else { throw BenchError("city-aggregator did not start; see \(folder.path)/city.log") }
            usleep(50_000)
        }
        url = "https://127.0.0.1:\(try String(contentsOfFile: portFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))"
    }

    func usage() throws -> (cpuTicks: Double, rssKB: Double) {
        try DaemonBench.usage(pid)
    }

    func stop() { ChildProcess.stop(pid) }
}

/// nginx over TLS with client certificates from the same CA, answering every request with a
/// small JSON body: what TLS and HTTP alone cost on this machine.
final class NginxReference {
    let url: String
    private let folder: URL
    private let port: Int
    private var pid: pid_t = 0

    init(folder: URL, pki: String) throws {
        guard let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BenchError("no nginx")
        }
        self.folder = folder
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        port = Int.random(in: 20_000...29_999)
        url = "https://127.0.0.1:\(port)"
        let conf = """
            daemon off;
            worker_processes 2;
            pid nginx.pid;
            error_log nginx-error.log warn;
            events { worker_connections 8192; }
            http {
                access_log off;
                client_body_temp_path tmp;
                client_max_body_size 8m;
                client_body_buffer_size 8m;
                keepalive_requests 1000000;
                keepalive_timeout 60s;
                server {
                    listen 127.0.0.1:\(port) ssl;
                    ssl_certificate \(pki)/server.pem;
                    ssl_certificate_key \(pki)/server.key;
                    ssl_client_certificate \(pki)/ca.pem;
                    ssl_verify_client on;
                    ssl_protocols TLSv1.2 TLSv1.3;
                    location / {
                        default_type application/json;
                        return 200 '{"highWater":0,"outcomes":[],"changes":[],"cursor":0,"more":false}';
                    }
                }
            }
            """
        try conf.write(to: folder.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        binary = nginx
    }

    private let binary: String

    func start() throws {
        guard let started = ChildProcess.start([binary, "-p", folder.path + "/", "-c", folder.appendingPathComponent("nginx.conf").path],
                                                output: folder.appendingPathComponent("nginx.log").path) else { throw BenchError("cannot start nginx") }
        pid = started
        usleep(500_000)
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            let log = (try? String(contentsOf: folder.appendingPathComponent("nginx-error.log"), encoding: .utf8)) ?? ""
            throw BenchError("nginx stopped at once: \(log.split(separator: "\n").suffix(3).joined(separator: "; "))")
        }
    }

    /// CPU and RSS of the master and its workers.
    func usage() throws -> (cpuTicks: Double, rssKB: Double) {
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8))?.split(separator: " ").compactMap { Int32($0) } ?? []
        var total = (cpuTicks: 0.0, rssKB: 0.0)
        for process in [pid] + children {
            let figures = try DaemonBench.usage(process)
            total.cpuTicks += figures.cpuTicks
            total.rssKB += figures.rssKB
        }
        return total
    }

    func stop() { ChildProcess.stop(pid, signal: SIGQUIT) }
}
