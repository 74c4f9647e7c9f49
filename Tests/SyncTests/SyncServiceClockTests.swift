import Clocks
import CountyDaemon
import Foundation
import LocalCluster
import Logging
import SyncCore
import SyncProtocol
import SyncStore
import Synchronization
import Testing

/// The daemon's loop on a test clock: it waits only on the clock it is given, so its backoff and
/// pull schedule are checked by advancing time instead of sleeping through it.
@Suite("Sync service on a test clock")
struct SyncServiceClockTests {
    // Generous deadlines: beside the other suites on two cores, the service's task may wait a
    // while for a thread (a minute in a full run); nothing here measures time on the wall clock.
    @Test(.timeLimit(.minutes(5)))
    func aFailingLinkIsRetriedWithBackoffOnTheServicesClock() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("service-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let city = try CityDatabase.create(at: dir.appendingPathComponent("city.db").path, node: "city-clock")
        let county = try CountyDatabase.create(at: dir.appendingPathComponent("county.db").path, county: "130202")
        try county.addPlatforms(makePlatforms("130202", count: 5))
        let transport = InMemoryTransport(city: city, county: "130202")
        transport.failNextRequests(3)
        var logger = Logger(label: "service")
        logger.logLevel = .critical
        var configuration = CountyDaemonConfiguration(databasePath: county.path, cityURL: "https://city.invalid", caFile: "", certFile: "", keyFile: "")
        configuration.maxBackoffSeconds = 60
        configuration.pullIntervalSeconds = 30
        let clock = TestClock()
        let service = SyncService(client: SyncClient(database: county, transport: transport, logger: logger), configuration: configuration,
                                  logger: logger, clock: clock)
        let running = Task { try await service.run() }
        defer { running.cancel() }

        // The first round fails at once; with the test clock standing still, nothing is retried.
        try await eventually("the first round", timeout: .seconds(90)) { transport.requests >= 1 }
        for _ in 0..<50 { await Task.yield() }
        #expect(transport.requests == 1, "no retry before the clock moves")

        // Time moves in steps of the watch interval until the backlog is through.
        var advanced = Duration.zero
        let deadline = ContinuousClock.now + .seconds(90)
        while try city.platforms().count < 5 && ContinuousClock.now < deadline {
            await clock.advance(by: .milliseconds(250))
            advanced += .milliseconds(250)
            try await Task.sleep(for: .milliseconds(5))   // real time, for the service's task to run
        }
        #expect(try city.platforms().count == 5, "the backlog went through once the link was back")
        // Three failures back off at least a tenth of 1, 2 and 4 s (full jitter above a floor).
        #expect(advanced >= .milliseconds(700), "retries waited on the service's clock: \(advanced)")
        #expect(transport.requests >= 4)

        // The round that carried the backlog still pulls and sends its heartbeat: with the clock
        // standing still no other round starts, so the count settles once that round is done.
        var settled = -1
        while settled != transport.requests {
            settled = transport.requests
            try await Task.sleep(for: .milliseconds(500))   // real time
        }
        // Idle: the next pull comes when the pull interval is up on the clock, not before.
        let idle = transport.requests
        await clock.advance(by: .seconds(10))
        for _ in 0..<50 { await Task.yield() }
        #expect(transport.requests == idle, "nothing to push and the pull interval not up")
        await clock.advance(by: .seconds(25))
        try await eventually("the next pull", timeout: .seconds(90)) { transport.requests > idle }
    }
}
