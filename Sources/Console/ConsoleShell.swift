import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import SyncCore
import SyncStore

/// What every console page shares, whichever office it serves: the layout around a page (brand,
/// navigation, who is signed in, the live-refresh footer), the HTML error page, the answers with
/// the security headers, the static assets, and the queue where SQLite calls block off the event
/// loops. The city's console is built on it; a county's is built on it the same way.
///
/// ```swift
/// let shell = ConsoleShell(brand: "唐山市科技创新平台", subtitle: "City console · County Sync", who: "操作员",
///                          refreshSeconds: 5, pages: CityTemplates.sources)
/// let html = shell.layout(title: "县区 Counties", nav: links, signedIn: "operator-zhang", body: page, generated: now)
/// ```
public struct ConsoleShell: Sendable {
    /// One entry of the navigation bar.
    public struct Link: Sendable {
        public let href: String
        public let label: String
        public let current: Bool

        public init(href: String, label: String, current: Bool) {
            self.href = href
            self.label = label
            self.current = current
        }
    }

    /// The office's name in the header, and the line beside it.
    public let brand: String
    public let subtitle: String
    /// The word before the signed-in name: 操作员 (operator) at the city, 录入员 (clerk) at a county.
    public let who: String
    /// How often an open page refreshes itself, in seconds (0: never).
    public let refreshSeconds: Int
    /// The layout, the error page and the console's own page templates.
    public let templates: MustacheLibrary
    private let work: BlockingWork

    /// A shell with the console's page templates (`(name, Mustache source)`), compiled once.
    public init(brand: String, subtitle: String, who: String, refreshSeconds: Int, pages: [(String, String)]) {
        self.brand = brand
        self.subtitle = subtitle
        self.who = who
        self.refreshSeconds = refreshSeconds
        var library = MustacheLibrary()
        for (name, text) in [("layout", Self.layoutTemplate), ("error", Self.errorTemplate)] + pages {
            // The templates are constants of the program; one that does not parse is a bug caught by every console test.
            try! library.register(text, named: name)
        }
        self.templates = library
        self.work = BlockingWork(label: "county-sync.console")
    }

    /// Renders `template` with `context`; empty if the template is unknown.
    public func render(_ context: Any, _ template: String) -> String {
        templates.render(context, withTemplate: template) ?? ""
    }

    /// A whole page: the layout around `body`.
    public func layout(title: String, nav: [Link], signedIn: String, body: String, generated: String) -> String {
        struct Layout {
            let title, brand, subtitle, who: String
            let nav: [Link]
            let signedIn, body, generatedAt: String
            let refreshSeconds: Int
            let live: Bool
        }
        return render(Layout(title: title, brand: brand, subtitle: subtitle, who: who, nav: nav, signedIn: signedIn, body: body,
                             generatedAt: generated, refreshSeconds: refreshSeconds, live: refreshSeconds > 0), "layout")
    }

    /// The page naming what was not done and why, with the error's status and a link back.
    public func errorPage(_ error: any Error, status: HTTPResponse.Status, fallback: String, title: String, nav: [Link], signedIn: String,
                          back: String) -> Response {
        struct Failure { let message: String; let back: String }
        let message = Self.message(of: error) ?? fallback
        let generated = ConsoleFormat.time(CountyDatabase.wallClockMs())
        let body = render(Failure(message: message, back: back), "error")
        var response = htmlResponse(layout(title: title, nav: nav, signedIn: signedIn, body: body, generated: generated), generated: generated)
        response.status = (error as? ConsoleError)?.status ?? status
        return response
    }

    /// What a console says of `error` in its own words, where it has them: a `ConsoleError`'s
    /// sentence, or a refusal the catalogue words, Chinese first with the English beside.
    public static func message(of error: any Error) -> String? {
        if let error = error as? ConsoleError { return error.message }
        var refused = error as? DomainError
        if case .invalidInput(let inner) = error as? StoreError { refused = inner }
        if let refused, case .refused = refused { return refused.text(.zh) + " — " + refused.description }
        return nil
    }

    /// Every page goes out here: a control a raw write left in any value (entry refuses them) is
    /// shown as a visible mark, so a bidirectional override cannot turn a name around on screen.
    public func htmlResponse(_ page: String, generated: String) -> Response {
        var headers = ConsoleGuard.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[HTTPField.Name("X-Console-Generated")!] = generated
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: DomainText.shown(page))))
    }

    /// A static asset (`ConsoleAssets`), cached five minutes.
    public static func asset(_ text: String, type: String) -> Response {
        var headers = ConsoleGuard.securityHeaders
        headers[.contentType] = type
        headers[.cacheControl] = "max-age=300"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Runs `body` off the event loops: SQLite calls block.
    public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await work.run(body)
    }

    static let layoutTemplate = """
        <!doctype html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · {{brand}} · County Sync</title>
        <link rel="stylesheet" href="/console/static/console.css">
        <script src="/console/static/console.js" defer></script>
        </head>
        <body>
        <header>
        <div class="brand">{{brand}} <span>{{subtitle}}</span></div>
        <nav>{{#nav}}<a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a>{{/nav}}</nav>
        <div class="who">{{who}} {{signedIn}}</div>
        </header>
        <main id="main" data-refresh="{{refreshSeconds}}">
        {{{body}}}
        </main>
        <footer>截至 as of <span id="as-of">{{generatedAt}}</span>{{#live}} · <span id="live" class="live">自动刷新 live</span>{{/live}}</footer>
        </body>
        </html>
        """

    static let errorTemplate = """
        <h1>未能完成 Not done</h1>
        <p class="error" role="alert">{{message}}</p>
        <p><a href="{{back}}">返回 Back</a></p>
        """
}

/// A concurrent queue for the blocking calls of a console's pages.
final class BlockingWork: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, attributes: .concurrent)
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result(catching: body)) }
        }
    }
}

/// The fields of an `application/x-www-form-urlencoded` body; the last of a repeated name wins.
public enum FormFields {
    public static func parse(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
