import Console
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOSSL
import Synchronization
import SyncCore
import SyncStore

/// The request context of the county console: the connection, so the clerk's certificate can be
/// read off its TLS handler, and the clerk that step found.
public struct CountyConsoleContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    /// The signed-in clerk's name (`CN=clerk-CODE-NAME`); set before any page runs.
    public var clerk: String = ""

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Who may use a county's console: a clerk of that very county, `CN=clerk-CODE-NAME`
/// (`Deploy/pki.sh clerk DIR CODE NAME`).
public enum ClerkCertificate {
    /// The clerk's name in `commonName`, or why it names no clerk of `county`.
    public static func clerk(commonName: String, county: String) -> Result<String, ConsoleError> {
        let prefix = "clerk-\(county)-"
        guard commonName.hasPrefix(prefix) else {
            let other = commonName.hasPrefix("clerk-") ? "a clerk of another county" : commonName.isEmpty ? "no one" : "not a clerk"
            return .failure(ConsoleError(.forbidden, "证书 \(commonName) 不是本县区（\(county)）的录入员证书 — the certificate \(commonName) is \(other), not a clerk of county \(county)"))
        }
        let name = String(commonName.dropFirst(prefix.count))
        guard ChangeActor.isValid("clerk:" + name), !name.contains(where: { $0 == "/" || $0 == "\\" }) else {
            return .failure(ConsoleError(.forbidden, "证书 \(commonName) 中的姓名无效 — the name in certificate \(commonName) is not usable"))
        }
        return .success(name)
    }
}

/// Admits a request only with a clerk certificate of this county; anyone else gets a page saying
/// so, in Chinese first. The console's stylesheet and script are served to any certificate the
/// CA signed, so the refusal page shows as the console does.
struct ClerkAuthentication: RouterMiddleware {
    typealias Context = CountyConsoleContext
    let county: String
    let shell: ConsoleShell
    let logger: Logger

    /// The console's stylesheet and script, served to any certificate the CA signed.
    static let assets: Set<String> = ["/console/static/console.css", "/console/static/console.js"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        // The two assets by their exact paths only: no other spelling reaches a page unauthenticated.
        if Self.assets.contains(request.uri.path) { return try await next(request, context) }
        let certificate = try? await context.channel.nioSSL_peerCertificate().get()
        let commonName = certificate?.subjectName.first { $0.type == .commonName }?.value ?? ""
        switch ClerkCertificate.clerk(commonName: commonName, county: county) {
        case .success(let name):
            context.clerk = name
            return try await next(request, context)
        case .failure(let refusal):
            logger.warning("county console: refused a certificate", metadata: ["sync.certificate.cn": "\(commonName)", "sync.route": "\(request.uri.path)"])
            struct Refusal { let message: String; let county: String }
            var response = shell.htmlResponse(shell.render(Refusal(message: refusal.message, county: county), "refusal"),
                                              generated: ConsoleFormat.time(CountyDatabase.wallClockMs()))
            response.status = .forbidden
            return response
        }
    }
}

/// The county office's console: where clerks see what the city decided, register and search
/// platforms and read a record's history, in the browser, Chinese first. Served by `county-syncd`
/// (`console-listen`) to clerk certificates of this county only.
///
/// Every page reads the local replica only, so a page never waits for the city; every change is
/// made through the same `CountyDatabase` methods `syncctl` uses, named `clerk:NAME`, and the
/// daemon's sync loop sends it as it sends any change.
public struct CountyConsole: Sendable {
    let database: CountyDatabase
    let shell: ConsoleShell
    let guardian = ConsoleGuard()
    let logger: Logger
    /// When each clerk last opened the overview, for "since your last visit".
    private let visits = Visits()

    public init(database: CountyDatabase, refreshSeconds: Int = 0, logger: Logger) {
        self.database = database
        self.logger = logger
        let name = (try? database.counties.county(database.county).name) ?? database.county
        shell = ConsoleShell(brand: "\(name)科技创新平台", subtitle: "County console · County Sync", who: "录入员", refreshSeconds: refreshSeconds,
                             pages: CountyConsoleTemplates.sources)
    }

    /// The pages, in the order of the navigation bar.
    enum Section: String, CaseIterable {
        case overview, platforms, awards, importing = "import", decisions

        var path: String { self == .overview ? "/console" : "/console/\(rawValue)" }
        var label: String {
            switch self {
            case .overview: "概览 Today"
            case .platforms: "平台 Platforms"
            case .awards: "奖补 Awards"
            case .importing: "导入 Import"
            case .decisions: "城市决定 The city's decisions"
            }
        }
    }

    /// The router: clerk authentication, then the pages.
    public func router() -> Router<CountyConsoleContext> {
        let router = Router(context: CountyConsoleContext.self)
        router.middlewares.add(ClerkAuthentication(county: database.county, shell: shell, logger: logger))
        router.get("/") { _, _ in
            var headers = ConsoleGuard.securityHeaders
            headers[.location] = "/console"
            return Response(status: .seeOther, headers: headers)
        }
        router.get("/console/static/console.css") { _, _ in ConsoleShell.asset(ConsoleAssets.css, type: "text/css; charset=utf-8") }
        router.get("/console/static/console.js") { _, _ in ConsoleShell.asset(ConsoleAssets.javascript, type: "text/javascript; charset=utf-8") }
        let views = CountyConsoleViews(database: database, shell: shell)
        router.get("/console") { request, context in
            let since = visits.visit(context.clerk)
            return await page(request, context, .overview, title: "概览 Today") { _ in try views.overview(sinceVisitMs: since) }
        }
        router.get("/console/platforms") { request, context in
            let query = request.uri.queryParameters.get("q") ?? ""
            return await page(request, context, .platforms, title: "平台 Platforms") { _ in try views.platforms(query: query) }
        }
        let sheets = CountyConsoleImport(database: database, shell: shell)
        router.get("/console/import") { request, context in
            await page(request, context, .importing, title: "导入 Import") { token in sheets.form(token: token) }
        }
        router.post("/console/import") { request, context in
            await importing(request, context) { token in
                let body = try await request.body.collect(upTo: CountyConsoleImport.maxBytes + 64 * 1024)
                let form = try MultipartForm(body: Data(buffer: body), contentType: request.headers[.contentType] ?? "")
                try guardian.checkStateChange(request, operatorName: context.clerk, formToken: form.text("token"))
                guard let kind = form.text("kind").flatMap(CountyConsoleImport.Kind.init(rawValue:)) else {
                    throw ConsoleError(.badRequest, "请选择表格内容 — choose what the sheet holds (platforms or awards)")
                }
                guard let file = form["file"], !file.data.isEmpty else {
                    throw ConsoleError(.badRequest, "请选择要上传的文件 — choose the file to upload (it was empty)")
                }
                let upload = CountyConsoleImport.Upload(id: RecordID.generate(), kind: kind, filename: file.filename ?? "sheet", data: file.data)
                return try await shell.blocking { try sheets.preview(upload, clerk: context.clerk, token: token) }
            }
        }
        router.post("/console/import/confirm") { request, context in
            await importing(request, context) { token in
                let form = FormFields.parse(String(buffer: try await request.body.collect(upTo: 64 * 1024)))
                try guardian.checkStateChange(request, operatorName: context.clerk, formToken: form["token"])
                let actor = "clerk:" + context.clerk
                return try await shell.blocking {
                    try ChangeActor.$current.withValue(actor) { try sheets.confirm(id: form["upload"] ?? "", clerk: context.clerk, token: token) }
                }
            }
        }
        router.get("/console/awards") { request, context in
            await page(request, context, .awards, title: "奖补 Awards") { _ in try views.awards() }
        }
        router.get("/console/decisions") { request, context in
            await page(request, context, .decisions, title: "城市决定 Decisions") { _ in try views.decisions() }
        }
        router.get("/console/platforms/new") { request, context in
            await page(request, context, .platforms, title: "登记平台 Register") { token in views.platformForm(token: token, values: [:], problem: nil) }
        }
        router.post("/console/platforms") { request, context in
            await change(request, context, .platforms, title: "登记平台 Register", back: "/console/platforms/new") { form in
                "/console/records/" + (try views.register(form)).id
            } problem: { form, problem, token in
                views.platformForm(token: token, values: form, problem: problem)
            }
        }
        router.get("/console/platforms/{id}/edit") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await page(request, context, .platforms, title: "修改平台 Edit") { token in
                guard let platform = try database.platform(id: id) else {
                    throw ConsoleError(.notFound, "没有编号为 \(id) 的平台 — no platform \(id) in this county's replica")
                }
                return views.platformForm(token: token, values: CountyConsoleViews.formValues(platform), problem: nil, editing: id)
            }
        }
        router.post("/console/platforms/{id}") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await change(request, context, .platforms, title: "修改平台 Edit", back: "/console/records/\(id)") { form in
                "/console/records/" + (try views.update(id, form)).id
            } problem: { form, problem, token in
                views.platformForm(token: token, values: form, problem: problem, editing: id)
            }
        }
        router.post("/console/platforms/{id}/delete") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await change(request, context, .platforms, title: "删除平台 Delete", back: "/console/records/\(id)") { form in
                guard form["confirm"] == "yes" else {
                    throw ConsoleError(.badRequest, "请勾选“确认删除” — tick the confirmation to delete the platform")
                }
                try database.deletePlatform(id: id)
                return "/console/platforms"
            } problem: { _, problem, token in
                try views.record(id, token: token, problem: problem)
            }
        }
        router.get("/console/records/{id}") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await page(request, context, nil, title: "记录 \(id)") { token in try views.record(id, token: token) }
        }
        router.post("/console/awards") { request, context in
            await change(request, context, nil, title: "申报奖补 Propose", back: "/console/platforms") { form in
                "/console/records/" + (try views.propose(form)).id
            } problem: { form, problem, token in
                try views.record(form["platform"] ?? "", token: token, proposal: form, problem: problem)
            }
        }
        router.post("/console/awards/{id}/withdraw") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await change(request, context, nil, title: "撤回 Withdraw", back: "/console/records/\(id)") { _ in
                let platform = try database.award(id: id)?.platformId
                try database.withdrawAward(id: id)
                return platform.map { "/console/records/\($0)" } ?? "/console/platforms"
            } problem: { _, problem, token in
                try views.record(id, token: token, problem: problem)
            }
        }
        return router
    }

    private func nav(_ section: Section?) -> [ConsoleShell.Link] {
        Section.allCases.map { ConsoleShell.Link(href: $0.path, label: $0.label, current: $0 == section) }
    }

    /// Renders a page inside the layout, or the error page naming what went wrong.
    private func page(_ request: Request, _ context: CountyConsoleContext, _ section: Section?, title: String,
                      _ body: @escaping @Sendable (String) throws -> String) async -> Response {
        let token = guardian.token(for: context.clerk)
        let generated = ConsoleFormat.time(CountyDatabase.wallClockMs())
        do {
            let html = try await shell.blocking { try body(token) }
            return shell.htmlResponse(shell.layout(title: title, nav: nav(section), signedIn: context.clerk, body: html, generated: generated),
                                      generated: generated)
        } catch {
            return shell.errorPage(error, status: .notFound, fallback: "\(error)", title: title, nav: nav(section), signedIn: context.clerk,
                                   back: section?.path ?? "/console")
        }
    }

    /// An import step: its page, or the error page naming what was wrong (nothing written).
    private func importing(_ request: Request, _ context: CountyConsoleContext, _ body: (String) async throws -> String) async -> Response {
        let token = guardian.token(for: context.clerk)
        let generated = ConsoleFormat.time(CountyDatabase.wallClockMs())
        do {
            let html = try await body(token)
            logger.notice("county console import", metadata: ["sync.clerk": "\(context.clerk)", "sync.route": "\(request.uri.path)"])
            return shell.htmlResponse(shell.layout(title: "导入 Import", nav: nav(.importing), signedIn: context.clerk, body: html, generated: generated),
                                      generated: generated)
        } catch {
            logger.warning("county console: refused an import", metadata: ["sync.clerk": "\(context.clerk)", "sync.error": "\(error)"])
            let status: HTTPResponse.Status = error is ConsoleError ? .badRequest : .unprocessableContent
            return shell.errorPage(error, status: status, fallback: "\(error)", title: "导入 Import", nav: nav(.importing), signedIn: context.clerk,
                                   back: "/console/import")
        }
    }

    /// A change from a POSTed form: refused cross-site or without the clerk's token; a value the
    /// rules refuse shows `problem`'s page again (422) with the message beside its field, and
    /// writes nothing; a change done leads to `perform`'s location, named `clerk:NAME`.
    private func change(_ request: Request, _ context: CountyConsoleContext, _ section: Section?, title: String, back: String,
                        perform: @escaping @Sendable ([String: String]) throws -> String,
                        problem render: @escaping @Sendable ([String: String], DomainError, String) throws -> String) async -> Response {
        let token = guardian.token(for: context.clerk)
        let generated = ConsoleFormat.time(CountyDatabase.wallClockMs())
        var metadata: Logger.Metadata = ["sync.clerk": "\(context.clerk)", "sync.route": "\(request.uri.path)"]
        do {
            let buffer = try await request.body.collect(upTo: 64 * 1024)
            let form = FormFields.parse(String(buffer: buffer))
            try guardian.checkStateChange(request, operatorName: context.clerk, formToken: form["token"])
            let actor = "clerk:" + context.clerk
            let outcome = try await shell.blocking { () throws -> Result<String, DomainError> in
                do {
                    return .success(try ChangeActor.$current.withValue(actor) { try perform(form) })
                } catch let error as DomainError {
                    return .failure(error)
                } catch StoreError.invalidInput(let error) {
                    return .failure(error)
                }
            }
            switch outcome {
            case .success(let location):
                metadata["sync.outcome"] = "\(location)"
                logger.notice("county console change", metadata: metadata)
                var headers = ConsoleGuard.securityHeaders
                headers[.location] = location
                return Response(status: .seeOther, headers: headers)
            case .failure(let refusal):
                let body = try await shell.blocking { try render(form, refusal, token) }
                var response = shell.htmlResponse(shell.layout(title: title, nav: nav(section), signedIn: context.clerk, body: body, generated: generated),
                                                  generated: generated)
                response.status = .unprocessableContent
                return response
            }
        } catch {
            metadata["sync.outcome"] = "refused"
            metadata["sync.error"] = "\(error)"
            logger.warning("county console: refused a change", metadata: metadata)
            let status: HTTPResponse.Status = if case StoreError.notAllowed = error { .conflict } else { .badRequest }
            return shell.errorPage(error, status: status, fallback: "\(error)", title: title, nav: nav(section), signedIn: context.clerk, back: back)
        }
    }
}

/// When each clerk last opened the overview (ms since 1970), kept while the daemon runs.
final class Visits: Sendable {
    private let last = Mutex<[String: Int64]>([:])

    /// Records a visit now; returns the one before, if any.
    func visit(_ clerk: String) -> Int64? {
        let now = CountyDatabase.wallClockMs()
        return last.withLock { visits in
            defer { visits[clerk] = now }
            return visits[clerk]
        }
    }
}
