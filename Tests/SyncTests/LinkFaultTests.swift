import CurlTransport
import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// A bad link between a county and the city, through the fault proxy: a request cut mid-body
/// changes nothing at the city, a black hole never hangs the daemon, and a link too slow for a
/// full batch still gets everything across.
@Suite("Link faults", .serialized)
struct LinkFaultTests {
    /// A running aggregator and a fault proxy in front of it.
    static func cityBehindProxy() async throws -> (Cluster, FaultProxy) {
        let cluster = try Cluster()
        try await cluster.startCity()
        return (cluster, try FaultProxy(upstream: { cluster.cityPort }))
    }

    @Test(.timeLimit(.minutes(2)))
    func aPushCutMidBodyChangesNothingAndTheRetryLands() async throws {
        let (cluster, proxy) = try await Self.cityBehindProxy()
        defer { proxy.stop(); cluster.cleanUp() }
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 200))
        let batch = try #require(try county.nextPushBatch(limit: 200))
        let (cert, key) = try cluster.certificate("130202")
        let viaProxy = try CurlTransport(TransportConfiguration(
            baseURL: proxy.url, caFile: cluster.pki.appendingPathComponent("ca.pem").path, certFile: cert, keyFile: key,
            connectTimeout: .seconds(2), requestTimeout: .seconds(5)))

        proxy.set(.reset, resetAfterBytes: 20_000)
        await #expect(throws: TransportError.self, "the request is cut after 20 kB of a larger body") {
            try await viaProxy.push(batch)
        }
        #expect((proxy.hits[.reset] ?? 0) >= 1)
        let city = try CityDatabase.open(at: cluster.cityDB)
        #expect(try city.platforms().isEmpty, "a truncated push applies nothing")

        proxy.set(.pass)
        let answer = try await viaProxy.push(batch)
        #expect(answer.highWater == batch.lastSeq)
        try county.acknowledge(batch, answer)
        #expect(try cityMatches(county, city))
    }

    @Test(.timeLimit(.minutes(2)))
    func aBlackHoleTimesOutAndTheDaemonRecoversWhenTheLinkHeals() async throws {
        let (cluster, proxy) = try await Self.cityBehindProxy()
        defer { proxy.stop(); cluster.cleanUp() }
        let county = try cluster.makeCounty("130202")
        proxy.set(.blackHole)
        try cluster.startDaemon("130202", via: proxy.url, extra: ["--request-timeout", "2", "--connect-timeout", "1"])
        try county.addPlatforms(makePlatforms("130202", count: 20))

        try await eventually("the daemon to give up on the black hole", timeout: .seconds(30)) {
            try county.syncPosition().lastError != nil
        }
        let error = try county.syncPosition().lastError ?? ""
        #expect(error.lowercased().contains("timeout") || error.contains("timed out"), "\(error)")
        #expect(cluster.daemonRunning("130202"), "a timeout is a failure to retry, not a reason to exit")
        #expect(try county.syncPosition().pushedSeq == 0)

        proxy.set(.pass)
        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("the backlog to drain once the link heals", timeout: .seconds(30)) {
            try county.pendingCount() == 0 && cityMatches(county, city)
        }
    }

    @Test(.timeLimit(.minutes(4)))
    func aLinkTooSlowForAFullBatchStillCarriesEverything() async throws {
        let (cluster, proxy) = try await Self.cityBehindProxy()
        defer { proxy.stop(); cluster.cleanUp() }
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 400))
        // About 160 kB of changes, deflated to about a fifth, at 3 kB/s against a 2 s deadline: a
        // full batch can never make it.
        proxy.set(.slow, bytesPerSecond: 3_000)
        try cluster.startDaemon("130202", batchSize: 1_000, via: proxy.url, extra: ["--request-timeout", "2", "--connect-timeout", "1"])

        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("every change to cross the slow link", timeout: .seconds(180)) {
            try county.pendingCount() == 0 && cityMatches(county, city)
        }
        #expect(cluster.logTail("county-130202.log", lines: 400).contains("timed out"),
                "full batches timed out first; smaller ones got through")
    }

    @Test(.timeLimit(.minutes(4)))
    func aLinkTooSlowForAFullPullPageStillBringsTheCitysChanges() async throws {
        let (cluster, proxy) = try await Self.cityBehindProxy()
        defer { proxy.stop(); cluster.cleanUp() }
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 400))
        try cluster.startDaemon("130202", via: proxy.url, extra: ["--request-timeout", "2", "--connect-timeout", "1"])
        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("the first sync") { try county.pendingCount() == 0 && cityMatches(county, city) }

        // A bulk edit at the city: about 200 kB of feed at 30 kB/s against a 2 s deadline, so a
        // full page of the feed can never make it.
        let remark = String(repeating: "市级评估：运行良好。", count: 14)
        for platform in try city.platforms() { try city.updatePlatform(id: platform.id) { $0.remarks = remark } }
        proxy.set(.slow, bytesPerSecond: 30_000)
        try await eventually("the city's edits to cross the slow link", timeout: .seconds(180)) {
            try cityMatches(county, city)
        }
        #expect(try county.platforms().allSatisfy { $0.remarks == remark })
    }
}
