import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// Change capture, in two steps.
///
/// 1. **Capture** (SQLite triggers, inside every writing transaction, whoever writes): the
///    sequence number, table, row id, operation, the mask of changed columns and the wall clock.
///    That is all a write alone knows, and it costs one small insert.
/// 2. **Stamp** (`stamp()`, before anything is sent and before any remote write is applied, in
///    one transaction): in sequence order, each unstamped entry gets its hybrid-clock reading
///    (replayed from the recorded wall clock, so it is the reading the write would have had) and
///    the base version of each changed column, and the row's column versions advance to it.
///
/// Because every remote apply stamps first, nothing but local writes can come between a write
/// and its stamp, so the bases are exactly those a trigger would have recorded, at a fraction of
/// the cost (see `sync-bench capture`). The new values are the row's at the stamp, frozen: a
/// change sent again after a lost answer is byte for byte the change the city may already have
/// applied, whatever was written since (a later write is a later entry). A bulk stamp of new rows
/// leaves them in the row, and the capture trigger of the row's next write or delete copies them
/// into the entry first (`stampNewRows`). When a column was written twice before one stamp, both
/// entries carry the value of the second (intermediate values are the node's own overwrites,
/// never another replica's data).
extension CountyDatabase {
    /// Stamps unstamped entries (the first `limit` of them, in seq order, if given), freezing
    /// their values; returns how many were stamped.
    @discardableResult
    public func stamp(wallMs: Int64 = CountyDatabase.wallClockMs(), limit: Int? = nil) throws -> Int {
        try write("stamp change log") { db in try Self.stamp(db, wallMs: wallMs, limit: limit) }
    }

    /// The local changes the city has not acknowledged, oldest first (stamping them first).
    public func outbox(limit: Int? = nil) throws -> [ChangeEntry] {
        try stamp()
        return try read("read outbox") { db in
            let pushed = try Int64.fetchOne(db, sql: "SELECT pushed_seq FROM replica WHERE id = 1") ?? 0
            return try Self.entries(db, after: pushed, limit: limit)
        }
    }

    /// How many changes wait to be acknowledged.
    public func pendingCount() throws -> Int {
        try read("count outbox") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM change_log WHERE seq > (SELECT pushed_seq FROM replica WHERE id = 1)") ?? 0
        }
    }

    /// Runs `body` as sync: pending local writes are stamped first, then capture is off for the
    /// transaction, so what `body` writes is not captured as a local change. `body` sets the
    /// versions of what it writes with `setVersions(_:table:rowId:_:)`.
    public func applyingSync<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try write("apply sync") { db in
            _ = try Self.stamp(db, wallMs: Self.wallClockMs())
            try db.execute(sql: "UPDATE replica SET capture = 0 WHERE id = 1")
            let result = try body(db)
            try db.execute(sql: "UPDATE replica SET capture = 1 WHERE id = 1")
            return result
        }
    }

    /// Records the versions of columns written by sync, and moves this replica's clock past them
    /// (the receive step of the hybrid clock), so later local writes order after what was seen.
    public static func setVersions(_ db: Database, table: String, rowId: String, _ versions: [String: ColumnVersion]) throws {
        if let newest = versions.values.map(\.hlc).max() {
            try db.cachedStatement(sql: "UPDATE replica SET hlc = max(hlc, ?) WHERE id = 1").execute(arguments: [newest.rawValue])
        }
        var current = try Self.versions(db, table: table, rowId: rowId) ?? RowVersions()
        current.columns.merge(versions) { _, new in new }
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO row_version (tbl, row_id, versions) VALUES (?, ?, ?)")
            .execute(arguments: [table, rowId, current.storageText])
    }

    /// The wall clock in milliseconds since 1970.
    public static func wallClockMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    // MARK: - Internals

    /// Stamped entries after `seq`. An entry committed after the last stamp (another process
    /// writes at any moment) has no clock reading yet and waits for the next round; stamping goes
    /// in seq order, so the stamped entries always run without a gap.
    static func entries(_ db: Database, after seq: Int64, limit: Int?) throws -> [ChangeEntry] {
        let county = try String.fetchOne(db, sql: "SELECT county FROM replica WHERE id = 1") ?? ""
        // Read through a cursor: each row is taken from SQLite as it is stepped, not copied first.
        let rows = try Row.fetchCursor(db.cachedStatement(sql: entriesSQL), arguments: [seq, limit ?? -1])
        var entries: [ChangeEntry] = []
        entries.reserveCapacity(min(limit ?? 0, 10_000))
        while let row = try rows.next() {
            let table = SyncedTable.named(row[1])!
            let mask: Int64 = row[4]
            entries.append(ChangeEntry(
                seq: row[0], county: county, table: table.name, rowId: row[2], op: ChangeOperation(rawValue: row[3])!,
                columns: table.columns(in: mask), hlc: HLCTimestamp(rawValue: row[5]),
                values: try table.entryValues(frozen: row[7], row: row, liveAt: 9, mask: mask),
                bases: try decodeVersions(row[6]), actor: row[8]))
        }
        return entries
    }

    /// Stamped entries, with the columns of the rows whose values are still in them.
    private static let entriesSQL = #"""
        SELECT c.seq, c.tbl, c.row_id, c.op, c.columns, c.hlc, c.bases, c."values", c.actor, \#(SyncedTable.liveColumnsSQL)
        FROM change_log AS c \#(SyncedTable.liveJoinSQL)
        WHERE c.seq > ? AND c.hlc IS NOT NULL ORDER BY c.seq LIMIT ?
        """#

    static func versions(_ db: Database, table: String, rowId: String) throws -> RowVersions? {
        guard let json = try String.fetchOne(
            db.cachedStatement(sql: "SELECT versions FROM row_version WHERE tbl = ? AND row_id = ?"),
            arguments: [table, rowId]) else { return nil }
        return RowVersions(storage: try decodeVersions(json))
    }

    /// Stamps the unstamped entries of `db`'s change log, freezing their new values (see
    /// `stampNewRows` for a run of new rows): the city's feed carries each city edit as made, and a
    /// county's change is sent the same every time.
    /// (`inBulk` false: never the bulk way, for tests that compare the two.)
    static func stamp(_ db: Database, wallMs: Int64, limit: Int? = nil, inBulk: Bool = true) throws -> Int {
        // The replica's node now: versions of local writes carry it.
        let replica = try Row.fetchOne(db, sql: "SELECT node, hlc, clock_offset_ms, role, county FROM replica WHERE id = 1")
        let isCity = replica?["role"] == "city"
        let node: String = replica?["node"] ?? ""
        var clock = HybridLogicalClock(last: HLCTimestamp(rawValue: replica?["hlc"] ?? 0))
        // Readings follow the city's time: a write's recorded wall clock, never later than the
        // stamper's own (a clock that was ahead when the write was made and has since been
        // corrected), plus the offset last measured against the city.
        let offset: Int64 = replica?["clock_offset_ms"] ?? 0
        func corrected(_ recorded: Int64) -> Int64 { min(recorded, wallMs) + offset }
        if inBulk, let stamped = try stampNewRows(db, node: node, clock: &clock, corrected: corrected, limit: limit) {
            _ = clock.receive(.zero, wallMs: corrected(wallMs))
            try db.execute(sql: "UPDATE replica SET hlc = ? WHERE id = 1", arguments: [clock.last.rawValue])
            return stamped
        }
        // Read by position: by-name access costs more than the rest of a stamp.
        let pending = try Row.fetchAll(db, sql: """
            SELECT seq, tbl, row_id, op, columns, wall_ms\(isCity ? ", county" : "") FROM change_log WHERE hlc IS NULL ORDER BY seq LIMIT ?
            """, arguments: [limit ?? -1])
        guard !pending.isEmpty else { return 0 }
        // Whose a deleted row was: a county replica's own county; at the city, the feed entry's.
        let tombstoneCounty: String? = isCity ? nil : replica?["county"]
        // An insert clears its row's tombstone; with none kept, there is nothing to clear.
        var anyTombstone = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM tombstone)") ?? true
        // Versions of the rows touched, read once and written once per row; nil once deleted.
        var touched: [RowKey: RowVersions?] = [:]
        touched.reserveCapacity(pending.count)
        let update = try db.cachedStatement(sql: #"UPDATE change_log SET hlc = ?, bases = ?, "values" = ? WHERE seq = ?"#)
        for entry in pending {
            let seq: Int64 = entry[0]
            guard let table = SyncedTable.named(entry[1]), let op = ChangeOperation(rawValue: entry[3]) else {
                throw StoreError.notAllowed("change \(seq) of the change log names an unknown table or operation")
            }
            let key = RowKey(table: table.name, rowId: entry[2])
            let hlc = clock.tick(wallMs: corrected(entry[5]))
            let version = ColumnVersion(hlc: hlc, node: node)
            let mask: Int64 = op == .delete ? table.allColumnsMask : entry[4]
            // The base of each changed column: none for a new row (a delete, local or synced,
            // removes a row's versions), else the row's versions as the earlier writes left them.
            var bases = "{}"
            if op == .insert {
                if anyTombstone { try Tombstones.clear(db, table: key.table, rowId: key.rowId) }
                if case .some(.some(let earlier)) = touched[key] {
                    bases = JSONText.versions(earlier.expanded(table.columns))
                }
                touched[key] = RowVersions(row: version)
            } else {
                var versions: RowVersions
                if let cached = touched[key] {
                    versions = cached ?? RowVersions()
                } else {
                    versions = try Self.versions(db, table: key.table, rowId: key.rowId) ?? RowVersions()
                }
                let columns = table.columns(in: mask)
                var columnBases: [String: ColumnVersion] = [:]
                for column in columns { columnBases[column] = versions[column] }
                bases = JSONText.versions(columnBases)
                if op == .delete {
                    touched[key] = .some(nil)
                    let owner: String? = tombstoneCounty ?? (isCity ? entry[6] : nil)
                    if let owner {
                        try Tombstones.record(db, table: key.table, rowId: key.rowId, county: owner, version: version, atMs: wallMs)
                        anyTombstone = true
                    }
                } else {
                    versions.set(version, columns: columns, of: table.columns)
                    touched[key] = versions
                }
            }
            let values = op == .delete ? "{}" : try table.frozenValues(db, rowId: key.rowId, mask: mask) ?? "{}"
            try update.execute(arguments: [hlc.rawValue, bases, values, seq])
        }
        let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO row_version (tbl, row_id, versions) VALUES (?, ?, ?)")
        let remove = try db.cachedStatement(sql: "DELETE FROM row_version WHERE tbl = ? AND row_id = ?")
        for (key, versions) in touched {
            if let versions {
                try upsert.execute(arguments: [key.table, key.rowId, versions.storageText])
            } else {
                try remove.execute(arguments: [key.table, key.rowId])
            }
        }
        _ = clock.receive(.zero, wallMs: corrected(wallMs))
        try db.execute(sql: "UPDATE replica SET hlc = ? WHERE id = 1", arguments: [clock.last.rawValue])
        return pending.count
    }
}

extension CountyDatabase {
    /// The common bulk case of `stamp`, in SQL: when every pending entry (the first `limit`) is
    /// an insert of a whole row, each row named once, the general way gives each entry its
    /// clock reading, no bases and the row's values, gives each row one version for all its
    /// columns, and clears the row's tombstone. Here the readings are ticked in seq order as
    /// there, and the rest is three statements for all entries, instead of four per entry. The
    /// values are not copied: the entry reads them from its row (`'null'`) until the row is next
    /// written or deleted, when the capture trigger freezes them as they were (the same values
    /// the general way froze, since nothing wrote the row in between).
    /// Returns nil, having changed nothing, when the entries are not all such inserts, or when a
    /// value is one the general way freezes differently (a blob or a real number, which only a
    /// write past the constraints makes), and the general way stamps.
    static func stampNewRows(_ db: Database, node: String, clock: inout HybridLogicalClock, corrected: (Int64) -> Int64, limit: Int?) throws -> Int? {
        let wholeRow = SyncedTable.all.map { "WHEN '\($0.name)' THEN \($0.allColumnsMask)" }.joined(separator: " ")
        let tableFlags = SyncedTable.all.map { "max(tbl = '\($0.name)')" }.joined(separator: ", ")
        guard let shape = try Row.fetchOne(db, sql: """
            SELECT count(*), count(DISTINCT tbl || ' ' || row_id), total(op = 'insert' AND columns = CASE tbl \(wholeRow) END), \(tableFlags)
            FROM (SELECT tbl, row_id, op, columns FROM change_log WHERE hlc IS NULL ORDER BY seq LIMIT ?)
            """, arguments: [limit ?? -1]) else { return nil }
        let count: Int = shape[0]
        guard count > 1, shape[1] == count, shape[2] == Double(count) else { return nil }
        // The tables the entries name: each other table's update would find nothing to stamp.
        let named = SyncedTable.all.enumerated().filter { shape[3 + $0.offset] == true }.map(\.element)
        var readings = JSONWriter(capacity: 40 * count)
        readings.raw("[")
        let cursor = try Row.fetchCursor(db, sql: "SELECT seq, wall_ms FROM change_log WHERE hlc IS NULL ORDER BY seq LIMIT ?", arguments: [limit ?? -1])
        var first = true
        var ticked = clock
        while let entry = try cursor.next() {
            if !first { readings.raw(",") }
            first = false
            readings.raw("[")
            readings.integer(entry[0])
            readings.raw(",")
            readings.integer(ticked.tick(wallMs: corrected(entry[1])).rawValue)
            readings.raw("]")
        }
        readings.raw("]")
        // A row's versions as `RowVersions(row:).storageText` writes them, the reading spliced in.
        var quotedNode = JSONWriter(capacity: 64)
        quotedNode.string(node)
        let versionsSuffix = ",\"node\":" + quotedNode.text + "}}"
        do {
            try db.inSavepoint {
                for table in named {
                    // The values stay in the row ('null': read from it) until the row is next
                    // written, when the capture trigger freezes them. A real number or a blob
                    // (written past the constraints) is frozen by the general way, which renders
                    // it as text: the marker that is no JSON makes SQLite refuse the update.
                    let unusual = table.columns.map { "typeof(\($0)) = 'real' OR typeof(\($0)) = 'blob'" }.joined(separator: " OR ")
                    try db.execute(sql: """
                        UPDATE change_log SET hlc = reading.value ->> 1, bases = '{}',
                          "values" = coalesce((SELECT CASE WHEN \(unusual) THEN 'unusual' ELSE 'null' END
                                               FROM \(table.name) WHERE id = change_log.row_id), '{}')
                        FROM json_each(?) AS reading
                        WHERE change_log.seq = reading.value ->> 0 AND change_log.tbl = '\(table.name)'
                        """, arguments: [readings.text])
                }
                try db.execute(sql: """
                    INSERT OR REPLACE INTO row_version (tbl, row_id, versions)
                    SELECT tbl, row_id, '{"*":{"hlc":' || hlc || ? FROM change_log WHERE seq IN (SELECT value ->> 0 FROM json_each(?))
                    """, arguments: [versionsSuffix, readings.text])
                // An insert clears its row's tombstone; with none kept, there is nothing to clear.
                if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM tombstone)") == true {
                    try db.execute(sql: """
                        DELETE FROM tombstone WHERE (tbl, row_id) IN (SELECT tbl, row_id FROM change_log WHERE seq IN (SELECT value ->> 0 FROM json_each(?)))
                        """, arguments: [readings.text])
                }
                return .commit
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            return nil
        }
        clock = ticked
        return count
    }
}

/// A row of a replicated table.
struct RowKey: Hashable {
    let table: String
    let rowId: String
}

extension ColumnValue {
    /// The value of a SQLite column.
    public init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let integer): self = .integer(integer)
        case .string(let text): self = .text(text)
        case .double(let double): self = .text(String(double))
        case .blob(let data): self = .text(data.base64EncodedString())
        }
    }
}

func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(text.utf8))
}

/// A change's values as the change log and the feed keep them (`JSONText.values`).
func decodeValues(_ text: String) throws -> [String: ColumnValue] {
    try FastJSON.decode(ValueMap.self, from: text).values
}

/// Column versions as the change log and `row_version` keep them (`JSONText.versions`).
func decodeVersions(_ text: String) throws -> [String: ColumnVersion] {
    try FastJSON.decode(VersionMap.self, from: text).versions
}

extension CountyDatabase {
    /// Stamps again every change the city has not acknowledged, with the clock corrected by the
    /// offset measured now: the repair when the city refused a batch as `clock_ahead` (changes
    /// stamped while this machine's clock was far ahead and before its offset was known).
    ///
    /// In one transaction: each touched column's version goes back to the base of its first
    /// unacknowledged change (unless sync has written it since), the entries lose their stamps,
    /// the replica's clock comes back to the corrected wall clock, and `stamp` runs again in seq
    /// order, so bases and versions are exactly what stamping under the right clock gives.
    /// Changes at or below `cityMark`, the city's high-water mark for this node, keep their stamps:
    /// the city applied them (its answer may have been lost), and a resent change must be the
    /// very change it applied. Returns how many changes were stamped again.
    @discardableResult
    public func restampUnacknowledged(after cityMark: Int64 = 0, wallMs: Int64 = CountyDatabase.wallClockMs()) throws -> Int {
        try write("stamp again") { db in
            let replica = try Row.fetchOne(db, sql: "SELECT node, pushed_seq FROM replica WHERE id = 1")!
            guard try Self.unstamp(db, after: max(replica["pushed_seq"] as Int64, cityMark), node: replica["node"], wallMs: wallMs) > 0 else { return 0 }
            return try Self.stamp(db, wallMs: wallMs)
        }
    }

    /// Takes the stamps off every entry after `after` that `node` stamped: each touched column's
    /// version goes back to the base of its first such entry (unless sync wrote it since), and the
    /// replica's clock back to the corrected wall clock. Returns how many entries lost a stamp.
    static func unstamp(_ db: Database, after: Int64, node: String, wallMs: Int64) throws -> Int {
        let rows = try Row.fetchAll(db, sql: """
            SELECT seq, tbl, row_id, hlc, bases FROM change_log WHERE seq > ? AND hlc IS NOT NULL ORDER BY seq
            """, arguments: [after])
        guard !rows.isEmpty else { return 0 }
        // Versions these entries gave, and each column's version before the first of them.
        var ours: Set<ColumnVersion> = []
        var before: [RowKey: [String: ColumnVersion?]] = [:]
        for row in rows {
            let key = RowKey(table: row["tbl"], rowId: row["row_id"])
            ours.insert(ColumnVersion(hlc: HLCTimestamp(rawValue: row["hlc"]), node: node))
            let bases = try decodeJSON([String: ColumnVersion?].self, row["bases"])
            for (column, base) in bases where before[key]?[column] == nil {
                before[key, default: [:]][column] = .some(base)
            }
        }
        for (key, columns) in before {
            let current = try Self.versions(db, table: key.table, rowId: key.rowId)
            var expanded = current?.expanded(SyncedTable.named(key.table)?.columns ?? []) ?? [:]
            for (column, base) in columns where current == nil || expanded[column].map(ours.contains) == true {
                expanded[column] = base
            }
            let restored = RowVersions(columns: expanded)
            try db.execute(sql: "INSERT OR REPLACE INTO row_version (tbl, row_id, versions) VALUES (?, ?, ?)",
                           arguments: [key.table, key.rowId, restored.storageText])
        }
        try db.execute(sql: #"UPDATE change_log SET hlc = NULL, bases = NULL, "values" = NULL WHERE seq > ? AND hlc IS NOT NULL"#,
                       arguments: [after])
        let offset = try Int64.fetchOne(db, sql: "SELECT clock_offset_ms FROM replica WHERE id = 1") ?? 0
        let now = HLCTimestamp(physicalMs: wallMs + offset, logical: 0)
        try db.execute(sql: "UPDATE replica SET hlc = min(hlc, ?) WHERE id = 1", arguments: [now.rawValue])
        return rows.count
    }
}
