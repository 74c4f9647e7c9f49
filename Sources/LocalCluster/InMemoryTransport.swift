import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import Synchronization

/// The city as a county's `SyncTransport`, in process: each call goes straight to a
/// `CityDatabase` as the aggregator's handler would make it, refusals come back as the HTTP
/// errors the aggregator answers, and faults are injected on request. Protocol tests run the
/// real `SyncClient` and both real databases through it in milliseconds, with no sockets; the
/// real-process tests keep TLS, `kill -9` and link faults.
///
/// ```swift
/// let transport = InMemoryTransport(city: city, county: "130202")
/// transport.loseNextAnswers(1)          // the city commits, the answer never arrives
/// _ = try? await client.pushPending()   // throws in transit
/// ```
public final class InMemoryTransport: SyncTransport {
    public let county: String
    private let faults = Mutex(Faults())
    private let current: Mutex<CityDatabase>

    struct Faults {
        var loseAnswers = 0
        var failBefore = 0
        var cityClockOffsetMs: Int64 = 0
        var requests = 0
    }

    /// Requests made so far, whether they reached the city or not.
    public var requests: Int { faults.withLock { $0.requests } }

    /// A transport for `county` (as its certificate would name it) to `city`.
    public init(city: CityDatabase, county: String) {
        current = Mutex(city)
        self.county = county
    }

    /// The city database requests go to.
    public var city: CityDatabase { current.withLock { $0 } }

    /// Requests go to `city` from now on (the city database restored from a backup and reopened).
    public func replaceCity(_ city: CityDatabase) { current.withLock { $0 = city } }

    /// The city's clock reads `offsetMs` off this machine's from now on (hours off, say): it
    /// checks and stamps with it, and its answers carry it.
    public func setCityClockOffset(ms offsetMs: Int64) { faults.withLock { $0.cityClockOffsetMs = offsetMs } }

    /// The city's clock now.
    private var cityNowMs: Int64 { CountyDatabase.wallClockMs() + faults.withLock { $0.cityClockOffsetMs } }

    /// The next `count` requests reach the city and are applied, and their answers are lost.
    public func loseNextAnswers(_ count: Int) { faults.withLock { $0.loseAnswers += count } }

    /// The next `count` requests never reach the city (the link is down).
    public func failNextRequests(_ count: Int) { faults.withLock { $0.failBefore += count } }

    private func exchange<T: Sendable>(_ op: String, _ body: () throws -> T) throws -> T {
        let down = faults.withLock { faults -> Bool in
            faults.requests += 1
            guard faults.failBefore > 0 else { return false }
            faults.failBefore -= 1
            return true
        }
        if down { throw TransportError.curl(op: op, url: "memory:/\(op)", code: 7, message: "the link is down (injected)") }
        let answer: T
        do {
            answer = try body()
        } catch let error as StoreError {
            throw Self.http(op, error)
        }
        let lost = faults.withLock { faults -> Bool in
            guard faults.loseAnswers > 0 else { return false }
            faults.loseAnswers -= 1
            return true
        }
        if lost { throw TransportError.curl(op: op, url: "memory:/\(op)", code: 56, message: "the answer was lost after the city committed (injected)") }
        return answer
    }

    /// The aggregator's translation of a refusal (`APIError`), for the codes the client acts on.
    static func http(_ op: String, _ error: StoreError) -> TransportError {
        switch error {
        case .badBatch(let code, let message):
            return .http(op: op, url: "memory:/\(op)", status: code.httpStatus, error: ErrorBody(code: code.rawValue, message: message))
        case .forbidden(let message):
            return .http(op: op, url: "memory:/\(op)", status: ErrorCode.forbiddenCounty.httpStatus, error: ErrorBody(code: ErrorCode.forbiddenCounty.rawValue, message: message))
        default:
            return .http(op: op, url: "memory:/\(op)", status: ErrorCode.storageError.httpStatus, error: ErrorBody(code: ErrorCode.storageError.rawValue, message: error.description))
        }
    }

    public func push(_ request: PushRequest) async throws -> PushResponse {
        try exchange("push") { try city.applyPush(county: county, request, nowMs: cityNowMs) }
    }

    public func pull(node: String, after cursor: Int64, afterHlc: Int64?, limit: Int, decisionsSeen: Int64?) async throws -> PullResponse {
        try exchange("pull") {
            try city.pullFeed(county: county, node: node, after: cursor, afterHlc: afterHlc, limit: limit, decisionsSeen: decisionsSeen, nowMs: cityNowMs)
        }
    }

    public func heartbeat(_ heartbeat: Heartbeat) async throws -> HeartbeatResponse {
        try exchange("heartbeat") { try city.recordHeartbeat(county: county, heartbeat, nowMs: cityNowMs) }
    }

    public func snapshot(table: String, after: String, limit: Int) async throws -> SnapshotResponse {
        try exchange("snapshot") { try city.snapshot(county: county, table: table, after: after, limit: limit, nowMs: cityNowMs) }
    }

    public func returnChanges(_ request: ReturnRequest) async throws -> ReturnResponse {
        try exchange("return") { try city.takeBack(county: county, request, nowMs: cityNowMs) }
    }
}
