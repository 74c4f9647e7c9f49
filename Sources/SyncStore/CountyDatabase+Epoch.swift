import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// Repair after a restore from backup.
///
/// A replica restored from an older copy of itself has a change log behind what the city
/// acknowledged: its next writes reuse sequence numbers the city already holds for other
/// changes, and a receiver that trusted numbers alone would skip them as re-deliveries. The city
/// therefore keeps a digest of every change it applied per node and seq; a re-sent change that
/// differs is refused as `replica_diverged`. The county then begins a new **epoch**: it continues
/// under a new node id (the city treats it as a new node, so nothing it sends is mistaken for a
/// change the city has), and it merges a snapshot of its rows as the city holds them, which
/// brings back the changes the restore lost. Nothing is skipped and nothing the city holds is lost.
extension CountyDatabase {
    /// Continues under a new node id; returns it. The changes not acknowledged yet are stamped
    /// again under the new node: stamped under the old one after the restore, they could carry
    /// the very versions the old node gave other values before it (a stamp replays its recorded
    /// wall clock), and two replicas would hold one version for two values.
    @discardableResult
    public func beginNewEpoch(wallMs: Int64 = CountyDatabase.wallClockMs()) throws -> String {
        let node = "county-\(county)-\(Self.randomSuffix())"
        try write("begin new epoch") { db in
            let replica = try Row.fetchOne(db, sql: "SELECT node, pushed_seq FROM replica WHERE id = 1")!
            _ = try Self.unstamp(db, after: replica["pushed_seq"], node: replica["node"], wallMs: wallMs)
            try db.execute(sql: """
                UPDATE replica SET node = ?, epoch_started_at = ?, epoch_reason = ?, snapshot_merged = 0,
                  epoch_base_seq = pushed_seq, node_acked_seq = 0 WHERE id = 1
                """,
                           arguments: [node, CountyDatabase.wallClockMs(), "history diverged from the city's (restored from a backup?)"])
            _ = try Self.stamp(db, wallMs: wallMs)
        }
        return node
    }

    /// Whether a new epoch still waits for the whole of the city's copy of its rows.
    public func snapshotPending() throws -> Bool {
        try read("read epoch state") { db in try Bool.fetchOne(db, sql: "SELECT snapshot_merged = 0 FROM replica WHERE id = 1") ?? false }
    }

    /// Records that the city's copy of every row has been merged; with the end of the city's
    /// feed when its first page was read, pulling goes on from there (the snapshot holds every
    /// change up to it).
    public func snapshotMerged(feedSeq: Int64? = nil) throws {
        try write("finish epoch merge") { db in
            try db.execute(sql: "UPDATE replica SET snapshot_merged = 1, pulled_seq = max(pulled_seq, ?) WHERE id = 1", arguments: [feedSeq ?? 0])
        }
    }

    /// Asks for the city's whole copy again before the next pull (its feed was compacted below
    /// this replica's position).
    public func requireSnapshot() throws {
        try write("require snapshot") { db in try db.execute(sql: "UPDATE replica SET snapshot_merged = 0 WHERE id = 1") }
    }

    /// Merges rows as the city holds them, with the merge rules, column by column, and deletes
    /// again the rows the city's tombstones name (a delete a restore from backup undid).
    /// Every row is checked first, as a pulled change is: one that fails refuses the whole page.
    public func applySnapshot(_ rows: [SnapshotRow], tombstones: [SnapshotTombstone] = [], table: String = "platform",
                              limits: SyncLimits = SyncLimits(), nowMs: Int64 = CountyDatabase.wallClockMs()) throws {
        let applier = self.applier(nowMs: nowMs)
        let county = self.county
        let check = ChangeCheck(limits: limits)
        let cityNow = nowMs + (try clockOffset()?.offsetMs ?? 0)
        for row in rows {
            let newest = row.versions.values.map(\.hlc.rawValue).max() ?? 0
            let asChange = WireChange(seq: 1, table: row.table, rowId: row.rowId, op: "insert", hlc: newest, node: "city",
                                      values: row.values, bases: row.versions)
            if let refusal = check.refusal(of: asChange, county: county, nowMs: cityNow) {
                throw StoreError.badBatch(code: refusal.code.errorCode, message: "the city's snapshot, \(row.table) \(row.rowId): \(refusal.field): \(refusal.problem); nothing of the page was applied")
            }
        }
        guard SyncedTable.named(table) != nil, tombstones.allSatisfy({ RecordID.isValid($0.rowId) }) else {
            throw StoreError.badBatch(code: .malformedChange, message: "the city's snapshot names a table or a deleted row id that is not valid; nothing of the page was applied")
        }
        try applyingSync { db in
            for row in rows { try applier.applySnapshotRow(row, county: county, db: db) }
            // The city's own writes in these rows, with its seals, kept as its feed's changes
            // are: if the city loses them to a restore, they go back to it (`changesToReturn`).
            let keep = try db.cachedStatement(sql: """
                INSERT INTO received (node, seq, tbl, row_id, op, columns, hlc, outcome, reason, applied_at, "values", bases, seal)
                VALUES (?, 0, ?, ?, 'update', ?, ?, 'snapshot', NULL, ?, ?, '{}', ?)
                """)
            for row in rows {
                guard let seals = row.seals else { continue }
                for change in row.cityWrites() {
                    guard let seal = seals[String(change.hlc)] else { continue }
                    try keep.execute(arguments: [change.node, change.table, change.rowId, change.values.keys.sorted().joined(separator: ","),
                                                 change.hlc, nowMs, JSONText.values(change.values), seal])
                }
            }
            for tombstone in tombstones { try applier.applySnapshotTombstone(tombstone, table: table, county: county, db: db) }
        }
    }
}

extension ChangeApplier {
    /// A row the city deleted goes here too, unless this replica changed it and has not pushed
    /// the change yet (the city judges that change: it refuses it as `deleted`, naming the delete).
    func applySnapshotTombstone(_ tombstone: SnapshotTombstone, table name: String, county: String, db: Database) throws {
        guard let table = SyncedTable.named(name) else { return }
        let pending = try db.cachedStatement(sql: """
            SELECT 1 FROM change_log WHERE tbl = ? AND row_id = ? AND seq > (SELECT pushed_seq FROM replica WHERE id = 1)
            """)
        guard try Bool.fetchOne(pending, arguments: [table.name, tombstone.rowId]) == nil else { return }
        try Self.receiveClock(tombstone.version.hlc.rawValue, db: db)
        if table == .platform {
            for award in try String.fetchAll(db, sql: "SELECT id FROM award WHERE platform_id = ?", arguments: [tombstone.rowId]) {
                try deleteRow(.award, id: award, county: county, version: tombstone.version, db: db)
            }
        }
        try deleteRow(table, id: tombstone.rowId, county: county, version: tombstone.version, db: db)
    }

    /// A row the replica lacks is inserted with its exact column versions, unless it deleted the row
    /// and has not pushed the delete yet; a row it has is merged as one change per distinct
    /// version, with no base (every differing column is concurrent).
    func applySnapshotRow(_ row: SnapshotRow, county: String, db: Database) throws {
        guard let table = SyncedTable.named(row.table), RecordID.isValid(row.rowId) else { return }
        if let newest = row.versions.values.map(\.hlc.rawValue).max() { try Self.receiveClock(newest, db: db) }
        let exists = try Row.fetchOne(db.cachedStatement(sql: table.selectByIdSQL), arguments: [row.rowId]) != nil
        // A row this replica deleted and has not yet pushed stays deleted: its delete goes to the
        // city next, which applies it, or refuses it and puts the row back through its feed.
        let pendingDelete = try db.cachedStatement(sql: """
            SELECT 1 FROM change_log WHERE tbl = ? AND row_id = ? AND op = 'delete' AND seq > (SELECT pushed_seq FROM replica WHERE id = 1)
            """)
        if !exists, try Bool.fetchOne(pendingDelete, arguments: [table.name, row.rowId]) != nil { return }
        // Nor does a row deleted here after every version the city holds of it: the city lost the
        // delete (it was restored from a backup), which goes to it again from this log, or back
        // with the city's seal if it was the city's. A row the city holds with a newer version
        // (it refused the delete and put the row back) comes back here too.
        if !exists, let tombstone = try Tombstones.find(db, table: table.name, rowId: row.rowId),
           row.versions.values.allSatisfy({ $0 < tombstone.version }) { return }
        if !exists {
            try Tombstones.clear(db, table: table.name, rowId: row.rowId)
            try db.cachedStatement(sql: table == .platform ? Platform.insertSQL : Award.insertSQL)
                .execute(arguments: StatementArguments([row.rowId.databaseValue] + table.columns.map { (row.values[$0] ?? .null).databaseValue }))
            try Self.saveVersions(RowVersions(columns: row.versions), table: table.name, rowId: row.rowId, db: db)
            return
        }
        let groups = Dictionary(grouping: table.columns.filter { row.values[$0] != nil && row.versions[$0] != nil }) { row.versions[$0]! }
        let changes = groups.sorted { $0.key < $1.key }.map { version, columns in
            WireChange(seq: 0, table: table.name, rowId: row.rowId, op: ChangeOperation.update.rawValue, hlc: version.hlc.rawValue,
                       node: version.node, values: Dictionary(uniqueKeysWithValues: columns.map { ($0, row.values[$0]!) }), bases: [:])
        }
        _ = try applyAll(changes, county: county, db: db)
    }
}
