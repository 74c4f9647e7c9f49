import Testing
@testable import SyncCore

/// A property test of the merge rules: a county and the city edit the same rows concurrently,
/// exchange their changes in random interleavings and batches with re-deliveries (skipped by the
/// receiver's high-water mark, as the protocol does), and must end identical, with every value
/// that was overwritten by a concurrent write kept as a conflict loser on both sides.
@Suite("Convergence under random concurrent edits")
struct ConvergenceTests {
    struct Key: Hashable { let row: Int; let column: String }

    struct Change {
        let seq: Int
        let row: Int
        let values: [String: ColumnValue]
        let version: ColumnVersion
        let bases: [String: ColumnVersion?]
    }

    struct Write {
        let key: Key
        let value: ColumnValue
        let version: ColumnVersion
        /// Versions of this cell the writer had seen: the writes this one causally overwrites.
        let past: Set<ColumnVersion>
    }

    final class Replica {
        let node: String
        var clock = HybridLogicalClock(last: .zero)
        var cells: [Key: (value: ColumnValue, version: ColumnVersion)] = [:]
        var seen: [Key: Set<ColumnVersion>] = [:]
        var log: [Change] = []
        var appliedFromPeer = 0
        var losers: Set<[String]> = []   // [row, column, loser version]

        init(node: String) { self.node = node }

        func edit(row: Int, _ values: [String: ColumnValue], wallMs: Int64, writes: inout [Write]) {
            let version = ColumnVersion(hlc: clock.tick(wallMs: wallMs), node: node)
            var bases: [String: ColumnVersion?] = [:]
            for (column, value) in values {
                let key = Key(row: row, column: column)
                bases[column] = cells[key]?.version
                writes.append(Write(key: key, value: value, version: version, past: seen[key] ?? []))
                cells[key] = (value, version)
                seen[key, default: []].insert(version)
            }
            log.append(Change(seq: log.count + 1, row: row, values: values, version: version, bases: bases))
        }

        func receive(_ change: Change, wallMs: Int64) {
            guard change.seq > appliedFromPeer else { return }   // re-delivery: below the high-water mark
            precondition(change.seq == appliedFromPeer + 1, "the protocol delivers a node's changes in order")
            appliedFromPeer = change.seq
            clock.receive(change.version.hlc, wallMs: wallMs)
            for (column, value) in change.values {
                let key = Key(row: change.row, column: column)
                let current = cells[key].map { CurrentColumn(value: $0.value, version: $0.version) }
                let decision = MergeRules.decide(
                    table: "platform", column: column,
                    incoming: IncomingColumn(value: value, version: change.version, base: change.bases[column] ?? nil),
                    current: current, authority: .standard)
                if decision.isConflict, let current = cells[key] {
                    let loser = decision.takeIncoming ? current.version : change.version
                    losers.insert(["\(change.row)", column, loser.description])
                }
                if decision.takeIncoming { cells[key] = (value, change.version) }
                seen[key, default: []].insert(change.version)
            }
        }
    }

    /// A small deterministic generator, so a failing seed can be replayed.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let columns = ["name", "remarks", "status", "level"]   // shared, shared, city-owned, county-owned

    @Test(arguments: 0..<300)
    func bothSidesConvergeAndKeepEveryOverwrittenValue(seed: Int) {
        var random = SplitMix64(state: UInt64(seed) &* 7919 &+ 17)
        let county = Replica(node: "county-130202-a")
        let city = Replica(node: "city-1")
        var writes: [Write] = []
        // Rows created at the county and already at the city.
        for row in 0..<3 {
            county.edit(row: row, Dictionary(uniqueKeysWithValues: Self.columns.map { ($0, .text("initial")) }), wallMs: 1_000, writes: &writes)
        }
        for change in county.log { city.receive(change, wallMs: 1_000) }
        var countyDelivered = county.log.count, cityDelivered = 0
        // The county's clock is skewed by up to two hours either way.
        let skew = Int64.random(in: -7_200_000...7_200_000, using: &random)
        var wall: Int64 = 10_000_000

        for step in 0..<Int.random(in: 10...60, using: &random) {
            wall += Int64.random(in: 0...5_000, using: &random)
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<3:
                let column = Self.columns.randomElement(using: &random)!
                county.edit(row: Int.random(in: 0..<3, using: &random), [column: .text("county-\(step)")], wallMs: wall + skew, writes: &writes)
            case 3..<6:
                let column = Self.columns.randomElement(using: &random)!
                city.edit(row: Int.random(in: 0..<3, using: &random), [column: .text("city-\(step)")], wallMs: wall, writes: &writes)
            case 6..<8:
                // Push a batch, re-sending a few changes the city already has.
                let resend = Int.random(in: 0...3, using: &random)
                let upTo = min(county.log.count, countyDelivered + Int.random(in: 1...4, using: &random))
                for change in county.log[max(0, countyDelivered - resend)..<upTo] { city.receive(change, wallMs: wall) }
                countyDelivered = max(countyDelivered, upTo)
            default:
                let resend = Int.random(in: 0...3, using: &random)
                let upTo = min(city.log.count, cityDelivered + Int.random(in: 1...4, using: &random))
                for change in city.log[max(0, cityDelivered - resend)..<upTo] { county.receive(change, wallMs: wall + skew) }
                cityDelivered = max(cityDelivered, upTo)
            }
        }
        // The link heals: everything is delivered, in a random order of the two directions.
        if Bool.random(using: &random) {
            for change in county.log { city.receive(change, wallMs: wall) }
            for change in city.log { county.receive(change, wallMs: wall + skew) }
        } else {
            for change in city.log { county.receive(change, wallMs: wall + skew) }
            for change in county.log { city.receive(change, wallMs: wall) }
        }

        for (key, cell) in county.cells {
            #expect(city.cells[key]?.value == cell.value && city.cells[key]?.version == cell.version,
                    "seed \(seed): row \(key.row) \(key.column) differs")
        }
        #expect(county.cells.count == city.cells.count)

        // Every write that is not the final value and that no later write saw was overwritten by a
        // concurrent one: its value must be kept as a loser, on both sides.
        let overwritten = Set(writes.flatMap(\.past))
        for write in writes where !overwritten.contains(write.version) && county.cells[write.key]?.version != write.version {
            let entry = ["\(write.key.row)", write.key.column, write.version.description]
            #expect(county.losers.contains(entry), "seed \(seed): county lost \(write.key) \(write.version)")
            #expect(city.losers.contains(entry), "seed \(seed): city lost \(write.key) \(write.version)")
        }
    }
}
