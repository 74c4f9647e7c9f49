import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// The aggregator's HTTP surface over real TLS: health, JSON errors with stable codes, the body
/// limit, and the daemon's graceful stop.
@Suite("Aggregator API", .serialized)
struct AggregatorAPITests {
    @Test(.timeLimit(.minutes(2)))
    func errorsAreJSONWithAStableCodeAndChangeNothing() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity(["--max-body-bytes", "4096"])
        let (cert, key) = try cluster.certificate("130202")
        let city = try cluster.transport(cert: cert, key: key)

        let health = try await city.request(method: "GET", path: "/healthz")
        #expect(health.status == 200)
        #expect(String(decoding: health.body, as: UTF8.self).contains(#""status":"ok""#))

        func error(_ method: String, _ path: String, _ body: String? = nil) async throws -> (Int, ErrorBody?) {
            let answer = try await city.request(method: method, path: path, body: body.map { Data($0.utf8) })
            return (answer.status, try? JSONDecoder().decode(ErrorBody.self, from: answer.body))
        }
        let malformed = try await error("POST", "/v1/push", #"{"node": "county-130202-x", "changes": [ {"seq": "#)
        #expect(malformed.0 == 400 && malformed.1?.code == "bad_request")
        let wrongType = try await error("POST", "/v1/push", #"{"node": 5, "firstSeq": 1, "lastSeq": 1, "changes": [], "checksum": "x"}"#)
        #expect(wrongType.0 == 400 && wrongType.1?.code == "bad_request")
        let huge = try await error("POST", "/v1/push", String(repeating: " ", count: 10_000))
        #expect(huge.0 == 413 && huge.1?.code == "payload_too_large")
        let unknown = try await error("GET", "/v1/nothing")
        #expect(unknown.0 == 404 && unknown.1?.code == "not_found")
        let badQuery = try await error("GET", "/v1/pull?after=abc")
        #expect(badQuery.0 == 400 && badQuery.1?.message.contains("after") == true)

        let untouched = try Cluster.capture("/usr/bin/sqlite3", [cluster.cityDB, "SELECT count(*) FROM platform; SELECT count(*) FROM node_state;"])
        #expect(untouched.stdout == "0\n0\n")
    }

    @Test(.timeLimit(.minutes(2)))
    func theDaemonStopsGracefullyOnSIGTERMAfterAFinalPush() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatform(makePlatforms("130202", count: 1, offset: 50)[0])
        try cluster.startDaemon("130202", pullInterval: 30)
        try await eventually("the daemon running") { try county.pendingCount() == 0 }
        try county.addPlatforms(makePlatforms("130202", count: 10))
        let status = cluster.stopDaemon("130202")
        #expect(status == 0, "county-syncd exits cleanly on SIGTERM")
        #expect(cluster.logTail("county-130202.log").contains("stopped"))
        let city = try CityDatabase.open(at: cluster.cityDB)
        #expect(try cityMatches(county, city), "nothing committed before the stop is left behind")
    }

    /// An idle daemon sleeps until a write or its next pull (inotify); SIGTERM wakes it at once.
    @Test(.timeLimit(.minutes(2)))
    func anIdleDaemonStopsAtOnceOnSIGTERM() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatform(makePlatforms("130202", count: 1, offset: 60)[0])
        try cluster.startDaemon("130202", pullInterval: 60)
        try await eventually("the daemon synced") { try county.pendingCount() == 0 && county.syncPosition().lastPullAtMs != nil }
        // It has logged its round and is waiting for a write or its next pull.
        try await eventually("the daemon's round logged") { cluster.logTail("county-130202.log", lines: 200).contains("synced") }
        let start = ContinuousClock.now
        #expect(cluster.stopDaemon("130202") == 0)
        #expect(ContinuousClock.now - start < .seconds(10), "stopped in \(ContinuousClock.now - start), not at the next pull a minute away")
    }

    @Test(.timeLimit(.minutes(2)))
    func cityCommandsWorkAcrossCountiesAndApprovalsAreRefusedAtACounty() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        var awards: [String] = []
        for code in ["130202", "130283"] {
            let county = try cluster.makeCounty(code)
            let platform = try county.addPlatform(makePlatforms(code, count: 1)[0])
            awards.append(try county.proposeAward(Award(county: code, platformId: platform.id, amount: .yuan(50_000), fiscalYear: 2025)).id)
            let (cert, key) = try cluster.certificate(code)
            let sync = try cluster.syncctl(["sync", "--db", county.path, "--city", cluster.cityURL, "--ca",
                                            cluster.pki.appendingPathComponent("ca.pem").path, "--cert", cert, "--key", key])
            #expect(sync.status == 0, "\(sync.stderr)")
        }
        let list = try cluster.syncctl(["platform", "list", "--db", cluster.cityDB, "--json"])
        let counties = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]).compactMap { $0["county"] as? String }
        #expect(Set(counties) == ["130202", "130283"])

        let atCounty = try cluster.syncctl(["award", "approve", awards[0], "--db", cluster.countyDBPath("130202")])
        #expect(atCounty.status != 0)
        #expect(atCounty.stderr.contains("approval is done at the city"))
        let unrecognized = try cluster.syncctl(["award", "approve", awards[0], "--db", cluster.cityDB, "--amount", "40000"])
        #expect(unrecognized.status != 0 && unrecognized.stderr.contains("recognised platform"), "\(unrecognized.stderr)")
        for platform in try CityDatabase.open(at: cluster.cityDB).platforms() {
            #expect(try cluster.syncctl(["platform", "recognize", platform.id, "--db", cluster.cityDB]).status == 0)
        }
        let approve = try cluster.syncctl(["award", "approve", awards[0], "--db", cluster.cityDB, "--amount", "40000", "--json"])
        #expect(approve.status == 0, "\(approve.stderr)")
        #expect(approve.stdout.contains(#""approvedAmountFen" : 4000000"#))
        let overCap = try cluster.syncctl(["award", "approve", awards[1], "--db", cluster.cityDB, "--amount", "100001"])
        #expect(overCap.status != 0 && overCap.stderr.contains("amount"))
        let reject = try cluster.syncctl(["award", "reject", awards[1], "--db", cluster.cityDB, "--reason", "材料不全"])
        #expect(reject.status == 0, "\(reject.stderr)")
        let countyOwned = try cluster.syncctl(["platform", "update", try #require(try CityDatabase.open(at: cluster.cityDB).platforms().first?.id),
                                               "--db", cluster.cityDB, "--level", "national"])
        #expect(countyOwned.status != 0 && countyOwned.stderr.contains("entered by the county"))
    }
}
