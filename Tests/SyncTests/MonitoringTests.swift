import CurlTransport
import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import Testing

/// What a Prometheus sees: the exposition passes `promtool check metrics`, follows the naming
/// conventions, and the shipped alert rules pass `promtool check rules`.
@Suite("Monitoring", .serialized)
struct MonitoringTests {
    static let promtool = "/usr/bin/promtool"

    static func requirePromtool() -> Bool {
        guard FileManager.default.isExecutableFile(atPath: promtool) else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_FUZZ"] == nil, "promtool is missing; .ci/run installs prometheus")
            return false
        }
        return true
    }

    @Test(.timeLimit(.minutes(2)))
    func theMetricsPassPromtoolAndCarryWhatAnOperatorNeeds() async throws {
        guard Self.requirePromtool() else { return }
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 3))
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        // A county whose pushes are refused shows as stuck: two bad pushes in a row.
        let (cert, key) = try cluster.certificate("130202")
        let transport = try cluster.transport(cert: cert, key: key)
        for _ in 0..<2 { _ = try await transport.request(method: "POST", path: "/v1/push", body: Data("{\"node\":1}".utf8)) }
        let answer = try await transport.request(method: "GET", path: "/metrics")
        let text = String(decoding: answer.body, as: UTF8.self)
        let file = cluster.dir.appendingPathComponent("metrics.txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let check = try Cluster.capture("/bin/sh", ["-c", "\(Self.promtool) check metrics < \(file.path)"])
        #expect(check.status == 0, "promtool check metrics: \(check.stdout) \(check.stderr)")
        for expected in [
            "# TYPE sync_request_duration_seconds histogram", #"sync_request_duration_seconds_bucket{route="/v1/push",le="+Inf"}"#,
            #"sync_county_last_contact_timestamp_seconds{county="130203"} 0.0"#, #"sync_county_consecutive_refused_pushes{county="130202"} 2"#,
            #"sync_county_certificate_expiry_timestamp_seconds{county="130202"}"#, "sync_server_certificate_expiry_timestamp_seconds ",
            #"sync_build_info{version="\#(CountySyncVersion.current)"} 1"#, "process_resident_memory_bytes ", "process_cpu_seconds_total ",
            "process_open_fds ", "process_start_time_seconds ", "sync_storage_failing 0", #"sync_county_sync_failing{county="130202"} 0"#,
        ] {
            #expect(text.contains(expected), "\(expected) in /metrics")
        }
        // An accepted push clears the count.
        try county.addPlatform(makePlatforms("130202", count: 1, offset: 9)[0])
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        let after = String(decoding: try await transport.request(method: "GET", path: "/metrics").body, as: UTF8.self)
        #expect(after.contains(#"sync_county_consecutive_refused_pushes{county="130202"} 0"#))
    }

    /// Refused TLS handshakes are visible at the city: counted by reason and logged with the peer.
    @Test(.timeLimit(.minutes(2)))
    func refusedHandshakesAreCountedAndLogged() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let ca = cluster.pki.appendingPathComponent("ca.pem").path
        _ = try Cluster.capture("/usr/bin/curl", ["-s", "--cacert", ca, "\(cluster.cityURL)/healthz"])        // no client certificate
        _ = try Cluster.capture("/usr/bin/curl", ["-s", "http://127.0.0.1:\(cluster.cityPort)/healthz"])     // not TLS
        let rogue = cluster.dir.appendingPathComponent("rogue")
        let pki = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        try Cluster.run("/bin/bash", [pki, "ca", rogue.path])
        try Cluster.run("/bin/bash", [pki, "county", rogue.path, "130202"])
        _ = try? await cluster.transport(cert: rogue.appendingPathComponent("county-130202.pem").path,
                                         key: rogue.appendingPathComponent("county-130202.key").path).request(method: "GET", path: "/healthz")
        let (cert, key) = try cluster.certificate("130202")
        let text = String(decoding: try await cluster.transport(cert: cert, key: key).request(method: "GET", path: "/metrics").body, as: UTF8.self)
        for reason in ["no_client_certificate", "not_tls", "certificate_refused"] {
            let line = text.split(separator: "\n").first { $0.hasPrefix("sync_tls_handshake_failures_total{reason=\"\(reason)\"}") }
            #expect(line.flatMap { Int($0.split(separator: " ").last ?? "") }.map { $0 >= 1 } == true, "\(reason): \(line ?? "missing")")
        }
        let log = cluster.logTail("city.log", lines: 40)
        #expect(log.contains("TLS handshake refused") && log.contains("sync.peer=[IPv4]127.0.0.1"), "\(log)")
        // In words, without BoringSSL's dump and the build machine's source path.
        #expect(log.contains("sync.tls.cause=the client sent no certificate") && !log.contains(".cc:") && !log.contains("/.build/"), "\(log)")
        // Connections that finished their handshake are no refused handshake when they end: a
        // county's kept-alive connection closed by the aggregator's stop is not logged as one.
        let county = try cluster.transport(cert: cert, key: key)
        #expect(try await county.request(method: "GET", path: "/healthz").status == 200)
        // Nor is a client that goes after its answer without closing TLS (no close_notify), as
        // a killed daemon or a closing browser does.
        let script = """
            import socket, ssl, sys
            context = ssl.create_default_context(cafile=sys.argv[1]); context.load_cert_chain(sys.argv[2], sys.argv[3])
            raw = socket.create_connection(("127.0.0.1", int(sys.argv[4])))
            tls = context.wrap_socket(raw, server_hostname="127.0.0.1")
            tls.sendall(b"GET /healthz HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n")
            print(tls.recv(4096).split(b"\\r\\n")[0].decode())
            raw.close()
            """
        let unclean = try Cluster.capture("/usr/bin/python3", ["-c", script, ca, cert, key, String(cluster.cityPort)])
        #expect(unclean.stdout.hasPrefix("HTTP/1.1 200"), "\(unclean.stdout) \(unclean.stderr)")
        // The aggregator reads the end of that connection on its own loop; a moment for it to,
        // since nothing is logged when it is right.
        try await Task.sleep(for: .milliseconds(300))
        cluster.stopCity()
        #expect(!cluster.logTail("city.log", lines: 60).contains("sync.tls.reason=closed_during_handshake"), "\(cluster.logTail("city.log", lines: 60))")
    }

    @Test func theShippedAlertRulesPassPromtool() throws {
        guard Self.requirePromtool() else { return }
        let rules = Cluster.packageRoot.appendingPathComponent("Deploy/prometheus/county-sync.rules.yml").path
        let check = try Cluster.capture(Self.promtool, ["check", "rules", rules])
        #expect(check.status == 0 && check.stdout.contains("SUCCESS: 11 rules found"), "\(check.stdout) \(check.stderr)")
    }

    /// Each alert fires on series that should fire it and stays quiet on series that should not
    /// (`promtool test rules`), and no alert goes without such a test.
    @Test func everyAlertRuleHasAUnitTestThatPasses() throws {
        guard Self.requirePromtool() else { return }
        let folder = Cluster.packageRoot.appendingPathComponent("Deploy/prometheus")
        let rules = try String(contentsOf: folder.appendingPathComponent("county-sync.rules.yml"), encoding: .utf8)
        let tests = try String(contentsOf: folder.appendingPathComponent("county-sync.rules.test.yml"), encoding: .utf8)
        let alerts = rules.split(separator: "\n").compactMap { line -> String? in
            let text = line.trimmingCharacters(in: .whitespaces)
            return text.hasPrefix("- alert: ") ? String(text.dropFirst("- alert: ".count)) : nil
        }
        #expect(alerts.count == 11)
        for alert in alerts { #expect(tests.contains("alertname: \(alert)\n"), "\(alert) has no test in county-sync.rules.test.yml") }
        let run = try Cluster.capture(Self.promtool, ["test", "rules", "county-sync.rules.test.yml"], in: folder)
        #expect(run.status == 0 && run.stdout.contains("SUCCESS"), "\(run.stdout) \(run.stderr)")
    }

    /// Every request has an id: the client's X-Request-Id when it is a short token, else one the
    /// city makes; it comes back in the header and in an error's body, and the city's log line
    /// of the request carries it, so a county's error message leads to the city's log.
    @Test(.timeLimit(.minutes(2)))
    func everyRequestHasAnIdInItsAnswerItsErrorAndTheLog() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let (cert, key) = try cluster.certificate("130202")
        func get(_ path: String, id: String?) throws -> (headers: String, body: String) {
            let result = try Cluster.capture("/usr/bin/curl", ["-s", "-i", "--cacert", cluster.pki.appendingPathComponent("ca.pem").path, "--cert", cert, "--key", key]
                                             + (id.map { ["-H", "X-Request-Id: \($0)"] } ?? []) + [cluster.cityURL + path])
            let parts = result.stdout.components(separatedBy: "\r\n\r\n")
            return (parts.first?.lowercased() ?? "", parts.dropFirst().joined(separator: "\r\n\r\n"))
        }
        let given = try get("/v1/pull?after=-1", id: "county-130202.check-1")
        #expect(given.headers.contains("x-request-id: county-130202.check-1"), "\(given.headers)")
        let body = try JSONDecoder().decode(ErrorBody.self, from: Data(given.body.utf8))
        #expect(body.requestId == "county-130202.check-1" && body.code == "bad_request", "\(given.body)")
        try await eventually("the log line with the id") { cluster.logTail("city.log", lines: 40).contains("http.request_id=county-130202.check-1") }
        // An id that is no short token is replaced by the city's own.
        for bad in ["a b", String(repeating: "x", count: 65), "id/../x", "编号"] {
            let made = try get("/healthz", id: bad)
            let header = made.headers.split(separator: "\r\n").first { $0.hasPrefix("x-request-id: ") }.map { String($0.dropFirst("x-request-id: ".count)) } ?? ""
            #expect(header.count == 16 && header.allSatisfy(\.isHexDigit), "\(bad): \(made.headers)")
        }
    }

    /// The county daemon has its own loopback /metrics (release 0.15.0 had none): what
    /// `syncctl status` shows, in a form promtool accepts; a non-loopback address is refused.
    @Test(.timeLimit(.minutes(2)))
    func theDaemonServesItsOwnMetricsOnLoopback() async throws {
        guard Self.requirePromtool() else { return }
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 3))
        let portFile = cluster.dir.appendingPathComponent("daemon-metrics.port").path
        try cluster.startDaemon("130202", extra: ["--metrics-listen", "127.0.0.1:0", "--metrics-port-file", portFile])
        try await eventually("the first sync") { try county.pendingCount() == 0 && county.syncPosition().lastPullAtMs != nil }
        let port = try await cluster.port(writtenTo: portFile)
        let answer = try HealthProbe.get("http://127.0.0.1:\(port)/metrics")
        let text = String(decoding: answer.body, as: UTF8.self)
        #expect(answer.status == 200)
        for expected in [#"sync_daemon_pending_changes{county="130202"} 0"#, #"sync_daemon_sync_failing{county="130202"} 0"#,
                         #"sync_daemon_last_push_timestamp_seconds{county="130202"} "#, #"sync_daemon_certificate_expiry_timestamp_seconds{county="130202"} "#,
                         #"sync_daemon_clock_offset_seconds{county="130202"} "#, "process_resident_memory_bytes ", "sync_build_info{version="] {
            #expect(text.contains(expected), "\(expected) in the daemon's /metrics")
        }
        let file = cluster.dir.appendingPathComponent("daemon-metrics.txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let check = try Cluster.capture("/bin/sh", ["-c", "\(Self.promtool) check metrics < \(file.path)"])
        #expect(check.status == 0, "promtool check metrics: \(check.stdout) \(check.stderr)")
        #expect(try HealthProbe.get("http://127.0.0.1:\(port)/healthz").status == 200)
        // Pending work shows at once.
        try county.addPlatforms(makePlatforms("130202", count: 2, offset: 10))
        cluster.stopCity()
        try await eventually("the daemon to count what waits") {
            String(decoding: try HealthProbe.get("http://127.0.0.1:\(port)/metrics").body, as: UTF8.self).contains(#"sync_daemon_pending_changes{county="130202"} 2"#)
        }
        let (cert, key) = try cluster.certificate("130202")
        let refused = try Cluster.capture(Cluster.binaries.appendingPathComponent("county-syncd").path,
                                          ["--db", cluster.countyDBPath("130202"), "--city", "https://127.0.0.1:1", "--ca", cluster.pki.appendingPathComponent("ca.pem").path,
                                           "--cert", cert, "--key", key, "--metrics-listen", "0.0.0.0:9465"])
        #expect(refused.status == 78 && refused.stderr.contains("metrics-listen") && refused.stderr.contains("loopback"), "\(refused.status) \(refused.stderr)")
    }
}
