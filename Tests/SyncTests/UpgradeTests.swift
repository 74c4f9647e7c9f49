import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// Upgrading in place: a city database and a county replica made by release 0.10.0 (fixtures in
/// `Tests/Fixtures/release-0.10.0`) upgrade on the first start of this release's binaries, and
/// the changes the county had not pushed, one stamped by the old release and one not, reach the
/// city. The protocol kept its messages compatible: fields it added are optional both ways.
@Suite("Upgrade in place", .serialized)
struct UpgradeTests {
    static let fixtures = Cluster.packageRoot.appendingPathComponent("Tests/Fixtures/release-0.10.0")
    static let lab = "01a22e82-8104-71ae-a97a-c5eb858a5cfa"
    static let incubator = "01a22e82-8132-7170-9d2a-46097541e133"
    static let award = "01a22e82-8161-7109-beb5-ae1ffc5ea9d3"

    @Test(.timeLimit(.minutes(2)))
    func databasesOfTheLastReleaseUpgradeAndNothingPendingIsLost() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let countyPath = cluster.countyDBPath("130202")
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("city.db").path, toPath: cluster.cityDB)
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("county.db").path, toPath: countyPath)
        try await cluster.startCity()

        // Inspection never writes, so it names the upgrade instead of making it.
        let before = try cluster.syncctl(["status", "--db", countyPath])
        #expect(before.status == 2 && before.stderr.contains("made by an older release"), "\(before.stderr)")
        let sync = try cluster.syncctl(["sync"] + cluster.connection("130202"))
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stdout.contains("pushed 2"), "the two pending changes: \(sync.stdout)")

        let city = try CityDatabase.open(at: cluster.cityDB)
        let county = try CountyDatabase.open(at: countyPath)
        #expect(try city.platforms().count == 3, "the enterprise added before the upgrade reached the city")
        #expect(try city.platform(id: Self.incubator)?.contact == "王工 0315-1234567", "the change stamped by the old release reached the city")
        #expect(try county.award(id: Self.award)?.approvedAmount == .yuan(80_000) && county.platform(id: Self.lab)?.status == .recognized)
        #expect(try county.pendingCount() == 0 && county.parked().isEmpty && city.parked().isEmpty)
        #expect(try cityMatches(county, city))
        let verify = try cluster.syncctl(["verify"] + cluster.connection("130202"))
        #expect(verify.status == 0, "\(verify.stdout)")
        // The migrated databases have exactly the schema of databases this release creates.
        let freshCity = try CityDatabase.create(at: cluster.dir.appendingPathComponent("fresh-city.db").path)
        let freshCounty = try CountyDatabase.create(at: cluster.dir.appendingPathComponent("fresh-county.db").path, county: "130202")
        #expect(try city.schemaSQL() == freshCity.schemaSQL())
        #expect(try county.schemaSQL() == freshCounty.schemaSQL())
    }
}

/// Counties of an older protocol while they are upgraded one by one.
@Suite("Protocol versions", .serialized)
struct ProtocolVersionTests {
    /// By default the city serves counties that send no version (release 0.10); with
    /// `--min-protocol 2` it refuses them with 426 `upgrade_needed`, naming what to do, while this
    /// release's libcurl client (which sends `Sync-Protocol: 2`) goes on syncing.
    @Test(.timeLimit(.minutes(2)))
    func anOlderCountyIsServedUntilTheCityRequiresTheUpgrade() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let (cert, key) = try cluster.certificate("130202")
        let ca = cluster.pki.appendingPathComponent("ca.pem").path
        func oldCounty() throws -> (status: Int32, stdout: String) {
            let result = try Cluster.capture("/usr/bin/curl", ["-s", "-o", "/dev/stdout", "-w", "\n%{http_code}", "--cacert", ca, "--cert", cert, "--key", key,
                                                             cluster.cityURL + "/v1/pull?after=0"])
            return (result.status, result.stdout)
        }
        try await cluster.startCity()
        #expect(try oldCounty().stdout.hasSuffix("200"), "a county that sends no version is served")
        cluster.stopCity()
        try await cluster.startCity(["--min-protocol", "2"])
        let refused = try oldCounty().stdout
        #expect(refused.hasSuffix("426") && refused.contains("upgrade_needed") && refused.contains("nothing is lost"), "\(refused)")
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 2))
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0, "this release's client speaks 2")
        #expect(try CityDatabase.open(at: cluster.cityDB).platforms().count == 2)
    }
}
