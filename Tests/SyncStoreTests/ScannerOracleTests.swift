import Foundation
import SyncCore
@testable import SyncProtocol
import Testing

/// The hand-written scanner against Foundation's `JSONDecoder` as the oracle, on mutations of real
/// request bodies: whatever the scanner reads, `JSONDecoder` reads too, to the same value; what
/// `JSONDecoder` refuses, the scanner never reads. (Release 0.15.0 read `"fiscal_year":"\q"2025`
/// as 2025: after a string that failed, it read the digits behind the closing quote.)
@Suite("The scanner against JSONDecoder")
struct ScannerOracleTests {
    /// Real bodies of each message the scanner reads: pushes with every value type, escapes and
    /// CJK text, pull pages with seals, push answers.
    static func seeds() -> [(name: String, bytes: [UInt8], decode: ([UInt8]) -> (scanned: AnyHashable?, oracle: AnyHashable?))] {
        let node = "county-130202-3f9a1c07"
        let hlc = HLCTimestamp(physicalMs: 1_795_939_910_080, logical: 3).rawValue
        let base = ColumnVersion(hlc: HLCTimestamp(rawValue: hlc - 70_000), node: "city-0190a1b2")
        let changes = [
            WireChange(seq: 41, table: "platform", rowId: "0190a1b2-93c0-7b2d-9e41-c7d85a62f039", op: "insert", hlc: hlc, node: node,
                       values: ["county": .text("130202"), "name": .text("唐山\"陶瓷\"重点实验室\\一期\n"), "category": .text("key_lab"),
                                "level": .text("municipal"), "subtype": .null, "recognized_on": .null, "remarks": .text("tab\there é 😀")],
                       bases: [:], actor: "shell:王\"li\""),
            WireChange(seq: 42, table: "award", rowId: "0190a1b2-93c0-7b2d-9e41-c7d85a62f040", op: "update", hlc: hlc + 1, node: node,
                       values: ["amount_fen": .integer(9_000_000), "fiscal_year": .integer(2025), "basis_fen": .integer(-5)],
                       bases: ["amount_fen": base, "fiscal_year": base]),
            WireChange(seq: 43, table: "platform", rowId: "0190a1b2-93c0-7b2d-9e41-c7d85a62f039", op: "delete", hlc: hlc + 2, node: node,
                       values: [:], bases: ["name": base]),
        ]
        let push = PushRequest(node: node, changes: changes, epochBaseSeq: 40)
        let pull = PullResponse(changes: changes, cursor: 43, more: true, seals: ["a1", "b2", "c3"],
                                decisionHead: DecisionMark(id: 4_120, hash: String(repeating: "9a", count: 32)),
                                decisionAt: DecisionMark(id: 4_118, hash: String(repeating: "3f", count: 32)))
        let answer = PushResponse(highWater: 43, outcomes: [ChangeOutcome(seq: 41, outcome: .applied),
                                                            ChangeOutcome(seq: 42, outcome: .parked, reason: "invalid", message: "金额 \"超\" 上限")])
        func pair<T: FastDecodable & Hashable>(_ type: T.Type) -> ([UInt8]) -> (scanned: AnyHashable?, oracle: AnyHashable?) {
            { bytes in (FastJSON.scanOnly(T.self, from: bytes).map(AnyHashable.init), (try? JSONDecoder().decode(T.self, from: Data(bytes))).map(AnyHashable.init)) }
        }
        return [
            ("push", Array(JSONText.pushRequest(push).utf8), pair(PushRequest.self)),
            ("pull", Array(JSONText.pullResponseBytes(pull)), pair(PullResponse.self)),
            ("push answer", Array(JSONText.pushResponseBytes(answer)), pair(PushResponse.self)),
        ]
    }

    /// Bytes and pieces a mutation inserts: JSON's own punctuation, escapes valid and invalid,
    /// bytes that are not UTF-8, digits, and the finding's own `"\q"`.
    static let pieces: [[UInt8]] = [
        "\"", "\\", "\\q", "\\u", "\\ud800", "\\udc00", "\\ud800\\u0041", "\\u00e9", "\\n", "\\/", "0", "9", "-", ".", "e", "E", "+",
        "{", "}", "[", "]", ":", ",", " ", "\t", "\n", "null", "true", "1e3", "01", "-0", "9223372036854775808", "\"\\q\"2025",
        "\"\\ud800\"", "\u{7F}",
    ].map { Array($0.utf8) } + [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0x00], [0x1F], [0xE5, 0x94]]

    static func mutate(_ seed: [UInt8], _ random: inout FastJSONTests.Random) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0: bytes.insert(contentsOf: pieces.randomElement(using: &random)!, at: at)
            case 1: bytes[at] = pieces.randomElement(using: &random)!.first ?? 0x20
            case 2: bytes.remove(at: at)
            case 3:
                let end = min(bytes.count, at + Int.random(in: 1...12, using: &random))
                bytes.replaceSubrange(at..<end, with: pieces.randomElement(using: &random)!)
            default:
                let end = min(bytes.count, at + Int.random(in: 1...24, using: &random))
                bytes.insert(contentsOf: bytes[at..<end], at: Int.random(in: 0...bytes.count, using: &random))
            }
        }
        return bytes
    }

    @Test func theFindingsInputsAreRefusedAsJSONDecoderRefusesThem() throws {
        let value = #"{"amount_fen":1,"fiscal_year":"\q"2025}"#
        #expect(FastJSON.scanOnly(ValueMap.self, from: Array(value.utf8)) == nil)
        #expect(throws: (any Error).self) { try FastJSON.decode(ValueMap.self, from: value) }
        for bad in [#"{"fiscal_year":"\ud800"2025}"#, #"{"fiscal_year":"\q" 2025}"#] {
            #expect(FastJSON.scanOnly(ValueMap.self, from: Array(bad.utf8)) == nil, "\(bad)")
        }
        let rawByte = Array(#"{"fiscal_year":""#.utf8) + [0xFF] + Array(#""2025}"#.utf8)
        #expect(FastJSON.scanOnly(ValueMap.self, from: rawByte) == nil)
    }

    /// At least 100,000 mutated bodies per run: the scanner reads a subset of what `JSONDecoder`
    /// reads, and reads it the same.
    @Test func mutatedBodiesAreReadAsJSONDecoderReadsThemOrLeftToIt() {
        var random = FastJSONTests.Random(state: UInt64(ProcessInfo.processInfo.environment["SCANNER_ORACLE_SEED"] ?? "") ?? 0x5EED_2026)
        let seeds = Self.seeds()
        var (read, refused, disagreements) = (0, 0, [String]())
        let runs = 100_002
        for run in 0..<runs {
            let seed = seeds[run % seeds.count]
            let bytes = Self.mutate(seed.bytes, &random)
            let (scanned, oracle) = seed.decode(bytes)
            guard let scanned else { refused += 1; continue }
            read += 1
            if scanned != oracle, disagreements.count < 5 {
                disagreements.append("\(seed.name): \(String(decoding: bytes, as: UTF8.self)) scanned \(scanned), JSONDecoder \(String(describing: oracle))")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.joined(separator: "\n"))")
        // Both kinds occur, so the comparison covers reads as well as refusals.
        #expect(read > 1_000 && refused > 1_000, "read \(read), left to JSONDecoder \(refused)")
    }
}
