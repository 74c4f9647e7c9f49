import Foundation
import SyncCore
import SyncProtocol
import Testing
@testable import SyncStore

@Suite struct JSONTextTests {
    static let awkward = ["", "plain", "引号\"和\\反斜杠", "line\nbreak\r\ttab", "\u{01}\u{1F}control", "emoji 🏭 / slash", "唐山"]

    @Test(arguments: awkward)
    func valuesRoundTripThroughJSONDecoder(text: String) throws {
        let values: [String: ColumnValue] = ["name": .text(text), "amount_fen": .integer(-42), "remarks": .null, "z": .integer(Int64.max)]
        let decoded = try JSONDecoder().decode([String: ColumnValue].self, from: Data(JSONText.values(values).utf8))
        #expect(decoded == values)
    }

    @Test(arguments: awkward)
    func versionsRoundTripThroughJSONDecoder(node: String) throws {
        let versions = ["name": ColumnVersion(hlc: HLCTimestamp(physicalMs: 1_764_400_000_000, logical: 7), node: node),
                        "level": ColumnVersion(hlc: .zero, node: "city")]
        let decoded = try JSONDecoder().decode([String: ColumnVersion].self, from: Data(JSONText.versions(versions).utf8))
        #expect(decoded == versions)
    }

    @Test func keysAreSorted() {
        #expect(JSONText.values(["b": .integer(1), "a": .null]) == #"{"a":null,"b":1}"#)
        #expect(JSONText.values([:]) == "{}")
    }
}

@Suite struct PushRequestJSONTests {
    @Test func theHandWrittenPushRequestDecodesToTheSameRequest() throws {
        let changes = JSONTextTests.awkward.enumerated().map { index, text in
            WireChange(seq: Int64(index + 1), table: "platform", rowId: RecordID.generate(), op: index == 0 ? "delete" : "update",
                       hlc: Int64(index) << 16, node: "county-130202-\(text.isEmpty ? "x" : "y")",
                       values: index == 0 ? [:] : ["name": .text(text), "contact": .null],
                       bases: ["name": ColumnVersion(hlc: HLCTimestamp(rawValue: 99), node: text)])
        }
        let request = PushRequest(node: "county-130202-\"quoted\"", changes: changes)
        let decoded = try JSONDecoder().decode(PushRequest.self, from: Data(JSONText.pushRequest(request).utf8))
        #expect(decoded == request)
        #expect(Checksum.of(decoded.changes) == decoded.checksum)
    }
}
