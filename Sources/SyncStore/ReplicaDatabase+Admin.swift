import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// Which value a person keeps when resolving a conflict.
public enum KeepSide: String, Sendable, CaseIterable {
    /// The value this replica wrote.
    case local
    /// The value the other side wrote.
    case remote
}

/// A digest of one bucket of a county's rows of one table.
public struct BucketDigest: Sendable, Hashable, Codable {
    /// The bucket: the last hex digit of the row ids in it.
    public let bucket: String
    /// Rows in the bucket.
    public let count: Int
    /// FNV-1a 64 over the bucket's rows in id order, 16 hex digits.
    public let hash: String
}

/// The digests of a county's rows of one table.
public struct TableDigest: Sendable, Hashable, Codable {
    /// The table.
    public let table: String
    /// Its 16 buckets.
    public let buckets: [BucketDigest]
}

/// One event in a record's history, for `syncctl explain`.
public struct HistoryEvent: Sendable, Hashable, Codable {
    /// When (ms since 1970; the hybrid clock's wall part for writes).
    public let atMs: Int64
    /// `local_edit`, `city_edit`, `county_edit`, `decision`, `conflict`, `parked`, `compacted`.
    public let kind: String
    /// A sentence for a person.
    public let detail: String
    /// Who made the change or decision (`ChangeActor`), where it was kept: nil for writes made
    /// before release 0.16, by the sync itself, or straight into the database file.
    public var actor: String? = nil
}

extension ReplicaDatabase {
    var role: NodeRole { replica.role == "city" ? .city : .county }

    /// ", by ACTOR" for a history line, or nothing when the change did not say who.
    static func by(_ actor: String?) -> String { actor.map { ", by \($0)" } ?? "" }

    /// Resolves a conflict by keeping one side's value. If that is not the value the row holds, it
    /// is written as a new local change, which syncs like any other edit.
    @discardableResult
    /// At the city, `actor` is kept with the decision (`CityDatabase.decisions`).
    public func resolveConflict(id: Int64, keep: KeepSide, authority: AuthorityTable = .standard,
                                by actor: String = CityDatabase.shellActor) throws -> ConflictRecord {
        if let city = self as? CityDatabase { try city.requireRole(actor, .decide, "resolve a conflict") }
        let role = self.role
        return try write("resolve conflict") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM conflict WHERE id = ?", arguments: [id]) else {
                throw StoreError.invalidInput(.notFound(kind: "conflict", id: String(id)))
            }
            let conflict = try ConflictRecord(row: row)
            guard row["resolved_at"] as Int64? == nil else { throw StoreError.notAllowed("conflict \(id) is already resolved") }
            guard let table = SyncedTable.named(conflict.table) else { throw StoreError.notAllowed("unknown table \(conflict.table)") }
            let winnerIsLocal = conflict.winnerVersion.map { NodeRole(node: $0.node) == role } ?? false
            let value = (keep == .local) == winnerIsLocal ? conflict.winnerValue : conflict.loserValue
            guard let current = try Row.fetchOne(db, sql: table.selectByIdSQL, arguments: [conflict.rowId]) else {
                throw StoreError.notAllowed("\(conflict.table) \(conflict.rowId) no longer exists here")
            }
            let currentValue = ColumnValue(current[table.position(of: conflict.column) + 1] as DatabaseValue)
            if currentValue != value {
                let owner = authority.authority(table.name, conflict.column)
                if owner != .shared && owner.rawValue != role.rawValue {
                    throw StoreError.notAllowed("\(table.name).\(conflict.column) is set by the \(owner.rawValue); resolve this conflict there")
                }
                try db.execute(sql: "UPDATE \(table.name) SET \(conflict.column) = ? WHERE id = ?",
                               arguments: [value.databaseValue, conflict.rowId])
            } else if role == .city {
                // The city's decision goes to the county as a write of the kept value, even when
                // the row holds it already: the county closes its copy of the conflict when a
                // city write newer than both sides reaches it, and cannot reopen it.
                try db.execute(sql: "INSERT INTO change_log (county, tbl, row_id, op, columns, wall_ms) VALUES (?, ?, ?, 'update', ?, ?)",
                               arguments: [conflict.county, table.name, conflict.rowId, try table.mask(for: [conflict.column]), CountyDatabase.wallClockMs()])
            }
            try db.execute(sql: "UPDATE conflict SET resolved_at = ?, resolved_by = ? WHERE id = ?",
                           arguments: [CountyDatabase.wallClockMs(), role == .city ? actor : "local", id])
            if role == .city {
                try CityDatabase.logDecision(db, actor: actor, action: "resolve_conflict", table: conflict.table, rowId: conflict.rowId,
                                             county: conflict.county, detail: "resolved conflict \(id) on \(conflict.column), keeping the \(keep == .local ? "city's" : "county's") value \(value)")
            }
            return conflict
        }
    }

    /// The ids in `tables` that start with `prefix` (lower-case hex and dashes), at most `limit`:
    /// what lets a person give an id by its first characters.
    public func ids(startingWith prefix: String, in tables: [SyncedTable], limit: Int = 5) throws -> [String] {
        try read("find ids by prefix") { db in
            var found: [String] = []
            for table in tables {
                // '~' sorts after every character an id holds: the range is the prefix's, on the index.
                found += try String.fetchAll(db, sql: "SELECT id FROM \(table.name) WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                                             arguments: [prefix, prefix + "~", limit])
            }
            return Array(found.prefix(limit))
        }
    }

    /// Marks a parked change discarded: it stays in the table for the record, out of the open list.
    /// At the city, `actor` is kept with the decision.
    public func discardParked(id: Int64, by actor: String = CityDatabase.shellActor) throws {
        if let city = self as? CityDatabase { try city.requireRole(actor, .decide, "discard a parked change") }
        let role = self.role
        try write("discard parked change") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM parked WHERE id = ? AND resolution IS NULL", arguments: [id]) else {
                throw StoreError.invalidInput(.notFound(kind: "open parked change", id: String(id)))
            }
            try db.execute(sql: "UPDATE parked SET resolution = 'discarded', resolved_at = ? WHERE id = ?",
                           arguments: [CountyDatabase.wallClockMs(), id])
            if role == .city {
                try CityDatabase.logDecision(db, actor: actor, action: "discard_parked", table: row["tbl"], rowId: row["row_id"], county: row["county"],
                                             detail: "discarded parked change \(id) (\(row["op"] as String) from \(row["node"] as String), seq \(row["seq"] as Int64))")
            }
        }
    }

    /// Digests of `county`'s rows, per table, in 16 buckets by the last hex digit of the id.
    public func digests(county: String) throws -> [TableDigest] {
        try read("compute digests") { db in
            try SyncedTable.all.map { table in
                var buckets: [String: (count: Int, hash: Fnv64)] = [:]
                for (id, rowHash) in try Self.rowHashes(db, table: table, county: county, bucket: nil) {
                    let bucket = String(id.suffix(1))
                    var entry = buckets[bucket] ?? (0, Fnv64())
                    entry.count += 1
                    entry.hash.mix(id)
                    entry.hash.mix(rowHash)
                    buckets[bucket] = entry
                }
                let all = "0123456789abcdef".map(String.init)
                return TableDigest(table: table.name, buckets: all.map { bucket in
                    BucketDigest(bucket: bucket, count: buckets[bucket]?.count ?? 0, hash: (buckets[bucket]?.hash ?? Fnv64()).hex)
                })
            }
        }
    }

    /// Each row's hash in one bucket of a table, to locate the rows that differ.
    public func rowHashes(county: String, table: String, bucket: String) throws -> [String: String] {
        guard let synced = SyncedTable.named(table) else { throw StoreError.invalidInput(.invalid(field: "table", value: table, rule: "not a replicated table")) }
        return try read("hash rows") { db in
            Dictionary(uniqueKeysWithValues: try Self.rowHashes(db, table: synced, county: county, bucket: bucket))
        }
    }

    static func rowHashes(_ db: Database, table: SyncedTable, county: String, bucket: String?) throws -> [(String, String)] {
        let filter = bucket.map { _ in " AND substr(id, 36, 1) = ?" } ?? ""
        let arguments: StatementArguments = bucket.map { [county, $0] } ?? [county]
        let rows = try Row.fetchAll(db, sql: "SELECT id, \(table.columns.joined(separator: ", ")) FROM \(table.name) WHERE county = ?\(filter) ORDER BY id",
                                    arguments: arguments)
        return rows.map { row in
            var hash = Fnv64()
            for index in 1...table.columns.count { hash.mix(ColumnValue(row[index] as DatabaseValue).description) }
            return (row[0] as String, hash.hex)
        }
    }

    /// The conflicts and parked changes of one record, as history events.
    func conflictAndParkedEvents(_ db: Database, rowId: String) throws -> [HistoryEvent] {
        var events: [HistoryEvent] = []
        for row in try Row.fetchAll(db, sql: "SELECT * FROM conflict WHERE row_id = ?", arguments: [rowId]) {
            let conflict = try ConflictRecord(row: row)
            let resolver = (row["resolved_by"] as String?).map { $0 == "city" ? " by the city" : $0 == "local" ? " here" : " by \($0)" } ?? ""
            let resolved = (row["resolved_at"] as Int64?) != nil ? ", resolved\(resolver)" : ""
            events.append(HistoryEvent(atMs: conflict.decidedAtMs, kind: "conflict", detail:
                "\(conflict.column): kept \(conflict.winnerValue) (\(conflict.winnerVersion?.node ?? "?")), lost \(conflict.loserValue) (\(conflict.loserVersion?.node ?? "?")) by \(conflict.rule)\(resolved)"))
        }
        for row in try Row.fetchAll(db, sql: "SELECT * FROM parked WHERE row_id = ?", arguments: [rowId]) {
            let parked = ParkedRecord(row: row)
            let resolution = (row["resolution"] as String?).map { ", \($0)" } ?? ""
            events.append(HistoryEvent(atMs: parked.parkedAtMs, kind: "parked", detail:
                "change \(parked.seq) from \(parked.node) refused by the city: \(parked.reason): \(parked.message)\(resolution)"))
        }
        return events
    }
}

/// FNV-1a 64, for digests both sides compute the same way.
struct Fnv64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func mix(_ text: String) {
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
        value ^= 0x1F
        value = value &* 0x0000_0100_0000_01B3
    }

    var hex: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
