import CurlTransport
import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// Garbage and attacks at the aggregator's port, from a holder of a valid county certificate:
/// every request gets a 4xx with a JSON error (never a 5xx, never a crash), and the city database
/// is unchanged afterwards.
@Suite("Bad input at the aggregator", .serialized)
struct BadInputTests {
    /// A city holding a county's synced rows, and that county's transport.
    struct Setup {
        let cluster: Cluster
        let county: CountyDatabase
        let transport: CurlTransport
        let node: String
        let lastBatch: PushRequest
    }

    static func setUp(_ extra: [String] = []) async throws -> Setup {
        let cluster = try Cluster()
        try await cluster.startCity(extra)
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 30))
        let platform = try county.platforms()[0]
        try county.proposeAward(Award(county: "130202", platformId: platform.id, amount: .yuan(20_000), fiscalYear: 2025))
        let (cert, key) = try cluster.certificate("130202")
        let transport = try cluster.transport(cert: cert, key: key)
        let batch = try #require(try county.nextPushBatch(limit: 1_000))
        try county.acknowledge(batch, try await transport.push(batch))
        return Setup(cluster: cluster, county: county, transport: transport, node: county.replica.node, lastBatch: batch)
    }

    /// Everything the city holds that a request could change, as text.
    static func cityState(_ cluster: Cluster) throws -> String {
        let result = try Cluster.capture("/usr/bin/sqlite3", [cluster.cityDB, """
            SELECT * FROM platform ORDER BY id; SELECT * FROM award ORDER BY id; SELECT * FROM change_log ORDER BY seq;
            SELECT * FROM row_version ORDER BY tbl, row_id; SELECT * FROM conflict ORDER BY id; SELECT * FROM parked ORDER BY id;
            SELECT * FROM applied_seq ORDER BY node, seq; SELECT node, county, high_water FROM node_state WHERE high_water > 0 ORDER BY node;
            SELECT hlc FROM replica; SELECT * FROM county_change ORDER BY node, seq;
            """])
        guard result.status == 0 else { throw ClusterError("sqlite3: \(result.stderr)") }
        return result.stdout
    }

    @Test(.timeLimit(.minutes(3)))
    func handWrittenGarbageIsRefusedWithAJSONErrorAndChangesNothing() async throws {
        let setup = try await Self.setUp(["--max-body-bytes", "2097152"])
        defer { setup.cluster.cleanUp() }
        let before = try Self.cityState(setup.cluster)
        let node = setup.node
        let replayed = setup.lastBatch
        let first = replayed.changes[0]

        func batch(_ changes: [WireChange], node: String? = nil) -> Data {
            Data(JSONText.pushRequest(PushRequest(node: node ?? changes.first?.node ?? setup.node, changes: changes)).utf8)
        }
        func change(seq: Int64, table: String = "platform", rowId: String = RecordID.generate(), op: String = "update",
                    node: String = node, values: [String: ColumnValue] = ["remarks": .text("x")], actor: String? = nil) -> WireChange {
            WireChange(seq: seq, table: table, rowId: rowId, op: op, hlc: first.hlc + 1, node: node, values: values, bases: [:], actor: actor)
        }
        let next = replayed.lastSeq + 1
        let platformId = first.rowId
        var altered = replayed.changes
        altered[0] = WireChange(seq: first.seq, table: first.table, rowId: first.rowId, op: first.op, hlc: first.hlc, node: first.node,
                                values: first.values.merging(["remarks": .text("rewritten history")]) { $1 }, bases: first.bases)
        let hugeArray = "{\"node\":\"\(node)\",\"firstSeq\":1,\"lastSeq\":1,\"checksum\":\"0\",\"changes\":["
            + Array(repeating: "{}", count: 300_000).joined(separator: ",") + "]}"

        let cases: [(name: String, method: String, path: String, body: Data?, status: Int, code: String?)] = [
            ("malformed JSON", "POST", "/v1/push", Data(#"{"node": "x", "changes": [ {"seq": "#.utf8), 400, "bad_request"),
            ("invalid UTF-8", "POST", "/v1/push", Data([0x7B, 0x22, 0x6E, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]), 400, "bad_request"),
            ("wrong types", "POST", "/v1/push", Data(#"{"node": 5, "firstSeq": "1", "lastSeq": [], "changes": {}, "checksum": null}"#.utf8), 400, "bad_request"),
            ("not an object", "POST", "/v1/push", Data("[1, 2, 3]".utf8), 400, "bad_request"),
            ("empty body", "POST", "/v1/push", Data(), 400, "bad_request"),
            ("body over the limit", "POST", "/v1/push", Data(repeating: 0x20, count: 3 * 1_048_576), 413, "payload_too_large"),
            ("huge array", "POST", "/v1/push", Data(hugeArray.utf8), 400, "bad_request"),
            ("unknown table", "POST", "/v1/push", batch([change(seq: next, table: "users")]), 400, "malformed_change"),
            ("SQL in the table name", "POST", "/v1/push", batch([change(seq: next, table: "platform; DROP TABLE platform; --")]), 400, "malformed_change"),
            ("unknown column", "POST", "/v1/push", batch([change(seq: next, rowId: platformId, values: ["is_admin": .integer(1)])]), 400, "malformed_change"),
            ("SQL in a column name", "POST", "/v1/push", batch([change(seq: next, rowId: platformId, values: ["remarks = 'x' WHERE 1; --": .text("x")])]), 400, "malformed_change"),
            ("unknown operation", "POST", "/v1/push", batch([change(seq: next, op: "truncate")]), 400, "malformed_change"),
            ("SQL in a row id", "POST", "/v1/push", batch([change(seq: next, rowId: "' OR '1'='1")]), 400, "malformed_change"),
            ("bad checksum", "POST", "/v1/push", Data(JSONText.pushRequest(PushRequest(node: node, changes: [change(seq: next)])).replacingOccurrences(of: "\"checksum\":\"", with: "\"checksum\":\"f").utf8), 400, "checksum_mismatch"),
            ("sequence gap", "POST", "/v1/push", batch([change(seq: next + 5, rowId: platformId)]), 409, "sequence_gap"),
            ("non-contiguous seqs", "POST", "/v1/push", batch([change(seq: next, rowId: platformId), change(seq: next + 2, rowId: platformId)]), 400, "bad_sequence"),
            ("replay with other content", "POST", "/v1/push", batch(altered), 409, "replica_diverged"),
            ("a batch claiming another county's node", "POST", "/v1/push", batch([change(seq: 1, node: "county-130203-intruder")]), 403, "forbidden_county"),
            ("a change claiming another node", "POST", "/v1/push", batch([change(seq: next, node: "county-130202-other")], node: node), 400, "node_mismatch"),
            // Who made a change is text a request carries: bounded and checked like the node.
            ("an actor over 200 bytes", "POST", "/v1/push",
             batch([change(seq: next, rowId: platformId, actor: "shell:" + String(repeating: "王", count: 65))]), 400, "malformed_change"),
            ("an empty actor", "POST", "/v1/push", batch([change(seq: next, rowId: platformId, actor: "")]), 400, "malformed_change"),
            ("an actor with a control character", "POST", "/v1/push",
             batch([change(seq: next, rowId: platformId, actor: "shell:wang\u{1B}[2J")]), 400, "malformed_change"),
            ("an actor that is not text", "POST", "/v1/push",
             Data(String(decoding: batch([change(seq: next, rowId: platformId)]), as: UTF8.self)
                .replacingOccurrences(of: "\"bases\":{}}", with: "\"bases\":{},\"actor\":5}").utf8), 400, "bad_request"),
            ("another county's row", "POST", "/v1/push",
             batch([change(seq: next, op: "insert", values: ["county": .text("130203"), "name": .text("冒名平台")])]), 403, "forbidden_county"),
            ("pull of another county's feed", "GET", "/v1/pull?node=county-130203-x&after=0", nil, 403, "forbidden_county"),
            ("SQL in a query", "GET", "/v1/pull?after=0%3B%20DROP%20TABLE%20platform", nil, 400, "bad_request"),
            ("negative cursor", "GET", "/v1/pull?after=-1", nil, 400, "bad_request"),
            ("snapshot of an unknown table", "GET", "/v1/snapshot?table=sqlite_master", nil, 400, "invalid_input"),
            ("digest of an unknown table", "GET", "/v1/digest?table=platform%27--&bucket=0", nil, 400, "invalid_input"),
            ("bad bucket", "GET", "/v1/digest?table=platform&bucket=zz", nil, 400, "bad_request"),
            ("heartbeat of wrong types", "POST", "/v1/heartbeat", Data(#"{"node": [], "pending": "many"}"#.utf8), 400, "bad_request"),
            ("heartbeat for another county", "POST", "/v1/heartbeat",
             Data(#"{"node": "county-130203-x", "pending": 0, "oldestPendingAgeSeconds": 0}"#.utf8), 403, "forbidden_county"),
            ("unlisted method", "DELETE", "/v1/push", nil, 405, "method_not_allowed"),
            ("unknown path", "GET", "/v1/../../etc/passwd", nil, 404, "not_found"),
        ]
        for test in cases {
            let answer = try await setup.transport.request(method: test.method, path: test.path, body: test.body)
            let error = try? JSONDecoder().decode(ErrorBody.self, from: answer.body)
            #expect(answer.status == test.status, "\(test.name): \(answer.status) \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
            #expect(error != nil, "\(test.name): the answer is a JSON error")
            if let code = test.code { #expect(error?.code == code, "\(test.name): \(error?.code ?? "no code")") }
            // Every refusal carries the catalogue's Chinese beside the English.
            #expect(error?.messageZh.map { $0.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) } } == true,
                    "\(test.name): \(error?.messageZh ?? "no messageZh")")
        }

        // A replay of the very batch the city applied is harmless: acknowledged, nothing changes.
        let replay = try await setup.transport.push(replayed)
        #expect(replay.highWater == replayed.lastSeq && replay.outcomes.isEmpty)

        #expect(try Self.cityState(setup.cluster) == before, "the city database is unchanged")
        let health = try await setup.transport.request(method: "GET", path: "/healthz")
        #expect(health.status == 200, "the aggregator is still up")
        #expect(setup.cluster.city?.isRunning == true)
    }

    /// Schemathesis generates requests from `Schemas/openapi.yaml`, valid and invalid, for every
    /// operation, and checks every answer against the document: no 5xx, declared statuses and
    /// bodies, invalid input refused. The city database must be unchanged afterwards.
    @Test(.timeLimit(.minutes(5)))
    func schemathesisFindsNothingAndChangesNothing() async throws {
        guard let schemathesis = Self.findSchemathesis() else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_FUZZ"] == nil,
                    "schemathesis is not on PATH; Deploy/test.sh installs it")
            return
        }
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let before = try Self.cityState(setup.cluster)
        let (cert, key) = try setup.cluster.certificate("130202")
        let report = setup.cluster.dir.appendingPathComponent("schemathesis")
        let result = try Cluster.capture(schemathesis, [
            "run", Cluster.packageRoot.appendingPathComponent("Schemas/openapi.yaml").path,
            "--url", setup.cluster.cityURL, "--tls-verify", setup.cluster.pki.appendingPathComponent("ca.pem").path,
            "--request-cert", cert, "--request-cert-key", key,
            "--checks", "all", "--max-examples", "60", "--seed", "20261129", "--workers", "1",
            "--generation-database", "none", "--no-color", "--report-dir", report.path,
        ])
        #expect(result.status == 0, "schemathesis found problems:\n\(result.stdout.suffix(6_000))\n\(result.stderr.suffix(2_000))")
        #expect(result.stdout.contains("passed"), "\(result.stdout.suffix(2_000))")
        #expect(try Self.cityState(setup.cluster) == before, "the city database is unchanged")
        #expect(setup.cluster.city?.isRunning == true, "the aggregator survived")
    }

    static func findSchemathesis() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/schemathesis" }
            + [Cluster.packageRoot.appendingPathComponent(".build/python/bin/schemathesis").path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
