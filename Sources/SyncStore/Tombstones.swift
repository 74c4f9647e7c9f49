import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// Deleted rows, kept on both sides as tombstones: the row, its county, and the version of the
/// delete. A delete therefore survives a restore from backup (the city's snapshot carries its
/// tombstones, and a replica deletes again what they name), and a write that arrives for a
/// deleted row is refused as `deleted`, naming the delete, instead of `missing_row`.
///
/// A row id is never reused (UUIDv7), so a tombstone only goes when the row itself comes back (a
/// delete the city refused and re-asserted) or when it is older than the retention period.
enum Tombstones {
    /// Records that `table` row `rowId` of `county` was deleted by the write `version`.
    static func record(_ db: Database, table: String, rowId: String, county: String, version: ColumnVersion, atMs: Int64) throws {
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO tombstone (tbl, row_id, county, hlc, node, deleted_at) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [table, rowId, county, version.hlc.rawValue, version.node, atMs])
    }

    /// The row exists again: its tombstone goes.
    static func clear(_ db: Database, table: String, rowId: String) throws {
        try db.cachedStatement(sql: "DELETE FROM tombstone WHERE tbl = ? AND row_id = ?").execute(arguments: [table, rowId])
    }

    /// The delete of a row, if it was deleted here.
    static func find(_ db: Database, table: String, rowId: String) throws -> SnapshotTombstone? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT hlc, node FROM tombstone WHERE tbl = ? AND row_id = ?"), arguments: [table, rowId])
            .map { SnapshotTombstone(rowId: rowId, version: ColumnVersion(hlc: HLCTimestamp(rawValue: $0["hlc"]), node: $0["node"])) }
    }
}

extension ReplicaDatabase {
    /// Removes tombstones of deletes made before `cutoffMs` (ms since 1970); returns how many.
    /// A replica that comes back from further in the past than that (a backup older than the
    /// retention) may hold rows deleted since; it is replaced (`syncctl init`), as the README says.
    @discardableResult
    public func purgeTombstones(deletedBefore cutoffMs: Int64) throws -> Int {
        try write("purge tombstones") { db in
            try db.execute(sql: "DELETE FROM tombstone WHERE deleted_at < ?", arguments: [cutoffMs])
            return db.changesCount
        }
    }

    /// The ids of the rows this replica keeps tombstones of.
    public func tombstonedRowIds() throws -> Set<String> {
        try read("read tombstones") { db in Set(try String.fetchAll(db, sql: "SELECT row_id FROM tombstone")) }
    }

    /// How many tombstones this replica keeps.
    public func tombstoneCount() throws -> Int {
        try read("count tombstones") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM tombstone") ?? 0 }
    }
}

extension CityDatabase {
    /// Forgets the digests of county changes applied before `cutoffMs` and at or below their
    /// node's mark: with them goes the check that a change sent again is the one applied, so it
    /// follows the tombstones' retention (a replica restored from further back is replaced).
    @discardableResult
    public func compactAppliedDigests(appliedBefore cutoffMs: Int64) throws -> Int {
        try write("compact applied digests") { db in
            try db.execute(sql: """
                DELETE FROM applied_seq WHERE applied_at < ?
                  AND seq <= ifnull((SELECT high_water FROM node_state WHERE node_state.node = applied_seq.node), 0)
                """, arguments: [cutoffMs])
            return db.changesCount
        }
    }
}

extension CountyDatabase {
    /// Removes changes the city acknowledged before `cutoffMs` and city changes applied before
    /// it; returns how many log entries went. Unacknowledged changes always stay. A city restored
    /// from a backup older than the cutoff cannot get those changes back from this log.
    @discardableResult
    public func compactLog(before cutoffMs: Int64, nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> Int {
        try write("compact log") { db in
            try db.execute(sql: "DELETE FROM change_log WHERE seq <= (SELECT pushed_seq FROM replica WHERE id = 1) AND wall_ms < ?", arguments: [cutoffMs])
            let removed = db.changesCount
            try db.execute(sql: "DELETE FROM received WHERE applied_at < ? AND to_return = 0", arguments: [cutoffMs])
            if removed + db.changesCount > 0 {
                try db.execute(sql: "UPDATE replica SET log_compacted_at = ?, log_compacted_before = max(ifnull(log_compacted_before, 0), ?) WHERE id = 1",
                               arguments: [nowMs, cutoffMs])
            }
            return removed
        }
    }
}
