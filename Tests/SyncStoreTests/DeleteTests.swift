import Foundation
import SyncCore
import SyncProtocol
import Testing
@testable import SyncStore

/// Deletes carry the versions they saw and leave tombstones on both sides (issue 10 #3, #4).
@Suite struct DeleteTests {
    /// A county deletes a platform it saw; nobody changed it since: the city deletes it too and
    /// keeps a tombstone with the delete's version, and so does the county.
    @Test func aDeleteOfWhatTheCountySawIsAppliedAndLeavesTombstonesOnBothSides() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let lab = try pair.county.addPlatform(makePlatform(serial: 1))
        _ = try pair.push()
        try sqliteShell(pair.county.path, "DELETE FROM platform WHERE id = '\(lab.id)'")
        let answer = try pair.push()
        #expect(answer.outcomes.map(\.outcome) == [.applied])
        #expect(try pair.city.platform(id: lab.id) == nil)
        #expect(try pair.city.tombstoneCount() == 1 && pair.county.tombstoneCount() == 1)
        let page = try pair.city.snapshot(county: "130202", table: "platform", after: "", limit: 10)
        #expect(page.rows.isEmpty && page.tombstones.map(\.rowId) == [lab.id] && page.tombstones[0].version.node == pair.county.replica.node)
    }

    /// The city changed the row after the county's view of it, and the county deletes it: the
    /// edit the deleter did not see wins. The delete is parked at the city and recorded at the
    /// county; the row comes back to the county with the city's edit.
    @Test func aDeleteConcurrentWithAnEditIsParkedAndTheRowComesBack() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let lab = try pair.county.addPlatform(makePlatform(serial: 1))
        _ = try pair.push()
        try pair.city.updatePlatform(id: lab.id) { $0.contact = "市局 王" }
        try sqliteShell(pair.county.path, "DELETE FROM platform WHERE id = '\(lab.id)'")
        let answer = try pair.push()
        #expect(answer.outcomes.map(\.reason) == ["concurrent_edit"], "\(answer.outcomes)")
        #expect(try pair.city.platform(id: lab.id)?.contact == "市局 王" && pair.city.tombstoneCount() == 0)
        try pair.pull()
        #expect(try pair.county.platform(id: lab.id)?.contact == "市局 王", "the row is back at the county")
        #expect(try pair.county.tombstoneCount() == 0, "its tombstone went with it")
        let parked = try pair.county.parked()
        #expect(parked.map(\.reason) == ["concurrent_edit"], "the delete is the recorded loser: \(parked.map { "\($0.reason) \($0.op) \($0.message)" })")
        #expect(try pair.county.platforms() == pair.city.platforms())
    }

    /// Only the city withdraws what it decided: a county's delete of a recognised platform is parked.
    @Test func aCountyCannotDeleteARecognisedPlatform() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let lab = try pair.county.addPlatform(makePlatform(serial: 1))
        _ = try pair.push()
        try pair.city.recognizePlatform(id: lab.id)
        try pair.pull()
        try sqliteShell(pair.county.path, "DELETE FROM platform WHERE id = '\(lab.id)'")
        #expect(try pair.push().outcomes.map(\.reason) == ["recognized_platform"])
        try pair.pull()
        #expect(try pair.county.platform(id: lab.id)?.status == .recognized)
    }

    /// An edit that crossed the delete arrives for a row the city deleted: refused as `deleted`,
    /// naming the delete, and the row does not come back.
    @Test func anEditOfADeletedRowIsRefusedAndNothingComesBack() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let lab = try pair.county.addPlatform(makePlatform(serial: 1))
        _ = try pair.push()
        try sqliteShell(pair.county.path, "DELETE FROM platform WHERE id = '\(lab.id)'")
        _ = try pair.push()
        // A replica of an older epoch sends an edit of the row, as a restored copy would.
        var values: [String: ColumnValue] = [:]
        values["contact"] = .text("县区 李")
        let hlc = HLCTimestamp(physicalMs: CountyDatabase.wallClockMs(), logical: 0).rawValue
        let edit = WireChange(seq: 1, table: "platform", rowId: lab.id, op: "update", hlc: hlc, node: "county-130202-older", values: values, bases: [:])
        let answer = try pair.city.applyPush(county: "130202", PushRequest(node: "county-130202-older", changes: [edit]))
        #expect(answer.outcomes.map(\.reason) == ["deleted"], "\(answer.outcomes)")
        #expect(try pair.city.platform(id: lab.id) == nil)
    }

    /// Tombstones are kept for the retention period, then purged; a purged one is no longer in
    /// the snapshot.
    @Test func tombstonesArePurgedAfterTheRetention() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let labs = [try pair.county.addPlatform(makePlatform(serial: 1)), try pair.county.addPlatform(makePlatform(serial: 2))]
        _ = try pair.push()
        for lab in labs { try sqliteShell(pair.county.path, "DELETE FROM platform WHERE id = '\(lab.id)'") }
        _ = try pair.push()
        #expect(try pair.city.tombstoneCount() == 2)
        try sqliteShell(pair.city.path, "UPDATE tombstone SET deleted_at = deleted_at - 200 * 86400000 WHERE row_id = '\(labs[0].id)'")
        let cutoff = CountyDatabase.wallClockMs() - 180 * 86_400_000
        #expect(try pair.city.purgeTombstones(deletedBefore: cutoff) == 1)
        #expect(try pair.city.snapshot(county: "130202", table: "platform", after: "", limit: 10).tombstones.map(\.rowId) == [labs[1].id])
    }

    /// A snapshot page holds at most `limit` ids, live and deleted together, and the next page
    /// starts after the greatest of them: nothing is skipped or sent twice.
    @Test func snapshotPagesInterleaveRowsAndTombstones() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        var labs: [Platform] = []
        for serial in 1...7 { labs.append(try pair.county.addPlatform(makePlatform(serial: serial))) }
        _ = try pair.push()
        for lab in labs.enumerated() where lab.offset % 2 == 0 {
            try sqliteShell(pair.county.path, "DELETE FROM platform WHERE id = '\(lab.element.id)'")
        }
        _ = try pair.push()
        var seen: [String] = []
        var after = ""
        while true {
            let page = try pair.city.snapshot(county: "130202", table: "platform", after: after, limit: 3)
            #expect(page.rows.count + page.tombstones.count <= 3)
            seen += page.rows.map(\.rowId) + page.tombstones.map(\.rowId)
            guard page.more, let last = page.lastRowId else { break }
            after = last
        }
        #expect(seen.sorted() == labs.map(\.id).sorted())
    }
}

/// Logs that do not grow forever.
@Suite struct CompactionTests {
    /// Acknowledged changes older than the retention go; unacknowledged ones stay; the sequence
    /// goes on where it was (a compacted log is no restore), and `explain` says where history ends.
    @Test func acknowledgedChangesPastTheRetentionAreCompacted() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try CityDatabase.create(at: dir.path("city.db"), node: "city-test")
        let labs = [try county.addPlatform(makePlatform(serial: 1)), try county.addPlatform(makePlatform(serial: 2))]
        let batch = try #require(try county.nextPushBatch(limit: 10))
        try county.acknowledge(batch, try city.applyPush(county: "130202", batch))
        try county.updatePlatform(id: labs[0].id) { $0.contact = "王工" }   // pending
        try county.stamp()
        try sqliteShell(county.path, "UPDATE change_log SET wall_ms = wall_ms - 40 * 86400000")
        let before = try county.syncPosition().lastSeq

        let cutoff = CountyDatabase.wallClockMs() - 30 * 86_400_000
        #expect(try county.compactLog(before: cutoff) == 2, "the two acknowledged inserts")
        #expect(try county.pendingCount() == 1, "the pending change stays")
        #expect(try county.syncPosition().lastSeq == before)
        let history = try county.history(of: labs[1].id)
        #expect(history.first?.kind == "compacted" && !history.contains { $0.kind == "local_edit" })

        // Nothing pending at all, the log empty: the sequence still goes on, and the city takes it.
        let rest = try #require(try county.nextPushBatch(limit: 10))
        try county.acknowledge(rest, try city.applyPush(county: "130202", rest))
        try sqliteShell(county.path, "UPDATE change_log SET wall_ms = wall_ms - 40 * 86400000")
        #expect(try county.compactLog(before: cutoff) == 1)
        #expect(try county.syncPosition().lastSeq == before, "an empty log still knows its last seq")
        try county.addPlatform(makePlatform(serial: 3))
        let next = try #require(try county.nextPushBatch(limit: 10))
        #expect(next.firstSeq == before + 1)
        let answer = try city.applyPush(county: "130202", next)
        #expect(answer.highWater == before + 1)
    }

    /// The city forgets the digests of county changes older than the retention; a change sent
    /// again after that is taken as a re-delivery.
    @Test func appliedDigestsPastTheRetentionAreCompacted() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try CityDatabase.create(at: dir.path("city.db"), node: "city-test")
        try county.addPlatforms([makePlatform(serial: 1), makePlatform(serial: 2)])
        let batch = try #require(try county.nextPushBatch(limit: 10))
        try county.acknowledge(batch, try city.applyPush(county: "130202", batch))
        try sqliteShell(city.path, "UPDATE applied_seq SET applied_at = applied_at - 200 * 86400000 WHERE seq = 1")
        #expect(try city.compactAppliedDigests(appliedBefore: CountyDatabase.wallClockMs() - 180 * 86_400_000) == 1)
        #expect(try city.applyPush(county: "130202", batch).highWater == 2)
    }
}
