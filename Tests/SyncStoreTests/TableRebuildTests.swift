import Foundation
import GRDB
import SyncCore
import Testing
@testable import SyncStore

/// Making a table again under new constraints (migration `v13-plain-checks`).
@Suite struct TableRebuildTests {
    @Test func inListsOfLiteralsBecomeComparisonsAndNothingElseChanges() {
        #expect(TableRebuild.comparisonsForInLists("a TEXT CHECK (a IN ('x', 'y')), b INTEGER CHECK (b IS NULL OR b IN (0, -1))")
                == "a TEXT CHECK ((a = 'x' OR a = 'y')), b INTEGER CHECK (b IS NULL OR (b = 0 OR b = -1))")
        let untouched = "CHECK (a IN (SELECT x FROM t)) CHECK (json_valid(v)) CHECK (n BETWEEN 1 AND 2)"
        #expect(TableRebuild.comparisonsForInLists(untouched) == untouched)
    }

    /// The rebuilt change log keeps its rows, its sequence past them (entries compacted away are
    /// never handed out again), its indexes and the capture triggers; the constraints still refuse
    /// what they refused.
    @Test func aRebuiltTableKeepsItsRowsSequenceIndexesAndTriggers() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let platforms = try (0..<3).map { _ in try county.addPlatform(makePlatform()) }
        let before = try county.pool.write { db -> [String] in
            // Compaction took the last entry: the sequence is past the rows left.
            try db.execute(sql: "DELETE FROM change_log WHERE seq = 3")
            return try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type IN ('index', 'trigger') ORDER BY name")
        }
        try county.pool.write { db in
            try TableRebuild.rebuild(db, tables: ["platform", "change_log", "row_version"]) { $0.replacingOccurrences(of: "CHECK (length(id) = 36)", with: "CHECK (length(id) = 36 AND id = lower(id))") }
            #expect(try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type IN ('index', 'trigger') ORDER BY name") == before)
            #expect(try Int.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'change_log'") == 3)
            #expect(try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE name = 'platform'")?.contains("id = lower(id)") == true)
        }
        #expect(try county.platforms().map(\.id).sorted() == platforms.map(\.id).sorted())
        try county.updatePlatform(id: platforms[0].id) { $0.name = "改后的名称" }
        let seqs = try county.pool.read { db in try Int64.fetchAll(db, sql: "SELECT seq FROM change_log ORDER BY seq") }
        #expect(seqs == [1, 2, 4], "the write after the rebuild is captured, after the compacted entry")
        #expect(throws: (any Error).self, "the rebuilt constraints hold") {
            try county.pool.write { db in try db.execute(sql: "UPDATE platform SET category = 'no_such_category' WHERE id = ?", arguments: [platforms[1].id]) }
        }
    }
}
