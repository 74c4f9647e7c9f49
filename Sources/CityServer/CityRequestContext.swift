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
    /// TLS already refused clients without a certificate signed by the city CA; a certificate
    /// on the deny list is refused here, and the refusal is logged with its subject.
    func county(denyList: DenyList) async throws -> String {
        guard let certificate = try await channel.nioSSL_peerCertificate().get() else {
            throw APIError(.unauthorized, code: "no_client_certificate", message: "a client certificate signed by the city CA is required")
        }
        let commonName = certificate.subjectName.first { $0.type == .commonName }?.value ?? ""
        if denyList.contains(serial: certificate.serialNumber) {
            let subject = certificate.subjectName.map(\.value).joined(separator: ", ")
            logger.warning("revoked certificate refused", metadata: [
                "sync.certificate.subject": "\(subject)", "sync.certificate.serial": "\(DenyList.hex(certificate.serialNumber))",
            ])
            throw APIError(.forbidden, code: "certificate_revoked", message: "certificate \(commonName) (serial \(DenyList.hex(certificate.serialNumber))) has been revoked by the city")
        }
        guard commonName.hasPrefix("county-") else {
            throw APIError(.forbidden, code: "not_a_county_certificate", message: "certificate \(commonName) does not name a county (expected CN=county-CODE)")
        }
        return String(commonName.dropFirst("county-".count))
    }
}
