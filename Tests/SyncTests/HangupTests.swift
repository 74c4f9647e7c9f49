import Foundation
import LocalCluster
import SyncCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP (a `systemctl reload`, a closed terminal) never stops either binary. Release 0.15.0
/// ended both with exit 129 and no log line, which systemd counts as a clean stop and does not
/// restart.
@Suite("SIGHUP", .serialized)
struct HangupTests {
    @Test(.timeLimit(.minutes(2)))
    func sighupKeepsTheAggregatorAndTheDaemonRunningAndSaysWhatItDid() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try cluster.startDaemon("130202")
        try await eventually("the daemon's first sync", timeout: .seconds(30)) { try county.syncPosition().lastPullAtMs != nil }
        let city = try #require(cluster.city?.process.processIdentifier)
        let daemon = try #require(cluster.daemonPid("130202"))
        for _ in 0..<2 {
            kill(city, SIGHUP)
            kill(daemon, SIGHUP)
        }
        try await eventually("both say what SIGHUP did", timeout: .seconds(10)) {
            cluster.logTail("city.log", lines: 30).contains("SIGHUP") && cluster.logTail("county-130202.log", lines: 30).contains("SIGHUP")
        }
        #expect(cluster.city?.isRunning == true, "the aggregator still runs")
        #expect(cluster.daemonRunning("130202"), "the daemon still runs")
        // And it still syncs.
        try county.addPlatforms(makePlatforms("130202", count: 2))
        try await eventually("the daemon pushes after SIGHUP", timeout: .seconds(30)) {
            try county.syncPosition().pushedSeq == county.syncPosition().lastSeq
        }
    }
}
