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
        // Batches are large: the hand-written encoder is several times faster than JSONEncoder.
        try await exchange("push", method: "POST", path: "/v1/push", body: Data(JSONText.pushRequestBytes(request)), compressible: true)
    }

    public func pull(node: String, after cursor: Int64, afterHlc: Int64?, limit: Int) async throws -> PullResponse {
        let query = "node=\(node.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-_"))) ?? node)&after=\(cursor)"
            + (afterHlc.map { "&afterHlc=\($0)" } ?? "") + "&limit=\(limit)"
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
        try await request(method: method, path: path, body: body, compressible: false)
    }

    /// How many request bodies went deflated.
    public var deflatedBodies: Int { deflated.withLock { $0 } }
    private let deflated = Mutex(0)

    /// Bodies smaller than this go as they are: deflating them saves too little.
    static let deflateFrom = 1_024

    /// Performs a request; a `compressible` body is deflated once the city said it reads deflate.
    private func request(method: String, path: String, body: Data?, compressible: Bool) async throws -> (status: Int, body: Data) {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    if compressible, let body, body.count >= Self.deflateFrom, self.handle.cityAcceptsDeflate {
                        self.deflated.withLock { $0 += 1 }
                        return try self.handle.perform(method: method, path: path, body: Data(Deflate.compress(body)), deflated: true)
                    }
                    return try self.handle.perform(method: method, path: path, body: body)
                })
            }
        }
    }

    private func exchange<Response: Decodable>(_ op: String, method: String, path: String, body: Data?, compressible: Bool = false) async throws -> Response {
        let (status, data) = try await request(method: method, path: path, body: body, compressible: compressible)
        guard (200..<300).contains(status) else {
            throw TransportError.http(op: op, url: path, status: status, error: try? JSONDecoder().decode(ErrorBody.self, from: data))
        }
        do {
            return try FastJSON.decode(Response.self, from: data)
        } catch {
            throw TransportError.badResponse(op: op, url: path, message: "unreadable answer: \(error)")
        }
    }
}
