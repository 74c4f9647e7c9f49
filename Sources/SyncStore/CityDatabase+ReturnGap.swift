import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// What a restore of the city took that a county had been handed, and what the county gave back.
///
/// A county gives back the city's changes after a restore (`takeBack`). A compromised one could
/// give back some and keep others: the recognition of a platform without its later revocation.
/// So when the record of what the city handed out (`ServedRecord`) shows that the restore took
/// changes of a county, what that county gives back is kept here and taken back only when none
/// of them is missing any more, all together in the city's clock order. Until then the operator
/// sees which are missing (`syncctl status`, the console), and may settle without them
/// (`syncctl returns settle`).
public struct ReturnGap: Sendable, Hashable, Codable {
    /// A city change the restore took, handed to the county, not given back yet, whose effect the
    /// city does not hold in another way (a newer version of each column it wrote).
    public struct Missing: Sendable, Hashable, Codable {
        public let table: String
        public let rowId: String
        public let op: String
        /// The columns it wrote (none for a delete).
        public let columns: [String]
        public let hlc: Int64
        /// Its feed position when the county pulled it; 0 when it was handed out in a snapshot.
        public let seq: Int64
        public let servedAtMs: Int64

        /// "award A-… status, amount_fen (written 2026-12-07T…, feed position 57)".
        public var summary: String {
            let what = op == "delete" ? "deleted" : columns.joined(separator: ", ")
            let position = seq > 0 ? "feed position \(seq)" : "in a snapshot"
            return "\(table) \(rowId) \(what) (written \(CityDatabase.isoTime(HLCTimestamp(rawValue: hlc).physicalMs)), \(position))"
        }
    }

    public let county: String
    public let missing: [Missing]
    /// How many changes the county gave back, kept until none is missing.
    public let givenBack: Int

    /// The missing changes in one line: the first few, and how many more.
    public var missingSummary: String {
        let shown = missing.prefix(5).map(\.summary).joined(separator: "; ")
        return missing.count > 5 ? "\(shown); and \(missing.count - 5) more" : shown
    }
}

/// A change taken back, by what its seal covers: its clock reading, table and row. The city's
/// changes are taken back in this order, which is the order the city made them.
struct ReturnKey: Hashable, Comparable {
    let hlc: Int64
    let table: String
    let rowId: String

    init(_ change: WireChange) {
        (hlc, table, rowId) = (change.hlc, change.table, change.rowId)
    }

    static func < (a: ReturnKey, b: ReturnKey) -> Bool {
        (a.hlc, a.table, a.rowId) < (b.hlc, b.table, b.rowId)
    }
}

extension CityDatabase {
    /// The reason of a returned change kept until its county gave back the whole gap.
    static let returnWaiting = "return_waiting"

    /// Finds, from the record of what the city handed out, its changes a restore took: each goes
    /// into `return_gap` for its county. Run at start, after a restore and after any other
    /// start (nothing is found when nothing was taken). Entries older than `retainedSinceMs` are
    /// dropped: their return is refused as too old. Returns the counties with changes missing.
    @discardableResult
    public func findReturnGaps(retainedSinceMs: Int64, nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> [ReturnGap] {
        guard let servedRecord else { return [] }
        try servedRecord.prune(beforeMs: retainedSinceMs)
        let entries = try servedRecord.entries(sinceMs: retainedSinceMs)
        return try write("find what a restore took") { db in
            try db.execute(sql: "DELETE FROM return_gap WHERE hlc < ?", arguments: [HLCTimestamp(physicalMs: retainedSinceMs, logical: 0).rawValue])
            let held = try db.cachedStatement(sql: "SELECT 1 FROM change_log WHERE tbl = ? AND row_id = ? AND county = ? AND hlc = ?")
            let insert = try db.cachedStatement(sql: """
                INSERT INTO return_gap (county, tbl, row_id, hlc, op, columns, seq, served_at, found_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (county, tbl, row_id, hlc) DO UPDATE SET op = excluded.op, columns = excluded.columns, seq = excluded.seq,
                  served_at = excluded.served_at WHERE served_at IS NULL
                """)
            var counties: Set<String> = []
            for entry in entries where try Bool.fetchOne(held, arguments: [entry.table, entry.rowId, entry.county, entry.hlc]) != true {
                try insert.execute(arguments: [entry.county, entry.table, entry.rowId, entry.hlc, entry.op, entry.columns.joined(separator: ","),
                                               entry.seq, entry.servedAt, nowMs])
                counties.insert(entry.county)
            }
            return try counties.sorted().map { try Self.returnGap(db, county: $0).gap }.filter { !$0.missing.isEmpty }
        }
    }

    /// Every county with city changes a restore took that it has not given back yet.
    public func returnGaps() throws -> [ReturnGap] {
        try read("read return gaps") { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT county FROM return_gap WHERE settled_at IS NULL ORDER BY county").map { try Self.returnGap(db, county: $0).gap }
                .filter { !$0.missing.isEmpty || $0.givenBack > 0 }
        }
    }

    /// Takes back what `county` gave back once nothing is missing any more for another reason
    /// than a return (its own changes sent again, a decision made again at the city): called on
    /// each push and heartbeat, so a gap never waits for a return that will not come. Returns
    /// whether it took anything back.
    @discardableResult
    func closeReturnGapIfWhole(county: String, applier: ChangeApplier, nowMs: Int64, db: Database) throws -> Bool {
        guard try Self.hasReturnGap(db, county: county) else { return false }
        // A decision made again at the city counts once stamped with its version.
        _ = try CountyDatabase.stamp(db, wallMs: nowMs)
        let (gap, given) = try Self.returnGap(db, county: county)
        guard gap.missing.isEmpty else { return false }
        if !given.isEmpty {
            _ = try applyReturned(given, county: county, applier: applier, nowMs: nowMs, db: db)
        }
        try db.execute(sql: "DELETE FROM return_gap WHERE county = ? AND settled_at IS NULL", arguments: [county])
        return !given.isEmpty
    }

    /// Whether `county` has a gap open (changes found missing, or given back and kept).
    static func hasReturnGap(_ db: Database, county: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM return_gap WHERE county = ? AND settled_at IS NULL)", arguments: [county]) == true
    }

    /// Keeps a change `county` gave back until its gap is whole. Of two copies of one change
    /// (pulled, and from a snapshot, which carries only the columns the city still held), the
    /// one with more values is kept.
    static func stage(_ change: WireChange, county: String, nowMs: Int64, db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO return_gap (county, tbl, row_id, hlc, op, columns, seq, served_at, found_at,
                                    given_op, given_node, given_seq, given_values, given_bases, given_at)
            VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (county, tbl, row_id, hlc) DO UPDATE SET given_op = excluded.given_op, given_node = excluded.given_node,
              given_seq = excluded.given_seq, given_values = excluded.given_values, given_bases = excluded.given_bases, given_at = excluded.given_at,
              settled_at = NULL
            WHERE given_at IS NULL OR length(excluded.given_values) > length(given_values)
            """).execute(arguments: [county, change.table, change.rowId, change.hlc, change.op, change.values.keys.sorted().joined(separator: ","),
                                     nowMs, change.op, change.node, change.seq, JSONText.values(change.values), JSONText.versions(change.bases), nowMs])
    }

    /// `county`'s gap as it stands: what is missing, and the changes given back, in clock order.
    static func returnGap(_ db: Database, county: String) throws -> (gap: ReturnGap, given: [WireChange]) {
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM return_gap WHERE county = ? AND settled_at IS NULL ORDER BY hlc, tbl, row_id",
                                    arguments: [county])
        let given = try rows.filter { ($0["given_at"] as Int64?) != nil }.map { row in
            WireChange(seq: row["given_seq"], table: row["tbl"], rowId: row["row_id"], op: row["given_op"], hlc: row["hlc"], node: row["given_node"],
                       values: try decodeValues(row["given_values"]), bases: try decodeVersions(row["given_bases"]))
        }
        var missing: [ReturnGap.Missing] = []
        for row in rows where (row["given_at"] as Int64?) == nil {
            guard let servedAt = row["served_at"] as Int64? else { continue }
            let columns: String = row["columns"]
            let entry = ReturnGap.Missing(table: row["tbl"], rowId: row["row_id"], op: row["op"],
                                          columns: columns.isEmpty ? [] : columns.split(separator: ",").map(String.init),
                                          hlc: row["hlc"], seq: row["seq"], servedAtMs: servedAt)
            if try stillMissing(entry, given: given, db: db) { missing.append(entry) }
        }
        return (ReturnGap(county: county, missing: missing, givenBack: given.count), given)
    }

    /// Whether withholding `entry` would change what the city ends up with: some column it wrote
    /// holds an older version at the city, and nothing given back writes that column at least
    /// as late. A delete: the row is still there, and no delete at least as late was given back.
    static func stillMissing(_ entry: ReturnGap.Missing, given: [WireChange], db: Database) throws -> Bool {
        let sameRow = given.filter { $0.table == entry.table && $0.rowId == entry.rowId && $0.hlc >= entry.hlc }
        if sameRow.contains(where: { $0.op == ChangeOperation.delete.rawValue }) { return false }
        if let tombstone = try Tombstones.find(db, table: entry.table, rowId: entry.rowId), tombstone.version.hlc.rawValue >= entry.hlc { return false }
        guard let table = SyncedTable.named(entry.table) else { return false }
        let versions = try CountyDatabase.versions(db, table: table.name, rowId: entry.rowId)?.expanded(table.columns)
        if entry.op == ChangeOperation.delete.rawValue { return versions != nil }
        return entry.columns.contains { column in
            if let version = versions?[column], version.hlc.rawValue >= entry.hlc { return false }
            return !sameRow.contains { $0.values[column] != nil }
        }
    }

    /// The operator settles `county`'s gap without what it never gave back (a node that held it
    /// is gone): what it gave back is taken back now, the rest is given up. Kept in the decision
    /// log, with the changes given up. Returns what was taken back and what was given up.
    @discardableResult
    public func settleReturns(county: String, reason: String, by actor: String = CityDatabase.shellActor,
                              nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> (takenBack: Int, givenUp: [ReturnGap.Missing]) {
        try requireRole(actor, .administer, "settle a county's return")
        guard let why = try Self.checkedReason(reason) else {
            throw StoreError.invalidInput(.invalid(field: "reason", value: "", rule: "settling a return needs a reason"))
        }
        let applier = self.applier(nowMs: nowMs)
        let (result, decided) = try write("settle a return") { db -> ((Int, [ReturnGap.Missing]), [WireChange]) in
            guard try Self.hasReturnGap(db, county: county) else {
                throw StoreError.notAllowed("county \(county) has no return waiting: nothing to settle")
            }
            let (gap, given) = try Self.returnGap(db, county: county)
            _ = try CountyDatabase.stamp(db, wallMs: nowMs)
            _ = try applyReturned(given, county: county, applier: applier, nowMs: nowMs, db: db)
            // What was given up stays known, so the next start does not find it missing again.
            try db.execute(sql: "DELETE FROM return_gap WHERE county = ? AND settled_at IS NULL AND given_at IS NOT NULL", arguments: [county])
            try db.execute(sql: "UPDATE return_gap SET settled_at = ? WHERE county = ? AND settled_at IS NULL", arguments: [nowMs, county])
            let givenUp = gap.missing.isEmpty ? "nothing" : gap.missingSummary
            try Self.logDecision(db, actor: actor, action: "settle_return", table: "county", rowId: county, county: county,
                                 detail: "took back \(given.count) city change(s) given back after a restore; gave up \(gap.missing.count): \(givenUp); reason: \(why)")
            return ((given.count, gap.missing), given)
        }
        try? servedRecord?.forget(county: county, decided.map { ($0.table, $0.rowId, $0.hlc) })
        return result
    }
}
