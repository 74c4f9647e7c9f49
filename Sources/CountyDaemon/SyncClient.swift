import Foundation
import Logging
import SyncCore
import SyncProtocol
import SyncStore
import Synchronization

/// What one sync round did.
public struct SyncReport: Sendable, Hashable, Codable {
    /// Changes the city acknowledged.
    public var pushed = 0
    /// Of those, changes the city parked.
    public var parked = 0
    /// Of those, changes that conflicted.
    public var conflicts = 0
    /// City changes applied here.
    public var pulled = 0
    /// City changes given back to the city after it was restored from a backup.
    public var returned = 0

    public init() {}
}

/// Pushes a county's change log to the city and applies the city's feed, over any `SyncTransport`.
/// Every step commits locally only after the city answered, so a crash at any point loses and
/// duplicates nothing: an unacknowledged batch is sent again and the city skips what it has.
public struct SyncClient: Sendable {
    /// The county replica.
    public let database: CountyDatabase
    /// The way to the city.
    public let transport: any SyncTransport
    /// Changes per push.
    public var batchSize = 1_000
    /// Changes per pull page.
    public var pullPage = 1_000
    /// What this county accepts from the city (value sizes, clock offset).
    public var limits = SyncLimits()
    /// Where to log.
    public var logger: Logger
    /// The size of the next push, shrunk by failures in transit (see `BatchWindow`).
    private let window: WindowBox
    /// The same for pull pages.
    private let pullWindow: WindowBox
    /// When this process last measured the clock offset against the city.
    private let clockMeasured = MeasuredBox()
    /// How often the offset is measured before a round, at the least.
    static let offsetRefresh = Duration.seconds(300)

    /// Creates a client.
    public init(database: CountyDatabase, transport: any SyncTransport, logger: Logger, batchSize: Int = 1_000, pullPage: Int = 1_000) {
        self.database = database
        self.transport = transport
        self.logger = logger
        self.batchSize = batchSize
        self.pullPage = pullPage
        window = WindowBox(BatchWindow(limit: batchSize))
        pullWindow = WindowBox(BatchWindow(limit: pullPage))
    }

    /// Changes the next push will carry (at most `batchSize`).
    public var currentBatchSize: Int { window.state.withLock { $0.size } }

    /// Pushes until nothing is pending (or `stopAfter` batches), then pulls until the feed is drained.
    public func syncOnce() async throws -> SyncReport {
        do {
            // A new epoch whose merge was cut short (a crash, a dropped link) finishes it first.
            // A process measures the clock offset before it stamps anything (the heartbeat's
            // answer carries the city's clock), and again every few minutes.
            // It does not look for a restore: the push below finds one more precisely (changes the
            // city already has go through under the old node first).
            if clockMeasured.state.withLock({ $0.map { ContinuousClock.now - $0 > Self.offsetRefresh } ?? true }) {
                try await sendHeartbeat(detectRestore: false)
            }
            if try database.snapshotPending() { try await mergeSnapshot() }
            var report = try await pushPending()
            // After a city restore: what this county sent is back at the city (above), so the
            // city's own lost changes can go back on top of it, before the feed is read again.
            report.returned = try await returnToCity()
            report.pulled = try await pullAll()
            try? await sendHeartbeat()
            return report
        } catch {
            try? database.recordSyncError("\(error)")
            throw error
        }
    }

    /// Pushes every pending change, batch after batch, at most `maxBatches`. If the city finds
    /// this replica's history diverged from what it acknowledged (a restore from backup), the
    /// replica begins a new epoch, merges the city's copy of its rows, and goes on.
    public func pushPending(maxBatches: Int = .max) async throws -> SyncReport {
        var report = SyncReport()
        var batches = 0
        var tried = ClientPolicy.Tried()
        // The batch after the one in flight, read and encoded while the city applies it; used
        // only if the city takes the whole batch in flight.
        var next: PreparedPush?
        // The last batch the city took whole: acknowledged here while the next one is in flight
        // (an acknowledgement lost to a crash only makes the city see that batch again).
        var taken: (batch: PushRequest, answer: PushResponse)?
        func acknowledgeTaken() throws {
            if let (batch, answer) = taken { try database.acknowledge(batch, answer) }
            taken = nil
        }
        while batches < maxBatches {
            // Read from the acknowledged mark only once it is written.
            if next == nil { try acknowledgeTaken() }
            guard let prepared = try next ?? database.nextPushBatch(limit: currentBatchSize).map(transport.preparePush) else { break }
            let batch = prepared.request
            next = nil
            let answer: PushResponse
            do {
                async let sent = transport.push(prepared)
                try acknowledgeTaken()
                let following = batches + 1 < maxBatches
                    ? (try? database.nextPushBatch(after: batch.lastSeq, limit: currentBatchSize)).map(transport.preparePush) : nil
                answer = try await sent
                window.state.withLock { $0.succeeded() }
                if answer.highWater >= batch.lastSeq { next = following }
            } catch let error as TransportError where error.isInTransit {
                let size = window.state.withLock { window in
                    window.failed()
                    return window.size
                }
                logger.debug("push failed in transit; next push smaller", metadata: ["sync.push.batch_size": "\(size)"])
                throw error
            } catch let error as TransportError {
                guard case .http(_, _, let status, let body) = error else { throw error }
                switch ClientPolicy.recovery(status: status, code: body?.errorCode, batchSize: batch.changes.count, tried: tried) {
                case .narrow:
                    // Too large for the city (fewer changes or bytes per push), or a diverging
                    // change inside: the changes before it are the very changes the city applied
                    // (a backup taken before they were pushed), so they go through under this node
                    // and the new epoch starts at the divergence.
                    window.state.withLock { $0.narrow(below: batch.changes.count) }
                    logger.notice("the city refused the batch; next push smaller", metadata: [
                        "sync.push.batch_size": "\(currentBatchSize)", "sync.error.code": "\(body?.code ?? "")",
                    ])
                case .measureAndRestamp:
                    // Changes stamped while this machine's clock was far ahead (before its offset
                    // was known): measure the offset again and stamp them again with it.
                    tried.restamped = true
                    let answer = try await sendHeartbeat(detectRestore: false)
                    let count = try database.restampUnacknowledged(after: answer.highWater)
                    logger.warning("the city refused changes stamped ahead of its clock; stamped them again", metadata: [
                        "sync.restamped": "\(count)", "sync.error.message": "\(body?.message ?? "")",
                    ])
                case .rewindToCityMark:
                    // The city lost changes it had acknowledged (restored from a backup): the
                    // heartbeat's answer rewinds to its mark, and the push goes on from there.
                    tried.rewound = true
                    logger.warning("the city holds fewer changes of this node than it acknowledged", metadata: ["sync.error.message": "\(body?.message ?? "")"])
                    _ = try await sendHeartbeat(detectRestore: false)
                case .beginNewEpoch:
                    tried.repaired = true
                    try await repairDivergence(body?.message ?? "replica_diverged")
                case .fail:
                    throw error
                }
                continue
            }
            taken = (batch, answer)
            batches += 1
            report.pushed += answer.outcomes.count
            report.parked += answer.outcomes.filter { $0.outcome == .parked }.count
            report.conflicts += answer.outcomes.filter { $0.outcome == .conflict }.count
            logger.debug("pushed", metadata: ["sync.push.first_seq": "\(batch.firstSeq)", "sync.push.last_seq": "\(batch.lastSeq)",
                                              "sync.push.high_water": "\(answer.highWater)"])
            if answer.highWater < batch.lastSeq {
                try acknowledgeTaken()
                throw TransportError.badResponse(op: "push", url: "/v1/push", message: "the city acknowledged \(answer.highWater) of a batch up to \(batch.lastSeq)")
            }
        }
        try acknowledgeTaken()
        return report
    }

    /// The last feed position at which the city's feed still holds the change this replica
    /// applied there, after the city said it does not at the pull position (it was restored
    /// from a backup and handed positions out again). A binary search over the changes applied
    /// since the last repair, one single-change pull per step: the feed agrees up to the backup
    /// and differs after it.
    func feedAgreement(fallback: Int64) async throws -> Int64 {
        let applied = try database.receivedSinceRepair()
        guard let first = applied.first else { return fallback }
        func agrees(_ index: Int) async throws -> Bool {
            let entry = applied[index]
            let page = try await transport.pull(node: database.replica.node, after: entry.seq - 1, limit: 1)
            return page.changes.first.map { $0.seq == entry.seq && $0.hlc == entry.hlc } ?? false
        }
        var (low, high) = (-1, applied.count - 1)   // applied[low] agrees (or none), applied[high] does not
        while high - low > 1 {
            let middle = (low + high) / 2
            if try await agrees(middle) { low = middle } else { high = middle }
        }
        return min(low >= 0 ? applied[low].seq : first.seq - 1, fallback)
    }

    /// Gives the city back, page by page, the changes of its own that it lost to a restore from
    /// backup and this replica applied (`CountyDatabase.changesToReturn`); returns how many.
    public func returnToCity() async throws -> Int {
        var total = 0
        while true {
            let page = try database.changesToReturn(limit: currentBatchSize)
            guard !page.isEmpty else { return total }
            let answer: ReturnResponse
            do {
                answer = try await transport.returnChanges(ReturnRequest(node: database.replica.node, changes: page))
            } catch let error as TransportError where !error.isRetryable {
                // Refused for good (a city without its feed key, a seal it no longer knows): the
                // changes are kept with the answer, `status` shows them, and pulling goes on.
                guard case .http(_, _, _, let body) = error else { throw error }
                try database.refusedReturn(page, code: body?.code ?? "refused", message: body?.message ?? "\(error)")
                logger.warning("the city refused to take back its own changes; they are kept here (syncctl status)", metadata: [
                    "sync.return.changes": "\(page.count)", "sync.error.code": "\(body?.code ?? "")", "sync.error.message": "\(body?.message ?? "\(error)")",
                ])
                total += page.count
                continue
            }
            try database.returned(page)
            total += page.count
            logger.notice("gave the city back its own changes lost to its restore", metadata: [
                "sync.return.changes": "\(page.count)",
                "sync.return.conflicts": "\(answer.outcomes.filter { $0.outcome == .conflict }.count)",
                "sync.return.parked": "\(answer.outcomes.filter { $0.outcome == .parked }.count)",
            ])
        }
    }

    /// After a restore from backup: continues under a new node id and merges the city's copy of
    /// this county's rows, which brings back what the restore took away.
    func repairDivergence(_ evidence: String) async throws {
        let node = try database.beginNewEpoch()
        logger.warning("this replica's history diverged from the city's (restored from a backup?); continuing as a new node",
                       metadata: ["sync.node": "\(node)", "sync.evidence": "\(evidence)"])
        try await mergeSnapshot()
    }

    /// Merges the city's copy of every row of this county, page by page.
    /// Idempotent: an interrupted merge is simply run again (see `syncOnce`).
    /// With `fromFeedEnd`, pulling then goes on from the feed position the snapshot was read at
    /// (the feed below it was compacted); otherwise from where it was.
    public func mergeSnapshot(fromFeedEnd: Bool = false) async throws {
        var feedSeq: Int64?
        for table in ["platform", "award"] {
            var after = ""
            while true {
                let page = try await transport.snapshot(table: table, after: after, limit: pullPage)
                if feedSeq == nil { feedSeq = page.feedSeq ?? 0 }
                try database.applySnapshot(page.rows, tombstones: page.tombstones, table: table, limits: limits)
                guard page.more, let last = page.lastRowId else { break }
                after = last
            }
        }
        try database.snapshotMerged(feedSeq: fromFeedEnd ? feedSeq : nil)
    }

    /// Applies the city's feed page after page; returns how many changes were applied.
    public func pullAll() async throws -> Int {
        var applied = 0
        var remeasured = false
        var resnapshotted = false
        var rediverged = false
        // The page after the one being applied, asked for meanwhile; used only if the one before
        // it was applied whole (the cursor is where the page starts).
        var ahead: (cursor: Int64, page: Task<PullResponse, any Error>)?
        defer { ahead?.page.cancel() }
        while true {
            let cursor = try database.syncPosition().pulledSeq
            let page: PullResponse
            var asked: Int64?
            do {
                if let next = ahead, next.cursor == cursor {
                    ahead = nil
                    page = try await next.page.value
                } else {
                    ahead?.page.cancel()
                    ahead = nil
                    asked = try database.decisionsSeen()
                    page = try await transport.pull(node: database.replica.node, after: cursor, afterHlc: try database.pulledHlc(),
                                                    limit: pullWindow.state.withLock { $0.size }, decisionsSeen: asked)
                }
                pullWindow.state.withLock { $0.succeeded() }
            } catch let error as TransportError where error.isInTransit {
                pullWindow.state.withLock { $0.failed() }
                throw error
            } catch TransportError.http(_, _, _, let body) where body?.errorCode == .feedDiverged && !rediverged {
                // The city holds another change where this replica last pulled: it went back in
                // time and handed the position out again. Find where the feeds part, give the city
                // back its changes after it, and pull on from there.
                rediverged = true
                let agreed = try await feedAgreement(fallback: cursor)
                if let evidence = try database.repairAfterCityRestore(highWater: .max, feedSeq: agreed) {
                    logger.warning("the city database was restored from a backup; giving back its changes and pulling again", metadata: ["sync.evidence": "\(evidence)"])
                }
                // The same restore may have taken this replica's own changes: the heartbeat finds
                // that (the city's mark) and they go again first, so the city's own changes go
                // back on top of the rows they change. Given back first, an edit of a row the city
                // lost was refused as missing, and the row came back without it (fault harness,
                // seed 20261129, trial 14).
                _ = try await sendHeartbeat()
                _ = try await pushPending()
                _ = try await returnToCity()
                continue
            } catch TransportError.http(_, _, _, let body) where body?.errorCode == .feedCompacted && !resnapshotted {
                // The city compacted its feed below this replica's position (it was silent longer
                // than the city keeps its feed): its whole copy replaces the missing entries.
                resnapshotted = true
                logger.notice("the city's feed was compacted below this replica's position; merging its snapshot", metadata: ["sync.error.message": "\(body?.message ?? "")"])
                try database.requireSnapshot()
                try await mergeSnapshot(fromFeedEnd: true)
                continue
            }
            // The city's decision log, as this page names it, against what this replica saw.
            if let finding = try database.noteDecisions(head: page.decisionHead, at: page.decisionAt, asked: asked) {
                logger.error("the city's decision log does not agree with what this county saw", metadata: ["sync.decisions.finding": "\(finding)"])
            }
            if page.more, let last = page.changes.last {
                let (transport, node, limit) = (transport, database.replica.node, pullWindow.state.withLock { $0.size })
                ahead = (page.cursor, Task { try await transport.pull(node: node, after: page.cursor, afterHlc: last.hlc, limit: limit) })
            }
            do {
                applied += try database.applyPull(page, limits: limits).count
            } catch StoreError.badBatch(.clockAhead, _) where !remeasured {
                // The city's clock moved since this process measured it (corrected, or wrong by
                // hours): measure again, and read the page again against the new offset.
                remeasured = true
                logger.notice("the city's feed is ahead of the measured clock offset; measuring it again")
                try await sendHeartbeat(detectRestore: false)
                continue
            }
            if !page.more { return applied }
        }
    }

    /// Tells the city how this county is doing, and checks what the answer says about this replica:
    /// whether its history went back (a restore) and whether its clock is far off the city's.
    @discardableResult
    public func sendHeartbeat(detectRestore: Bool = true) async throws -> HeartbeatResponse {
        let sent = CountyDatabase.wallClockMs()
        let node = database.replica.node
        let answer: HeartbeatResponse
        do {
            answer = try await transport.heartbeat(try database.heartbeat())
        } catch TransportError.http(_, _, _, let body) where body?.errorCode == .nodeRetired {
            // The city retired this node (replaced, or silent too long): continue as a new one,
            // which merges the city's copy and pushes what is pending under the new node.
            try await repairDivergence(body?.message ?? "the city retired node \(node)")
            return try await sendHeartbeat(detectRestore: detectRestore)
        }
        let received = CountyDatabase.wallClockMs()
        // The city's clock read halfway through the round trip, as NTP estimates it.
        let offsetMs = answer.cityTimeMs - (sent + (received - sent) / 2)
        try database.recordClockOffset(offsetMs, nowMs: received)
        clockMeasured.state.withLock { $0 = ContinuousClock.now }
        // The city holds changes of this node beyond the end of its log: the log went back in
        // time (a restore from backup). Found here even when nothing new is pushed. The log only
        // grows, so reading it after the answer cannot mistake a concurrent push for a restore.
        let position = try database.syncPosition()
        let lastSeq = position.lastSeq
        let finding = ClientPolicy.finding(highWater: answer.highWater, feedAgrees: answer.feedAgrees, feedSeq: answer.feedSeq,
                                           pulledSeq: position.pulledSeq, lastSeq: lastSeq,
                                           sameNode: database.replica.node == node, detectReplicaRestore: detectRestore)
        var feedEnd = answer.feedSeq
        switch finding {
        case .consistent:
            break
        case .replicaRestored:
            try await repairDivergence("the city holds changes up to \(answer.highWater) from \(node), but its log ends at \(lastSeq)")
        case .cityFeedDiverged:
            feedEnd = try await feedAgreement(fallback: answer.feedSeq ?? 0)
            fallthrough
        case .checkCityRestore:
            if let evidence = try database.repairAfterCityRestore(highWater: answer.highWater, feedSeq: feedEnd) {
                // The city went back in time: what it lost is sent again from this log, its own
                // lost changes go back to it, and pulling goes on from where the feeds agree.
                logger.warning("the city database was restored from a backup; sending again what it lost", metadata: ["sync.evidence": "\(evidence)"])
            }
        }
        // Stamping corrects by the offset, so edits neither win nor lose by a wrong clock, but the
        // times in logs and the `sqlite3` shell do not: say so where an admin looks.
        if abs(offsetMs) > Self.clockSkewWarningMs {
            logger.warning("this machine's clock is off the city's; stamping corrects for it, but fix its time (NTP)", metadata: [
                "sync.clock_offset_seconds": "\(-offsetMs / 1000)",
            ])
        }
        return answer
    }

    /// How far the local clock may be off the city's before the daemon warns (5 minutes).
    static let clockSkewWarningMs: Int64 = 5 * 60 * 1000
}

/// The last offset measurement, shared by the copies of a `SyncClient`.
final class MeasuredBox: Sendable {
    let state = Mutex<ContinuousClock.Instant?>(nil)
}

/// A batch window, shared by the copies of a `SyncClient`.
final class WindowBox: Sendable {
    let state: Mutex<BatchWindow>
    init(_ window: BatchWindow) { state = Mutex(window) }
}

extension TransportError {
    /// Whether the request failed on the way (timeout, reset, refused), rather than being answered.
    var isInTransit: Bool {
        if case .curl = self { return true }
        return false
    }
}
