import Dispatch
import Foundation
import Synchronization
import SyncProtocol
import WireCompression

/// The sync protocol over HTTPS with libcurl: mutual TLS, the server always verified, one
/// keep-alive connection. `curl_easy_perform` blocks, so requests run one at a time on the
/// transport's own thread, never on the cooperative pool.
///
/// ```swift
/// let city = try CurlTransport(TransportConfiguration(baseURL: "https://city:8443",
///     caFile: "ca.pem", certFile: "county-130202.pem", keyFile: "county-130202.key"))
/// let answer = try await city.push(batch)
/// ```
public final class CurlTransport: SyncTransport, @unchecked Sendable {
    // `handle` is touched only on `queue`, which makes this class safe to share.
    private let queue = DispatchQueue(label: "county-sync.curl")
    private let handle: CurlHandle
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// Creates the transport; throws if the configuration cannot work.
    public init(_ configuration: TransportConfiguration) throws {
        handle = try CurlHandle(configuration)
    }

    public func push(_ request: PushRequest) async throws -> PushResponse {
        try await push(preparePush(request))
    }

    /// Encodes the batch (the hand-written encoder: batches are large) and deflates it once the
    /// city has said it reads deflate.
    public func preparePush(_ request: PushRequest) -> PreparedPush {
        let json = JSONText.pushRequestBytes(request)
        guard json.count >= Deflate.worthwhileFrom, cityReadsDeflate.withLock({ $0 }) else { return PreparedPush(request: request, body: json, deflated: false) }
        return PreparedPush(request: request, body: Deflate.compress(json), deflated: true)
    }

    public func push(_ prepared: PreparedPush) async throws -> PushResponse {
        let body = prepared.body ?? JSONText.pushRequestBytes(prepared.request)
        return try await exchange("push", method: "POST", path: "/v1/push", body: Data(body), deflated: prepared.deflated)
    }

    public func pull(node: String, after cursor: Int64, afterHlc: Int64?, limit: Int, decisionsSeen: Int64?) async throws -> PullResponse {
        let query = "node=\(node.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-_"))) ?? node)&after=\(cursor)"
            + (afterHlc.map { "&afterHlc=\($0)" } ?? "") + "&limit=\(limit)" + (decisionsSeen.map { "&decisionsSeen=\($0)" } ?? "")
        return try await exchange("pull", method: "GET", path: "/v1/pull?\(query)", body: nil)
    }

    public func heartbeat(_ heartbeat: Heartbeat) async throws -> HeartbeatResponse {
        try await exchange("heartbeat", method: "POST", path: "/v1/heartbeat", body: try encoder.encode(heartbeat))
    }

    public func snapshot(table: String, after: String, limit: Int) async throws -> SnapshotResponse {
        try await exchange("snapshot", method: "GET", path: "/v1/snapshot?table=\(table)&after=\(after)&limit=\(limit)", body: nil)
    }

    public func returnChanges(_ request: ReturnRequest) async throws -> ReturnResponse {
        try await exchange("return", method: "POST", path: "/v1/return", body: try encoder.encode(request))
    }

    /// Performs a raw request (for `GET /healthz`, digests and tests); returns status and body.
    public func request(method: String, path: String, body: Data? = nil) async throws -> (status: Int, body: Data) {
        try await send(method: method, path: path, body: body)
    }

    /// How many request bodies went deflated.
    public var deflatedBodies: Int { deflated.withLock { $0 } }
    private let deflated = Mutex(0)
    /// Whether an answer of the city said it reads deflated request bodies: until then bodies go
    /// uncompressed, so an older city still reads them.
    private let cityReadsDeflate = Mutex(false)

    /// Performs a request (`deflated`: its body is deflated, as `preparePush` makes a batch's).
    private func send(method: String, path: String, body: Data?, deflated isDeflated: Bool = false) async throws -> (status: Int, body: Data) {
        let answer = try await sendWithHeaders(method: method, path: path, body: body, deflated: isDeflated)
        return (answer.status, answer.body)
    }

    /// `send`, with the answer's `Retry-After` in seconds.
    private func sendWithHeaders(method: String, path: String, body: Data?, deflated isDeflated: Bool) async throws -> (status: Int, body: Data, retryAfter: Int?) {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    if isDeflated { self.deflated.withLock { $0 += 1 } }
                    let answer = try self.handle.perform(method: method, path: path, body: body, deflated: isDeflated)
                    if answer.readsDeflate { self.cityReadsDeflate.withLock { $0 = true } }
                    return (answer.status, answer.body, answer.retryAfter)
                })
            }
        }
    }

    private func exchange<Response: Decodable>(_ op: String, method: String, path: String, body: Data?, deflated: Bool = false) async throws -> Response {
        let (status, data, retryAfter) = try await sendWithHeaders(method: method, path: path, body: body, deflated: deflated)
        guard (200..<300).contains(status) else {
            var body = try? JSONDecoder().decode(ErrorBody.self, from: data)
            body?.retryAfterSeconds = retryAfter
            throw TransportError.http(op: op, url: path, status: status, error: body)
        }
        do {
            return try FastJSON.decode(Response.self, from: data)
        } catch {
            throw TransportError.badResponse(op: op, url: path, message: "unreadable answer: \(error)")
        }
    }
}
