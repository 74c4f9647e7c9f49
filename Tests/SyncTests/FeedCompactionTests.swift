import CountyDaemon
import Foundation
import GRDB
import LocalCluster
import Logging
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// The city's feed is compacted once every node in contact has pulled past it; a node asking
/// from below the compacted floor merges the city's snapshot and goes on, and a compacted feed is
/// never taken for a city restored from a backup. The real client and both real databases,
/// joined in process.
@Suite("Feed compaction")
struct FeedCompactionTests {
    struct Setup {
        let dir: URL
        let city: CityDatabase
        let transport: InMemoryTransport
        let seal = FeedSeal.random()

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("feed-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            city = try CityDatabase.create(at: dir.appendingPathComponent("city.db").path, node: "city-feed", feedSeal: seal)
            transport = InMemoryTransport(city: city, county: "130202")
        }

        func replica(_ name: String) throws -> (CountyDatabase, SyncClient) {
            let county = try CountyDatabase.create(at: dir.appendingPathComponent(name).path, county: "130202")
            var logger = Logger(label: name)
            logger.logLevel = .critical
            return (county, SyncClient(database: county, transport: transport, logger: logger))
        }

        func feedEntries() throws -> Int { try city.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM change_log") ?? 0 } }

        /// An online backup of the city; returns its path.
        func backUpCity() throws -> String {
            let backup = dir.appendingPathComponent("city-backup.db").path
            try Cluster.backUp(city.path, to: backup)
            return backup
        }

        /// The city replaced by `backup` (same file, same feed key), reached through the transport.
        func restoreCity(from backup: String) throws -> CityDatabase {
            try city.pool.close()
            try Cluster.restore(city.path, from: backup)
            let restored = try CityDatabase.open(at: city.path, feedSeal: seal)
            transport.replaceCity(restored)
            return restored
        }

        /// The restored city writes again before the county is back: the feed positions the county
        /// pulled, and one more, now hold other changes (stamped by a pull).
        static func writeAgain(_ restored: CityDatabase, row: Platform) throws {
            for text in ["恢复后 1", "恢复后 2", "恢复后 3"] { _ = try restored.updatePlatform(id: row.id) { $0.remarks = text } }
            _ = try restored.pullFeed(county: "130202", after: 0, limit: 10)
        }
    }

    @Test func aNodeBelowTheFloorMergesTheSnapshotAndNothingLooksRestored() async throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.dir) }
        let (first, client) = try setup.replica("first.db")
        let rows = makePlatforms("130202", count: 6)
        try first.addPlatforms(rows)
        _ = try await client.syncOnce()
        for row in rows.prefix(3) { _ = try setup.city.updatePlatform(id: row.id) { $0.remarks = "市局 \(row.id.suffix(4))" } }
        _ = try await client.syncOnce()
        #expect(try setup.feedEntries() == 3)

        // A second machine of the county is in contact but has pulled nothing yet: nothing goes.
        let (second, secondClient) = try setup.replica("second.db")
        _ = try await secondClient.sendHeartbeat()
        let (yesterday, tomorrow) = (CountyDatabase.wallClockMs() - 86_400_000, CountyDatabase.wallClockMs() + 86_400_000)
        #expect(try setup.city.compactFeed(before: tomorrow, activeSinceMs: yesterday) == 0, "a node in contact has not pulled the entries")

        // Once it has synced (its first contact merges the snapshot), the entries go.
        _ = try await secondClient.syncOnce()
        #expect(try cityMatches(second, setup.city))
        #expect(try setup.city.compactFeed(before: tomorrow, activeSinceMs: yesterday) == 3)
        #expect(try setup.feedEntries() == 0)

        // A compacted feed is not a restored city: the heartbeat finds nothing to repair.
        _ = try await client.syncOnce()
        let evidence = try await first.pool.read { try String.fetchOne($0, sql: "SELECT city_restore_evidence FROM replica") }
        #expect(evidence == nil, "\(evidence ?? "")")

        // A node that last pulled below the floor (silent past the retention) merges the snapshot.
        try await second.pool.write { try $0.execute(sql: "UPDATE replica SET pulled_seq = 0") }
        _ = try setup.city.updatePlatform(id: rows[4].id) { $0.contact = "市局 王" }
        _ = try await secondClient.syncOnce()
        #expect(try second.platform(id: rows[4].id)?.contact == "市局 王", "the snapshot brought the edit made after the compaction")
        #expect(try second.syncPosition().pulledSeq >= 4, "and pulling went on from the snapshot's feed position")
        _ = try await client.syncOnce()
        #expect(try cityMatches(second, setup.city) && cityMatches(first, setup.city))
        let refused = try? await setup.transport.pull(node: second.replica.node, after: 0, limit: 10)
        #expect(refused == nil, "a pull from below the floor is refused")
    }
}

/// A restored city that hands the county's pull position out again before the county notices:
/// the pull itself names the change the county applied there, the city refuses to go on from a
/// position it holds another change at, and the county gives back what the restore took.
@Suite("City restore found at the pull")
struct FeedDivergenceTests {
    @Test func aPositionHandedOutAgainIsFoundAndTheLostDecisionComesBack() async throws {
        let setup = try FeedCompactionTests.Setup()
        defer { try? FileManager.default.removeItem(at: setup.dir) }
        let (county, client) = try setup.replica("county.db")
        let rows = makePlatforms("130202", count: 3)
        try county.addPlatforms(rows)
        _ = try await client.syncOnce()
        let backup = try setup.backUpCity()
        _ = try setup.city.recognizePlatform(id: rows[0].id)          // lost by the restore
        _ = try setup.city.updatePlatform(id: rows[1].id) { $0.remarks = "备份后 1" }
        _ = try await client.syncOnce()
        #expect(try county.platform(id: rows[0].id)?.status == .recognized)

        let restored = try setup.restoreCity(from: backup)
        try FeedCompactionTests.Setup.writeAgain(restored, row: rows[2])

        _ = try await client.syncOnce()
        #expect(try restored.platform(id: rows[0].id)?.status == .recognized, "the recognition the restore took came back")
        #expect(try county.platform(id: rows[2].id)?.remarks == "恢复后 3", "and the county has what the city wrote since")
        #expect(try cityMatches(county, restored))
        let evidence = try await county.pool.read { try String.fetchOne($0, sql: "SELECT city_restore_evidence FROM replica") }
        #expect(evidence?.contains("went back in time") == true, "\(evidence ?? "no evidence")")
    }

    /// The restore took a county's new row and the city's decision on it. The county finds the
    /// restore on a pull (its position was handed out again): it sends the row again before it
    /// gives the city back its decision, so the decision lands on the row instead of being
    /// refused as missing and answered with a delete of the county's only copy (fault harness,
    /// seed 20261129, trial 14).
    @Test func aRowTheRestoreTookComesBackWithTheCitysDecisionOnIt() async throws {
        let setup = try FeedCompactionTests.Setup()
        defer { try? FileManager.default.removeItem(at: setup.dir) }
        let (county, client) = try setup.replica("county.db")
        let rows = makePlatforms("130202", count: 3)
        try county.addPlatforms(Array(rows.prefix(2)))
        _ = try await client.syncOnce()
        let backup = try setup.backUpCity()
        try county.addPlatform(rows[2])                               // at the city after the backup
        _ = try await client.syncOnce()
        _ = try setup.city.recognizePlatform(id: rows[2].id)          // and the city's decision on it
        _ = try await client.syncOnce()
        #expect(try county.platform(id: rows[2].id)?.status == .recognized)

        let restored = try setup.restoreCity(from: backup)
        try FeedCompactionTests.Setup.writeAgain(restored, row: rows[0])

        _ = try await client.syncOnce()
        #expect(try restored.platform(id: rows[2].id)?.status == .recognized, "the row came back, with the city's decision on it")
        #expect(try county.platform(id: rows[2].id) != nil, "the county kept its row")
        #expect(try cityMatches(county, restored))
    }

    /// Given back before the county sends the row again, the city's decision on a row the
    /// restore took (the city holds neither the row nor its tombstone) is refused as missing,
    /// and the city asserts nothing in its place: a delete would take the county's copy, the
    /// only one left. The row then comes back with the county's next push.
    @Test func aDecisionGivenBackOnARowTheCityHasNoTraceOfTakesNothingFromTheCounty() async throws {
        let setup = try FeedCompactionTests.Setup()
        defer { try? FileManager.default.removeItem(at: setup.dir) }
        let (county, client) = try setup.replica("county.db")
        let rows = makePlatforms("130202", count: 2)
        try county.addPlatform(rows[0])
        _ = try await client.syncOnce()
        let backup = try setup.backUpCity()
        try county.addPlatform(rows[1])
        _ = try await client.syncOnce()
        _ = try setup.city.recognizePlatform(id: rows[1].id)
        _ = try await client.syncOnce()
        let restored = try setup.restoreCity(from: backup)

        // What the county's repair does once it found the restore: its own changes past the
        // city's mark go again, the city's changes it applied go back.
        let mark = try await restored.pool.read { try Int64.fetchOne($0, sql: "SELECT high_water FROM node_state WHERE node = ?", arguments: [county.replica.node]) } ?? 0
        _ = try county.repairAfterCityRestore(highWater: mark, feedSeq: 0)
        let page = try county.changesToReturn(limit: 100)
        #expect(page.contains { $0.change.rowId == rows[1].id }, "the recognition is given back")
        let answer = try restored.takeBack(county: "130202", ReturnRequest(node: county.replica.node, changes: page))
        #expect(answer.outcomes.contains { $0.outcome == .parked }, "refused: the city holds no such row")
        let feed = try restored.pullFeed(county: "130202", after: 0, limit: 100)
        #expect(!feed.changes.contains { $0.rowId == rows[1].id }, "nothing asserted in its place: \(feed.changes.map { "\($0.op) \($0.rowId.suffix(4))" })")
        try county.returned(page)

        _ = try await client.syncOnce()
        #expect(try county.platform(id: rows[1].id) != nil, "the county kept its row")
        #expect(try restored.platform(id: rows[1].id) != nil, "and the city has it again")
    }
}
