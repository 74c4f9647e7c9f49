import SyncCore
/// The county's view of the city: the port the sync client talks through. `CurlTransport` is the
/// HTTPS adapter; tests of pure logic may use an in-memory one.
public protocol SyncTransport: Sendable {
    /// Sends a batch; returns the city's answer.
    func push(_ request: PushRequest) async throws -> PushResponse
    /// Fetches the city's changes to this county's rows after `cursor`.
    /// With `afterHlc`, the clock reading of the change this county applied at `cursor`: a city
    /// whose feed holds another change there (it was restored from a backup and handed the
    /// position out again) refuses with 409 `feed_diverged` instead of sending what follows.
    /// With `decisionsSeen`, the id of the decision-log entry this county saw last: the answer
    /// says what the city's log holds there now (`PullResponse.decisionAt`).
    func pull(node: String, after cursor: Int64, afterHlc: Int64?, limit: Int, decisionsSeen: Int64?) async throws -> PullResponse
    /// Reports how this county is doing.
    func heartbeat(_ heartbeat: Heartbeat) async throws -> HeartbeatResponse
    /// Fetches a page of this county's rows of `table` as the city holds them, after row id `after`.
    func snapshot(table: String, after: String, limit: Int) async throws -> SnapshotResponse
    /// Gives the city back its own sealed changes after it was restored from a backup.
    func returnChanges(_ request: ReturnRequest) async throws -> ReturnResponse
    /// Makes a batch ready to send (encoded, compressed if the city reads it), so the work is
    /// done while the batch before it is in flight.
    func preparePush(_ request: PushRequest) -> PreparedPush
    /// Sends a batch made ready by `preparePush`; returns the city's answer.
    func push(_ prepared: PreparedPush) async throws -> PushResponse
}

/// A batch made ready to send: the request, and its body as the transport sends it (nil for a
/// transport that encodes as it sends).
public struct PreparedPush: Sendable {
    /// The batch.
    public let request: PushRequest
    /// The request body, deflated if `deflated`.
    public let body: [UInt8]?
    /// Whether `body` is deflated.
    public let deflated: Bool

    /// Wraps a batch and its body.
    public init(request: PushRequest, body: [UInt8]?, deflated: Bool) {
        self.request = request
        self.body = body
        self.deflated = deflated
    }
}

extension SyncTransport {
    /// No preparation: the batch is encoded as it is sent.
    public func preparePush(_ request: PushRequest) -> PreparedPush { PreparedPush(request: request, body: nil, deflated: false) }

    /// Sends the prepared batch's request.
    public func push(_ prepared: PreparedPush) async throws -> PushResponse { try await push(prepared.request) }

    /// A pull with no check of the position.
    public func pull(node: String, after cursor: Int64, limit: Int) async throws -> PullResponse {
        try await pull(node: node, after: cursor, afterHlc: nil, limit: limit, decisionsSeen: nil)
    }

    /// A page of the feed, without asking about the decision log.
    public func pull(node: String, after cursor: Int64, afterHlc: Int64?, limit: Int) async throws -> PullResponse {
        try await pull(node: node, after: cursor, afterHlc: afterHlc, limit: limit, decisionsSeen: nil)
    }
}

/// A failed exchange with the city, with what a person needs to act on it.
public enum TransportError: Error, Sendable, CustomStringConvertible {
    /// libcurl failed (connect, TLS, timeout, ...): its code and message.
    case curl(op: String, url: String, code: Int, message: String)
    /// The city answered with an error status.
    case http(op: String, url: String, status: Int, error: ErrorBody?)
    /// The answer could not be read.
    case badResponse(op: String, url: String, message: String)
    /// The configuration cannot work (not HTTPS, missing file).
    case configuration(String)

    /// One line for a person.
    public var description: String {
        switch self {
        case .curl(let op, let url, let code, let message):
            return "\(op) \(url): \(message) (curl error \(code))"
        case .http(let op, let url, let status, let error):
            var text = "\(op) \(url): HTTP \(status)"
            if let error {
                text += " \(error.code): \(error.message)"
                if let id = error.requestId { text += " (request \(id))" }
            }
            return text
        case .badResponse(let op, let url, let message):
            return "\(op) \(url): \(message)"
        case .configuration(let message):
            return message
        }
    }

    /// One line in `language`: in Chinese, the catalogue's words first (the city's `messageZh`,
    /// or what a failed connection means), with the English particulars after.
    public func text(_ language: Language) -> String {
        guard language == .zh else { return description }
        switch self {
        // A city of 0.15 sends no Chinese: the code's own, where this release knows the code.
        case .http(_, _, _, let error?) where (error.messageZh ?? error.errorCode?.zh) != nil:
            return "\((error.messageZh ?? error.errorCode?.zh)!)（\(description)）"
        case .curl:
            return "连接不上市里：请检查网络、证书和市里的服务地址（\(description)）"
        default:
            return description
        }
    }

    /// How long the city asked to wait before the next try (its `Retry-After`), when it did.
    public var retryAfter: Duration? {
        guard case .http(_, _, _, let body) = self, let seconds = body?.retryAfterSeconds else { return nil }
        return .seconds(seconds)
    }

    /// Whether trying again later may succeed (network trouble, server errors), as opposed to a
    /// refusal that will repeat (4xx).
    public var isRetryable: Bool {
        switch self {
        case .curl, .badResponse: true
        case .http(_, _, let status, _): status >= 500 || status == 408 || status == 429
        case .configuration: false
        }
    }
}
