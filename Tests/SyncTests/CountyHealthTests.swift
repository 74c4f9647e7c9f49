import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// One judgement of a county's health: `syncctl status --check` at the city fails, naming the
/// cause, where the console shows a county silent or with its clock off. Release 0.15.0 said
/// "OK" (exit 0) with a county silent for 7 h while the console called it silent.
@Suite("A county's health, judged once", .serialized)
struct CountyHealthTests {
    @Test(.timeLimit(.minutes(2)))
    func statusCheckAtTheCityFailsWhereTheConsoleShowsTrouble() async throws {
        let (cluster, _, _, _) = try await ConsoleTests.setUp()
        defer { cluster.cleanUp() }
        let cityDB = cluster.cityDB
        let healthy = try cluster.syncctl(["status", "--db", cityDB, "--check"])
        #expect(healthy.status == 0 && healthy.stdout.hasPrefix("OK"), "\(healthy.stdout)\(healthy.stderr)")

        // Silent for 7 hours: the console's "silent", and the check fails naming it.
        let sevenHoursAgo = CountyDatabase.wallClockMs() - 7 * 3_600_000
        #expect(try Cluster.capture("/usr/bin/sqlite3", [cityDB, "UPDATE node_state SET last_contact_at = \(sevenHoursAgo) WHERE county = '130202'"]).status == 0)
        let silent = try cluster.syncctl(["status", "--db", cityDB, "--check"])
        #expect(silent.status == 1 && silent.stdout.contains("130202") && silent.stdout.contains("silent for 7 h"), "\(silent.stdout)")
        #expect(try cluster.syncctl(["status", "--db", cityDB]).stdout.contains("silent for 7 h"))
        let page = try ConsoleTests.request(cluster, "operator-zhang", "GET", "/console")
        #expect(page.body.contains("失联 silent"), "the console says the same")

        // In contact again, but its clock a day ahead of the city's.
        #expect(try Cluster.capture("/usr/bin/sqlite3", [cityDB, "UPDATE node_state SET last_contact_at = \(CountyDatabase.wallClockMs()), clock_offset_ms = -86400000 WHERE county = '130202'"]).status == 0)
        let skewed = try cluster.syncctl(["status", "--db", cityDB, "--check"])
        #expect(skewed.status == 1 && skewed.stdout.contains("clock 86400 s ahead of the city's"), "\(skewed.stdout)")
        let console = try ConsoleTests.request(cluster, "operator-zhang", "GET", "/console")
        #expect(console.body.contains("clock 86400 s ahead"), "the console shows the clock too")
        // Its clock column names the side, not a sign to decode (release 0.15.0 showed "-24 h").
        #expect(console.body.contains("24 h 超前 ahead of the city") && !console.body.contains("-24 h"), "the clock column")
    }

    /// A county whose pulls are refused again and again gets none of the city's decisions: the
    /// console shows it stuck (red) and first, above the counties never seen, and the metric
    /// counts it (release 0.15.0 showed it green). An answered pull clears it.
    @Test(.timeLimit(.minutes(2)))
    func aCountyWhosePullsAreRefusedIsStuckAndListedFirst() async throws {
        let (cluster, _, _, _) = try await ConsoleTests.setUp()
        defer { cluster.cleanUp() }
        let (cert, key) = try cluster.certificate("130202")
        let transport = try cluster.transport(cert: cert, key: key)
        for _ in 0..<CountyHealth.stuckAfterRefusals {
            let refused = try await transport.request(method: "GET", path: "/v1/pull?after=-1")
            #expect(refused.status == 400)
        }
        let page = try ConsoleTests.request(cluster, "operator-zhang", "GET", "/console").body
        #expect(page.contains("受阻 stuck: 5 pulls refused in a row"), "\(page.prefix(3_000))")
        let stuckAt = try #require(page.range(of: "受阻 stuck: 5 pulls")?.lowerBound)
        let neverAt = try #require(page.range(of: "从未联系 never seen", range: stuckAt..<page.endIndex)?.lowerBound, "never-seen counties follow")
        #expect(page[..<stuckAt].components(separatedBy: "从未联系 never seen").count <= 2, "no never-seen county row before the stuck one (the summary names the state once)")
        #expect(stuckAt < neverAt)
        let metrics = String(decoding: try await transport.request(method: "GET", path: "/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"sync_county_consecutive_refused_pulls{county="130202"} 5"#))
        // A pull the city answers clears it.
        #expect(try await transport.request(method: "GET", path: "/v1/pull?after=0").status == 200)
        let after = try ConsoleTests.request(cluster, "operator-zhang", "GET", "/console").body
        #expect(!after.contains("pulls refused in a row"))
    }

    /// With the counties expected online named, one never seen and not expected yet is grey
    /// ("not expected yet"), listed last; an expected one never seen stays red.
    @Test(.timeLimit(.minutes(2)))
    func countiesNotExpectedYetAreGreyNotRed() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity(["--expected-counties", "130202, 130203"])
        let pki = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        #expect(try Cluster.capture("/bin/bash", [pki, "operator", cluster.pki.path, "zhang"], environment: ["P12_PASSWORD": "test"]).status == 0)
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 1))
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        let page = try ConsoleTests.request(cluster, "operator-zhang", "GET", "/console").body
        #expect(page.contains("1 从未联系 never seen, 16 未上线 not expected yet"), "\(page.prefix(2_000))")
        let expected = try #require(page.range(of: "130203")?.lowerBound)
        let later = try #require(page.range(of: "未上线 not expected yet</span>")?.lowerBound)
        #expect(expected < later, "the expected county never seen comes before those not expected yet")
        // A code that is not a configured county stops the start, naming it.
        let bad = try Cluster.capture(Cluster.binaries.appendingPathComponent("city-aggregator").path,
                                      ["--db", cluster.dir.appendingPathComponent("other.db").path, "--listen", "127.0.0.1:0",
                                       "--cert", cluster.pki.appendingPathComponent("server.pem").path, "--key", cluster.pki.appendingPathComponent("server.key").path,
                                       "--client-ca", cluster.pki.appendingPathComponent("ca.pem").path, "--expected-counties", "130202,999999"])
        #expect(bad.status == 78 && bad.stderr.contains("999999 is not one of the configured counties"), "\(bad.stderr)")
        // A list that names no county is no way to grey them all.
        let empty = try Cluster.capture(Cluster.binaries.appendingPathComponent("city-aggregator").path,
                                        ["--db", cluster.dir.appendingPathComponent("other.db").path, "--listen", "127.0.0.1:0",
                                         "--cert", cluster.pki.appendingPathComponent("server.pem").path, "--key", cluster.pki.appendingPathComponent("server.key").path,
                                         "--client-ca", cluster.pki.appendingPathComponent("ca.pem").path, "--expected-counties", " , "])
        #expect(empty.status == 78 && empty.stderr.contains("names no county"), "\(empty.stderr)")
    }

    /// The city's own lines of `status --check`: a server certificate within 30 days of expiry and
    /// little space beside city.db are problems (1); an aggregator that does not answer, and a
    /// health URL that is not its loopback listener, are broken (2), each named.
    @Test(.timeLimit(.minutes(2)))
    func theCitysOwnCheckNamesItsCertificateItsSpaceAndItsAggregator() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let pki = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        let reissued = try Cluster.capture("/bin/bash", [pki, "server", cluster.pki.path, "localhost", "127.0.0.1"], environment: ["DAYS": "10"])
        #expect(reissued.status == 0, "\(reissued.stderr)")
        let portFile = cluster.dir.appendingPathComponent("monitoring.port").path
        try await cluster.startCity(["--monitoring-listen", "127.0.0.1:0", "--monitoring-port-file", portFile])
        let health = "http://127.0.0.1:\(try await cluster.port(writtenTo: portFile))/healthz"
        func check(_ extra: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try cluster.syncctl(["status", "--check", "--db", cluster.cityDB, "--min-free-mb", "1"] + extra)
        }
        let certificate = try check(["--health", health])
        #expect(certificate.status == 1 && certificate.stdout.hasPrefix("BEHIND") && ["9", "10"].contains { certificate.stdout.contains("server certificate: expires in \($0) days") },
                "\(certificate.stdout) \(certificate.stderr)")
        let space = try cluster.syncctl(["status", "--check", "--db", cluster.cityDB, "--min-free-mb", "100000000"])
        #expect(space.status == 1 && space.stdout.contains("MiB free on the filesystem holding the city database (less than 100000000 MiB)"),
                "\(space.stdout) \(space.stderr)")
        let silent = try check(["--health", "http://127.0.0.1:1/healthz"])
        #expect(silent.status == 2 && silent.stdout.hasPrefix("BROKEN") && silent.stdout.contains("aggregator: not answering at http://127.0.0.1:1/healthz"),
                "\(silent.stdout) \(silent.stderr)")
        let elsewhere = try check(["--health", "http://10.0.0.1:9464/healthz"])
        #expect(elsewhere.status == 2 && elsewhere.stdout.contains("loopback"), "\(elsewhere.stdout) \(elsewhere.stderr)")
    }
}
