import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP (a `systemctl reload`, a closed terminal) never stops either binary. Release 0.15.0
/// ended both with exit 129 and no log line, which systemd counts as a clean stop and does not
/// restart.
@Suite("SIGHUP", .serialized)
struct HangupTests {
    @Test(.timeLimit(.minutes(2)))
    func sighupKeepsTheAggregatorAndTheDaemonRunningAndSaysWhatItDid() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try cluster.startDaemon("130202")
        try await eventually("the daemon's first sync", timeout: .seconds(30)) { try county.syncPosition().lastPullAtMs != nil }
        // Its first line says what runs, for whom and against which city.
        let started = try #require(cluster.logTail("county-130202.log", lines: 200).split(separator: "\n").first { $0.contains("county-syncd started") })
        for field in ["sync.version=\(CountySyncVersion.current)", "sync.county=130202", "sync.node=\(county.replica.node)", "sync.city=\(cluster.cityURL)"] {
            #expect(started.contains(field), "\(field) in \(started)")
        }
        let city = try #require(cluster.city?.process.processIdentifier)
        let daemon = try #require(cluster.daemonPid("130202"))
        for _ in 0..<2 {
            kill(city, SIGHUP)
            kill(daemon, SIGHUP)
        }
        try await eventually("both say what SIGHUP did", timeout: .seconds(10)) {
            cluster.logTail("city.log", lines: 30).contains("SIGHUP") && cluster.logTail("county-130202.log", lines: 30).contains("SIGHUP")
        }
        #expect(cluster.city?.isRunning == true, "the aggregator still runs")
        #expect(cluster.daemonRunning("130202"), "the daemon still runs")
        // And it still syncs.
        try county.addPlatforms(makePlatforms("130202", count: 2))
        try await eventually("the daemon pushes after SIGHUP", timeout: .seconds(30)) {
            try county.syncPosition().pushedSeq == county.syncPosition().lastSeq
        }
    }
}

/// SIGHUP reads the log level again from the configuration file (a --log-level flag keeps its
/// level); under systemd every line carries its syslog priority, so `journalctl -p` works.
@Suite("Log level and the journal", .serialized)
struct LogLevelTests {
    @Test(.timeLimit(.minutes(2)))
    func sighupReadsTheLogLevelAgainAndTheJournalGetsPriorities() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let config = cluster.dir.appendingPathComponent("city.conf")
        try "log-level = warning\n".write(to: config, atomically: true, encoding: .utf8)
        let portFile = cluster.dir.appendingPathComponent("journal.port").path
        let city = try Managed.start(Cluster.binaries.appendingPathComponent("city-aggregator"),
                                     ["--config", config.path, "--db", cluster.dir.appendingPathComponent("journal.db").path, "--listen", "127.0.0.1:0",
                                      "--cert", cluster.pki.appendingPathComponent("server.pem").path, "--key", cluster.pki.appendingPathComponent("server.key").path,
                                      "--client-ca", cluster.pki.appendingPathComponent("ca.pem").path, "--port-file", portFile],
                                     log: cluster.dir.appendingPathComponent("journal.log"), environment: ["JOURNAL_STREAM": "9:4711"])
        defer { city.terminate() }
        try await eventually("the aggregator listens") { FileManager.default.fileExists(atPath: portFile) }
        func lines() -> [Substring] { cluster.logTail("journal.log", lines: 200).split(separator: "\n") }
        // At warning: the missing roles file's warning, priority 4; no notice or info line.
        #expect(lines().contains { $0.hasPrefix("<4>") && $0.contains("no roles file") }, "\(lines())")
        #expect(!lines().contains { $0.hasPrefix("<5>") || $0.hasPrefix("<6>") }, "nothing below warning: \(lines())")
        #expect(lines().allSatisfy { $0.hasPrefix("<") }, "every line has its priority")
        // The file now says info: SIGHUP takes it, and says so at the new level.
        try "log-level = info\n".write(to: config, atomically: true, encoding: .utf8)
        kill(city.process.processIdentifier, SIGHUP)
        try await eventually("the new level in force") { lines().contains { $0.hasPrefix("<5>") && $0.contains("SIGHUP: log level info (was warning)") } }
        // A level the file cannot give keeps the one in force.
        try "log-level = loud\n".write(to: config, atomically: true, encoding: .utf8)
        kill(city.process.processIdentifier, SIGHUP)
        try await eventually("the bad level refused") { lines().contains { $0.contains("SIGHUP: log level info stays") && $0.contains("unknown level loud") } }
        #expect(city.isRunning)
    }
}

/// A cause only a person can remove stops either binary at start with one line naming the file
/// and the fix, and an exit status the units do not restart on (65, 77); another process
/// syncing the replica is transient (75). Release 0.15.0 exited 64 or 1, and systemd restarted
/// it every 5 seconds, forever.
@Suite("Start-up failures", .serialized)
struct StartupFailureTests {
    @Test(.timeLimit(.minutes(2)))
    func permanentCausesExitWithAStatusTheUnitsDoNotRestartOn() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        _ = try cluster.makeCounty("130202")
        let (cert, key) = try cluster.certificate("130202")
        let daemon = Cluster.binaries.appendingPathComponent("county-syncd").path
        func startDaemon(_ db: String) throws -> (status: Int32, stdout: String, stderr: String) {
            try Cluster.capture(daemon, ["--db", db, "--city", "https://127.0.0.1:1", "--ca", cluster.pki.appendingPathComponent("ca.pem").path,
                                         "--cert", cert, "--key", key])
        }
        // A damaged replica.
        let damaged = cluster.dir.appendingPathComponent("damaged.db").path
        try Data(repeating: 0x41, count: 8_192).write(to: URL(fileURLWithPath: damaged))
        let corrupt = try startDaemon(damaged)
        #expect(corrupt.status == 65 && corrupt.stderr.contains("damaged.db") && corrupt.stderr.contains("backup"), "\(corrupt.status) \(corrupt.stderr)")
        // No replica at all: its setting is wrong (78, which the units do not restart on either).
        let missing = try startDaemon(cluster.dir.appendingPathComponent("none.db").path)
        #expect(missing.status == 78 && missing.stderr.contains("none.db") && missing.stderr.contains("syncctl init"), "\(missing.status) \(missing.stderr)")
        // Another process syncs it now: transient.
        let lock = try DaemonLock(database: cluster.countyDBPath("130202"), holder: "a test")
        let busy = try startDaemon(cluster.countyDBPath("130202"))
        #expect(busy.status == 75 && busy.stderr.contains("already being synced"), "\(busy.status) \(busy.stderr)")
        _ = lock
        // The aggregator on a damaged database.
        let city = try Cluster.capture(Cluster.binaries.appendingPathComponent("city-aggregator").path,
                                       ["--db", damaged, "--listen", "127.0.0.1:0", "--cert", cluster.pki.appendingPathComponent("server.pem").path,
                                        "--key", cluster.pki.appendingPathComponent("server.key").path, "--client-ca", cluster.pki.appendingPathComponent("ca.pem").path])
        #expect(city.status == 65 && city.stderr.contains("damaged.db"), "\(city.status) \(city.stderr)")
        // A port another process listens on: one line, a status the unit retries after its delay
        // (75), and no database or feed key left behind (release 0.15.0 printed NIO's bind text,
        // exited 1, and had created both). An address not of this machine is 78.
        let taken = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(taken, $0, length) == 0 && listen(taken, 1) == 0 && getsockname(taken, $0, &length) == 0 }
        }
        #expect(bound)
        defer { close(taken) }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let fresh = cluster.dir.appendingPathComponent("fresh")
        try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
        let tls = ["--cert", cluster.pki.appendingPathComponent("server.pem").path, "--key", cluster.pki.appendingPathComponent("server.key").path,
                   "--client-ca", cluster.pki.appendingPathComponent("ca.pem").path, "--feed-key", fresh.appendingPathComponent("feed.key").path]
        let inUse = try Cluster.capture(Cluster.binaries.appendingPathComponent("city-aggregator").path,
                                        ["--db", fresh.appendingPathComponent("city.db").path, "--listen", "127.0.0.1:\(port)"] + tls)
        #expect(inUse.status == 75 && inUse.stderr.contains("cannot listen on 127.0.0.1:\(port) (listen): another process listens there")
                && !inUse.stderr.contains("errno"), "\(inUse.status) \(inUse.stderr)")
        let notHere = try Cluster.capture(Cluster.binaries.appendingPathComponent("city-aggregator").path,
                                          ["--db", fresh.appendingPathComponent("city.db").path, "--listen", "192.0.2.1:8443"] + tls)
        #expect(notHere.status == 78 && notHere.stderr.contains("not an address of this machine"), "\(notHere.status) \(notHere.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fresh.path).isEmpty, "nothing was created")
        for unit in ["city-aggregator.service", "county-syncd.service"] {
            let text = try String(contentsOf: Cluster.packageRoot.appendingPathComponent("Deploy/systemd/\(unit)"), encoding: .utf8)
            #expect(text.contains("RestartPreventExitStatus=65 77 78"), "\(unit)")
        }
    }
}
