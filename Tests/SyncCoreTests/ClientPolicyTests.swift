import Testing
@testable import SyncCore

/// The client's protocol decisions and the daemon's schedule, without a network or a clock.
@Suite("Client policy")
struct ClientPolicyTests {
    @Test func refusedPushesGetOneRecoveryEach() {
        var tried = ClientPolicy.Tried()
        #expect(ClientPolicy.recovery(status: 413, code: .batchTooLarge, batchSize: 10, tried: tried) == .narrow)
        #expect(ClientPolicy.recovery(status: 413, code: .batchTooLarge, batchSize: 1, tried: tried) == .fail, "one change that does not fit is reported")
        #expect(ClientPolicy.recovery(status: 400, code: .clockAhead, batchSize: 10, tried: tried) == .measureAndRestamp)
        #expect(ClientPolicy.recovery(status: 409, code: .sequenceGap, batchSize: 10, tried: tried) == .rewindToCityMark)
        #expect(ClientPolicy.recovery(status: 409, code: .replicaDiverged, batchSize: 10, tried: tried) == .narrow,
                "the identical changes before the divergence go through first")
        #expect(ClientPolicy.recovery(status: 409, code: .replicaDiverged, batchSize: 1, tried: tried) == .beginNewEpoch)
        tried.restamped = true
        tried.rewound = true
        tried.repaired = true
        #expect(ClientPolicy.recovery(status: 400, code: .clockAhead, batchSize: 10, tried: tried) == .fail)
        #expect(ClientPolicy.recovery(status: 409, code: .sequenceGap, batchSize: 10, tried: tried) == .fail)
        #expect(ClientPolicy.recovery(status: 409, code: .replicaDiverged, batchSize: 1, tried: tried) == .fail)
        #expect(ClientPolicy.recovery(status: 403, code: .forbiddenCounty, batchSize: 10, tried: ClientPolicy.Tried()) == .fail)
    }

    @Test func everyErrorCodeHasOneStatus() {
        #expect(Set(ErrorCode.allCases.map(\.rawValue)).count == ErrorCode.allCases.count)
        #expect(ErrorCode.sequenceGap.httpStatus == 409 && ErrorCode.batchTooLarge.httpStatus == 413 && ErrorCode.upgradeNeeded.httpStatus == 426)
        #expect(ErrorCode.allCases.allSatisfy { [400, 401, 403, 404, 405, 408, 409, 413, 426, 429, 500, 503].contains($0.httpStatus) })
    }

    /// The catalogue's Chinese for every code: present, in Chinese, and one per code.
    @Test func everyErrorCodeSaysWhatItMeansInChinese() {
        for code in ErrorCode.allCases {
            #expect(code.zh.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "\(code)")
        }
        #expect(Set(ErrorCode.allCases.map(\.zh)).count == ErrorCode.allCases.count)
    }

    @Test func heartbeatFindings() {
        #expect(ClientPolicy.finding(highWater: 12, feedAgrees: nil, lastSeq: 10, sameNode: true, detectReplicaRestore: true) == .replicaRestored)
        #expect(ClientPolicy.finding(highWater: 12, feedAgrees: nil, lastSeq: 10, sameNode: true, detectReplicaRestore: false) == .checkCityRestore)
        #expect(ClientPolicy.finding(highWater: 8, feedAgrees: false, lastSeq: 10, sameNode: true, detectReplicaRestore: true) == .cityFeedDiverged)
        #expect(ClientPolicy.finding(highWater: 8, feedAgrees: nil, feedSeq: 304, pulledSeq: 316, lastSeq: 10, sameNode: true, detectReplicaRestore: true) == .cityFeedDiverged,
                "a feed ending before the pull position: where the feeds part is searched, not taken to be its end")
        #expect(ClientPolicy.finding(highWater: 8, feedAgrees: nil, feedSeq: 320, pulledSeq: 316, lastSeq: 10, sameNode: true, detectReplicaRestore: true) == .checkCityRestore)
        #expect(ClientPolicy.finding(highWater: 8, feedAgrees: false, lastSeq: 10, sameNode: false, detectReplicaRestore: true) == .consistent,
                "an answer about a node this replica no longer is says nothing")
    }

    @Test func theScheduleBacksOffAndPullsOnItsInterval() {
        let start = ContinuousClock.now
        var schedule = SyncSchedule(start: start, pullInterval: .seconds(30), maxBackoff: .seconds(8))
        #expect(schedule.shouldSync(now: start, pending: false), "a first round at start")
        #expect(schedule.shouldCompact(now: start))
        schedule.compacted(now: start)
        #expect(!schedule.shouldCompact(now: start + .seconds(3600)))
        var delays: [Duration] = []
        for _ in 0..<6 { delays.append(schedule.failed(now: start, random: 1)) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)], "doubling up to the cap")
        #expect(!schedule.shouldSync(now: start + .seconds(7), pending: true), "backing off")
        #expect(schedule.shouldSync(now: start + .seconds(8), pending: true))
        schedule.synced(now: start + .seconds(8))
        #expect(schedule.backoff.failures == 0)
        #expect(!schedule.shouldSync(now: start + .seconds(20), pending: false), "idle until the pull interval is up")
        #expect(schedule.shouldSync(now: start + .seconds(20), pending: true), "a local change goes at once")
        #expect(schedule.shouldSync(now: start + .seconds(38), pending: false))
    }

    @Test func aRetryAfterIsWaitedOutUpToItsBound() {
        let start = ContinuousClock.now
        var schedule = SyncSchedule(start: start, pullInterval: .seconds(30), maxBackoff: .seconds(8))
        #expect(schedule.failed(now: start, random: 1, retryAfter: .seconds(30)) == .seconds(30), "the city's wait, longer than the backoff")
        #expect(!schedule.shouldSync(now: start + .seconds(29), pending: true))
        #expect(schedule.failed(now: start, random: 1, retryAfter: .seconds(1)) == .seconds(2), "the backoff, longer than the city's wait")
        #expect(schedule.failed(now: start, random: 1, retryAfter: .seconds(86_400 * 365)) == SyncSchedule<ContinuousClock.Instant>.maxRetryAfter,
                "a year's Retry-After does not stop syncing for a year")
    }
}
