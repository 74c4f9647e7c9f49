import CurlTransport
import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// Every integer a county's request carries, at and past its bound, against the real aggregator
/// over mutual TLS: each out-of-range value is refused with 400 naming the field, before any
/// arithmetic, the aggregator stays up, the city is unchanged, and another county keeps syncing.
/// (Release 0.15.0 exited with Swift's overflow trap on a push whose last seq was `Int64.max`,
/// and on a new node's `epochBaseSeq = Int64.max`.)
@Suite("Integer bounds of every request", .serialized)
struct IntegerBoundsTests {
    /// A push from the hostile county with a correct checksum.
    static func pushBody(_ setup: HostileCountyTests.Setup, _ changes: [WireChange], node: String? = nil, epochBaseSeq: Int64? = nil) -> Data {
        Data(JSONText.pushRequest(PushRequest(node: node ?? setup.base.node, changes: changes, epochBaseSeq: epochBaseSeq)).utf8)
    }

    static func change(_ setup: HostileCountyTests.Setup, seq: Int64, rowId: String, node: String? = nil, hlc: Int64? = nil) -> WireChange {
        WireChange(seq: seq, table: "platform", rowId: rowId, op: "update",
                   hlc: hlc ?? HLCTimestamp(physicalMs: CountyDatabase.wallClockMs(), logical: 0).rawValue,
                   node: node ?? setup.base.node, values: ["remarks": .text("bound")], bases: [:])
    }

    static func json(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }

    @Test(.timeLimit(.minutes(3)))
    func everyIntegerOutsideItsBoundIsRefusedBeforeAnyArithmetic() async throws {
        let setup = try await HostileCountyTests.setUp()
        defer { setup.cluster.cleanUp() }
        let before = try BadInputTests.cityState(setup.cluster)
        let rowId = setup.base.lastBatch.changes[0].rowId
        let next = setup.base.lastBatch.lastSeq + 1
        let node = setup.base.node
        // A second node of the same county the city has never seen: its first batch meets `epochBaseSeq`.
        let newNode = "county-130202-bounds01"
        let max = Int64.max
        let beyond = WireBounds.maxSeq + 1
        let sealed: [String: Any] = [
            "change": ["seq": max, "table": "platform", "rowId": rowId, "op": "update", "hlc": 1, "node": "city-x",
                       "values": ["remarks": "r"], "bases": [:] as [String: Any]] as [String: Any],
            "seal": String(repeating: "0", count: 64),
        ]
        func heartbeat(_ field: String, _ value: Any) throws -> Data {
            var body: [String: Any] = ["node": node, "pending": 0, "oldestPendingAgeSeconds": 0]
            body[field] = value
            return try Self.json(body)
        }

        let cases: [(name: String, method: String, path: String, body: Data?, field: String)] = [
            ("a push whose last seq is Int64.max", "POST", "/v1/push",
             Self.pushBody(setup, [Self.change(setup, seq: max, rowId: rowId)]), "seq"),
            ("a push whose seqs run up to Int64.max", "POST", "/v1/push",
             Self.pushBody(setup, [Self.change(setup, seq: max - 1, rowId: rowId), Self.change(setup, seq: max, rowId: rowId)]), "seq"),
            ("a push one past the largest seq", "POST", "/v1/push",
             Self.pushBody(setup, [Self.change(setup, seq: beyond, rowId: rowId)]), "seq"),
            ("a new node whose epoch base is Int64.max", "POST", "/v1/push",
             Self.pushBody(setup, [Self.change(setup, seq: 5, rowId: rowId, node: newNode)], node: newNode, epochBaseSeq: max), "epochBaseSeq"),
            ("a negative epoch base", "POST", "/v1/push",
             Self.pushBody(setup, [Self.change(setup, seq: next, rowId: rowId)], epochBaseSeq: -1), "epochBaseSeq"),
            ("a returned change at Int64.max", "POST", "/v1/return", try Self.json(["node": node, "changes": [sealed]]), "seq"),
            ("a negative pending count", "POST", "/v1/heartbeat", try heartbeat("pending", -5), "pending"),
            ("a pending count of Int64.max", "POST", "/v1/heartbeat", try heartbeat("pending", max), "pending"),
            ("a negative age", "POST", "/v1/heartbeat", try heartbeat("oldestPendingAgeSeconds", -1), "oldestPendingAgeSeconds"),
            ("an age of Int64.max", "POST", "/v1/heartbeat", try heartbeat("oldestPendingAgeSeconds", max), "oldestPendingAgeSeconds"),
            ("a clock offset of Int64.min", "POST", "/v1/heartbeat", try heartbeat("clockOffsetMs", Int64.min), "clockOffsetMs"),
            ("an acknowledged seq of Int64.max", "POST", "/v1/heartbeat", try heartbeat("acknowledgedSeq", max), "acknowledgedSeq"),
            ("a negative acknowledged seq", "POST", "/v1/heartbeat", try heartbeat("acknowledgedSeq", -1), "acknowledgedSeq"),
            ("a pulled seq of Int64.max", "POST", "/v1/heartbeat", try heartbeat("pulledSeq", max), "pulledSeq"),
            ("a negative pulled reading", "POST", "/v1/heartbeat", try heartbeat("pulledHlc", -1), "pulledHlc"),
            ("a pull after Int64.max", "GET", "/v1/pull?node=\(node)&after=\(max)", nil, "after"),
            ("a pull after the largest seq", "GET", "/v1/pull?node=\(node)&after=\(beyond)", nil, "after"),
            ("a pull after a negative cursor", "GET", "/v1/pull?node=\(node)&after=-1", nil, "after"),
            ("a negative afterHlc", "GET", "/v1/pull?node=\(node)&after=0&afterHlc=-1", nil, "afterHlc"),
            ("a pull limit of Int64.min", "GET", "/v1/pull?node=\(node)&limit=\(Int64.min)", nil, "limit"),
            ("a snapshot limit of 0", "GET", "/v1/snapshot?table=platform&limit=0", nil, "limit"),
        ]
        for (index, test) in cases.enumerated() {
            let answer = try await setup.base.transport.request(method: test.method, path: test.path, body: test.body)
            let error = try? JSONDecoder().decode(ErrorBody.self, from: answer.body)
            #expect(answer.status == 400 && error?.code == "bad_request", "\(test.name): \(answer.status) \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
            #expect(error?.message.lowercased().contains(test.field.lowercased()) == true, "\(test.name): the message names \(test.field): \(error?.message ?? "")")
            #expect(setup.cluster.city?.isRunning == true, "\(test.name): the aggregator is up")
            try await HostileCountyTests.neighbourStillSyncs(setup, serial: index)
        }
        let after = try BadInputTests.cityState(setup.cluster)
        #expect(HostileCountyTests.hostileLines(after) == HostileCountyTests.hostileLines(before), "the hostile county's rows and bookkeeping are unchanged")

        // The largest legal values are taken: the bound is where the schema says it is.
        let edge = try await setup.base.transport.request(method: "POST", path: "/v1/heartbeat", body: try Self.json([
            "node": node, "pending": WireBounds.maxCount, "oldestPendingAgeSeconds": WireBounds.maxAgeSeconds,
            "clockOffsetMs": -WireBounds.maxClockOffsetMs, "acknowledgedSeq": WireBounds.maxSeq, "pulledSeq": WireBounds.maxSeq,
        ]))
        #expect(edge.status == 200, "a heartbeat at every bound: \(String(decoding: edge.body.prefix(300), as: UTF8.self))")
        let pull = try await setup.base.transport.request(method: "GET", path: "/v1/pull?node=\(node)&after=\(WireBounds.maxSeq)", body: nil)
        #expect(pull.status == 200, "a pull at the largest cursor: \(String(decoding: pull.body.prefix(300), as: UTF8.self))")
        #expect(setup.cluster.city?.isRunning == true)
    }

    /// The same bound on the county's side: a page of the feed or an answer whose integers lie
    /// outside their bounds is not read, whoever sent it.
    @Test
    func aCountyReadsNoAnswerWithAnIntegerOutsideItsBound() throws {
        let pull = #"{"changes":[],"cursor":9223372036854775807,"more":false}"#
        #expect(throws: BoundsViolation.self) { try FastJSON.decode(PullResponse.self, from: pull) }
        let push = #"{"highWater":-1,"outcomes":[]}"#
        #expect(throws: BoundsViolation.self) { try FastJSON.decode(PushResponse.self, from: push) }
        let heartbeat = #"{"highWater":1,"cityTimeMs":-5}"#
        #expect(throws: BoundsViolation.self) { try FastJSON.decode(HeartbeatResponse.self, from: heartbeat) }
        let fine = #"{"changes":[],"cursor":9007199254740991,"more":false}"#
        #expect(try FastJSON.decode(PullResponse.self, from: fine).cursor == WireBounds.maxSeq)
    }
}

/// "Refused whole" holds past one slice: a batch longer than `applySliceChanges` whose last change
/// writes another county's row is refused before its first slice is committed (release 0.15.0
/// answered 403 after committing the first 1,000).
@Suite("A batch refused whole past one slice", .serialized)
struct WholeBatchTests {
    @Test(.timeLimit(.minutes(3)))
    func anotherCountysRowAtTheEndOfALongBatchRefusesAllOfIt() async throws {
        let setup = try await HostileCountyTests.setUp()
        defer { setup.cluster.cleanUp() }
        try await HostileCountyTests.neighbourStillSyncs(setup, serial: 0)
        let neighbourRow = try #require(try setup.neighbour.platforms().first).id
        let before = try BadInputTests.cityState(setup.cluster)
        let next = setup.base.lastBatch.lastSeq + 1
        let hlc = HLCTimestamp(physicalMs: CountyDatabase.wallClockMs(), logical: 0).rawValue
        var changes = (0..<1_000).map { offset in
            WireChange(seq: next + Int64(offset), table: "platform", rowId: RecordID.generate(), op: "insert", hlc: hlc, node: setup.base.node,
                       values: HostileCountyTests.platformValues(serial: 2_000 + offset), bases: [:])
        }
        changes.append(WireChange(seq: next + 1_000, table: "platform", rowId: neighbourRow, op: "update", hlc: hlc, node: setup.base.node,
                                  values: ["remarks": .text("written by 130202")], bases: [:]))
        let answer = try await HostileCountyTests.push(setup, changes)
        #expect(answer.status == 403 && answer.code == "forbidden_county", "\(answer)")
        #expect(answer.message.contains("change \(next + 1_000)"), "the refusal names the change: \(answer.message)")
        let after = try BadInputTests.cityState(setup.cluster)
        #expect(after == before, "nothing of the batch was committed")
        #expect(setup.cluster.city?.isRunning == true)
    }
}
