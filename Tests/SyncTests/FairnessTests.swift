import Foundation
import LocalCluster
import Synchronization
import SyncCore
import SyncProtocol
import Testing
@testable import CityServer

/// No county starves another: the bulk lane serves counties round-robin with a bounded queue
/// each (429 past it), drops work whose client has gone, and a request body must arrive whole in
/// time. The lane alone here, and slow bodies against the real aggregator over mutual TLS.
@Suite("Fair to every county", .serialized)
struct FairnessTests {
    /// What the jobs did, in order.
    final class Recorder: Sendable {
        private let items = Mutex<[String]>([])
        func add(_ item: String) { items.withLock { $0.append(item) } }
        var all: [String] { items.withLock { $0 } }
    }

    /// A gate the first job waits on, so jobs queue behind it.
    final class Gate: Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        func wait() { semaphore.wait() }
        func open() { semaphore.signal() }
    }

    @Test(.timeLimit(.minutes(3)))
    func countiesAreServedInTurnAndAFullQueueIsRefused() async throws {
        let lane = BulkLane(niceness: 0, queuedPerCounty: 3)
        let gate = Gate()
        let order = Recorder()
        // County A's first job holds the lane; two more of A's and one of B's queue behind it.
        // Each step waits for the lane to hold what was sent, not for a time.
        let blocker = Task { try await lane.run(county: "A") { gate.wait(); order.add("A0") } }
        try await eventually("A's first job on the lane") { lane.queued("A") == 1 }
        var tasks: [Task<Void, any Error>] = []
        for index in 1...2 {
            tasks.append(Task { try await lane.run(county: "A") { order.add("A\(index)") } })
        }
        try await eventually("A's three jobs on the lane") { lane.queued("A") == 3 }
        tasks.append(Task { try await lane.run(county: "B") { order.add("B0") } })
        try await eventually("B's job on the lane") { lane.queued("B") == 1 }
        // A has its three (one running, two waiting): a fourth is refused at once.
        do {
            try await lane.run(county: "A") { order.add("A3") }
            Issue.record("a fourth job of A was queued")
        } catch let full as BulkLane.LaneFull {
            #expect(full.county == "A" && full.queued == 3)
        }
        gate.open()
        try await blocker.value
        for task in tasks { try await task.value }
        // B waited for one job of A, not for all of A's.
        #expect(order.all == ["A0", "B0", "A1", "A2"], "\(order.all)")
    }

    @Test(.timeLimit(.minutes(3)))
    func workWhoseClientHasGoneIsDroppedBeforeItStarts() async throws {
        let lane = BulkLane(niceness: 0, queuedPerCounty: 8)
        let gate = Gate()
        let ran = Recorder()
        let blocker = Task { try await lane.run(county: "A") { gate.wait() } }
        try await eventually("the blocking job on the lane") { lane.queued("A") == 1 }
        let gone = Task { try await lane.run(county: "A", isGone: { true }) { ran.add("ran") } }
        let cancelled = Task { try await lane.run(county: "A") { ran.add("ran") } }
        try await eventually("both jobs queued behind it") { lane.queued("A") == 3 }
        cancelled.cancel()
        gate.open()
        try await blocker.value
        await #expect(throws: CancellationError.self) { try await gone.value }
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(ran.all.isEmpty, "neither abandoned job ran")
        #expect(lane.queued("A") == 0)
    }

    /// A county trickling a body: refused with 408 when the body is not whole in time (and its
    /// connection closed), and at most four bodies of one county are received at once (429).
    @Test(.timeLimit(.minutes(2)))
    func slowBodiesAreCutOffAndBoundedPerCounty() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity(["--body-timeout-seconds", "5"])
        let county = try cluster.makeCounty("130202")
        _ = try cluster.makeCounty("130203")
        let (cert, key) = try cluster.certificate("130202")
        let body = cluster.dir.appendingPathComponent("slow.json")
        try Data(repeating: 0x20, count: 400).write(to: body)
        func slowPush() throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", cluster.pki.appendingPathComponent("ca.pem").path,
                                 "--cert", cert, "--key", key, "-H", "Content-Type: application/json", "-H", "Sync-Protocol: 2",
                                 "--limit-rate", "20", "--data-binary", "@\(body.path)", cluster.cityURL + "/v1/push"]
            process.standardOutput = Pipe()
            try process.run()
            return process
        }
        let slow = try (0..<4).map { _ in try slowPush() }
        try await Task.sleep(for: .seconds(2))
        // A fifth body of the same county is refused at once.
        let fifth = try Cluster.capture("/usr/bin/curl", ["-s", "-i", "--cacert", cluster.pki.appendingPathComponent("ca.pem").path,
                                                          "--cert", cert, "--key", key, "-H", "Sync-Protocol: 2", "--data-binary", #"{"node":"x"}"#,
                                                          cluster.cityURL + "/v1/push"]).stdout
        #expect(fifth.hasPrefix("HTTP/1.1 429") && fifth.lowercased().contains("retry-after: 1") && fifth.contains("too_many_requests"),
                "\(fifth.prefix(400))")
        // The county's libcurl client reads the wait from the header (the daemon then waits at
        // least that long before its next round: `SyncSchedule.failed(retryAfter:)`).
        try county.addPlatforms(makePlatforms("130202", count: 1))
        let batch = try #require(try county.nextPushBatch(limit: 10))
        do {
            _ = try await cluster.transport(cert: cert, key: key).push(batch)
            Issue.record("a fifth body of the county was taken")
        } catch let error as TransportError {
            #expect(error.retryAfter == .seconds(1) && error.isRetryable, "\(error)")
        }
        // Another county is not held up by them.
        let (otherCert, otherKey) = try cluster.certificate("130203")
        let other = try cluster.transport(cert: otherCert, key: otherKey)
        let started = ContinuousClock.now
        #expect(try await other.request(method: "GET", path: "/healthz").status == 200)
        // Not held behind them: they would take 20 s (the bound leaves room for a machine slowed
        // by the rest of the suite; the fairness figures are the flood benchmark's).
        #expect(ContinuousClock.now - started < .seconds(10))
        // The slow ones are cut off at the deadline, not after the 20 s their bodies would take.
        let deadline = ContinuousClock.now + .seconds(15)
        while slow.contains(where: \.isRunning), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        #expect(slow.allSatisfy { !$0.isRunning }, "the slow bodies were cut off")
        for process in slow where process.isRunning { process.terminate() }
        #expect(cluster.city?.isRunning == true)
        let log = cluster.logTail("city.log", lines: 40)
        #expect(log.contains("request_timeout") || log.contains("408"), "\(log)")
    }
}
