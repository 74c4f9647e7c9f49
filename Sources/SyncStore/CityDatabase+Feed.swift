import Foundation
import GRDB
import SyncCore

/// Compaction of the city's feed.
///
/// Each county's feed entries go once every node of the county that was in contact within the
/// retention has pulled past them (its heartbeat reports its position) and they are older than
/// the retention. A node silent for longer, or a new one, that asks for entries below the
/// county's compacted floor gets 409 `feed_compacted` and merges the city's snapshot instead,
/// which holds every change up to the feed's end when it was read (`SnapshotResponse.feedSeq`).
/// The feed's sequence is kept by SQLite (`sqlite_sequence`), so a compacted feed never looks
/// like a city that went back in time.
extension CityDatabase {
    /// The fingerprint of the feed key recorded in the city database at `path` (`FeedSeal`), if
    /// any: read without opening the database for writing (nothing is migrated).
    public static func recordedFeedKey(at path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            guard try db.columns(in: "replica").contains(where: { $0.name == "feed_key" }) else { return nil }
            return try String.fetchOne(db, sql: "SELECT feed_key FROM replica WHERE id = 1")
        }
    }

    /// Records `fingerprint` as this database's feed key when none is recorded yet; returns the
    /// one recorded (this one, or an earlier one).
    public func recordFeedKey(_ fingerprint: String) throws -> String {
        try write("record feed key") { db in
            try db.execute(sql: "UPDATE replica SET feed_key = ? WHERE id = 1 AND feed_key IS NULL", arguments: [fingerprint])
            return try String.fetchOne(db, sql: "SELECT feed_key FROM replica WHERE id = 1") ?? fingerprint
        }
    }

    /// The last feed seq handed out, compacted or not.
    static func feedEnd(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'change_log'") ?? 0
    }

    /// The seq up to which `county`'s feed may have been compacted (0 if never).
    static func feedFloor(_ db: Database, county: String) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM feed_floor WHERE county = ?"), arguments: [county]) ?? 0
    }

    /// Compacts every county's feed entries written before `cutoffMs` that each node of the
    /// county in contact since `activeSinceMs` (by default the cutoff) has pulled; returns how many went.
    @discardableResult
    public func compactFeed(before cutoffMs: Int64, activeSinceMs: Int64? = nil, nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> Int {
        try write("compact feed") { db in
            var removed = 0
            for county in try String.fetchAll(db, sql: "SELECT DISTINCT county FROM change_log") {
                // Every node in contact within the retention must have reported a position.
                let positions = try Row.fetchAll(db, sql: """
                    SELECT reported_pulled FROM node_state WHERE county = ? AND ifnull(last_contact_at, 0) >= ?
                    """, arguments: [county, activeSinceMs ?? cutoffMs]).map { $0["reported_pulled"] as Int64? }
                guard !positions.isEmpty, !positions.contains(nil), let pulled = positions.compactMap({ $0 }).min(), pulled > 0 else { continue }
                let through = try Int64.fetchOne(db, sql: """
                    SELECT max(seq) FROM change_log WHERE county = ? AND seq <= ? AND wall_ms < ? AND hlc IS NOT NULL
                    """, arguments: [county, pulled, cutoffMs])
                guard let through else { continue }
                try db.execute(sql: "DELETE FROM change_log WHERE county = ? AND seq <= ? AND hlc IS NOT NULL", arguments: [county, through])
                removed += db.changesCount
                try db.execute(sql: """
                    INSERT INTO feed_floor (county, seq, compacted_at) VALUES (?, ?, ?)
                    ON CONFLICT (county) DO UPDATE SET seq = max(seq, excluded.seq), compacted_at = excluded.compacted_at
                    """, arguments: [county, through, nowMs])
            }
            return removed
        }
    }
}
