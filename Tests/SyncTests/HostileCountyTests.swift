import CurlTransport
import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// A county certificate on a compromised or buggy office PC, against the real aggregator over
/// mutual TLS: whatever it sends, the city refuses it whole with a 4xx and a stable code, changes
/// nothing, keeps serving other counties and never crashes.
@Suite("A hostile county", .serialized)
struct HostileCountyTests {
    /// The city as `BadInputTests` sets it up, plus a second county that must keep syncing.
    struct Setup {
        let base: BadInputTests.Setup
        let neighbour: CountyDatabase
        let neighbourTransport: CurlTransport
        var cluster: Cluster { base.cluster }
    }

    static func setUp(_ extra: [String] = []) async throws -> Setup {
        let base = try await BadInputTests.setUp(extra)
        let neighbour = try base.cluster.makeCounty("130203")
        let (cert, key) = try base.cluster.certificate("130203")
        return Setup(base: base, neighbour: neighbour, neighbourTransport: try base.cluster.transport(cert: cert, key: key))
    }

    /// The lines of `BadInputTests.cityState` about the hostile county, 130202 (its rows, nodes and bookkeeping).
    static func hostileLines(_ state: String) -> [Substring] {
        let lines = state.split(separator: "\n").filter { $0.contains("130202") }
        #expect(!lines.isEmpty, "the city holds the hostile county's rows, so the comparison can fail")
        return lines
    }

    /// A hand-made push from the hostile county with a correct checksum.
    static func push(_ setup: Setup, _ changes: [WireChange], node: String? = nil) async throws -> (status: Int, code: String?, message: String) {
        let body = Data(JSONText.pushRequest(PushRequest(node: node ?? setup.base.node, changes: changes)).utf8)
        let answer = try await setup.base.transport.request(method: "POST", path: "/v1/push", body: body)
        let error = try? JSONDecoder().decode(ErrorBody.self, from: answer.body)
        return (answer.status, error?.code, error?.message ?? String(decoding: answer.body.prefix(200), as: UTF8.self))
    }

    /// The neighbour county writes, pushes and pulls through the same aggregator.
    static func neighbourStillSyncs(_ setup: Setup, serial: Int) async throws {
        try setup.neighbour.addPlatform(makePlatforms("130203", count: 1, offset: 500 + serial)[0])
        let batch = try #require(try setup.neighbour.nextPushBatch(limit: 100))
        let answer = try await setup.neighbourTransport.push(batch)
        #expect(answer.highWater == batch.lastSeq)
        try setup.neighbour.acknowledge(batch, answer)
        _ = try await setup.neighbourTransport.pull(node: setup.neighbour.replica.node, after: 0, limit: 10)
    }

    func change(_ setup: Setup, seq: Int64, table: String = "platform", rowId: String = RecordID.generate(), op: String = "insert",
                hlc: Int64? = nil, values: [String: ColumnValue], bases: [String: ColumnVersion] = [:]) -> WireChange {
        WireChange(seq: seq, table: table, rowId: rowId, op: op, hlc: hlc ?? HLCTimestamp(physicalMs: CountyDatabase.wallClockMs(), logical: 0).rawValue,
                   node: setup.base.node, values: values, bases: bases)
    }

    static func platformValues(county: ColumnValue = .text("130202"), serial: Int = 900) -> [String: ColumnValue] {
        let platform = makePlatforms("130202", count: 1, offset: serial)[0]
        return [
            "county": county, "name": .text(platform.name), "category": .text(platform.category.rawValue),
            "level": platform.level.map { .text($0.rawValue) } ?? .null, "subtype": platform.subtype.map { .text($0) } ?? .null,
            "host_org": .text(platform.hostOrg), "credit_code": .text(platform.creditCode), "industry": .text(platform.industry),
            "recognized_on": .null, "status": .text("registered"), "evaluation": .null, "contact": .null, "remarks": .null,
        ]
    }

    /// Findings 1 to 4 of the trust review, each as the attacker sent it.
    @Test(.timeLimit(.minutes(3)))
    func theReviewsFindingsAreRefusedWholeAndChangeNothing() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let before = try BadInputTests.cityState(setup.cluster)
        let next = setup.base.lastBatch.lastSeq + 1
        let own = setup.base.lastBatch.changes[0]
        let platformId = try setup.base.county.platforms()[0].id
        let year2099 = HLCTimestamp(physicalMs: 4_070_908_800_000, logical: 0).rawValue

        let cases: [(name: String, changes: [WireChange], status: Int, code: String)] = [
            // 1. Another county's row planted with the county as a number, and an own row moved.
            ("insert naming county 130203 as a number", [change(setup, seq: next, values: Self.platformValues(county: .integer(130203)))], 403, "forbidden_county"),
            ("own row moved to 130203 as a number", [change(setup, seq: next, rowId: own.rowId, op: "update", values: ["county": .integer(130203)])], 403, "forbidden_county"),
            ("own row moved to 130203 as text", [change(setup, seq: next, rowId: own.rowId, op: "update", values: ["county": .text("130203")])], 403, "forbidden_county"),
            // 2. Text where an integer belongs (this crashed the aggregator).
            ("amount as text", [change(setup, seq: next, table: "award", values: [
                "county": .text("130202"), "platform_id": .text(platformId), "amount_fen": .text("100000"), "basis_fen": .null,
                "fiscal_year": .integer(2025), "status": .text("proposed"), "approved_amount_fen": .null, "approved_on": .null,
                "reject_reason": .null, "remarks": .null, "basis_ref": .null])], 400, "malformed_change"),
            ("an enum value out of its set", [change(setup, seq: next, values: Self.platformValues().merging(["category": .text("casino")]) { $1 })], 400, "malformed_change"),
            // 3. Size: a value far over the limit.
            ("a 100 kB value", [change(setup, seq: next, rowId: own.rowId, op: "update", values: ["remarks": .text(String(repeating: "x", count: 100_000))])], 400, "malformed_change"),
            // 4. Clocks: far future, the largest reading, negative.
            ("a clock in 2099", [change(setup, seq: next, rowId: own.rowId, op: "update", hlc: year2099, values: ["remarks": .text("2099")])], 400, "clock_ahead"),
            ("the largest clock reading", [change(setup, seq: next, rowId: own.rowId, op: "update", hlc: Int64.max, values: ["remarks": .text("max")])], 400, "clock_ahead"),
            ("a base from 2099", [change(setup, seq: next, rowId: own.rowId, op: "update", values: ["remarks": .text("b")],
                                         bases: ["remarks": ColumnVersion(hlc: HLCTimestamp(rawValue: year2099), node: setup.base.node)])], 400, "clock_ahead"),
            ("a negative clock", [change(setup, seq: next, rowId: own.rowId, op: "update", hlc: -5, values: ["remarks": .text("neg")])], 400, "malformed_change"),
        ]
        for (index, test) in cases.enumerated() {
            let answer = try await Self.push(setup, test.changes)
            #expect(answer.status == test.status && answer.code == test.code, "\(test.name): \(answer)")
            #expect(answer.message.contains("change \(next)"), "\(test.name): the message names the change: \(answer.message)")
            #expect(setup.cluster.city?.isRunning == true, "\(test.name): the aggregator is up")
            try await Self.neighbourStillSyncs(setup, serial: index)
        }
        // A 30,000-change batch is refused before any of it is applied.
        let flood = (0..<30_000).map { change(setup, seq: next + Int64($0), rowId: own.rowId, op: "update", values: ["remarks": .text("f\($0)")]) }
        let answer = try await Self.push(setup, flood)
        #expect(answer.status == 413 && answer.code == "batch_too_large", "\(answer)")

        let after = try BadInputTests.cityState(setup.cluster)
        let neighbourRows = try setup.neighbour.platforms().map(\.id)
        #expect(neighbourRows.count == cases.count)
        for id in neighbourRows { #expect(after.contains(id)) }
        // Only the neighbour's rows and bookkeeping changed; the hostile county's are as they were.
        #expect(Self.hostileLines(after) == Self.hostileLines(before), "the hostile county's rows and bookkeeping are unchanged")
        let cityClock = try Cluster.capture("/usr/bin/sqlite3", [setup.cluster.cityDB, "SELECT hlc >> 16 FROM replica"]).stdout
        #expect((Int64(cityClock.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .max) < CountyDatabase.wallClockMs() + 60_000,
                "the city's clock did not move to the hostile county's: \(cityClock)")
    }

    /// `POST /v1/return` takes back only what the city sealed for this county: a made-up
    /// decision, a sealed change with one value altered, and the neighbour's sealed change sent by
    /// this county are each refused whole (403), and nothing at the city changes.
    @Test(.timeLimit(.minutes(2)))
    func returnedChangesMustCarryTheCitysSealForThisCounty() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let city = try CityDatabase.open(at: setup.cluster.cityDB)
        let own = try setup.base.county.platforms()[0].id
        try city.recognizePlatform(id: own)
        try setup.neighbour.addPlatform(makePlatforms("130203", count: 1, offset: 700)[0])
        let neighbourBatch = try #require(try setup.neighbour.nextPushBatch(limit: 10))
        try setup.neighbour.acknowledge(neighbourBatch, try await setup.neighbourTransport.push(neighbourBatch))
        try city.recognizePlatform(id: neighbourBatch.changes[0].rowId)
        let feed = try await setup.base.transport.pull(node: setup.base.node, after: 0, limit: 100)
        let neighbourFeed = try await setup.neighbourTransport.pull(node: setup.neighbour.replica.node, after: 0, limit: 100)
        let sealed = try #require(feed.seals.map { zip(feed.changes, $0).map { SealedChange(change: $0, seal: $1) } }?.last)
        let neighbours = try #require(neighbourFeed.seals.map { zip(neighbourFeed.changes, $0).map { SealedChange(change: $0, seal: $1) } }?.last)
        #expect(sealed.change.rowId == own && sealed.change.values["status"] == .text("recognized"))

        let forged = WireChange(seq: 99, table: "platform", rowId: own, op: "update", hlc: sealed.change.hlc + 1, node: city.replica.node,
                                values: ["status": .text("revoked")], bases: ["status": sealed.change.version])
        let altered = WireChange(seq: sealed.change.seq, table: "platform", rowId: own, op: "update", hlc: sealed.change.hlc,
                                 node: sealed.change.node, values: ["status": .text("revoked")], bases: sealed.change.bases)
        let before = try BadInputTests.cityState(setup.cluster)
        let cases: [(String, SealedChange)] = [
            ("a made-up city decision", SealedChange(change: forged, seal: sealed.seal)),
            ("a sealed change with its value altered", SealedChange(change: altered, seal: sealed.seal)),
            ("the neighbour's sealed change", neighbours),
            ("a seal that is not base64", SealedChange(change: sealed.change, seal: "not a seal")),
        ]
        for (name, change) in cases {
            let body = try JSONEncoder().encode(ReturnRequest(node: setup.base.node, changes: [sealed, change]))
            let answer = try await setup.base.transport.request(method: "POST", path: "/v1/return", body: body)
            let error = try? JSONDecoder().decode(ErrorBody.self, from: answer.body)
            #expect(answer.status == 403 && error?.message.contains("seal") == true, "\(name): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        }
        #expect(try BadInputTests.cityState(setup.cluster) == before, "nothing at the city changed")
        // The genuine sealed change is taken back: the city holds it already, so nothing changes either.
        let genuine = try await setup.base.transport.returnChanges(ReturnRequest(node: setup.base.node, changes: [sealed]))
        #expect(genuine.outcomes.map(\.outcome) == [.merged], "\(genuine)")
        #expect(try city.platform(id: own)?.status == .recognized)
    }

    /// The city's own schema refuses to change a row's id or county, whoever writes.
    @Test(.timeLimit(.minutes(2)))
    func theCitysRowsKeepTheirCountyWhateverWrites() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let id = try setup.base.county.platforms()[0].id
        let moved = try Cluster.capture("/usr/bin/sqlite3", [setup.cluster.cityDB, "UPDATE platform SET county = '130203' WHERE id = '\(id)'"])
        #expect(moved.status != 0 && moved.stderr.contains("cannot change"), "\(moved)")
        let award = try Cluster.capture("/usr/bin/sqlite3", [setup.cluster.cityDB, "UPDATE award SET county = '130203'"])
        #expect(award.status != 0 && award.stderr.contains("cannot change"), "\(award)")
    }

    /// Finding 5: a county cannot mint nodes without bound; each admitted node is recorded with its evidence.
    @Test(.timeLimit(.minutes(2)))
    func aCountyCannotCreateNodesWithoutBound() async throws {
        let setup = try await Self.setUp(["--max-nodes-per-county", "4"])
        defer { setup.cluster.cleanUp() }
        var refused: (status: Int, code: String?)?
        for index in 0..<10 {
            let body = Data(#"{"node":"county-130202-fake\#(index)","pending":0,"oldestPendingAgeSeconds":0}"#.utf8)
            let answer = try await setup.base.transport.request(method: "POST", path: "/v1/heartbeat", body: body)
            if answer.status != 200 {
                refused = (answer.status, (try? JSONDecoder().decode(ErrorBody.self, from: answer.body))?.code)
                break
            }
        }
        #expect(refused?.status == 403 && refused?.code == "too_many_nodes", "\(String(describing: refused))")
        let nodes = try Cluster.capture("/usr/bin/sqlite3", [setup.cluster.cityDB, "SELECT count(*), count(admission) FROM node_state WHERE county = '130202'"]).stdout
        #expect(nodes.trimmingCharacters(in: .whitespacesAndNewlines) == "4|4", "\(nodes)")
        #expect(setup.cluster.logTail("city.log", lines: 80).contains("node admitted"))
        let malformed = try await setup.base.transport.request(method: "POST", path: "/v1/heartbeat",
                                                             body: Data(#"{"node":"county-130202-DROP TABLE","pending":0,"oldestPendingAgeSeconds":0}"#.utf8))
        #expect(malformed.status == 400)
        try await Self.neighbourStillSyncs(setup, serial: 1)
    }

    /// A GET is a read: a pull naming a node the city has never seen creates no state, and an
    /// empty node is refused rather than taken for none.
    @Test(.timeLimit(.minutes(2)))
    func aGetCreatesNoState() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        func nodes() throws -> String {
            try Cluster.capture("/usr/bin/sqlite3", [setup.cluster.cityDB, "SELECT count(*) FROM node_state WHERE county = '130202'"]).stdout
        }
        let before = try nodes()
        let pull = try await setup.base.transport.request(method: "GET", path: "/v1/pull?node=county-130202-neverseen&after=0")
        #expect(pull.status == 200)
        #expect(try nodes() == before, "no node_state row for an unseen node")
        for path in ["/v1/digest?node=", "/v1/pull?node=&after=0"] {
            #expect(try await setup.base.transport.request(method: "GET", path: path).status == 400, "\(path)")
        }
    }

    /// Finding 6: the deny list fails closed, and `/metrics` goes through it like every route.
    @Test(.timeLimit(.minutes(2)))
    func theDenyListFailsClosedOnEveryRoute() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let (cert, key) = try cluster.certificate("130202")
        let serial = try Cluster.run("/usr/bin/openssl", ["x509", "-in", cert, "-noout", "-serial"])
        let denyList = cluster.dir.appendingPathComponent("revoked.txt").path
        try "# revoked\n\(serial)".write(toFile: denyList, atomically: true, encoding: .utf8)
        try await cluster.startCity(["--deny-list", denyList])
        let transport = try cluster.transport(cert: cert, key: key)
        for path in ["/metrics", "/healthz", "/v1/pull?after=0"] {
            let answer = try await transport.request(method: "GET", path: path)
            #expect(answer.status == 403, "\(path) with a revoked certificate: \(answer.status)")
        }
        // The file goes missing or unreadable: the last list read stays in force.
        try FileManager.default.removeItem(atPath: denyList)
        #expect(try await transport.request(method: "GET", path: "/metrics").status == 403, "a missing deny list does not unrevoke")
        try Data([0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: denyList))
        #expect(try await transport.request(method: "GET", path: "/v1/pull?after=0").status == 403, "an unreadable deny list does not unrevoke")
        #expect(cluster.logTail("city.log", lines: 60).contains("cannot read the deny list"))
        // Another county's certificate still works, and a corrected list is read again.
        let (otherCert, otherKey) = try cluster.certificate("130203")
        #expect(try await cluster.transport(cert: otherCert, key: otherKey).request(method: "GET", path: "/metrics").status == 200)
        try "# nothing revoked\n".write(toFile: denyList, atomically: true, encoding: .utf8)
        #expect(try await transport.request(method: "GET", path: "/healthz").status == 200)
    }

    /// A generator of malformed pushes: for a seeded run of attempts, a valid change broken in one
    /// field at a time, each refused whole while the neighbour keeps syncing.
    @Test(.timeLimit(.minutes(4)))
    func generatedMalformedPushesAreRefusedWhole() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let before = try BadInputTests.cityState(setup.cluster)
        var generator = HostilePushes(seed: 20261130, node: setup.base.node, nextSeq: setup.base.lastBatch.lastSeq + 1,
                                      ownRows: try setup.base.county.platforms().map(\.id))
        var seen: [String: Int] = [:]
        for round in 0..<120 {
            let attack = generator.next()
            let body = Data(JSONText.pushRequest(PushRequest(node: attack.node, changes: attack.changes)).utf8)
            let answer = try await setup.base.transport.request(method: "POST", path: "/v1/push", body: body)
            let code = (try? JSONDecoder().decode(ErrorBody.self, from: answer.body))?.code
            #expect((400..<500).contains(answer.status) && code != nil, "\(attack.kind): \(answer.status) \(code ?? "no code")")
            seen[attack.kind, default: 0] += 1
            if round % 20 == 0 { try await Self.neighbourStillSyncs(setup, serial: round) }
        }
        #expect(setup.cluster.city?.isRunning == true)
        #expect(seen.count >= 10, "the generator covers many kinds of attack: \(seen)")
        let after = try BadInputTests.cityState(setup.cluster)
        #expect(Self.hostileLines(after) == Self.hostileLines(before), "nothing of the hostile county changed")
    }
}
