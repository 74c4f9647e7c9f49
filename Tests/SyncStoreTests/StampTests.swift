import Foundation
import GRDB
import SyncCore
import SyncProtocol
import Testing
@testable import SyncStore

/// Stamping a run of new rows in bulk (`stampNewRows`) leaves exactly what the general way
/// leaves: the same clock readings, bases, frozen values, row versions, tombstones and clock.
@Suite struct StampTests {
    /// What a stamp leaves in `path`, values and versions decoded.
    struct Stamped: Equatable {
        var entries: [String]
        var versions: [String: [String: ColumnVersion]]
        var tombstones: [String]
        var clock: Int64
    }

    static func stamped(_ path: String) throws -> Stamped {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            // Stamped entries as a push reads them (values frozen or read from the row), then the rest.
            let stamped = try CountyDatabase.entries(db, after: 0, limit: nil).map { entry in
                "\(entry.seq) \(entry.table) \(entry.rowId) \(entry.op) \(entry.columns) \(entry.hlc.rawValue) "
                    + "\(entry.bases.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }) "
                    + "\(entry.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })"
            }
            let entries = stamped + (try String.fetchAll(db, sql: "SELECT seq || ' ' || row_id FROM change_log WHERE hlc IS NULL ORDER BY seq"))
            var versions: [String: [String: ColumnVersion]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT tbl, row_id, versions FROM row_version") {
                versions["\(row["tbl"] as String) \(row["row_id"] as String)"] = RowVersions(storage: try decodeVersions(row["versions"])).expanded(SyncedTable.named(row["tbl"])!.columns)
            }
            let tombstones = try String.fetchAll(db, sql: "SELECT tbl || ' ' || row_id || ' ' || hlc FROM tombstone ORDER BY 1")
            return Stamped(entries: entries, versions: versions, tombstones: tombstones, clock: try Int64.fetchOne(db, sql: "SELECT hlc FROM replica")!)
        }
    }

    /// Stamps two copies of `county`'s file, one each way, and returns what each left.
    static func bothWays(_ county: CountyDatabase, _ dir: TempDirectory, limit: Int? = nil,
                         wallMs: Int64 = 1_900_000_000_000) throws -> (bulk: Stamped, general: Stamped, stamped: Int, inBulk: Bool) {
        var counts: [Int] = []
        var results: [Stamped] = []
        for (name, inBulk) in [("bulk.db", true), ("general.db", false)] {
            let path = dir.path("\(UUID().uuidString)-\(name)")
            try county.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO '\(path)'") }
            let copy = try CountyDatabase.open(at: path)
            counts.append(try copy.pool.write { db in try CountyDatabase.stamp(db, wallMs: wallMs, limit: limit, inBulk: inBulk) })
            results.append(try stamped(path))
        }
        #expect(counts[0] == counts[1])
        // Whether the bulk way took these entries at all (rolled back: the original stays unstamped).
        var taken = false
        try county.pool.write { db in
            try db.inSavepoint {
                var clock = HybridLogicalClock(last: .zero)
                taken = try CountyDatabase.stampNewRows(db, node: "county-130202-test", clock: &clock, corrected: { $0 }, limit: limit) != nil
                return .rollback
            }
        }
        return (results[0], results[1], counts[0], taken)
    }

    /// An award row as a county writes it (the rules of proposing are not what this tests).
    static func addAward(_ county: CountyDatabase, platform: Platform) throws {
        try county.pool.write { db in
            try db.execute(sql: "INSERT INTO award (id, county, platform_id, amount_fen, fiscal_year) VALUES (?, ?, ?, 10000000, 2025)",
                           arguments: [RecordID.generate(), platform.county, platform.id])
        }
    }

    @Test func newRowsStampedInBulkMatchTheGeneralWay() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let platforms = (0..<40).map { makePlatform(name: "平台 \($0)", serial: $0) }
        // One of the rows was deleted here before: its insert clears the tombstone.
        try county.pool.write { db in
            try db.execute(sql: "INSERT INTO tombstone (tbl, row_id, county, hlc, node, deleted_at) VALUES ('platform', ?, '130202', 5, 'county-130202-test', 0)",
                           arguments: [platforms[35].id])
        }
        try county.addPlatforms(platforms)
        try (0..<5).forEach { try Self.addAward(county, platform: platforms[$0]) }
        let (bulk, general, count, inBulk) = try Self.bothWays(county, dir, limit: 30)
        #expect(count == 30 && inBulk)
        #expect(bulk == general)
        #expect(bulk.tombstones.isEmpty == false, "the tombstone of a row past the limit stays")
        let all = try Self.bothWays(county, dir)
        #expect(all.stamped == 45 && all.inBulk && all.bulk == all.general && all.bulk.tombstones.isEmpty)
        #expect(all.bulk.entries.allSatisfy { !$0.contains(" nil ") }, "every entry has its reading")
    }

    /// A clock that was hours ahead when the rows were written, and was put right since: both
    /// ways stamp at the stamper's clock plus the offset measured against the city.
    @Test func aClockHoursOffStampsTheSameBothWays() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        try county.addPlatforms((0..<5).map { makePlatform(name: "平台 \($0)", serial: $0) })
        try county.pool.write { db in try db.execute(sql: "UPDATE replica SET clock_offset_ms = -7200000") }
        let behind = CountyDatabase.wallClockMs() - 3 * 3_600_000
        let (bulk, general, count, inBulk) = try Self.bothWays(county, dir, wallMs: behind)
        #expect(count == 5 && inBulk && bulk == general)
        #expect(bulk.clock < HLCTimestamp(physicalMs: behind, logical: 0).rawValue, "readings at the corrected clock, not the recorded one")
    }

    /// Runs the bulk way does not take (an update among the inserts, a real number written past
    /// the constraints) are stamped the general way, with the same result.
    @Test func whatTheBulkWayDoesNotTakeIsStampedTheGeneralWay() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let platforms = (0..<3).map { makePlatform(name: "平台 \($0)", serial: $0) }
        try county.addPlatforms(platforms)
        try county.updatePlatform(id: platforms[0].id) { $0.name = "改后的名称" }
        let mixed = try Self.bothWays(county, dir)
        #expect(mixed.stamped == 4 && !mixed.inBulk && mixed.bulk == mixed.general)

        let other = try makeCounty(dir, name: "real.db")
        let platform = try other.addPlatform(makePlatform())
        try Self.addAward(other, platform: platform)
        try other.pool.write { db in try db.execute(sql: "UPDATE award SET fiscal_year = 2024.5") }
        let real = try Self.bothWays(other, dir)
        #expect(real.stamped == 3 && !real.inBulk && real.bulk == real.general)
        #expect(real.bulk.entries.contains { $0.contains("fiscal_year=") })
    }

    /// An entry stamped in bulk reads its values from the row until the row is next written:
    /// then the capture trigger freezes them as they were, whether the write is local, made with
    /// capture off (as sync applies), or a delete. A push sends the insert as it was made.
    @Test func aRowWrittenAfterABulkStampKeepsItsEntrysValues() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let platforms = (0..<3).map { makePlatform(name: "原名 \($0)", serial: $0) }
        try county.addPlatforms(platforms)
        #expect(try county.pool.write { db in try CountyDatabase.stamp(db, wallMs: CountyDatabase.wallClockMs()) } == 3)
        #expect(try county.pool.read { db in try Int.fetchOne(db, sql: #"SELECT count(*) FROM change_log WHERE "values" = 'null'"#) } == 3,
                "the bulk way left the values in the rows")
        try county.updatePlatform(id: platforms[0].id) { $0.name = "本地改名" }
        try county.pool.write { db in
            try db.execute(sql: "UPDATE replica SET capture = 0")
            try db.execute(sql: "UPDATE platform SET name = '同步改名' WHERE id = ?", arguments: [platforms[1].id])
            try db.execute(sql: "UPDATE replica SET capture = 1")
        }
        try county.deletePlatform(id: platforms[2].id)
        let entries = try county.outbox()
        let inserts = entries.filter { $0.op == .insert }
        #expect(inserts.map { $0.values["name"] } == platforms.map { .text($0.name) }, "each insert is sent as it was made")
        #expect(inserts.allSatisfy { Set($0.values.keys) == Set(SyncedTable.platform.columns) })
        #expect(entries.count == 5 && entries[3].op == .update && entries[3].values == ["name": .text("本地改名")] && entries[4].op == .delete)
        #expect(try county.pool.read { db in try Int.fetchOne(db, sql: #"SELECT count(*) FROM change_log WHERE "values" = 'null'"#) } == 0)
    }
}
