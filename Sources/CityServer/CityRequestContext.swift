import Hummingbird
import NIOCore
import NIOSSL

/// The request context of the aggregator: the channel, so a handler can read the verified client
/// certificate off the TLS handler.
public struct CityRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    public let channel: any Channel

    /// Creates a context for a request on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

extension CityRequestContext {
    /// The county named by the verified client certificate's common name (`county-CODE`).
    /// TLS already refused clients without a certificate signed by the city CA.
    func county() async throws -> String {
        guard let certificate = try await channel.nioSSL_peerCertificate().get() else {
            throw APIError(.unauthorized, code: "no_client_certificate", message: "a client certificate signed by the city CA is required")
        }
        let commonName = certificate.subjectName.first { $0.type == .commonName }?.value ?? ""
        guard commonName.hasPrefix("county-") else {
            throw APIError(.forbidden, code: "not_a_county_certificate", message: "certificate \(commonName) does not name a county (expected CN=county-CODE)")
        }
        return String(commonName.dropFirst("county-".count))
    }
}
