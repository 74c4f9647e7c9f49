import CurlTransport
import SyncStore
import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import Testing
@testable import CityServer

/// Roles come from the certificate, and one middleware decides what each may call: every route
/// against every role, over mutual TLS; and the plain-HTTP monitoring listener on loopback.
@Suite("Roles", .serialized)
struct RoleTests {
    /// A certificate of the city CA with any common name, as a CA holder could issue by hand.
    static func handMade(_ cluster: Cluster, commonName: String) throws -> (cert: String, key: String) {
        let pki = cluster.pki.path
        let ext = cluster.dir.appendingPathComponent("\(commonName).ext").path
        try "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n".write(toFile: ext, atomically: true, encoding: .utf8)
        try Cluster.run("/usr/bin/openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                              "-keyout", "\(pki)/\(commonName).key", "-subj", "/O=County Sync/CN=\(commonName)", "-out", "\(pki)/\(commonName).csr"])
        try Cluster.run("/usr/bin/openssl", ["x509", "-req", "-in", "\(pki)/\(commonName).csr", "-CA", "\(pki)/ca.pem", "-CAkey", "\(pki)/ca.key",
                                              "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", "\(pki)/\(commonName).pem"])
        return ("\(pki)/\(commonName).pem", "\(pki)/\(commonName).key")
    }

    @Test(.timeLimit(.minutes(4)))
    func everyRouteAgainstEveryRole() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let (countyCert, countyKey) = try cluster.certificate("130202")
        let pki = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        try Cluster.run("/bin/bash", [pki, "monitor", cluster.pki.path, "prometheus"])
        let monitor = try cluster.transport(cert: cluster.pki.appendingPathComponent("monitor-prometheus.pem").path,
                                            key: cluster.pki.appendingPathComponent("monitor-prometheus.key").path)
        let county = try cluster.transport(cert: countyCert, key: countyKey)
        _ = try Cluster.capture("/bin/bash", [pki, "operator", cluster.pki.path, "zhang"], environment: ["P12_PASSWORD": "test"])
        let operatorClient = try cluster.transport(cert: cluster.pki.appendingPathComponent("operator-zhang.pem").path,
                                                   key: cluster.pki.appendingPathComponent("operator-zhang.key").path)
        let (strangerCert, strangerKey) = try Self.handMade(cluster, commonName: "printer-01")
        let stranger = try cluster.transport(cert: strangerCert, key: strangerKey)
        let (badMonitorCert, badMonitorKey) = try Self.handMade(cluster, commonName: "monitor-")
        let emptyMonitor = try cluster.transport(cert: badMonitorCert, key: badMonitorKey)

        #expect(CityAPI.routes.count == 8, "every route the aggregator serves is in the table")
        // The console's pages are one route in the table: every path under /console.
        let table = CityAPI.routes.merging(["/console": CityAPI.consoleRoute, "/console/progress": CityAPI.consoleRoute,
                                            "/console/awards/x/approve": CityAPI.consoleRoute]) { listed, _ in listed }
        for (path, route) in table.sorted(by: { $0.key < $1.key }) {
            let allowed = route.roles
            for method in route.methods {
                let body = method == "POST" ? Data("{}".utf8) : nil
                for (role, transport) in [(Role.county, county), (.monitor, monitor), (.operator, operatorClient)] {
                    let answer = try await transport.request(method: method, path: path, body: body)
                    let code = refusalCode(answer.body, path: path)
                    if allowed.contains(role) {
                        // Admitted: whatever the route answers (a console POST without its token is 403 too, as an HTML page), never a role refusal.
                        #expect(answer.status != 401 && code != "role_not_allowed" && code != "unknown_role", "\(role) \(method) \(path): \(answer.status) \(code ?? "")")
                        if method == "GET", path.hasPrefix("/console"), !path.hasSuffix("/approve") { #expect(answer.status == 200, "\(role) \(method) \(path): \(answer.status)") }
                    } else {
                        #expect(answer.status == 403 && code == "role_not_allowed", "\(role) \(method) \(path): \(answer.status) \(code ?? "")")
                    }
                }
                for transport in [stranger, emptyMonitor] {
                    let answer = try await transport.request(method: method, path: path, body: body)
                    let code = refusalCode(answer.body, path: path)
                    #expect(answer.status == 403 && code == "unknown_role", "no role \(method) \(path): \(answer.status) \(code ?? "")")
                }
            }
        }
        // What the monitor reads is what a county reads.
        let metrics = try await monitor.request(method: "GET", path: "/metrics")
        #expect(metrics.status == 200 && String(decoding: metrics.body, as: UTF8.self).contains("sync_requests_total"))
    }

    @Test(.timeLimit(.minutes(4)))
    func thePlainListenerServesHealthAndMetricsOnlyOnLoopback() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let portFile = cluster.dir.appendingPathComponent("monitoring.port").path
        try await cluster.startCity(["--monitoring-listen", "127.0.0.1:0", "--monitoring-port-file", portFile])
        let port = try await cluster.port(writtenTo: portFile)
        func get(_ path: String, method: String = "GET") throws -> (status: String, body: String) {
            let result = try Cluster.capture("/usr/bin/curl", ["-s", "-X", method, "-o", "/dev/stdout", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (String(lines.last ?? ""), lines.dropLast().joined(separator: "\n"))
        }
        let metrics = try get("/metrics")
        #expect(metrics.status == "200" && metrics.body.contains("# TYPE sync_requests_total counter"), "\(metrics)")
        #expect(try get("/healthz").status == "200")
        for (method, path) in [("POST", "/v1/push"), ("GET", "/v1/pull"), ("GET", "/v1/snapshot"), ("GET", "/v1/digest")] {
            #expect(try get(path, method: method).status == "404", "\(method) \(path) is not served without TLS")
        }
        // Only loopback: a configuration that would expose it is refused, naming the key.
        let aggregator = Cluster.binaries.appendingPathComponent("city-aggregator").path
        let refused = try Cluster.capture(aggregator, ["--db", cluster.dir.appendingPathComponent("other.db").path, "--listen", "127.0.0.1:0",
                                                       "--cert", cluster.pki.appendingPathComponent("server.pem").path,
                                                       "--key", cluster.pki.appendingPathComponent("server.key").path,
                                                       "--client-ca", cluster.pki.appendingPathComponent("ca.pem").path,
                                                       "--monitoring-listen", "0.0.0.0:9464"])
        #expect(refused.status != 0 && refused.stderr.contains("monitoring-listen") && refused.stderr.contains("loopback"), "\(refused.stderr)")
    }
}

/// One spelling per route: the role check and the protocol gate judge the path the router
/// matches, so no other spelling of a route reaches it (release 0.15.0 served `/metrics/` and
/// `//metrics` to an operator, and `//v1/pull` skipped `min-protocol`).
@Suite("Path spellings", .serialized)
struct PathSpellingTests {
    @Test
    func onlyTheOneSpellingOfAPathIsCanonical() {
        for path in ["/", "/metrics", "/v1/pull", "/console", "/console/awards/0190a1b2-0000-7000-8000-000000000001/approve"] {
            #expect(AuthenticationMiddleware.isCanonical(path), "\(path)")
        }
        for path in ["", "metrics", "/metrics/", "//metrics", "/v1//pull", "/./metrics", "/v1/./pull", "/v1/../metrics",
                     "/console/..", "/v1%2Fpull", "/%6detrics", "/v1\\pull", "/console/"] {
            #expect(!AuthenticationMiddleware.isCanonical(path), "\(path)")
        }
    }

    /// Over mutual TLS with the real aggregator, each spelling sent as written (`curl --path-as-is`).
    @Test(.timeLimit(.minutes(4)))
    func everyOtherSpellingOfARouteIsNoRouteForAnyRole() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity(["--min-protocol", "2"])
        let pki = cluster.pki.path
        _ = try Cluster.capture("/bin/bash", [Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path, "operator", pki, "zhang"],
                                environment: ["P12_PASSWORD": "test"])
        let (countyCert, countyKey) = try cluster.certificate("130202")
        func get(_ path: String, cert: String, key: String, headers: [String] = []) throws -> (status: Int, body: String) {
            let result = try Cluster.capture("/usr/bin/curl", ["-sS", "--path-as-is", "--cacert", "\(pki)/ca.pem", "--cert", cert, "--key", key,
                                                               "-o", "-", "-w", "\n%{http_code}"] + headers.flatMap { ["-H", $0] } + [cluster.cityURL + path])
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }
        let operatorCert = "\(pki)/operator-zhang.pem", operatorKey = "\(pki)/operator-zhang.key"
        // The plain spelling: an operator may not read metrics, and a county of protocol 1 is sent to upgrade.
        #expect(try get("/metrics", cert: operatorCert, key: operatorKey).status == 403)
        #expect(try get("/v1/pull?after=0", cert: countyCert, key: countyKey).status == 426)
        for spelling in ["/metrics/", "//metrics", "/./metrics", "/%6Detrics", "/METRICS", "/Metrics", "/console/../metrics", "/healthz/"] {
            let answer = try get(spelling, cert: operatorCert, key: operatorKey)
            #expect(answer.status == 404, "operator GET \(spelling): \(answer.status) \(answer.body.prefix(200))")
            #expect(!answer.body.contains("sync_"), "operator GET \(spelling) read no metric")
        }
        for spelling in ["//v1/pull?after=0", "/v1//pull?after=0", "/v1/pull/?after=0", "/./v1/pull?after=0", "/v1%2Fpull?after=0",
                         "/V1/pull?after=0", "/v1/x/../pull?after=0"] {
            let answer = try get(spelling, cert: countyCert, key: countyKey)
            #expect(answer.status == 404, "county (protocol 1) GET \(spelling): \(answer.status) \(answer.body.prefix(200))")
            #expect(!answer.body.contains("\"changes\""), "county GET \(spelling) read no feed")
        }
        // The canonical spelling still works for the role it is for.
        let pull = try get("/v1/pull?after=0", cert: countyCert, key: countyKey, headers: ["Sync-Protocol: 2"])
        #expect(pull.status == 200, "\(pull)")
    }
}

/// Stopping the aggregator: new work is refused at once, even on a kept-alive connection, and the
/// process says it stopped.
@Suite("Aggregator shutdown", .serialized)
struct ShutdownTests {
    @Test(.timeLimit(.minutes(4)))
    func afterSigtermNoNewWorkIsTakenAndTheStopIsLogged() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 3))
        let (cert, key) = try cluster.certificate("130202")
        let transport = try cluster.transport(cert: cert, key: key)
        // The connection is open and kept alive.
        #expect(try await transport.request(method: "GET", path: "/healthz").status == 200)
        let process = try #require(cluster.city?.process)
        kill(process.processIdentifier, SIGTERM)
        try await eventually("the aggregator says it is stopping", timeout: .seconds(10)) {
            cluster.logTail("city.log", lines: 20).contains("stopping: new requests are refused")
        }
        let batch = try #require(try county.nextPushBatch(limit: 10))
        do {
            let answer = try await transport.push(batch)
            Issue.record("a push after SIGTERM was applied: \(answer)")
        } catch TransportError.http(_, _, let status, let body) {
            #expect(status == 503 && body?.code == "shutting_down", "\(status) \(body?.code ?? "")")
        } catch {
            // The connection was closed already: also no new work.
        }
        try await eventually("the aggregator exits", timeout: .seconds(30)) { !process.isRunning }
        #expect(cluster.logTail("city.log", lines: 20).contains("stopped"))
        let city = try CityDatabase.open(at: cluster.cityDB)
        #expect(try city.platforms().isEmpty, "nothing was applied after the stop began")
    }
}

/// The error code of a refusal: the JSON body's, or on a console path (a person's browser) the
/// code the HTML refusal page names; nil for an answer that is no refusal.
func refusalCode(_ body: Data, path: String) -> String? {
    if let code = (try? JSONDecoder().decode(ErrorBody.self, from: body))?.code { return code }
    guard path.hasPrefix("/console") else { return nil }
    let text = String(decoding: body, as: UTF8.self)
    guard text.hasPrefix("<!doctype html>"), let mark = text.range(of: " · ") else { return nil }
    return String(text[mark.upperBound...].prefix { $0 != "<" })
}
