import CountyDaemon
import Foundation
import LocalCluster
import Logging
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// The county daemon itself running with its machine's wall clock hours or a day off (only the
/// wall clock: `skewclock.so` leaves the monotonic clocks alone). It measures its offset from the
/// city, stamps with the corrected clock, and so its edits neither win nor lose by its clock.
@Suite("A daemon with a wrong clock", .serialized)
struct ClockSkewTests {
    @Test(.timeLimit(.minutes(2)), arguments: [7_200, -7_200, 86_400, -86_400])
    func theDaemonCorrectsItsClockAndConverges(skewSeconds: Int) async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let platform = try county.addPlatform(makePlatforms("130202", count: 1)[0])
        try cluster.startDaemon("130202", skewSeconds: skewSeconds)
        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("the platform at the city") { try cityMatches(county, city) }

        // The daemon measured how far its clock is off and recorded it.
        let offset = try #require(try county.status().clockOffsetMs)
        #expect(abs(offset + Int64(skewSeconds) * 1_000) < 5_000, "measured \(offset) ms for a skew of \(skewSeconds) s")

        // The county edits, then the city edits after seeing it, then the county again: each later
        // edit wins, whichever way the daemon's clock is off.
        _ = try county.updatePlatform(id: platform.id) { $0.remarks = "county first" }
        try await eventually("the county's edit at the city") { try city.platform(id: platform.id)?.remarks == "county first" }
        let stamped = try #require(try city.versions(table: .platform, rowId: platform.id)["remarks"])
        #expect(abs(stamped.hlc.physicalMs - CountyDatabase.wallClockMs()) < 60_000,
                "the county's edit carries the city's time, not its own clock's: \(stamped.hlc)")
        _ = try city.updatePlatform(id: platform.id) { $0.remarks = "city second" }
        try await eventually("the city's later edit at the county") { try county.platform(id: platform.id)?.remarks == "city second" }
        _ = try county.updatePlatform(id: platform.id) { $0.remarks = "county third" }
        try await eventually("the county's later edit at the city") { try city.platform(id: platform.id)?.remarks == "county third" }
        #expect(try city.conflicts().isEmpty, "sequential edits are never taken for concurrent ones")

        // No clock anywhere moved past the real time.
        let cityClock = try Cluster.capture("/usr/bin/sqlite3", [cluster.cityDB, "SELECT hlc >> 16 FROM replica"]).stdout
        #expect((Int64(cityClock.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .max) < CountyDatabase.wallClockMs() + 60_000)

        // The city's metrics show the county's offset.
        let (cert, key) = try cluster.certificate("130202")
        let metrics = try await cluster.transport(cert: cert, key: key).request(method: "GET", path: "/metrics")
        let text = String(decoding: metrics.body, as: UTF8.self)
        let line = text.split(separator: "\n").first { $0.hasPrefix("sync_county_clock_offset_seconds{county=\"130202\"}") }
        let reported = line.flatMap { Double($0.split(separator: " ").last ?? "") }
        #expect(reported.map { abs($0 + Double(skewSeconds)) < 5 } == true, "\(line ?? "no offset in /metrics")")
    }

    /// Changes stamped while the machine's clock was a day ahead, before the daemon ever measured
    /// its offset (a replica inspected with `syncctl` first): the city refuses them as
    /// `clock_ahead`, the daemon stamps them again with the corrected clock, and they arrive.
    @Test(.timeLimit(.minutes(2)))
    func changesStampedAheadBeforeTheOffsetWasKnownAreStampedAgain() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 3))
        // Stamped as a machine a day ahead would have stamped them.
        try county.recordClockOffset(86_400_000)
        #expect(try county.outbox().allSatisfy { $0.hlc.physicalMs > CountyDatabase.wallClockMs() + 3_600_000 })
        try cluster.startDaemon("130202")
        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("the rows at the city") { try county.pendingCount() == 0 && cityMatches(county, city) }
        #expect(cluster.logTail("county-130202.log", lines: 40).contains("stamped them again"))
        let cityClock = try Cluster.capture("/usr/bin/sqlite3", [cluster.cityDB, "SELECT hlc >> 16 FROM replica"]).stdout
        #expect((Int64(cityClock.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .max) < CountyDatabase.wallClockMs() + 60_000)
    }

    /// A bad day twice over: the city applied a batch but its answer was lost, and then changes
    /// stamped a day ahead are refused as `clock_ahead`. Stamping again must leave the changes the
    /// city already applied as they were sent: the resent batch is then the very same, and the
    /// replica is not taken for one restored from a backup.
    @Test(.timeLimit(.minutes(2)))
    func changesTheCityAppliedAreNotStampedAgain() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let node = county.replica.node
        try county.addPlatforms(makePlatforms("130202", count: 3))
        let (cert, key) = try cluster.certificate("130202")
        let applied = try #require(try county.nextPushBatch(limit: 10))
        _ = try await cluster.transport(cert: cert, key: key).push(applied)  // applied at the city; the answer never arrives
        try county.recordClockOffset(86_400_000)
        try county.addPlatforms(makePlatforms("130202", count: 2, offset: 10))
        #expect(try county.outbox().count == 5, "the two new changes are stamped a day ahead")
        try cluster.startDaemon("130202")
        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("the rows at the city") { try county.pendingCount() == 0 && cityMatches(county, city) }
        #expect(cluster.logTail("county-130202.log", lines: 40).contains("stamped them again"))
        let reopened = try CountyDatabase.open(at: county.path)
        #expect(reopened.replica.node == node, "no new epoch: \(cluster.logTail("county-130202.log", lines: 20))")
        #expect(try city.conflicts().isEmpty)
    }

    /// The city's feed read against a clock offset gone stale by hours (the city's clock was
    /// corrected since it was measured): the first page is refused as `clock_ahead`, the offset
    /// measured again and the page read again. The page after it, asked for while the first was
    /// being applied, must not be applied in its place, or the first page's edits are skipped.
    @Test(.timeLimit(.minutes(2)))
    func aPageReadAgainAfterAStaleOffsetIsNotSkipped() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let rows = makePlatforms("130202", count: 6)
        try county.addPlatforms(rows)
        let (cert, key) = try cluster.certificate("130202")
        var logger = Logger(label: "clock-skew-test")
        logger.logLevel = .critical
        let client = SyncClient(database: county, transport: try cluster.transport(cert: cert, key: key), logger: logger, pullPage: 2)
        _ = try await client.syncOnce()
        let city = try CityDatabase.open(at: cluster.cityDB)
        for row in rows { _ = try city.updatePlatform(id: row.id) { $0.remarks = "市里改过" } }
        try county.recordClockOffset(-3 * 3_600_000)
        #expect(try await client.pullAll() == rows.count)
        for row in rows { #expect(try county.platform(id: row.id)?.remarks == "市里改过", "\(row.id)") }
        #expect(abs(try #require(try county.status().clockOffsetMs)) < 60_000, "the offset was measured again")
    }
}
