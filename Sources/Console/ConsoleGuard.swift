import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A console's defences beyond the client certificate (the city's operators', the county's clerks').
///
/// A browser sends the operator's certificate with every request to the aggregator, cross-site
/// ones included, so the certificate alone cannot tell a click in the console from a form on
/// another site. Every state-changing request therefore needs both:
/// - the operator's token, which only a console page carries (`token(for:)`), and
/// - a same-origin request: `Sec-Fetch-Site` absent or `same-origin`, and `Origin`, when sent,
///   naming this server's own host.
///
/// Tokens are random per operator and per process (a restart only asks for a reload).
public final class ConsoleGuard: Sendable {
    private let tokens: Mutex<[String: String]>

    public init() {
        tokens = Mutex([:])
    }

    /// The operator's token, made on first use: 32 random bytes, hex.
    public func token(for operatorName: String) -> String {
        tokens.withLock { tokens in
            if let token = tokens[operatorName] { return token }
            var generator = SystemRandomNumberGenerator()
            let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
            tokens[operatorName] = token
            return token
        }
    }

    /// Refuses a state-changing request that is cross-site or lacks the operator's token, naming why.
    public func checkStateChange(_ request: Request, operatorName: String, formToken: String?) throws {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin" {
            throw ConsoleError(.forbidden, "refused: a \(site) request may not change anything here (Sec-Fetch-Site: \(site)); use the console's own pages")
        }
        if let origin = request.headers[.origin] {
            let host = request.head.authority ?? ""
            guard origin == "https://\(host)" else {
                throw ConsoleError(.forbidden, "refused: the request comes from \(origin), not from this console (https://\(host))")
            }
        }
        let expected = token(for: operatorName)
        guard let formToken, Self.equal(formToken, expected) else {
            throw ConsoleError(.forbidden, "refused: the form's token is missing or stale; reload the page and try again")
        }
    }

    /// Compares in time independent of where the strings differ.
    public static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Headers on every console answer: a strict Content-Security-Policy (scripts, styles and
    /// requests only from this origin, no inline script, no framing), no sniffing, no referrer to other sites (`same-origin`: with `no-referrer` a browser sends `Origin: null` on its own forms),
    /// no caching of pages that show a county's data.
    public static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
        HTTPField.Name("Cross-Origin-Resource-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]
}

/// An error the console answers with an HTML page: the status and a sentence for the operator.
public struct ConsoleError: Error {
    public let status: HTTPResponse.Status
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}
