import Foundation
import Console
import WireCompression
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SyncCore
import SyncProtocol
import SyncStore

/// An error the aggregator answers with: an HTTP status and a JSON body `{code, message}`.
struct APIError: Error {
    let status: HTTPResponse.Status
    var body: ErrorBody

    /// An error with a stable code; its status is the code's (`ErrorCode.httpStatus`).
    init(_ code: ErrorCode, message: String) {
        self.init(status: Self.status(of: code), code: code.rawValue, message: message)
    }

    private init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.body = ErrorBody(code: code, message: message)
    }

    /// Translates any error once, at the boundary.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as StoreError:
            switch error {
            case .forbidden(let message): self.init(.forbiddenCounty, message: message)
            case .badBatch(let code, let message): self.init(code, message: message)
            case .invalidInput(let domain):
                self.init(.invalidInput, message: domain.description)
                if let zh = Self.chinese(domain) { body.messageZh = zh }
            case .invalidRows: self.init(.invalidInput, message: error.description)
            case .notAllowed(let message): self.init(.notAllowed, message: message)
            case .awaitingSecondPerson(_, let message): self.init(.notAllowed, message: message)
            // The city's own trouble: said without its paths or SQLite's words (the log has
            // them), and nothing was applied.
            case .diskFull(let op, _):
                self.init(.storageUnavailable, message: "the city cannot store anything now (its disk is full; \(op) was not done, nothing was applied); "
                    + "the county keeps its changes and sends them again by itself")
            case .busy(let op, _):
                self.init(.databaseBusy, message: "the city's database is busy with another process (\(op) was not done, nothing was applied); try again shortly")
            default:
                self.init(.storageError, message: "the city's database failed (\(error.operation ?? "a database operation") was not done, nothing was applied); "
                    + "the city's log has the cause")
            }
        case let error as DomainError:
            // Bad input, wherever it was found (a console form's field parsed before the store).
            self.init(.invalidInput, message: error.description)
            if let zh = Self.chinese(error) { body.messageZh = zh }
        case let error as BulkLane.LaneFull:
            self.init(.tooManyRequests, message: "county \(error.county) has \(error.queued) requests in progress at the city already, its share; try again shortly (Retry-After)")
        case let error as RequestBodyTimeout:
            self.init(.requestTimeout, message: "the request's body did not arrive within \(error.seconds) s (body-timeout-seconds)")
        case let error as BoundsViolation:
            self.init(.badRequest, message: "the body is not a valid message: \(error)")
        case let error as DecodingError:
            self.init(.badRequest, message: "the body is not a valid message: \(Self.describe(error))")
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge: self.init(.payloadTooLarge, message: "the body is larger than this server accepts")
            case .notFound: self.init(.notFound, message: "no such endpoint")
            case .methodNotAllowed: self.init(.methodNotAllowed, message: "method not allowed here")
            default: self.init(status: error.status, code: "http_\(error.status.code)", message: error.body ?? error.status.reasonPhrase)
            }
        default:
            // Said in the log, not to the client: an unexpected error's text may name the
            // server's files.
            self.init(.internalError, message: "the city failed unexpectedly; nothing was applied; the city's log has the cause")
        }
    }

    /// A refused input in the catalogue's Chinese, where the catalogue has it (an uncatalogued
    /// rule keeps the code's general Chinese).
    static func chinese(_ error: DomainError) -> String? {
        if case .invalid = error { return nil }
        return error.text(.zh)
    }

    /// The status of a code, with its reason phrase.
    static func status(of code: ErrorCode) -> HTTPResponse.Status {
        let statuses: [HTTPResponse.Status] = [.badRequest, .unauthorized, .forbidden, .notFound, .methodNotAllowed, .conflict,
                                               .contentTooLarge, .upgradeRequired, .internalServerError, .serviceUnavailable,
                                               .tooManyRequests, .requestTimeout]
        return statuses.first { $0.code == code.httpStatus } ?? .badRequest
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.debugDescription + path(context)
        case .keyNotFound(let key, let context):
            return "missing \(key.stringValue)" + path(context)
        @unknown default:
            return "\(error)"
        }
    }

    /// The JSON response.
    var response: Response {
        jsonResponse(body, status: status)
    }
}

let responseEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()

/// A JSON response with `status`.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    let data = (try? responseEncoder.encode(value)) ?? Data(#"{"code":"internal_error","message":"cannot encode the answer"}"#.utf8)
    return Response(
        status: status,
        headers: jsonHeaders,
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}

/// Every JSON answer's headers. `Accept-Encoding: deflate` (RFC 7694) tells a county that this city
/// reads deflated request bodies, so it compresses its pushes from then on.
let jsonHeaders: HTTPFields = [.contentType: "application/json", .acceptEncoding: "deflate"]

/// A JSON response from bytes already written (`JSONText`'s push and pull answers).
func jsonResponse(bytes: [UInt8], status: HTTPResponse.Status = .ok, for request: Request? = nil) -> Response {
    // A large answer goes deflated to a county that asked for it (a pull page over a slow link).
    if let request, bytes.count >= Deflate.worthwhileFrom, request.headers[.acceptEncoding]?.lowercased().contains("deflate") == true {
        var headers = jsonHeaders
        headers[.contentEncoding] = "deflate"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: Deflate.compress(bytes))))
    }
    return Response(status: status, headers: jsonHeaders, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
}

/// Turns every error into a JSON response, and logs refusals and failures with their context.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The paths this router answers, with their methods (for 405 and `Allow`).
    let routes: [String: CityAPI.Route]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var apiError = APIError(error)
            var headers = HTTPFields()
            // The router answers 404 for a listed path asked with another method; the path exists.
            if apiError.status == .notFound, let methods = routes[request.uri.path]?.methods {
                apiError = APIError(.methodNotAllowed,
                                    message: "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(methods.joined(separator: " or "))")
                headers[.allow] = methods.joined(separator: ", ")
            }
            let level: Logger.Level = apiError.status.code >= 500 ? .error : .notice
            apiError.body.requestId = context.logger[metadataKey: RequestIdMiddleware<Context>.metadataKey].map { "\($0)" }
            var metadata: Logger.Metadata = [
                "http.path": "\(request.uri.path)", "http.status": "\(apiError.status.code)",
                "sync.error.code": "\(apiError.body.code)", "sync.error.message": "\(apiError.body.message)",
            ]
            // The whole cause, paths included, goes to the log only.
            if apiError.status.code >= 500 { metadata["sync.error.cause"] = "\(error)" }
            context.logger.log(level: level, "request refused", metadata: metadata)
            // A person at a browser on a console page (a county's or a monitor's certificate, a
            // revoked one) reads a page saying why, not a JSON body.
            let path = request.uri.path
            if path == "/console" || path.hasPrefix("/console/") {
                return Self.refusalPage(apiError)
            }
            if apiError.status == .tooManyRequests { headers[.retryAfter] = "1" }
            // A city that cannot store is not asked again every second by every county.
            if apiError.body.code == ErrorCode.storageUnavailable.rawValue { headers[.retryAfter] = "30" }
            if apiError.body.code == ErrorCode.databaseBusy.rawValue { headers[.retryAfter] = "5" }
            if apiError.status == .requestTimeout { headers[.connection] = "close" }
            var response = apiError.response
            response.headers.append(contentsOf: headers)
            return response
        }
    }
}

extension ErrorMiddleware {
    /// A console request refused before the console saw it: a small page in Chinese and English
    /// with the reason, the status kept.
    static func refusalPage(_ error: APIError) -> Response {
        let html = """
            <!doctype html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>无法访问 Not allowed</title>
            <style>body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:40px;color:#1f2933}
            .code{color:#66727f;font-size:13px}</style></head>
            <body><h1>无法访问城市控制台 The city console cannot be opened</h1>
            <p>\(HTML.escape(error.body.message))</p>
            <p>控制台只对城市操作员证书开放（CN=operator-姓名），请在浏览器中选用您的操作员证书。
            The console is for city operators' certificates (CN=operator-NAME): choose yours in the browser's certificate prompt.</p>
            <p class="code">HTTP \(error.status.code) · \(HTML.escape(error.body.code))</p></body></html>
            """
        var headers = ConsoleGuard.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: error.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}

/// Gives every request an id: the client's `X-Request-Id` when it is a short token, else a new
/// one. It is in every log line of the request (`http.request_id`), in the answer's header, and
/// in an error's body, so a county's error message leads to the city's log lines.
struct RequestIdMiddleware<Context: RequestContext>: RouterMiddleware {
    static var metadataKey: String { "http.request_id" }
    static var header: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = request.headers[Self.header].flatMap(Self.valid) ?? Self.generate()
        var context = context
        context.logger[metadataKey: Self.metadataKey] = "\(id)"
        var response = try await next(request, context)
        response.headers[Self.header] = id
        return response
    }

    /// A client's id, when it is 1 to 64 letters, digits, `.`, `_` or `-` (nothing a log line or
    /// a header could be bent by).
    static func valid(_ text: String) -> String? {
        guard (1...64).contains(text.utf8.count),
              text.utf8.allSatisfy({ $0.isASCIILetterOrDigit || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }) else { return nil }
        return text
    }

    /// 16 hex digits.
    static func generate() -> String {
        String(format: "%016llx", UInt64.random(in: .min ... .max))
    }
}

private extension UInt8 {
    var isASCIILetterOrDigit: Bool { (48...57).contains(self) || (65...90).contains(self) || (97...122).contains(self) }
}

/// Counts every request by route and status, with its duration, for `GET /metrics`.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: CityMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let path = request.uri.path
        let route = CityAPI.routes[path] != nil ? path : CityAPI.route(for: path) != nil ? "/console" : "other"
        metrics.request(route: route, status: response.status.code,
                        seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        return response
    }
}
