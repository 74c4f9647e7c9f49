import Foundation
import SyncCore
@testable import SyncProtocol
import Testing

/// The fast reader and writer of the sync path against Foundation's: the same values both ways,
/// the same documents accepted and refused, and the checksum unchanged.
@Suite("Fast JSON")
struct FastJSONTests {
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet: [String] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{1}", "\u{1F}", "\u{7F}", "é", "唐", "山", "😀", "\u{2028}", "'", "{", "]", ":", ","]

    static func text(_ random: inout Random) -> String {
        String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined())
    }

    /// Column names: no character a JSON key would escape (the scanner leaves escaped keys to JSONDecoder).
    static func key(_ random: inout Random) -> String {
        String((0..<Int.random(in: 0...8, using: &random)).map { _ in ["a", "z", "_", "0", "é", "唐", "😀", " "].randomElement(using: &random)! }.joined())
    }

    static func value(_ random: inout Random) -> ColumnValue {
        switch Int.random(in: 0..<5, using: &random) {
        case 0: .null
        case 1: .integer([Int64.min, Int64.max, 0, -1, 9_500_000].randomElement(using: &random)!)
        case 2: .integer(Int64.random(in: -1_000_000...1_000_000, using: &random))
        default: .text(text(&random))
        }
    }

    static func change(_ random: inout Random, seq: Int64) -> WireChange {
        var values: [String: ColumnValue] = [:], bases: [String: ColumnVersion] = [:]
        for _ in 0..<Int.random(in: 0...6, using: &random) { values[key(&random)] = value(&random) }
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            bases[key(&random)] = ColumnVersion(hlc: HLCTimestamp(rawValue: Int64.random(in: 0...Int64.max, using: &random)), node: text(&random))
        }
        return WireChange(seq: seq, table: text(&random), rowId: text(&random), op: ["insert", "update", "delete"].randomElement(using: &random)!,
                          hlc: Int64.random(in: 0...Int64.max, using: &random), node: text(&random), values: values, bases: bases)
    }

    static func request(_ random: inout Random) -> PushRequest {
        let first = Int64.random(in: 1...1_000, using: &random)
        let changes = (0..<Int.random(in: 0...5, using: &random)).map { change(&random, seq: first + Int64($0)) }
        return PushRequest(node: text(&random), changes: changes, epochBaseSeq: Bool.random(using: &random) ? nil : first - 1)
    }

    @Test("documents written by JSONText and JSONEncoder read back the same, through the scanner")
    func roundTrips() throws {
        var random = Random(state: 11)
        let sorted = JSONEncoder()
        sorted.outputFormatting = [.sortedKeys]
        for _ in 0..<500 {
            let push = Self.request(&random)
            for bytes in [JSONText.pushRequestBytes(push), Array(try JSONEncoder().encode(push)), Array(try sorted.encode(push))] {
                #expect(FastJSON.scanOnly(PushRequest.self, from: bytes) == push)
                #expect(try JSONDecoder().decode(PushRequest.self, from: Data(bytes)) == push)
            }
            let pull = PullResponse(changes: push.changes, cursor: push.lastSeq, more: Bool.random(using: &random),
                                    seals: Bool.random(using: &random) ? nil : push.changes.map { _ in Self.text(&random) })
            let pullBytes = JSONText.pullResponseBytes(pull)
            #expect(FastJSON.scanOnly(PullResponse.self, from: pullBytes) == pull)
            #expect(try JSONDecoder().decode(PullResponse.self, from: Data(pullBytes)) == pull)
            let answer = PushResponse(highWater: push.lastSeq, outcomes: push.changes.map {
                ChangeOutcome(seq: $0.seq, outcome: [.applied, .merged, .conflict, .parked].randomElement(using: &random)!,
                              reason: Bool.random(using: &random) ? nil : Self.text(&random), message: Bool.random(using: &random) ? nil : Self.text(&random))
            })
            let answerBytes = JSONText.pushResponseBytes(answer)
            #expect(FastJSON.scanOnly(PushResponse.self, from: answerBytes) == answer)
            #expect(try JSONDecoder().decode(PushResponse.self, from: Data(answerBytes)) == answer)
            if !answer.outcomes.contains(where: { ($0.reason ?? "").unicodeScalars.contains { $0.value < 0x20 || $0 == "/" } || ($0.message ?? "").unicodeScalars.contains { $0.value < 0x20 || $0 == "/" } }) {
                #expect(answerBytes == Array(try sorted.encode(answer)), "the aggregator's push answer is what JSONEncoder with sorted keys wrote")
            }
        }
    }

    @Test("damaged documents are accepted or refused exactly as JSONDecoder accepts or refuses them")
    func damagedDocumentsDecideAsFoundationDoes() throws {
        var random = Random(state: 29)
        let inserts: [[UInt8]] = ["\"", "\\", "{", "}", "[", "]", ",", ":", "1", "-", "0", ".5", "e3", "null", "true", " ", "\\u00e9", "\\ud83d", "\u{1}", "\u{FF}", "\"seq\":1,"]
            .map { Array($0.utf8) }
        var accepted = 0, refused = 0
        for _ in 0..<3_000 {
            var bytes = JSONText.pushRequestBytes(Self.request(&random))
            for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(contentsOf: inserts.randomElement(using: &random)!, at: at)
                default: bytes[at] = inserts.randomElement(using: &random)!.first!
                }
            }
            let foundation = try? JSONDecoder().decode(PushRequest.self, from: Data(bytes))
            let fast = try? FastJSON.decode(PushRequest.self, from: bytes)
            #expect(fast == foundation, "\(String(decoding: bytes, as: UTF8.self))")
            if let scanned = FastJSON.scanOnly(PushRequest.self, from: bytes) {
                #expect(scanned == foundation, "the scanner read what JSONDecoder reads otherwise: \(String(decoding: bytes, as: UTF8.self))")
            }
            if foundation == nil { refused += 1 } else { accepted += 1 }
        }
        #expect(accepted > 100 && refused > 1_000, "the damage must produce both kinds: \(accepted) accepted, \(refused) refused")
    }

    @Test("what the scanner leaves to JSONDecoder still decodes", arguments: [
        #"{"node":"n","firstSeq":1,"lastSeq":1,"checksum":"c","changes":[],"extra":1.5e3}"#,
        #"{"node":"n","firstSeq":1.0,"lastSeq":1,"checksum":"c","changes":[]}"#,
        #"{"n\u006fde":"n","firstSeq":1,"lastSeq":1,"checksum":"c","changes":[]}"#,
    ])
    func outsideTheSubset(_ text: String) throws {
        #expect(FastJSON.scanOnly(PushRequest.self, from: Array(text.utf8)) == nil)
        #expect(try FastJSON.decode(PushRequest.self, from: text) == JSONDecoder().decode(PushRequest.self, from: Data(text.utf8)))
    }

    @Test("the checksum is the one earlier releases computed")
    func checksumIsUnchanged() {
        var random = Random(state: 5)
        for _ in 0..<300 {
            let changes = Self.request(&random).changes
            #expect(Checksum.of(changes) == Self.referenceChecksum(changes))
            for change in changes { #expect(Checksum.of(change) == Self.referenceChecksum([change])) }
            let sums = Checksum.ofEach(changes)
            #expect(sums.batch == Self.referenceChecksum(changes) && sums.each == changes.map { Self.referenceChecksum([$0]) })
        }
    }

    /// Who made a change (0.16) is an addition the releases before can live with: it is outside
    /// the checksum and the seal, so a 0.15 city computes the same checksum of a 0.16 county's
    /// batch, and a change with a key the reader does not know is read with that key skipped (what
    /// a 0.15 city's scanner does with `actor`).
    @Test("a change's actor changes neither its checksum nor its seal, and unknown keys are skipped")
    func theActorIsAnAdditionOlderReleasesIgnore() throws {
        var random = Random(state: 11)
        let plain = Self.request(&random).changes
        let named = plain.map { WireChange(seq: $0.seq, table: $0.table, rowId: $0.rowId, op: $0.op, hlc: $0.hlc, node: $0.node,
                                           values: $0.values, bases: $0.bases, actor: "shell:王丽") }
        #expect(Checksum.of(named) == Checksum.of(plain))
        let seal = FeedSeal(key: [UInt8](repeating: 7, count: 32))
        #expect(seal.seal(named[0], county: "130202") == seal.seal(plain[0], county: "130202"))
        let text = JSONText.pushRequest(PushRequest(node: plain[0].node, changes: named))
        #expect(text.contains(#""actor":"shell:王丽""#))
        let read = try FastJSON.decode(PushRequest.self, from: text)
        #expect(read.changes == named && read.checksum == Checksum.of(plain))
        let future = text.replacingOccurrences(of: #""actor":"shell:王丽""#, with: #""actor":"shell:王丽","signedBy":{"k":[1,2,{"x":null}]}"#)
        #expect(try FastJSON.decode(PushRequest.self, from: future).changes == named)
    }

    @Test("values and versions are written as before: sorted keys, the same escapes")
    func valueTextIsUnchanged() {
        var random = Random(state: 17)
        for _ in 0..<300 {
            let change = Self.change(&random, seq: 1)
            #expect(JSONText.values(change.values) == Self.referenceValues(change.values))
            #expect(FastJSON.scanOnly(ValueMap.self, from: Array(JSONText.values(change.values).utf8))?.values == change.values)
            #expect(FastJSON.scanOnly(VersionMap.self, from: Array(JSONText.versions(change.bases).utf8))?.versions == change.bases)
        }
    }

    @Test("row versions are stored as before")
    func rowVersionTextIsUnchanged() {
        var random = Random(state: 23)
        for _ in 0..<300 {
            let bases = Self.change(&random, seq: 1).bases
            let versions = RowVersions(row: bases.values.first, columns: Bool.random(using: &random) ? [:] : bases)
            #expect(versions.storageText == JSONText.versions(versions.storage))
        }
    }

    // MARK: - The implementations of the previous release, as references

    static func referenceChecksum(_ changes: [WireChange]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            hash ^= 0x1F
            hash = hash &* 0x0000_0100_0000_01B3
        }
        for change in changes {
            mix(String(change.seq)); mix(change.table); mix(change.rowId); mix(change.op)
            mix(String(change.hlc)); mix(change.node)
            for key in change.values.keys.sorted() { mix(key); mix(change.values[key]!.description) }
            for key in change.bases.keys.sorted() { mix(key); mix(change.bases[key]!.description) }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func referenceString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func referenceValues(_ values: [String: ColumnValue]) -> String {
        "{" + values.keys.sorted().map { key in
            let value: String = switch values[key]! {
            case .null: "null"
            case .integer(let integer): String(integer)
            case .text(let text): referenceString(text)
            }
            return referenceString(key) + ":" + value
        }.joined(separator: ",") + "}"
    }
}
