/// The county client's protocol decisions, pure: what to do about a refused push, what a
/// heartbeat's answer says about either side, and when the daemon's loop syncs. `SyncClient` and
/// `SyncService` hold the state and do the I/O; these decide.
public enum ClientPolicy {
    /// What to do about a push the city refused.
    public enum PushRecovery: Sendable, Hashable {
        /// Send fewer changes (the batch or body was too large, or a diverging change is
        /// somewhere in it and the identical ones before it go through first).
        case narrow
        /// Measure the city's clock again and stamp the unacknowledged changes again.
        case measureAndRestamp
        /// The city holds fewer of this node's changes than it acknowledged: ask its mark, and
        /// send again from there.
        case rewindToCityMark
        /// This replica's history diverged from what the city applied (it was restored from a
        /// backup): continue as a new node and merge the city's copy.
        case beginNewEpoch
        /// Nothing to do here: report the refusal.
        case fail
    }

    /// Recoveries already tried in this push run, so none repeats without end.
    public struct Tried: Sendable, Hashable {
        public var restamped = false
        public var rewound = false
        public var repaired = false
        public init() {}
    }

    /// The recovery for a push of `batchSize` changes refused with HTTP `status` and `code`.
    public static func recovery(status: Int, code: ErrorCode?, batchSize: Int, tried: Tried) -> PushRecovery {
        switch (status, code) {
        case (413, _) where batchSize > 1: .narrow
        case (_, .clockAhead) where !tried.restamped: .measureAndRestamp
        case (_, .sequenceGap) where !tried.rewound: .rewindToCityMark
        case (_, .replicaDiverged) where batchSize > 1: .narrow
        case (_, .replicaDiverged) where !tried.repaired: .beginNewEpoch
        // The city retired this node (replaced, or silent too long): continue as a new one.
        case (_, .nodeRetired) where !tried.repaired: .beginNewEpoch
        default: .fail
        }
    }

    /// What a heartbeat's answer says about the two histories.
    public enum HeartbeatFinding: Sendable, Hashable {
        /// Both sides are where they should be.
        case consistent
        /// The city holds changes of this node beyond the end of this replica's log: the replica
        /// went back in time (restored from a backup).
        case replicaRestored
        /// The city's feed no longer holds the change this replica applied at its pull position,
        /// or ends before it: find where the feeds part (the restored city may have handed
        /// positions out again since), then repair as for a restored city.
        case cityFeedDiverged
        /// Possibly a restored city (its mark below what it acknowledged, its feed ending before
        /// the pull position): the store checks and repairs.
        case checkCityRestore
    }

    /// Judges a heartbeat's answer: `highWater`, `feedAgrees` from the city; `lastSeq` this
    /// replica's log end; `sameNode` whether the replica is still the node that sent it.
    public static func finding(highWater: Int64, feedAgrees: Bool?, feedSeq: Int64? = nil, pulledSeq: Int64 = 0, lastSeq: Int64,
                               sameNode: Bool, detectReplicaRestore: Bool) -> HeartbeatFinding {
        guard sameNode else { return .consistent }
        if detectReplicaRestore && highWater > lastSeq { return .replicaRestored }
        if feedAgrees == false { return .cityFeedDiverged }
        if let feedSeq, feedSeq < pulledSeq { return .cityFeedDiverged }
        return .checkCityRestore
    }
}

/// When the county daemon's loop syncs, compacts its log, and waits: a pure schedule over any
/// clock's instants, so the loop can run on a test clock.
///
/// A round starts as soon as local changes wait, or when the pull interval is up; a failed round
/// backs off exponentially with jitter (`Backoff`) before the next; compaction runs at start and
/// every six hours.
///
/// ```swift
/// var schedule = SyncSchedule(start: clock.now, pullInterval: .seconds(30), maxBackoff: .seconds(300))
/// if schedule.shouldSync(now: clock.now, pending: true) { ... schedule.synced(now: clock.now) }
/// ```
public struct SyncSchedule<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    public private(set) var backoff: Backoff
    public private(set) var nextAttempt: Instant
    public private(set) var nextPull: Instant
    public private(set) var nextCompaction: Instant
    public let pullInterval: Duration
    public let compactionInterval: Duration

    public init(start: Instant, pullInterval: Duration, maxBackoff: Duration, compactionInterval: Duration = .seconds(6 * 3600)) {
        backoff = Backoff(initial: .seconds(1), cap: maxBackoff)
        nextAttempt = start
        nextPull = start
        nextCompaction = start
        self.pullInterval = pullInterval
        self.compactionInterval = compactionInterval
    }

    /// Whether the log is due for compaction at `now`.
    public func shouldCompact(now: Instant) -> Bool { now >= nextCompaction }

    /// Records a compaction.
    public mutating func compacted(now: Instant) { nextCompaction = now.advanced(by: compactionInterval) }

    /// Whether a round is due: not backing off, and local changes wait or the pull interval is up.
    public func shouldSync(now: Instant, pending: Bool) -> Bool {
        now >= nextAttempt && (pending || now >= nextPull)
    }

    /// When something next falls due with no local write: a round (the next pull, or the end of a
    /// backoff when changes wait) or a compaction. A daemon told of writes sleeps until then.
    public func nextDue(pending: Bool) -> Instant {
        let round = pending ? nextAttempt : Swift.max(nextAttempt, nextPull)
        return Swift.min(round, nextCompaction)
    }

    /// Records a successful round.
    public mutating func synced(now: Instant) {
        backoff.reset()
        nextPull = now.advanced(by: pullInterval)
    }

    /// Records a failed round; returns the delay before the next (`random` in 0...1 for jitter).
    /// When the city asked to wait (`retryAfter`, its `Retry-After` on a 429 or 503), the delay
    /// is at least that, up to `maxRetryAfter`: a wrong or hostile header cannot stop syncing
    /// for longer.
    @discardableResult
    public mutating func failed(now: Instant, random: Double, retryAfter: Duration? = nil) -> Duration {
        var delay = backoff.nextDelay(random: random)
        if let retryAfter { delay = Swift.max(delay, Swift.min(retryAfter, Self.maxRetryAfter)) }
        nextAttempt = now.advanced(by: delay)
        return delay
    }

    /// The longest wait a `Retry-After` imposes.
    public static var maxRetryAfter: Duration { .seconds(600) }
}
