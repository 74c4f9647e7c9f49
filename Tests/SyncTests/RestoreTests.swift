import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// A county replica replaced by an older copy of itself: its sequence is behind what the city
/// acknowledged. The city detects it, the county continues as a new node and merges the city's
/// copy of its rows; nothing is skipped and nothing is lost.
@Suite("Restore from backup", .serialized)
struct RestoreTests {
    /// A running city and county 130202's replica holding `rows`, synced once by `syncctl sync`,
    /// whose arguments come along.
    static func syncedCounty(_ rows: [Platform]) async throws -> (cluster: Cluster, county: CountyDatabase, sync: [String]) {
        let cluster = try Cluster()
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let sync = ["sync"] + (try cluster.connection("130202", dbPath: county.path))
        try county.addPlatforms(rows)
        #expect(try cluster.syncctl(sync).status == 0)
        return (cluster, county, sync)
    }

    /// Closes `county`'s connections, puts `backup` in its place, and opens the restored replica.
    static func restore(_ county: CountyDatabase, from backup: String) throws -> CountyDatabase {
        try county.pool.close()
        try Cluster.restore(county.path, from: backup)
        return try CountyDatabase.open(at: county.path)
    }

    /// A county's machine is replaced with no backup (issue 10 #9): `syncctl init` on the new
    /// machine, and its first sync brings every row the city holds for the county, so the city's
    /// later edits of them apply instead of being parked as `missing_row`.
    @Test(.timeLimit(.minutes(2)))
    func aReplacementReplicaStartsWithTheRowsTheCityHolds() async throws {
        let rows = makePlatforms("130202", count: 6)
        let (cluster, county, _) = try await Self.syncedCounty(rows)
        defer { cluster.cleanUp() }
        let award = try county.proposeAward(Award(county: "130202", platformId: rows[0].id, amount: .yuan(50_000), fiscalYear: 2025))
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202", dbPath: county.path)).status == 0)
        let city = try CityDatabase.open(at: cluster.cityDB)
        try city.recognizePlatform(id: rows[0].id)

        let replacement = cluster.dir.appendingPathComponent("replacement.db").path
        let made = try cluster.syncctl(["init", "--db", replacement, "--county", "130202"])
        #expect(made.status == 0 && made.stdout.contains("on first contact"), "\(made.stdout)")
        let sync = ["sync"] + (try cluster.connection("130202", dbPath: replacement))
        #expect(try cluster.syncctl(sync).status == 0)
        let fresh = try CountyDatabase.open(at: replacement)
        #expect(try fresh.platforms() == city.platforms() && fresh.awards() == city.awards(), "the replacement has the county's rows")
        #expect(try fresh.award(id: award.id) != nil && fresh.platform(id: rows[0].id)?.status == .recognized)

        try city.approveAward(id: award.id)
        try city.updatePlatform(id: rows[3].id) { $0.contact = "市局 王" }
        #expect(try cluster.syncctl(sync).status == 0)
        #expect(try fresh.award(id: award.id)?.status == .approved && fresh.platform(id: rows[3].id)?.contact == "市局 王")
        #expect(try fresh.parked().isEmpty && city.parked().isEmpty, "nothing parked as missing_row")
        let verify = try cluster.syncctl(["verify"] + cluster.connection("130202", dbPath: replacement))
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    @Test(.timeLimit(.minutes(2)))
    func aRestoredCountyIsDetectedAndRepairedWithoutLosingAnything() async throws {
        let before = makePlatforms("130202", count: 5)
        let (cluster, county, sync) = try await Self.syncedCounty(before)
        defer { cluster.cleanUp() }
        let path = county.path

        let backup = cluster.dir.appendingPathComponent("backup.db").path
        try Cluster.backUp(path, to: backup)
        let lostByRestore = makePlatforms("130202", count: 5, offset: 100)
        try county.addPlatforms(lostByRestore)
        #expect(try cluster.syncctl(sync).status == 0)
        let oldNode = county.replica.node

        // The restore: the replica goes back to the backup; the city keeps what it has.
        let restored = try Self.restore(county, from: backup)
        #expect(try restored.platforms().count == 5)
        let afterRestore = makePlatforms("130202", count: 7, offset: 200)
        try restored.addPlatforms(afterRestore)   // reuses seqs the city holds for the lost changes

        let repair = try cluster.syncctl(sync)
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(restored.replica.node != oldNode, "the replica continues under a new node")
        let city = try CityDatabase.open(at: cluster.cityDB)
        let ids = { (platforms: [Platform]) in Set(platforms.map(\.id)) }
        #expect(ids(try city.platforms()) == ids(before + lostByRestore + afterRestore), "the changes made after the restore reached the city")
        #expect(ids(try restored.platforms()) == ids(before + lostByRestore + afterRestore), "the changes the restore lost came back")
        #expect(try cityMatches(restored, city))
        #expect(try restored.pendingCount() == 0)

        let status = try cluster.syncctl(["status", "--db", path, "--json"])
        #expect(status.stdout.contains("epochStartedAt") && status.stdout.contains("restored from a backup"), "\(status.stdout)")
        let cityStatus = try cluster.syncctl(["status", "--db", cluster.cityDB, "--json"])
        #expect(cityStatus.stdout.contains(#""nodes" : 2"#), "the city sees the county's second epoch")
        let verify = try cluster.syncctl(["verify"] + sync.dropFirst())
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    /// A delete made after the backup and pushed, then lost by the restore (issue 10 #3): the
    /// city's snapshot carries its tombstone, and the restored replica deletes the row again.
    @Test(.timeLimit(.minutes(2)))
    func aDeleteLostByARestoreIsRecovered() async throws {
        let before = makePlatforms("130202", count: 4)
        let (cluster, county, sync) = try await Self.syncedCounty(before)
        defer { cluster.cleanUp() }
        let backup = cluster.dir.appendingPathComponent("backup.db").path
        try Cluster.backUp(county.path, to: backup)
        let deleted = before[2].id
        _ = try Cluster.capture("/usr/bin/sqlite3", [county.path, "DELETE FROM platform WHERE id = '\(deleted)'"])
        #expect(try cluster.syncctl(sync).status == 0)
        let city = try CityDatabase.open(at: cluster.cityDB)
        #expect(try city.platform(id: deleted) == nil)

        let restored = try Self.restore(county, from: backup)
        #expect(try restored.platform(id: deleted) != nil, "the restore brought the row back")
        try restored.addPlatforms(makePlatforms("130202", count: 2, offset: 300))   // reuses the delete's seq
        let repair = try cluster.syncctl(sync)
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(try restored.platform(id: deleted) == nil, "the delete came back with the city's tombstone")
        #expect(try city.platform(id: deleted) == nil, "and nothing brought the row back at the city")
        #expect(try cityMatches(restored, city))
        let verify = try cluster.syncctl(["verify"] + sync.dropFirst())
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    /// The city database is restored from a backup (issue 10 #8): the county finds it from the
    /// city's answers, sends again what the city lost from its own log, and pulls on from the
    /// end of the city's feed; `status --check` reports the event on both sides until repaired.
    @Test(.timeLimit(.minutes(2)))
    func aRestoredCityIsFoundAndGetsBackWhatItLost() async throws {
        let before = makePlatforms("130202", count: 3)
        let (cluster, county, sync) = try await Self.syncedCounty(before)
        defer { cluster.cleanUp() }
        let cityBackup = cluster.dir.appendingPathComponent("city-backup.db").path
        try Cluster.backUp(cluster.cityDB, to: cityBackup)
        let lostByCity = makePlatforms("130202", count: 4, offset: 100)
        try county.addPlatforms(lostByCity)
        #expect(try cluster.syncctl(sync).status == 0)
        try CityDatabase.open(at: cluster.cityDB).recognizePlatform(id: before[0].id)
        #expect(try cluster.syncctl(sync).status == 0)
        #expect(try county.platform(id: before[0].id)?.status == .recognized)

        cluster.stopCity()
        try Cluster.restore(cluster.cityDB, from: cityBackup)
        try await cluster.startCity()
        let city = try CityDatabase.open(at: cluster.cityDB)
        #expect(try city.platforms().count == 3, "the restored city lost four platforms")

        // The county reports what the city had acknowledged; the city's check names the gap.
        let (cert, key) = try cluster.certificate("130202")
        let transport = try cluster.transport(cert: cert, key: key)
        _ = try await transport.heartbeat(try county.heartbeat())
        let cityCheck = try cluster.syncctl(["status", "--db", cluster.cityDB, "--check"])
        #expect(cityCheck.status == 1 && cityCheck.stdout.contains("restored from a backup"), "\(cityCheck.stdout)")

        let repair = try cluster.syncctl(sync)
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(Set(try city.platforms().map(\.id)) == Set((before + lostByCity).map(\.id)), "the city has what it lost")
        // The city's own decision made after the backup came back from the county that pulled it,
        // under its seal, and both sides hold the same rows.
        #expect(try city.platform(id: before[0].id)?.status == .recognized, "the city's recognition came back")
        #expect(try county.returningCount() == 0)
        let verify = try cluster.syncctl(["verify"] + (try cluster.connection("130202", dbPath: county.path)))
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let status = try cluster.syncctl(["status", "--db", county.path])
        #expect(status.stdout.contains("city restore") && status.stdout.contains("restored from a backup") && status.stdout.contains("repaired"), "\(status.stdout)")
        #expect(try cluster.syncctl(["status", "--db", cluster.cityDB, "--check"]).status == 0)

        // Pulls resume: a city edit made after the restore reaches the county.
        try city.updatePlatform(id: lostByCity[1].id) { $0.contact = "市局 王" }
        #expect(try cluster.syncctl(sync).status == 0)
        #expect(try county.platform(id: lostByCity[1].id)?.contact == "市局 王")
        #expect(try county.pendingCount() == 0)
    }

    /// A replica restored from a backup with nothing new to push: the heartbeat shows the city
    /// holds changes beyond the end of its log, and the repair runs all the same.
    @Test(.timeLimit(.minutes(2)))
    func aRestoreWithNothingNewToPushIsFoundByTheHeartbeat() async throws {
        let (cluster, county, sync) = try await Self.syncedCounty(makePlatforms("130202", count: 3))
        defer { cluster.cleanUp() }
        let backup = cluster.dir.appendingPathComponent("backup.db").path
        try Cluster.backUp(county.path, to: backup)
        let lostByRestore = makePlatforms("130202", count: 4, offset: 100)
        try county.addPlatforms(lostByRestore)
        #expect(try cluster.syncctl(sync).status == 0)
        let oldNode = county.replica.node

        let restored = try Self.restore(county, from: backup)
        #expect(try restored.pendingCount() == 0, "nothing new to push, so no push can reveal the restore")

        #expect(try cluster.syncctl(sync).status == 0)
        #expect(restored.replica.node != oldNode)
        let city = try CityDatabase.open(at: cluster.cityDB)
        #expect(Set(try restored.platforms().map(\.id)).isSuperset(of: lostByRestore.map(\.id)), "what the restore took came back")
        #expect(try cityMatches(restored, city))
    }

    /// A new epoch whose merge of the city's rows was cut short finishes it on the next sync,
    /// instead of carrying on as a new node without the rows the restore lost.
    @Test(.timeLimit(.minutes(2)))
    func anInterruptedMergeIsFinishedByTheNextSync() async throws {
        let rows = makePlatforms("130202", count: 6)
        let (cluster, county, sync) = try await Self.syncedCounty(rows)
        defer { cluster.cleanUp() }
        // The state a crash right after the epoch began leaves: a new node, no merge yet, and the
        // rows gone from the replica (as a restore would have taken them, so not captured).
        try county.beginNewEpoch()
        #expect(try county.snapshotPending())
        #expect(try Cluster.capture("/usr/bin/sqlite3", [county.path, "BEGIN; UPDATE replica SET capture = 0; DELETE FROM platform; UPDATE replica SET capture = 1; COMMIT;"]).status == 0)
        let pushed = try cluster.syncctl(sync)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(try !county.snapshotPending())
        #expect(Set(try county.platforms().map(\.id)) == Set(rows.map(\.id)), "the merge brought every row back")
    }

    /// A backup taken while changes were still unpushed: after the restore those changes are
    /// sent again exactly as the city applied them. They are acknowledged under the old node, and
    /// the new epoch starts at the first change that really differs, so nothing is applied twice.
    @Test(.timeLimit(.minutes(2)))
    func changesTheCityAlreadyHasAreNotSentAgainUnderTheNewNode() async throws {
        let (cluster, county, sync) = try await Self.syncedCounty(makePlatforms("130202", count: 3))
        defer { cluster.cleanUp() }
        for platform in makePlatforms("130202", count: 2, offset: 10) { try county.addPlatform(platform) }  // seqs 4 and 5, unpushed
        let backup = cluster.dir.appendingPathComponent("backup.db").path
        try Cluster.backUp(county.path, to: backup)
        #expect(try cluster.syncctl(sync).status == 0)
        for platform in makePlatforms("130202", count: 3, offset: 20) { try county.addPlatform(platform) }  // seqs 6 to 8, lost by the restore
        #expect(try cluster.syncctl(sync).status == 0)
        let oldNode = county.replica.node

        let restored = try Self.restore(county, from: backup)
        for platform in makePlatforms("130202", count: 2, offset: 30) { try restored.addPlatform(platform) }  // seqs 6 and 7 again, other rows
        let repair = try cluster.syncctl(sync)
        #expect(repair.status == 0, "\(repair.stderr)")
        let newNode = restored.replica.node
        #expect(newNode != oldNode)

        func applied(_ node: String) throws -> String {
            try Cluster.capture("/usr/bin/sqlite3", [cluster.cityDB, "SELECT group_concat(seq) FROM (SELECT seq FROM applied_seq WHERE node = '\(node)' ORDER BY seq)"]).stdout
        }
        let (old, new) = (try applied(oldNode), try applied(newNode))
        #expect(old == "1,2,3,4,5,6,7,8\n", "\(old)")
        #expect(new == "6,7\n", "only the changes made after the restore, under the new node: \(new)")
        let city = try CityDatabase.open(at: cluster.cityDB)
        let counts = (try city.platforms().count, try restored.platforms().count)
        #expect(try cityMatches(restored, city), "\(counts.0) rows at the city, \(counts.1) at the county")
        #expect(try restored.platforms().count == 10)
    }
}
