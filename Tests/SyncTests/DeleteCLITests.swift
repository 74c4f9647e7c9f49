import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// Deletes as a first-class operation: `syncctl platform delete` and `syncctl award withdraw`
/// at a county, each stating what the city's rules allow, synced over HTTPS to a real city.
@Suite("Deletes with syncctl", .serialized)
struct DeleteCLITests {
    @Test(.timeLimit(.minutes(2)))
    func aCountyWithdrawsItsProposalAndDeletesItsPlatformAndTheCityFollows() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let platforms = makePlatforms("130202", count: 2)
        try county.addPlatforms(platforms)
        let (kept, mistaken) = (platforms[0], platforms[1])
        let award = try county.proposeAward(Award(county: "130202", platformId: mistaken.id, amount: .yuan(100_000), fiscalYear: 2025))
        let decided = try county.proposeAward(Award(county: "130202", platformId: kept.id, amount: .yuan(30_000), fiscalYear: 2025))
        let sync = ["sync"] + (try cluster.connection("130202"))
        #expect(try cluster.syncctl(sync).status == 0)

        let early = try cluster.syncctl(["platform", "delete", mistaken.id, "--db", county.path])
        #expect(early.status == 1 && early.stderr.contains("has 1 award(s)") && early.stderr.contains("syncctl award withdraw"), "\(early.stderr)")
        let atCity = try cluster.syncctl(["platform", "delete", mistaken.id, "--db", cluster.cityDB])
        #expect(atCity.status != 0 && atCity.stderr.contains("done at its county") && atCity.stderr.contains("syncctl platform revoke"), "\(atCity.stderr)")
        #expect(try cluster.syncctl(["award", "withdraw", award.id, "--db", county.path]).status == 0)
        let deleted = try cluster.syncctl(["platform", "delete", mistaken.id, "--db", county.path])
        #expect(deleted.status == 0 && deleted.stdout.contains("syncs with the next push"))
        #expect(try cluster.syncctl(sync).status == 0)
        let city = try CityDatabase.open(at: cluster.cityDB)
        #expect(try city.platform(id: mistaken.id) == nil && city.award(id: award.id) == nil)
        #expect(try city.tombstoneCount() == 2)

        // What the city decided is the city's to withdraw.
        try city.recognizePlatform(id: kept.id)
        try city.approveAward(id: decided.id)
        #expect(try cluster.syncctl(sync).status == 0)
        let recognised = try cluster.syncctl(["platform", "delete", kept.id, "--db", county.path])
        #expect(recognised.status == 1 && recognised.stderr.contains("only the city withdraws it"), "\(recognised.stderr)")
        let approved = try cluster.syncctl(["award", "withdraw", decided.id, "--db", county.path])
        #expect(approved.status == 1 && approved.stderr.contains("a county withdraws only a proposed or rejected award"), "\(approved.stderr)")
        #expect(try cityMatches(county, city))
    }

    /// The aggregator purges tombstones older than `tombstone-retention-days` when it starts.
    @Test(.timeLimit(.minutes(2)))
    func theAggregatorPurgesTombstonesPastTheRetention() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let platforms = makePlatforms("130202", count: 2)
        try county.addPlatforms(platforms)
        let sync = ["sync"] + (try cluster.connection("130202"))
        #expect(try cluster.syncctl(sync).status == 0)
        for platform in platforms { #expect(try cluster.syncctl(["platform", "delete", platform.id, "--db", county.path]).status == 0) }
        #expect(try cluster.syncctl(sync).status == 0)
        cluster.stopCity()
        _ = try Cluster.capture("/usr/bin/sqlite3", [cluster.cityDB, "UPDATE tombstone SET deleted_at = deleted_at - 40 * 86400000 WHERE row_id = '\(platforms[0].id)'"])
        try await cluster.startCity(["--tombstone-retention-days", "30"])
        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("the old tombstone is purged") { try city.tombstoneCount() == 1 }
        let pki = cluster.pki.path
        let bad = try Cluster.capture(Cluster.binaries.appendingPathComponent("city-aggregator").path,
                                      ["--db", cluster.cityDB, "--cert", "\(pki)/server.pem", "--key", "\(pki)/server.key", "--client-ca", "\(pki)/ca.pem",
                                       "--listen", "127.0.0.1:0", "--tombstone-retention-days", "1"])
        #expect(bad.status == 78 && bad.stderr.contains("tombstone-retention-days"), "\(bad.stderr)")
    }
}
