import Foundation
import GRDB
import Synchronization
import SyncCore
import SyncProtocol

/// What the city handed to each county of its own changes, kept outside `city.db`
/// (`served.db` beside the feed key), so a restore of `city.db` from a backup does not take it.
///
/// A seal proves that the city once sent a change; it cannot say which changes came after it. A
/// compromised county could give back, after a restore, the city's recognition of a platform and
/// keep the later revocation. With this record the city knows every change it handed out: at
/// start it finds those the restore took (`CityDatabase.findReturnGaps`), and it takes back a
/// county's changes only when none of those is missing (`CityDatabase.takeBack`).
///
/// Written before a pull's or a snapshot's answer leaves the city: a change that reached a
/// county is in the record. Entries older than the feed's retention are pruned at start.
public final class ServedRecord: Sendable {
    /// One city change as handed to a county.
    public struct Entry: Sendable, Hashable {
        public let county: String
        public let table: String
        public let rowId: String
        public let hlc: Int64
        public let op: String
        /// The columns it wrote (none for a delete).
        public let columns: [String]
        /// Its feed position when pulled; 0 when handed out only in a snapshot.
        public let seq: Int64
        public let servedAt: Int64
    }

    public let path: String
    private let queue: DatabaseQueue
    /// Per county, the feed position up to which this process has recorded pulled changes:
    /// the other nodes of a county pulling the same entries cost no write.
    private let recordedThrough = Mutex<[String: Int64]>([:])

    private init(path: String, queue: DatabaseQueue) {
        self.path = path
        self.queue = queue
    }

    /// Opens the record at `path`, creating it (mode 0600) when missing.
    public static func open(at path: String) throws -> ServedRecord {
        if !FileManager.default.fileExists(atPath: path) { try CountyDatabase.createPrivateFile(at: path) }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS served (
                      county TEXT NOT NULL,
                      tbl TEXT NOT NULL,
                      row_id TEXT NOT NULL,
                      hlc INTEGER NOT NULL,
                      op TEXT NOT NULL,
                      columns TEXT NOT NULL,
                      seq INTEGER NOT NULL,
                      served_at INTEGER NOT NULL,
                      PRIMARY KEY (county, tbl, row_id, hlc)
                    ) WITHOUT ROWID
                    """)
                try db.execute(sql: "CREATE INDEX IF NOT EXISTS served_by_hlc ON served (hlc)")
            }
            return ServedRecord(path: path, queue: queue)
        } catch {
            throw CountyDatabase.translate(error, op: "open the served record", path: path)
        }
    }

    /// Records the city changes of a pull page handed to `county`.
    func recordPulled(county: String, _ changes: [WireChange], nowMs: Int64) throws {
        let through = recordedThrough.withLock { $0[county] ?? 0 }
        let fresh = changes.filter { $0.seq > through }
        guard let last = fresh.last?.seq else { return }
        try record(county: county, fresh, nowMs: nowMs)
        recordedThrough.withLock { $0[county] = max($0[county] ?? 0, last) }
    }

    /// Records the city's writes a snapshot page handed to `county` (their seals' changes).
    func recordSnapshot(county: String, _ writes: [WireChange], nowMs: Int64) throws {
        try record(county: county, writes, nowMs: nowMs)
    }

    private func record(county: String, _ changes: [WireChange], nowMs: Int64) throws {
        guard !changes.isEmpty else { return }
        do {
            try queue.write { db in
                // A change first seen in a snapshot and pulled later keeps its feed position.
                let insert = try db.cachedStatement(sql: """
                    INSERT INTO served (county, tbl, row_id, hlc, op, columns, seq, served_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT DO UPDATE SET seq = excluded.seq WHERE seq = 0 AND excluded.seq > 0
                    """)
                for change in changes {
                    try insert.execute(arguments: [county, change.table, change.rowId, change.hlc, change.op,
                                                   change.values.keys.sorted().joined(separator: ","), change.seq, nowMs])
                }
            }
        } catch {
            throw CountyDatabase.translate(error, op: "record served changes", path: path)
        }
    }

    /// Every recorded change written at or after `sinceMs` (by its clock reading).
    public func entries(sinceMs: Int64) throws -> [Entry] {
        let floor = HLCTimestamp(physicalMs: sinceMs, logical: 0).rawValue
        return try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM served WHERE hlc >= ? ORDER BY hlc, tbl, row_id", arguments: [floor]).map { row in
                let columns: String = row["columns"]
                return Entry(county: row["county"], table: row["tbl"], rowId: row["row_id"], hlc: row["hlc"], op: row["op"],
                             columns: columns.isEmpty ? [] : columns.split(separator: ",").map(String.init), seq: row["seq"], servedAt: row["served_at"])
            }
        }
    }

    /// Forgets the entries of changes the city has decided again (taken back or settled).
    func forget(county: String, _ keys: [(table: String, rowId: String, hlc: Int64)]) throws {
        guard !keys.isEmpty else { return }
        try queue.write { db in
            let delete = try db.cachedStatement(sql: "DELETE FROM served WHERE county = ? AND tbl = ? AND row_id = ? AND hlc = ?")
            for key in keys { try delete.execute(arguments: [county, key.table, key.rowId, key.hlc]) }
        }
    }

    /// Removes entries written before `beforeMs`: a restore older than the feed's retention
    /// loses them anyway, and their return is refused as too old. Returns how many.
    @discardableResult
    public func prune(beforeMs: Int64) throws -> Int {
        let floor = HLCTimestamp(physicalMs: beforeMs, logical: 0).rawValue
        return try queue.write { db in
            try db.execute(sql: "DELETE FROM served WHERE hlc < ?", arguments: [floor])
            return db.changesCount
        }
    }
}
