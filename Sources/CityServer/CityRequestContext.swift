import Hummingbird
import Logging
import NIOCore
import NIOSSL
import SyncCore

/// Who is calling, as the verified client certificate's common name says.
public enum Caller: Sendable, Hashable {
    /// A county office (`CN=county-CODE`), for a configured county: the `/v1` routes, for its own rows.
    case county(String)
    /// A monitor (`CN=monitor-NAME`, `Deploy/pki.sh monitor`): health and metrics, nothing else.
    case monitor(String)
    /// A person at the city office (`CN=operator-NAME`, `Deploy/pki.sh operator`): the console, nothing else.
    case `operator`(String)

    /// The role, for the access table.
    public var role: Role {
        switch self {
        case .county: .county
        case .monitor: .monitor
        case .operator: .operator
        }
    }

    /// `county-130202`, `monitor-prometheus`.
    public var name: String {
        switch self {
        case .county(let code): "county-\(code)"
        case .monitor(let name): "monitor-\(name)"
        case .operator(let name): "operator-\(name)"
        }
    }
}

/// What a certificate may do, by its common name's prefix.
public enum Role: String, Sendable, Hashable, CaseIterable {
    case county
    case monitor
    case `operator`
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
    /// The connection the request came on: work queued for it is dropped once it has closed.
    public let channel: any Channel

    /// Refuses a caller that is not a county.
    public init(context: CityRequestContext) throws {
        guard case .county(let county) = context.caller else {
            throw APIError(.notACountyCertificate,
                           message: "certificate \(context.caller?.name ?? "") does not name a county (expected CN=county-CODE)")
        }
        self.coreContext = context.coreContext
        self.county = county
        self.channel = context.channel
    }
}

/// The context of the console's routes: the operator is known and not optional, and is what
/// every decision made there records.
public struct OperatorRequestContext: ChildRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// `operator-NAME`, as the certificate names it.
    public let operatorName: String
    /// Where the request came from, for the log of decisions.
    public let peer: String

    /// Refuses a caller that is not an operator.
    public init(context: CityRequestContext) throws {
        guard case .operator = context.caller, let caller = context.caller else {
            throw APIError(.notAnOperatorCertificate,
                           message: "certificate \(context.caller?.name ?? "") is not an operator's (expected CN=operator-NAME)")
        }
        self.coreContext = context.coreContext
        self.operatorName = caller.name
        self.peer = context.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
    }
}

/// The one authentication and authorization step every request goes through, `/healthz` and
/// `/metrics` included: it maps the verified client certificate to a `Caller`, then admits the
/// request only if the caller's role may call the route (`CityAPI.routes`), or refuses it.
///
/// TLS has already refused clients without a certificate signed by the city CA. Here a revoked
/// certificate is refused (the deny list fails closed: while it cannot be read, the last good
/// list holds; with none ever read, every request is refused), and so is a `county-CODE`
/// certificate of a county that is not configured, and one whose common name names no role.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = CityRequestContext
    let denyList: DenyList
    let counties: CountyRegistry
    let metrics: CityMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        // The path is judged exactly as the router will match it: one spelling per route. Any
        // other spelling (`/metrics/`, `//v1/pull`, `/./metrics`, `/v1%2Fpull`, `/METRICS`) is
        // no route at all, so no role check or protocol gate can be stepped around by spelling.
        let path = request.uri.path
        guard Self.isCanonical(path) else {
            throw APIError(.notFound, message: "no such endpoint: \(path.prefix(80)) is not written the one way this server accepts (no empty, '.' or '..' segment, no trailing slash, no percent-encoding)")
        }
        let caller = try await authenticate(context)
        context.caller = caller
        guard let allowed = CityAPI.route(for: path)?.roles else {
            throw APIError(.notFound, message: "no such endpoint: \(path.prefix(80))")
        }
        guard allowed.contains(caller.role) else {
            throw APIError(.roleNotAllowed,
                           message: "\(caller.name) is \(caller.role == .operator ? "an" : "a") \(caller.role.rawValue) certificate; \(path) is for \(allowed.map(\.rawValue).sorted().joined(separator: " and ")) certificates")
        }
        return try await next(request, context)
    }

    /// Whether `path` is written the one way a route is: `/` and segments that are neither empty,
    /// `.` nor `..`, no trailing slash, and no percent-encoding or backslash that a router or a
    /// proxy might read as a separator.
    static func isCanonical(_ path: String) -> Bool {
        guard path.hasPrefix("/"), !path.contains("%"), !path.contains("\\") else { return false }
        guard path != "/" else { return true }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
            .allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    private func authenticate(_ context: Context) async throws -> Caller {
        guard let certificate = try await context.channel.nioSSL_peerCertificate().get() else {
            throw APIError(.noClientCertificate, message: "a client certificate signed by the city CA is required")
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
            throw APIError(.certificateRevoked, message: "certificate \(commonName) (serial \(DenyList.hex(certificate.serialNumber))) has been revoked by the city")
        case .unavailable(let reason):
            throw APIError(.denyListUnavailable, message: "the city cannot read its list of revoked certificates (\(reason)); no request is served until it can")
        }
        if commonName.hasPrefix("monitor-"), commonName.count > "monitor-".count {
            return .monitor(String(commonName.dropFirst("monitor-".count)))
        }
        if commonName.hasPrefix("operator-"), commonName.count > "operator-".count {
            return .operator(String(commonName.dropFirst("operator-".count)))
        }
        guard commonName.hasPrefix("county-") else {
            throw APIError(.unknownRole,
                           message: "certificate \(commonName) names no role (expected CN=county-CODE, CN=monitor-NAME or CN=operator-NAME)")
        }
        let county = String(commonName.dropFirst("county-".count))
        guard counties[county] != nil else {
            throw APIError(.unknownCounty, message: "county \(county) of the client certificate is not configured")
        }
        metrics.certificateSeen(county: county, notValidAfter: Int64(certificate.notValidAfter))
        return .county(county)
    }
}
