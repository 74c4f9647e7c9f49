import Foundation
import SyncCore
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
