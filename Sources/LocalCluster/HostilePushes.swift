import Foundation
import SyncCore
import SyncProtocol

/// A seeded generator of pushes a compromised county could send with its real certificate: a
/// well-formed change broken in one way at a time (a wrong type for a column, an oversize value or
/// batch, a far-future or negative clock, a foreign county as text or as number, a forged node,
/// duplicated seqs, unknown columns, tables and operations). The city must refuse every one whole
/// with a 4xx; the tests and the fault harness's `hostile` fault send them.
public struct HostilePushes: Sendable {
    /// One attack: what it tries, the batch's node and its changes (the checksum is made right).
    public struct Attack: Sendable {
        public let kind: String
        public let node: String
        public let changes: [WireChange]
    }

    private var random: SeededGenerator
    private let node: String
    private let nextSeq: Int64
    private let ownRows: [String]
    private let county: String

    /// A generator for the county of `node`, whose next unsent seq is `nextSeq` and which owns `ownRows` at the city.
    public init(seed: UInt64, node: String, nextSeq: Int64, ownRows: [String]) {
        self.random = SeededGenerator(seed: seed)
        self.node = node
        self.nextSeq = nextSeq
        self.ownRows = ownRows
        self.county = String(node.dropFirst("county-".count).prefix(6))
    }

    private mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }

    /// The next attack.
    public mutating func next() -> Attack {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let clock = HLCTimestamp(physicalMs: now, logical: 0).rawValue
        let row = ownRows.isEmpty ? RecordID.generate() : pick(ownRows)
        func update(_ values: [String: ColumnValue], hlc: Int64 = clock, seq: Int64? = nil, node: String? = nil,
                    bases: [String: ColumnVersion] = [:], table: String = "platform", op: String = "update", rowId: String? = nil) -> WireChange {
            WireChange(seq: seq ?? nextSeq, table: table, rowId: rowId ?? row, op: op, hlc: hlc, node: node ?? self.node, values: values, bases: bases)
        }
        let table = pick(["platform", "award"])
        let spec = pick(ReplicatedSchema.columns(of: table)!.filter { $0.name != "county" })
        let wrong: ColumnValue = switch spec.kind {
        case .integer: pick([.text("100000"), .text("1e9"), .integer(-1), .integer(Int64.max)])
        case .text: pick([.integer(7), .text("nul\u{0}byte")])
        case .oneOf, .date, .recordID, .countyCode: pick([.integer(1), .text("'; DROP TABLE platform; --"), .text("")])
        }
        let kind = pick([
            "wrong type", "oversize value", "far-future clock", "largest clock", "negative clock", "future base",
            "foreign county as text", "foreign county as number", "forged node", "node mismatch", "duplicated seq",
            "unknown column", "unknown table", "unknown op", "delete with values", "sequence gap", "bad node id", "oversize batch",
        ])
        let foreign = county == "130203" ? "130204" : "130203"
        let changes: [WireChange]
        var node = self.node
        switch kind {
        case "wrong type": changes = [update([spec.name: wrong], table: table, rowId: RecordID.generate())]
        case "oversize value": changes = [update(["remarks": .text(String(repeating: "长", count: 2_000 + Int(random.next() % 100_000)))])]
        case "far-future clock": changes = [update(["remarks": .text("future")], hlc: HLCTimestamp(physicalMs: now + 86_400_000 * Int64(1 + random.next() % 30_000), logical: 0).rawValue)]
        case "largest clock": changes = [update(["remarks": .text("max")], hlc: Int64.max)]
        case "negative clock": changes = [update(["remarks": .text("neg")], hlc: -Int64(1 + random.next() % 1_000_000))]
        case "future base":
            changes = [update(["remarks": .text("base")], bases: ["remarks": ColumnVersion(hlc: HLCTimestamp(physicalMs: now + 3_600_000 * 48, logical: 0), node: self.node)])]
        case "foreign county as text": changes = [update(["county": .text(foreign)])]
        case "foreign county as number": changes = [update(["county": .integer(Int64(foreign)!)])]
        case "forged node":
            node = "county-\(foreign)-forged\(random.next() % 1000)"
            changes = [update(["remarks": .text("forged")], node: node)]
        case "node mismatch": changes = [update(["remarks": .text("a")]), update(["remarks": .text("b")], seq: nextSeq + 1, node: "county-\(county)-other")]
        case "duplicated seq": changes = [update(["remarks": .text("a")]), update(["remarks": .text("b")])]
        case "unknown column": changes = [update([pick(["is_admin", "rowid", "id", "remarks = 'x' --"]): .integer(1)])]
        case "unknown table": changes = [update(["remarks": .text("x")], table: pick(["users", "sqlite_master", "node_state", ""]))]
        case "unknown op": changes = [update(["remarks": .text("x")], op: pick(["upsert", "truncate", "DROP", ""]))]
        case "delete with values": changes = [update(["remarks": .text("x")], op: "delete")]
        case "sequence gap": changes = [update(["remarks": .text("gap")], seq: nextSeq + 10 + Int64(random.next() % 1_000))]
        case "bad node id":
            node = "county-\(county)-" + pick(["UPPER", "with space", String(repeating: "x", count: 40), "ünïcode"])
            changes = [update(["remarks": .text("id")], node: node)]
        default:
            changes = (0..<Int64(2_001 + random.next() % 100)).map { update(["remarks": .text("flood \($0)")], seq: nextSeq + $0) }
        }
        return Attack(kind: kind, node: node, changes: changes)
    }
}
