import Foundation
import GRDB
import SyncCore
import SyncProtocol
import Testing
@testable import SyncStore

@Suite struct CaptureTests {
    @Test func insertIsCapturedWithEveryColumnAndNoBases() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        let platform = try db.addPlatform(makePlatform())

        let entries = try db.outbox()
        let entry = try #require(entries.first)
        #expect(entries.count == 1)
        #expect(entry.seq == 1)
        #expect(entry.table == "platform")
        #expect(entry.rowId == platform.id)
        #expect(entry.op == .insert)
        #expect(entry.columns == SyncedTable.platform.columns)
        #expect(entry.bases.isEmpty)
        #expect(entry.values["name"] == .text(platform.name))
        #expect(entry.values["level"] == .text("municipal"))
        #expect(entry.values["subtype"] == .null)
        let versions = try db.versions(table: .platform, rowId: platform.id)
        #expect(Set(versions.keys) == Set(SyncedTable.platform.columns))
        #expect(versions.values.allSatisfy { $0 == ColumnVersion(hlc: entry.hlc, node: db.replica.node) })
    }

    @Test func updateCapturesOnlyChangedColumnsWithTheVersionsTheyReplaced() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        let platform = try db.addPlatform(makePlatform())
        let inserted = try #require(try db.outbox().first)
        try db.updatePlatform(id: platform.id) { $0.name = "新名称"; $0.contact = "王工 0315-1234567" }
        try db.updatePlatform(id: platform.id) { $0.name = "新名称" }  // no real change: nothing captured
        try db.updatePlatform(id: platform.id) { $0.name = "第三个名称" }

        let entries = try db.outbox()
        #expect(entries.map(\.op) == [.insert, .update, .update])
        let first = entries[1], second = entries[2]
        #expect(first.columns == ["name", "contact"])
        #expect(first.values == ["name": .text("第三个名称"), "contact": .text("王工 0315-1234567")])
        let insertVersion = ColumnVersion(hlc: inserted.hlc, node: db.replica.node)
        #expect(first.bases == ["name": insertVersion, "contact": insertVersion])
        #expect(second.columns == ["name"])
        #expect(second.bases == ["name": ColumnVersion(hlc: first.hlc, node: db.replica.node)])
        #expect(inserted.hlc < first.hlc && first.hlc < second.hlc)

        let versions = try db.versions(table: .platform, rowId: platform.id)
        #expect(versions["name"] == ColumnVersion(hlc: second.hlc, node: db.replica.node))
        #expect(versions["contact"] == ColumnVersion(hlc: first.hlc, node: db.replica.node))
        #expect(versions["industry"] == insertVersion)
    }

    @Test func deleteIsCapturedWithTheRowsVersionsAsBases() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        let platform = try db.addPlatform(makePlatform())
        let inserted = try #require(try db.outbox().first)
        try sqliteShell(db.path, "DELETE FROM platform WHERE id = '\(platform.id)'")

        let entries = try db.outbox()
        let delete = try #require(entries.last)
        #expect(delete.op == .delete)
        #expect(delete.values.isEmpty)
        #expect(delete.bases.count == SyncedTable.platform.columns.count)
        #expect(delete.bases["name"] == ColumnVersion(hlc: inserted.hlc, node: db.replica.node))
        #expect(try db.versions(table: .platform, rowId: platform.id).isEmpty)
    }

    @Test func writesThroughTheSqliteShellAreCaptured() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        let id = RecordID.generate()
        let result = try sqliteShell(db.path, """
            INSERT INTO platform (id, county, name, category, level, host_org, credit_code, industry)
              VALUES ('\(id)', '130202', '曹妃甸孵化器', 'incubator', 'provincial', '某公司', '\(makeCreditCode(7))', '现代物流');
            UPDATE platform SET remarks = 'entered by hand', industry = '海洋经济' WHERE id = '\(id)';
            """)
        #expect(result.status == 0, "\(result.error)")

        let entries = try db.outbox()
        #expect(entries.map(\.op) == [.insert, .update])
        #expect(entries[1].columns == ["industry", "remarks"])
        #expect(entries[1].values == ["industry": .text("海洋经济"), "remarks": .text("entered by hand")])
        #expect(entries[1].bases["remarks"] == ColumnVersion(hlc: entries[0].hlc, node: db.replica.node))
    }

    /// Another process may commit between the stamp and the read of a push batch: its entry has
    /// no clock reading yet. It waits for the next batch instead of being read half-made.
    @Test func anEntryCommittedAfterTheStampWaitsForTheNextBatch() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        let first = try db.addPlatform(makePlatform())
        try db.stamp()
        try db.updatePlatform(id: first.id) { $0.remarks = "written after the stamp" }

        let entries = try db.read("read") { try CountyDatabase.entries($0, after: 0, limit: nil) }
        #expect(entries.map(\.seq) == [1], "only the stamped entry")
        let batch = try #require(try db.nextPushBatch(limit: 10))
        #expect(batch.changes.map(\.seq) == [1, 2], "the next batch stamps and carries it")
    }

    @Test func aFailedTransactionLeavesNeitherRowNorChangeEntry() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        let good = makePlatform(serial: 1)
        var duplicate = makePlatform(serial: 2)
        duplicate.id = good.id
        #expect(throws: StoreError.self) { try db.addPlatforms([good, duplicate]) }
        // A transaction whose second statement breaks a CHECK constraint rolls back the first.
        let shell = try sqliteShell(db.path, """
            BEGIN;
            INSERT INTO platform (id, county, name, category, level, host_org, credit_code, industry)
              VALUES ('\(RecordID.generate())', '130202', 'a', 'key_lab', 'municipal', 'h', '\(makeCreditCode(3))', 'i');
            INSERT INTO platform (id, county, name, category, level, host_org, credit_code, industry)
              VALUES ('\(RecordID.generate())', '130202', 'b', 'no_such_category', 'municipal', 'h', '\(makeCreditCode(4))', 'i');
            COMMIT;
            """)
        #expect(shell.status != 0)
        #expect(try db.platforms().isEmpty)
        #expect(try db.pendingCount() == 0)
        #expect(try sqliteShell(db.path, "SELECT count(*) FROM change_log").output == "0\n")
    }

    @Test func writesAppliedBySyncAreNotCaptured() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        let local = try db.addPlatform(makePlatform(serial: 1))
        let remote = makePlatform(name: "市里录入的平台", serial: 2)
        let cityVersion = ColumnVersion(hlc: HLCTimestamp(physicalMs: 4_000_000_000_000, logical: 0), node: "city-1")
        try db.applyingSync { database in
            try database.execute(sql: Platform.insertSQL, arguments: remote.insertArguments)
            try database.execute(sql: "UPDATE platform SET status = 'recognized' WHERE id = ?", arguments: [local.id])
            try CountyDatabase.setVersions(database, table: "platform", rowId: local.id, ["status": cityVersion])
        }
        #expect(try db.outbox().map(\.rowId) == [local.id])
        #expect(try db.platform(id: remote.id) != nil)

        // Capture is on again, and the next local edit of that column is based on the city's version.
        try db.updatePlatform(id: local.id) { $0.remarks = "after sync" }
        try sqliteShell(db.path, "UPDATE platform SET status = 'registered' WHERE id = '\(local.id)'")
        let entries = try db.outbox()
        #expect(entries.map(\.op) == [.insert, .update, .update])
        #expect(entries[2].bases == ["status": cityVersion])
        #expect(entries[2].hlc > cityVersion.hlc, "the clock moved past the version it saw")
    }

    @Test func aFailedSyncApplyRollsBackAndLeavesCaptureOn() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.applyingSync { database in
                try database.execute(sql: Platform.insertSQL, arguments: makePlatform().insertArguments)
                throw Boom()
            }
        }
        #expect(try db.platforms().isEmpty)
        try db.addPlatform(makePlatform(serial: 9))
        #expect(try db.pendingCount() == 1)
    }

    @Test func aCountyReplicaRefusesAnotherCountysRows() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        #expect(throws: StoreError.self) { try db.addPlatform(makePlatform(county: "130203")) }
        let shell = try sqliteShell(db.path, """
            INSERT INTO platform (id, county, name, category, level, host_org, credit_code, industry)
              VALUES ('\(RecordID.generate())', '130203', 'x', 'key_lab', 'municipal', 'h', '\(makeCreditCode(5))', 'i');
            """)
        #expect(shell.status != 0)
        #expect(shell.error.contains("platform.county must be this replica's county"))
        let mine = try db.addPlatform(makePlatform())
        let move = try sqliteShell(db.path, "UPDATE platform SET county = '130203' WHERE id = '\(mine.id)'")
        #expect(move.error.contains("cannot change"))
        #expect(try db.platforms().map(\.county) == ["130202"])
        #expect(try db.pendingCount() == 1)
    }

    @Test func stampingFollowsTheSequenceEvenWhenTheWallClockWentBack() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        for serial in 1...5 { try db.addPlatform(makePlatform(serial: serial)) }
        // Pretend the wall clock jumped back by an hour between the writes.
        let base = CountyDatabase.wallClockMs() - 60_000
        try sqliteShell(db.path, "UPDATE change_log SET wall_ms = \(base) - seq * 3600000")
        let stamps = try db.outbox().map(\.hlc)
        #expect(stamps.count == 5)
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 })
        let first = try #require(stamps.first)
        #expect(first.physicalMs == base - 3_600_000)
    }

    @Test func aWriteRecordedAheadOfTheStampersClockIsStampedAtTheStampersClock() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        try db.addPlatform(makePlatform(serial: 1))
        // Written while the machine's clock was a day ahead; stamped after it was corrected.
        try sqliteShell(db.path, "UPDATE change_log SET wall_ms = wall_ms + 86400000")
        let now = CountyDatabase.wallClockMs()
        let stamp = try #require(try db.outbox().first).hlc
        #expect(stamp.physicalMs <= now + 1_000, "a reading never runs ahead of the stamper's clock")
    }

    @Test func stampingAddsTheOffsetMeasuredAgainstTheCity() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        // This machine's clock is two hours ahead of the city's.
        try db.recordClockOffset(-7_200_000)
        try db.addPlatform(makePlatform(serial: 1))
        let now = CountyDatabase.wallClockMs()
        let stamp = try #require(try db.outbox().first).hlc
        #expect(abs(stamp.physicalMs - (now - 7_200_000)) < 5_000, "\(stamp.physicalMs) vs \(now - 7_200_000)")
        #expect(try db.status().clockOffsetMs == -7_200_000)
    }

    @Test func changesStampedAheadAreStampedAgainWithTheirBasesIntact() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        let platform = try db.addPlatform(makePlatform(serial: 1))
        let first = try db.outbox()
        try db.acknowledge(try #require(try db.nextPushBatch(limit: 10)), PushResponse(highWater: first.last!.seq, outcomes: []))
        let acknowledged = try db.versions(table: .platform, rowId: platform.id)["name"]
        // The machine's clock jumps a day ahead; two edits are stamped with it.
        try db.recordClockOffset(86_400_000)
        _ = try db.updatePlatform(id: platform.id) { $0.name = "改名一" }
        _ = try db.updatePlatform(id: platform.id) { $0.name = "改名二" }
        let ahead = try db.outbox()
        #expect(ahead.count == 2 && ahead.allSatisfy { $0.hlc.physicalMs > CountyDatabase.wallClockMs() + 3_600_000 })
        // The city refuses them; the offset is measured right, and they are stamped again.
        try db.recordClockOffset(0)
        #expect(try db.restampUnacknowledged() == 2)
        let again = try db.outbox()
        let now = CountyDatabase.wallClockMs()
        #expect(again.allSatisfy { $0.hlc.physicalMs <= now + 1_000 })
        #expect(again[0].bases["name"] == acknowledged, "the first edit is based on the acknowledged version")
        #expect(again[1].bases["name"] == ColumnVersion(hlc: again[0].hlc, node: db.replica.node))
        #expect(try db.versions(table: .platform, rowId: platform.id)["name"] == ColumnVersion(hlc: again[1].hlc, node: db.replica.node))
    }

    @Test func sequenceNumbersAreNeverReused() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        try db.addPlatform(makePlatform(serial: 1))
        try db.addPlatform(makePlatform(serial: 2))
        try sqliteShell(db.path, "DELETE FROM change_log")
        try db.addPlatform(makePlatform(serial: 3))
        #expect(try db.outbox().map(\.seq) == [3])
    }
}
