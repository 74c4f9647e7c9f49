import Foundation
import SyncCore
import SyncProtocol
import Testing
@testable import SyncStore

/// Keeps `Schemas/` honest: every example payload decodes into its Swift message type and
/// re-encodes to the same JSON, the push example carries its real checksum, the digest examples
/// agree with each other, the snapshot example is the push and pull examples' row as the city
/// holds it, and every example validates against its JSON Schema (checked with
/// Python's `jsonschema`, which must be installed).
@Suite struct SchemaExamplesTests {
    /// One example payload and the schema it is an instance of.
    struct Example: Sendable, CustomTestStringConvertible {
        let file: String
        let schema: String
        var testDescription: String { file }
    }

    /// Every file in `Schemas/examples/`, with its schema (`everyExampleAndSchemaIsCovered` keeps this complete).
    static let examples: [Example] = [
        Example(file: "wire-change.json", schema: "wire-change.schema.json"),
        Example(file: "push-request.json", schema: "push-request.schema.json"),
        Example(file: "push-response.json", schema: "push-response.schema.json"),
        Example(file: "push-response-redelivery.json", schema: "push-response.schema.json"),
        Example(file: "pull-response.json", schema: "pull-response.schema.json"),
        Example(file: "pull-response-empty.json", schema: "pull-response.schema.json"),
        Example(file: "heartbeat.json", schema: "heartbeat.schema.json"),
        Example(file: "heartbeat-healthy.json", schema: "heartbeat.schema.json"),
        Example(file: "heartbeat-response.json", schema: "heartbeat-response.schema.json"),
        Example(file: "digest-response.json", schema: "digest-response.schema.json"),
        Example(file: "row-hashes-response.json", schema: "row-hashes-response.schema.json"),
        Example(file: "snapshot-response.json", schema: "snapshot-response.schema.json"),
        Example(file: "return-request.json", schema: "return-request.schema.json"),
        Example(file: "return-response.json", schema: "return-response.schema.json"),
        Example(file: "health.json", schema: "health.schema.json"),
        Example(file: "health-storage-failing.json", schema: "health.schema.json"),
        Example(file: "error.json", schema: "error.schema.json"),
        Example(file: "error-checksum-mismatch.json", schema: "error.schema.json"),
        Example(file: "error-sequence-gap.json", schema: "error.schema.json"),
        Example(file: "error-payload-too-large.json", schema: "error.schema.json"),
        Example(file: "error-replica-diverged.json", schema: "error.schema.json"),
    ]

    /// The package root: this file is `Tests/SyncStoreTests/SchemaExamplesTests.swift`.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let schemasDirectory = packageRoot.appendingPathComponent("Schemas/json")
    static let examplesDirectory = packageRoot.appendingPathComponent("Schemas/examples")

    static func exampleData(_ file: String) throws -> Data {
        try Data(contentsOf: examplesDirectory.appendingPathComponent(file))
    }

    // MARK: - Swift round trip

    @Test func everyExampleAndSchemaIsCovered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.examplesDirectory.path)
            .filter { $0.hasSuffix(".json") }
        #expect(Set(files) == Set(Self.examples.map(\.file)), "add new example files to SchemaExamplesTests.examples")
        let schemas = try FileManager.default.contentsOfDirectory(atPath: Self.schemasDirectory.path)
            .filter { $0.hasSuffix(".schema.json") }
        #expect(Set(schemas) == Set(Self.examples.map(\.schema)), "every schema needs at least one example")
    }

    /// The canonical comparison below relies on JSONSerialization keeping 64-bit integers exact
    /// (clock readings do not fit a Double) and booleans apart from numbers.
    @Test func jsonSerializationIsLossless() throws {
        let text = "[117698717947002881,-9223372036854775808,9223372036854775807,false,0,true,1,null,\"0\"]"
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        let again = try JSONSerialization.data(withJSONObject: object)
        #expect(String(decoding: again, as: UTF8.self) == text)
    }

    @Test(arguments: examples)
    func decodesAndReencodesUnchanged(_ example: Example) throws {
        let original = try Self.exampleData(example.file)
        let reencoded: Data
        switch example.schema {
        case "wire-change.schema.json": reencoded = try Self.roundTrip(WireChange.self, original)
        case "push-request.schema.json": reencoded = try Self.roundTrip(PushRequest.self, original)
        case "push-response.schema.json": reencoded = try Self.roundTrip(PushResponse.self, original)
        case "pull-response.schema.json": reencoded = try Self.roundTrip(PullResponse.self, original)
        case "heartbeat.schema.json": reencoded = try Self.roundTrip(Heartbeat.self, original)
        case "heartbeat-response.schema.json": reencoded = try Self.roundTrip(HeartbeatResponse.self, original)
        case "digest-response.schema.json": reencoded = try Self.roundTrip(DigestResponse.self, original)
        case "row-hashes-response.schema.json": reencoded = try Self.roundTrip(RowHashesResponse.self, original)
        case "snapshot-response.schema.json": reencoded = try Self.roundTrip(SnapshotResponse.self, original)
        case "return-request.schema.json": reencoded = try Self.roundTrip(ReturnRequest.self, original)
        case "return-response.schema.json": reencoded = try Self.roundTrip(ReturnResponse.self, original)
        case "error.schema.json": reencoded = try Self.roundTrip(ErrorBody.self, original)
        case "health.schema.json": reencoded = try Self.roundTrip(HealthAnswer.self, original)
        default:
            Issue.record("no Swift type known for \(example.schema)")
            return
        }
        // Compared as sorted-keys JSON text of the JSONSerialization objects rather than with
        // NSDictionary equality: on Linux (swift-corelibs-foundation) NSDictionary.isEqual(to:)
        // reports `{"more": false}` unequal to itself.
        #expect(try Self.canonical(original) == Self.canonical(reencoded), "\(example.file) changes when decoded and re-encoded")
    }

    @Test func pushRequestExampleCarriesItsRealChecksum() throws {
        let request = try JSONDecoder().decode(PushRequest.self, from: Self.exampleData("push-request.json"))
        let expected = Checksum.of(request.changes)
        #expect(request.checksum == expected, "push-request.json: checksum should be \(expected)")
        #expect(request.checksum.count == 16)
        // firstSeq, lastSeq and the checksum are exactly what the county client would send.
        #expect(PushRequest(node: request.node, changes: request.changes, epochBaseSeq: request.epochBaseSeq) == request)
        #expect(request.epochBaseSeq == 0, "a replica's first node sends 0")
        #expect(request.changes.allSatisfy { $0.node == request.node })
        #expect(request.changes.map(\.seq) == Array(request.firstSeq...request.lastSeq))
    }

    /// The digest examples are what the city would answer: both tables with buckets `0`…`f` in
    /// order, every empty bucket with the hash of nothing, the row-hashes example is one bucket of
    /// the digest example's platforms (hashed as the city digests a bucket: each row's id, then its
    /// hash, in id order), and the push platform's row hash is that of the row as the push and
    /// pull examples leave it.
    @Test func digestExamplesAgree() throws {
        let digest = try JSONDecoder().decode(DigestResponse.self, from: Self.exampleData("digest-response.json"))
        let rows = try JSONDecoder().decode(RowHashesResponse.self, from: Self.exampleData("row-hashes-response.json")).rows
        #expect(digest.tables.keys.sorted() == SyncedTable.all.map(\.name).sorted())
        for (table, buckets) in digest.tables {
            #expect(buckets.map(\.bucket) == "0123456789abcdef".map(String.init), "digest-response.json: \(table) buckets")
            for bucket in buckets where bucket.count == 0 {
                #expect(bucket.hash == Fnv64().hex, "digest-response.json: empty \(table) bucket \(bucket.bucket)")
            }
        }

        let bucketNames = Set(rows.keys.map { String($0.suffix(1)) })
        try #require(bucketNames.count == 1, "row-hashes-response.json: the row ids should all end in the same hex digit")
        let name = try #require(bucketNames.first)
        var hash = Fnv64()
        for id in rows.keys.sorted() {
            hash.mix(id)
            hash.mix(rows[id]!)
        }
        let bucket = try #require(digest.tables["platform"]?.first { $0.bucket == name })
        #expect(bucket.count == rows.count, "digest-response.json: platform bucket \(name) should count the rows of row-hashes-response.json")
        #expect(bucket.hash == hash.hex, "digest-response.json: platform bucket \(name) should hash to \(hash.hex)")

        // 01a2265c-… as inserted and edited by push-request.json, then recognized by pull-response.json.
        let push = try JSONDecoder().decode(PushRequest.self, from: Self.exampleData("push-request.json"))
        let pull = try JSONDecoder().decode(PullResponse.self, from: Self.exampleData("pull-response.json"))
        let rowId = "01a2265c-41c0-703e-bd4c-64cdaf21b559"
        var values: [String: ColumnValue] = [:]
        for change in push.changes + pull.changes where change.rowId == rowId {
            values.merge(change.values) { _, new in new }
        }
        var rowHash = Fnv64()
        for column in SyncedTable.platform.columns {
            let value = try #require(values[column], "push-request.json and pull-response.json should set \(column) of \(rowId)")
            rowHash.mix(value.description)
        }
        #expect(rows[rowId] == rowHash.hex, "row-hashes-response.json: \(rowId) should hash to \(rowHash.hex)")
    }

    /// The snapshot example is a page as the city would answer it: rows of one table in increasing
    /// id order, each naming every column of its table in both `values` and `versions`, a full page
    /// when `more` is true. Its 01a2265c-… row is the push and pull examples' platform as the city
    /// holds it afterwards (values and versions), and hashes as row-hashes-response.json says.
    @Test func snapshotExampleAgrees() throws {
        let page = try JSONDecoder().decode(SnapshotResponse.self, from: Self.exampleData("snapshot-response.json"))
        try #require(!page.rows.isEmpty, "snapshot-response.json should show rows")
        #expect(Set(page.rows.map(\.table)).count == 1, "snapshot-response.json: a page holds rows of one table")
        #expect(zip(page.rows, page.rows.dropFirst()).allSatisfy { $0.rowId < $1.rowId }, "snapshot-response.json: rows in increasing id order")
        for row in page.rows {
            let table = try #require(SyncedTable.all.first { $0.name == row.table }, "snapshot-response.json: unknown table \(row.table)")
            #expect(Set(row.values.keys) == Set(table.columns), "snapshot-response.json: \(row.rowId) values should name every \(table.name) column")
            #expect(Set(row.versions.keys) == Set(table.columns), "snapshot-response.json: \(row.rowId) versions should name every \(table.name) column")
        }

        let rowId = "01a2265c-41c0-703e-bd4c-64cdaf21b559"
        let row = try #require(page.rows.first { $0.rowId == rowId }, "snapshot-response.json should include \(rowId)")
        let expected = try Self.rowAfterPushAndPull(table: "platform", rowId: rowId)
        #expect(row == expected, "snapshot-response.json: \(rowId) should be the row push-request.json and pull-response.json leave")
        let nodes = Set(row.versions.values.map(\.node))
        #expect(nodes.contains { $0.hasPrefix("city") } && nodes.contains { $0.hasPrefix("county-") },
                "snapshot-response.json: \(rowId) should show versions of a county node and of the city")

        let hashes = try JSONDecoder().decode(RowHashesResponse.self, from: Self.exampleData("row-hashes-response.json")).rows
        var rowHash = Fnv64()
        for column in SyncedTable.platform.columns { rowHash.mix(row.values[column]!.description) }
        #expect(hashes[rowId] == rowHash.hex, "snapshot-response.json: \(rowId) hashes to \(rowHash.hex), row-hashes-response.json says \(hashes[rowId] ?? "nothing")")
    }

    /// The snapshot schema's column lists are the tables' columns, and agree with wire-change.schema.json's.
    @Test func snapshotSchemaNamesEveryColumn() throws {
        func schema(_ file: String) throws -> [String: Any] {
            try #require(try Self.jsonObject(Data(contentsOf: Self.schemasDirectory.appendingPathComponent(file))) as? [String: Any])
        }
        let snapshotDefs = try #require(try schema("snapshot-response.schema.json")["$defs"] as? [String: Any])
        let wireDefs = try #require(try schema("wire-change.schema.json")["$defs"] as? [String: Any])
        for (table, columns, column) in [(SyncedTable.platform, "platformColumns", "platformColumn"), (SyncedTable.award, "awardColumns", "awardColumn")] {
            let required = (snapshotDefs[columns] as? [String: Any])?["required"] as? [String]
            let names = (wireDefs[column] as? [String: Any])?["enum"] as? [String]
            #expect(required == table.columns, "snapshot-response.schema.json: $defs/\(columns)/required should be \(table.columns)")
            #expect(names.map(Set.init) == Set(table.columns), "wire-change.schema.json: $defs/\(column)/enum should be \(table.columns)")
        }
    }

    /// A row as the city holds it after the push and pull examples: each column's last value and
    /// the version of the change that set it.
    static func rowAfterPushAndPull(table: String, rowId: String) throws -> SnapshotRow {
        let push = try JSONDecoder().decode(PushRequest.self, from: exampleData("push-request.json"))
        let pull = try JSONDecoder().decode(PullResponse.self, from: exampleData("pull-response.json"))
        var values: [String: ColumnValue] = [:]
        var versions: [String: ColumnVersion] = [:]
        for change in push.changes + pull.changes where change.table == table && change.rowId == rowId {
            for (column, value) in change.values {
                values[column] = value
                versions[column] = change.version
            }
        }
        return SnapshotRow(table: table, rowId: rowId, values: values, versions: versions)
    }

    /// Decodes `data` as `T`, re-encodes it, and checks the re-encoded JSON decodes to the same value.
    static func roundTrip<T: Codable & Equatable>(_ type: T.Type, _ data: Data) throws -> Data {
        let value = try JSONDecoder().decode(T.self, from: data)
        let encoded = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(T.self, from: encoded) == value)
        return encoded
    }

    static func jsonObject(_ data: Data) throws -> Any {
        try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    /// Sorted-keys, pretty-printed JSON: equal text for semantically equal documents, readable when not.
    static func canonical(_ data: Data) throws -> String {
        let object = try jsonObject(data)
        let text = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .fragmentsAllowed])
        return String(decoding: text, as: UTF8.self)
    }

    // MARK: - JSON Schema validation (Python jsonschema)

    /// One instance to validate: an example file, optionally changed by a JSON-Patch-like list of operations.
    struct ValidationCase: Codable, Sendable {
        struct Operation: Codable, Sendable {
            /// `add` (into an array: insert before the index), `replace` or `remove`.
            let op: String
            /// A JSON Pointer into the instance.
            let path: String
            /// The new value as JSON text (for `add` and `replace`).
            let value: String?
        }

        let label: String
        let file: String
        let schema: String
        let patch: [Operation]
        let valid: Bool

        init(_ label: String, _ file: String, _ schema: String, valid: Bool, _ patch: [Operation] = []) {
            self.label = label
            self.file = file
            self.schema = schema
            self.patch = patch
            self.valid = valid
        }
    }

    static func set(_ path: String, _ json: String) -> ValidationCase.Operation { .init(op: "replace", path: path, value: json) }
    static func add(_ path: String, _ json: String) -> ValidationCase.Operation { .init(op: "add", path: path, value: json) }
    static func remove(_ path: String) -> ValidationCase.Operation { .init(op: "remove", path: path, value: nil) }

    @Test func examplesValidateAgainstTheirSchemas() throws {
        try Self.validate(Self.examples.map { ValidationCase("example \($0.file)", $0.file, $0.schema, valid: true) })
    }

    /// The schemas are not vacuous: damaged payloads are refused, and a few legal variations pass.
    @Test func schemasRefuseGarbage() throws {
        let push = "push-request.json", pushSchema = "push-request.schema.json"
        let answer = "push-response.json", answerSchema = "push-response.schema.json"
        let pull = "pull-response.json", pullSchema = "pull-response.schema.json"
        let beat = "heartbeat.json", beatSchema = "heartbeat.schema.json"
        let digest = "digest-response.json", digestSchema = "digest-response.schema.json"
        let hashes = "row-hashes-response.json", hashesSchema = "row-hashes-response.schema.json"
        let snapshot = "snapshot-response.json", snapshotSchema = "snapshot-response.schema.json"
        // The award of push-request.json as the city holds it after pull-response.json approved it.
        let awardRow = String(decoding: try JSONEncoder().encode(
            try Self.rowAfterPushAndPull(table: "award", rowId: "01a2265f-1169-7120-a03c-fde6f1c26b30")), as: UTF8.self)
        try Self.validate([
            ValidationCase("unknown top-level key", push, pushSchema, valid: false, [Self.add("/extra", "1")]),
            ValidationCase("unknown change key", push, pushSchema, valid: false, [Self.add("/changes/0/extra", "1")]),
            ValidationCase("unknown table", push, pushSchema, valid: false, [Self.set("/changes/0/table", #""users""#)]),
            ValidationCase("unknown op", push, pushSchema, valid: false, [Self.set("/changes/0/op", #""upsert""#)]),
            ValidationCase("upper-case checksum", push, pushSchema, valid: false, [Self.set("/checksum", #""F58701160C4856EE""#)]),
            ValidationCase("short checksum", push, pushSchema, valid: false, [Self.set("/checksum", #""f58701160c4856e""#)]),
            ValidationCase("city node pushing", push, pushSchema, valid: false, [Self.set("/node", #""city-5e0b7d21""#)]),
            ValidationCase("city change in a push", push, pushSchema, valid: false, [Self.set("/changes/1/node", #""city-5e0b7d21""#)]),
            ValidationCase("id as a column", push, pushSchema, valid: false, [Self.add("/changes/0/values/id", #""x""#)]),
            ValidationCase("award column on a platform", push, pushSchema, valid: false, [Self.add("/changes/0/values/amount_fen", "1")]),
            ValidationCase("fractional fen", push, pushSchema, valid: false, [Self.set("/changes/1/values/amount_fen", "300000.5")]),
            ValidationCase("boolean value", push, pushSchema, valid: false, [Self.set("/changes/1/values/fiscal_year", "true")]),
            ValidationCase("values on a delete", push, pushSchema, valid: false, [Self.add("/changes/3/values/status", #""approved""#)]),
            ValidationCase("base without node", push, pushSchema, valid: false, [Self.remove("/changes/2/bases/contact/node")]),
            ValidationCase("upper-case row id", push, pushSchema, valid: false, [Self.set("/changes/0/rowId", #""01A2265C-41C0-703E-BD4C-64CDAF21B559""#)]),
            ValidationCase("negative hlc", push, pushSchema, valid: false, [Self.set("/changes/0/hlc", "-1")]),
            ValidationCase("seq 0", push, pushSchema, valid: false, [Self.set("/changes/0/seq", "0")]),
            ValidationCase("empty batch", push, pushSchema, valid: true,
                           [Self.set("/changes", "[]"), Self.set("/firstSeq", "0"), Self.set("/lastSeq", "0")]),
            ValidationCase("empty batch claiming seqs", push, pushSchema, valid: false,
                           [Self.set("/changes", "[]"), Self.set("/firstSeq", "41"), Self.set("/lastSeq", "999")]),
            ValidationCase("unknown outcome", answer, answerSchema, valid: false, [Self.set("/outcomes/0/outcome", #""ok""#)]),
            ValidationCase("parked without reason", answer, answerSchema, valid: false, [Self.remove("/outcomes/3/reason")]),
            ValidationCase("reason on an applied change", answer, answerSchema, valid: false, [Self.add("/outcomes/0/reason", #""invalid""#)]),
            ValidationCase("county change in the feed", pull, pullSchema, valid: false, [Self.set("/changes/0/node", #""county-130202-3f9a1c07""#)]),
            ValidationCase("pull without more", pull, pullSchema, valid: false, [Self.remove("/more")]),
            ValidationCase("negative pending", beat, beatSchema, valid: false, [Self.set("/pending", "-1")]),
            ValidationCase("heartbeat of another kind of node", beat, beatSchema, valid: false, [Self.set("/node", #""city-5e0b7d21""#)]),
            ValidationCase("explicit null lastError", beat, beatSchema, valid: true, [Self.set("/lastError", "null")]),
            ValidationCase("string clock", "heartbeat-response.json", "heartbeat-response.schema.json", valid: false,
                           [Self.set("/cityTimeMs", #""1795942641737""#)]),
            ValidationCase("15 buckets", digest, digestSchema, valid: false, [Self.remove("/tables/platform/15")]),
            ValidationCase("17 buckets", digest, digestSchema, valid: false,
                           [Self.add("/tables/award/16", #"{"bucket": "f", "count": 0, "hash": "cbf29ce484222325"}"#)]),
            ValidationCase("buckets out of order", digest, digestSchema, valid: false,
                           [Self.set("/tables/award/0/bucket", #""1""#), Self.set("/tables/award/1/bucket", #""0""#)]),
            ValidationCase("upper-case bucket", digest, digestSchema, valid: false, [Self.set("/tables/platform/10/bucket", #""A""#)]),
            ValidationCase("one table (an answer narrowed by `table`)", digest, digestSchema, valid: true, [Self.remove("/tables/award")]),
            ValidationCase("no table", digest, digestSchema, valid: false, [Self.remove("/tables/award"), Self.remove("/tables/platform")]),
            ValidationCase("unknown table", digest, digestSchema, valid: false, [Self.add("/tables/users", "[]")]),
            ValidationCase("negative count", digest, digestSchema, valid: false, [Self.set("/tables/platform/0/count", "-1")]),
            ValidationCase("fractional count", digest, digestSchema, valid: false, [Self.set("/tables/platform/0/count", "2.5")]),
            ValidationCase("upper-case bucket hash", digest, digestSchema, valid: false,
                           [Self.set("/tables/platform/9/hash", #""58DDB63730507F88""#)]),
            ValidationCase("short bucket hash", digest, digestSchema, valid: false, [Self.set("/tables/platform/9/hash", #""58ddb63730507f8""#)]),
            ValidationCase("empty bucket with a hash of rows", digest, digestSchema, valid: false, [Self.set("/tables/platform/0/count", "0")]),
            ValidationCase("unknown bucket key", digest, digestSchema, valid: false, [Self.add("/tables/platform/0/rows", "[]")]),
            ValidationCase("no rows for the county", digest, digestSchema, valid: true,
                           [Self.set("/tables/award", Self.emptyBuckets), Self.set("/tables/platform", Self.emptyBuckets)]),
            ValidationCase("empty bucket's row hashes", hashes, hashesSchema, valid: true, [Self.set("/rows", "{}")]),
            ValidationCase("upper-case row id in hashes", hashes, hashesSchema, valid: false,
                           [Self.add("/rows/01A2265C-41C0-703E-BD4C-64CDAF21B559", #""81d83982ea395a03""#)]),
            ValidationCase("row hash not hex", hashes, hashesSchema, valid: false,
                           [Self.set("/rows/01a2265c-41c0-703e-bd4c-64cdaf21b559", #""81d83982ea395a0g""#)]),
            ValidationCase("row hashes as a list", hashes, hashesSchema, valid: false, [Self.set("/rows", #"["81d83982ea395a03"]"#)]),
            ValidationCase("unknown row-hashes key", hashes, hashesSchema, valid: false, [Self.add("/table", #""platform""#)]),
            ValidationCase("snapshot row without a column's version", snapshot, snapshotSchema, valid: false, [Self.remove("/rows/0/versions/status")]),
            ValidationCase("snapshot row without a column's value", snapshot, snapshotSchema, valid: false, [Self.remove("/rows/1/values/remarks")]),
            ValidationCase("award column in a platform snapshot", snapshot, snapshotSchema, valid: false,
                           [Self.add("/rows/0/values/amount_fen", "1"), Self.add("/rows/0/versions/amount_fen", #"{"hlc": 1, "node": "city-5e0b7d21"}"#)]),
            ValidationCase("id as a snapshot column", snapshot, snapshotSchema, valid: false, [Self.add("/rows/0/values/id", #""01a2265c-41c0-703e-bd4c-64cdaf21b559""#)]),
            ValidationCase("snapshot version without node", snapshot, snapshotSchema, valid: false, [Self.remove("/rows/0/versions/status/node")]),
            ValidationCase("snapshot hlc as a string", snapshot, snapshotSchema, valid: false,
                           [Self.set("/rows/0/versions/name/hlc", #""117698717947002880""#)]),
            ValidationCase("boolean snapshot value", snapshot, snapshotSchema, valid: false, [Self.set("/rows/1/values/remarks", "false")]),
            ValidationCase("upper-case snapshot row id", snapshot, snapshotSchema, valid: false,
                           [Self.set("/rows/1/rowId", #""01A24AAD-CF57-7B1E-93D4-2C6F80E5A0B3""#)]),
            ValidationCase("unknown snapshot table", snapshot, snapshotSchema, valid: false, [Self.set("/rows/1/table", #""users""#)]),
            ValidationCase("unknown snapshot row key", snapshot, snapshotSchema, valid: false, [Self.add("/rows/0/bases", "{}")]),
            ValidationCase("snapshot without more", snapshot, snapshotSchema, valid: false, [Self.remove("/more")]),
            ValidationCase("empty snapshot page claiming more", snapshot, snapshotSchema, valid: false, [Self.set("/rows", "[]"), Self.set("/tombstones", "[]")]),
            ValidationCase("snapshot page of tombstones only, claiming more", snapshot, snapshotSchema, valid: true, [Self.set("/rows", "[]")]),
            ValidationCase("snapshot without tombstones", snapshot, snapshotSchema, valid: false, [Self.remove("/tombstones")]),
            ValidationCase("tombstone without its version", snapshot, snapshotSchema, valid: false, [Self.remove("/tombstones/0/version")]),
            ValidationCase("tombstone with values", snapshot, snapshotSchema, valid: false, [Self.add("/tombstones/0/values", "{}")]),
            ValidationCase("last, empty snapshot page", snapshot, snapshotSchema, valid: true, [Self.set("/rows", "[]"), Self.set("/more", "false")]),
            ValidationCase("award snapshot page", snapshot, snapshotSchema, valid: true, [Self.set("/rows", "[\(awardRow)]")]),
            ValidationCase("award snapshot row without a column's version", snapshot, snapshotSchema, valid: false,
                           [Self.set("/rows", "[\(awardRow)]"), Self.remove("/rows/0/versions/approved_on")]),
            ValidationCase("rows of two tables in one snapshot page", snapshot, snapshotSchema, valid: false, [Self.add("/rows/2", awardRow)]),
            ValidationCase("degraded health", "health.json", "health.schema.json", valid: false, [Self.set("/status", #""degraded""#)]),
            ValidationCase("error without message", "error.json", "error.schema.json", valid: false, [Self.remove("/message")]),
            ValidationCase("camel-case error code", "error.json", "error.schema.json", valid: false, [Self.set("/code", #""forbiddenCounty""#)]),
        ])
    }

    /// The 16 buckets of a table where the county has no rows, as JSON text.
    static let emptyBuckets = "[" + "0123456789abcdef".map { #"{"bucket": "\#($0)", "count": 0, "hash": "cbf29ce484222325"}"# }
        .joined(separator: ", ") + "]"

    /// Runs `validationScript` with `python3` from PATH on `cases`; records a clear issue if
    /// python3 or its `jsonschema`/`referencing` modules are missing.
    static func validate(_ cases: [ValidationCase]) throws {
        let casesJSON = String(decoding: try JSONEncoder().encode(cases), as: UTF8.self)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", validationScript, packageRoot.path, casesJSON]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            Issue.record("cannot run /usr/bin/env python3 to validate the examples against Schemas/json: \(error)")
            return
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        switch process.terminationStatus {
        case 0:
            break
        case 127:
            Issue.record("python3 is not on PATH; the JSON Schema check needs python3 with the jsonschema module (pip install jsonschema)\n\(text)")
        case 3:
            Issue.record("the JSON Schema check needs Python's jsonschema and referencing modules (pip install jsonschema)\n\(text)")
        default:
            Issue.record("JSON Schema validation failed (python3 exit status \(process.terminationStatus)):\n\(text)")
        }
    }

    /// Loads every schema into a `referencing` registry keyed by file URI (so relative `$ref`s
    /// between files resolve), checks each schema against the 2020-12 meta-schema, then
    /// validates each case and compares with its expected verdict.
    static let validationScript = #"""
    import json, pathlib, sys
    try:
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
    except ImportError as error:
        print(f"{sys.executable}: {error}", file=sys.stderr)
        sys.exit(3)

    root = pathlib.Path(sys.argv[1])
    cases = json.loads(sys.argv[2])
    schema_dir = (root / "Schemas" / "json").resolve()
    registry = Registry()
    problems = []
    for path in sorted(schema_dir.glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        try:
            Draft202012Validator.check_schema(contents)
        except Exception as error:
            problems.append(f"{path.name} is not a valid 2020-12 schema: {error}")
        registry = registry.with_resource(path.as_uri(), Resource.from_contents(contents, default_specification=DRAFT202012))
    registry = registry.crawl()

    def pointer(document, path):
        parts = [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]
        parent = document
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1]
        return parent, (int(last) if isinstance(parent, list) else last)

    for case in cases:
        instance = json.loads((root / "Schemas" / "examples" / case["file"]).read_text(encoding="utf-8"))
        for operation in case["patch"]:
            parent, key = pointer(instance, operation["path"])
            if operation["op"] == "remove":
                del parent[key]
            elif operation["op"] == "add" and isinstance(parent, list):
                parent.insert(key, json.loads(operation["value"]))
            else:
                parent[key] = json.loads(operation["value"])
        validator = Draft202012Validator({"$ref": (schema_dir / case["schema"]).as_uri()}, registry=registry)
        errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
        if case["valid"] and errors:
            details = "; ".join(f"/{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors[:5])
            problems.append(f"{case['label']}: should be valid against {case['schema']}, but: {details}")
        elif not case["valid"] and not errors:
            problems.append(f"{case['label']}: should be refused by {case['schema']}, but it validates")

    for problem in problems:
        print(problem)
    print(f"{len(cases)} case(s) checked with {sys.executable}, {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)
    """#
}
