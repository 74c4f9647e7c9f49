import Hummingbird
import Logging
import NIOCore
import NIOSSL
import SyncCore

/// Who is calling, as the verified client certificate says.
public enum Caller: Sendable, Hashable {
    /// A county office (`CN=county-CODE`), for a configured county: the `/v1` routes, for its own rows.
    case county(String)
    /// Any other certificate of the city CA (a scraper's, `CN=monitor-01`): `/healthz` and `/metrics` only.
    case other(commonName: String)
}

/// The request context of the aggregator: the channel, so the authentication step can read the
/// verified client certificate off the TLS handler, and the caller that step found.
public struct CityRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    public let channel: any Channel
    /// The authenticated caller; set by `AuthenticationMiddleware` before any route runs.
    public var caller: Caller?

    /// Creates a context for a request on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// The context of the county routes: the county is known and not optional. Building it from a
/// request whose caller is not a county refuses the request.
public struct CountyRequestContext: ChildRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The county the certificate names.
    public let county: String

    /// Refuses a caller that is not a county.
    public init(context: CityRequestContext) throws {
        guard case .county(let county) = context.caller else {
            let name = if case .other(let commonName) = context.caller { commonName } else { "" }
            throw APIError(.forbidden, code: "not_a_county_certificate", message: "certificate \(name) does not name a county (expected CN=county-CODE)")
        }
        self.coreContext = context.coreContext
        self.county = county
    }
}

/// The one authentication step every request goes through, `/healthz` and `/metrics` included:
/// it maps the verified client certificate to a `Caller` or refuses the request.
///
/// TLS has already refused clients without a certificate signed by the city CA. Here a revoked
/// certificate is refused (the deny list fails closed: while it cannot be read, the last good
/// list holds; with none ever read, every request is refused), and so is a `county-CODE`
/// certificate of a county that is not configured. Other certificates of the city CA may read
/// health and metrics; the county routes refuse them (`CountyRequestContext`).
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = CityRequestContext
    let denyList: DenyList
    let counties: CountyRegistry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.caller = try await authenticate(context)
        return try await next(request, context)
    }

    private func authenticate(_ context: Context) async throws -> Caller {
        guard let certificate = try await context.channel.nioSSL_peerCertificate().get() else {
            throw APIError(.unauthorized, code: "no_client_certificate", message: "a client certificate signed by the city CA is required")
        }
        let commonName = certificate.subjectName.first { $0.type == .commonName }?.value ?? ""
        switch denyList.verdict(serial: certificate.serialNumber) {
        case .allowed:
            break
        case .revoked:
            let subject = certificate.subjectName.map(\.value).joined(separator: ", ")
            context.logger.warning("revoked certificate refused", metadata: [
                "sync.certificate.subject": "\(subject)", "sync.certificate.serial": "\(DenyList.hex(certificate.serialNumber))",
            ])
            throw APIError(.forbidden, code: "certificate_revoked", message: "certificate \(commonName) (serial \(DenyList.hex(certificate.serialNumber))) has been revoked by the city")
        case .unavailable(let reason):
            throw APIError(.serviceUnavailable, code: "deny_list_unavailable", message: "the city cannot read its list of revoked certificates (\(reason)); no request is served until it can")
        }
        guard commonName.hasPrefix("county-") else { return .other(commonName: commonName) }
        let county = String(commonName.dropFirst("county-".count))
        guard counties[county] != nil else {
            throw APIError(.forbidden, code: "unknown_county", message: "county \(county) of the client certificate is not configured")
        }
        return .county(county)
    }
}
