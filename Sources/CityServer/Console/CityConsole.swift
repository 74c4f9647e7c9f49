import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Console
import NIOCore
import SyncCore
import SyncInterchange
import SyncStore

/// The city console: the web pages where the city office sees every county and makes its
/// decisions, served by the aggregator under `/console` to `operator-NAME` certificates only.
///
/// Every page is rendered on the server (Mustache, every value escaped); charts are SVG drawn
/// here. Each decision calls the very `CityDatabase` method `syncctl` calls, with the operator's
/// name, which `explain` then shows. State changes are POSTs guarded by `ConsoleGuard`.
struct CityConsole: Sendable {
    let database: CityDatabase
    let metrics: CityMetrics
    let counties: CountyRegistry
    /// How often an open page refreshes itself, in seconds (0: never).
    let refreshSeconds: Int
    let guardian: ConsoleGuard
    /// Layout, error page, answers and the queue where SQLite calls block.
    let shell: ConsoleShell
    /// Where each decision and refusal is logged.
    let logger: Logger

    /// The counties expected online (nil: all).
    let expectedCounties: Set<String>?

    init(database: CityDatabase, metrics: CityMetrics, counties: CountyRegistry, refreshSeconds: Int, expectedCounties: Set<String>? = nil,
         logger: Logger = Logger(label: "city-console")) {
        self.logger = logger
        self.expectedCounties = expectedCounties
        self.database = database
        self.metrics = metrics
        self.counties = counties
        self.refreshSeconds = refreshSeconds
        self.guardian = ConsoleGuard()
        self.shell = ConsoleShell(brand: "唐山市科技创新平台", subtitle: "City console · County Sync", who: "操作员", refreshSeconds: refreshSeconds,
                                  pages: ConsoleTemplates.sources)
    }

    /// The pages, in the order of the navigation bar.
    enum Section: String, CaseIterable {
        case counties, progress, awards, decisions, platforms

        var path: String { self == .counties ? "/console" : "/console/\(rawValue)" }
        var label: String {
            switch self {
            case .counties: "县区 Counties"
            case .progress: "目标进度 Progress"
            case .awards: "奖补 Awards"
            case .decisions: "待处理 Decisions"
            case .platforms: "平台 Platforms"
            }
        }
    }

    func addRoutes(to router: Router<CityRequestContext>) {
        let routes = router.group(context: OperatorRequestContext.self)
        let views = ConsoleViews(shell: shell, database: database, metrics: metrics, counties: counties, expectedCounties: expectedCounties)
        routes.get("/console") { request, context in
            await page(request, context, .counties, title: "县区 Counties") { _ in try views.countyList() }
        }
        routes.get("/console/counties/{code}") { request, context in
            let code = context.parameters.get("code") ?? ""
            return await page(request, context, .counties, title: "县区 \(code)") { _ in try views.county(code) }
        }
        routes.get("/console/progress") { request, context in
            await page(request, context, .progress, title: "目标进度 Progress") { _ in try views.progress() }
        }
        routes.get("/console/awards") { request, context in
            let (query, status, county) = (Self.parameter(request, "q"), Self.parameter(request, "status"), Self.parameter(request, "county"))
            return await page(request, context, .awards, title: "奖补 Awards") { _ in try views.awards(query: query, status: status, county: county) }
        }
        routes.get("/console/awards/export") { request, context in
            // The finance bureau's download: the same rows as `syncctl export awards`.
            do {
                let format = Self.parameter(request, "format").isEmpty ? "xlsx" : Self.parameter(request, "format")
                let status = Self.parameter(request, "status")
                let year = Self.parameter(request, "fiscal_year")
                let county = Self.parameter(request, "county")
                guard ["xlsx", "csv"].contains(format) else { throw ConsoleError(.badRequest, "format is xlsx or csv, not \(format)") }
                guard status.isEmpty || AwardStatus(rawValue: status) != nil else { throw ConsoleError(.badRequest, "no award status \(status)") }
                guard year.isEmpty || Int(year) != nil else { throw ConsoleError(.badRequest, "the fiscal year is a whole number, not \(year)") }
                let encoding = try TextEncoding(parsing: Self.parameter(request, "encoding").isEmpty ? "utf-8" : Self.parameter(request, "encoding"))
                let data = try await blocking {
                    let lines = try database.awardLines(status: AwardStatus(rawValue: status), fiscalYear: Int(year), county: county.isEmpty ? nil : county)
                    return format == "xlsx" ? try AwardSheet.xlsx(lines) : try AwardSheet.csv(lines, encoding: encoding)
                }
                var headers = ConsoleGuard.securityHeaders
                headers[.contentType] = format == "xlsx" ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    : "text/csv; charset=\(encoding == .utf8 ? "utf-8" : "gb18030")"
                headers[.contentDisposition] = "attachment; filename=\"awards-\(CityDatabase.today()).\(format)\""
                headers[.cacheControl] = "no-store"
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
            } catch {
                return errorPage(error, title: "奖补 Awards", section: .awards, operatorName: context.operatorName, back: "/console/awards")
            }
        }
        routes.get("/console/decisions") { request, context in
            let (county, done) = (Self.parameter(request, "county"), Self.doneMessage(request))
            let operatorName = context.operatorName
            return await page(request, context, .decisions, title: "待处理 Decisions") { token in
                try views.decisions(county: county, token: token, done: done, operatorName: operatorName)
            }
        }
        routes.get("/console/platforms") { request, context in
            let (query, status, county) = (Self.parameter(request, "q"), Self.parameter(request, "status"), Self.parameter(request, "county"))
            // A page number that is no small positive number is the first page.
            let number = Int(Self.parameter(request, "page")).map { min(max($0, 1), 1_000_000) } ?? 1
            return await page(request, context, .platforms, title: "平台 Platforms") { _ in
                try views.platforms(query: query, status: status, county: county, page: number)
            }
        }
        routes.get("/console/records/{id}") { request, context in
            let id = context.parameters.get("id") ?? ""
            let done = Self.doneMessage(request)
            return await page(request, context, nil, title: id) { token in try views.record(id, token: token, done: done) }
        }
        routes.get("/console/static/console.css") { _, _ in ConsoleShell.asset(ConsoleAssets.css, type: "text/css; charset=utf-8") }
        routes.get("/console/static/console.js") { _, _ in ConsoleShell.asset(ConsoleAssets.javascript, type: "text/javascript; charset=utf-8") }

        // Decisions: each is the CLI's own call, made as this operator.
        routes.post("/console/awards/{id}/approve") { request, context in
            await decide(request, context) { id, form, actor in
                let amount = try form["amount"].flatMap { $0.isEmpty ? nil : $0 }.map { text throws(DomainError) in try Fen(typed: text, field: "amount") }
                return try Self.orPending(id, done: "approved") {
                    _ = try database.approveAward(id: id, amount: amount, overrideReason: form["reason"].flatMap { $0.isEmpty ? nil : $0 },
                                                  confirmAboveCeiling: form["confirm_above_ceiling"] == "1", by: actor)
                }
            }
        }
        routes.post("/console/awards/{id}/reject") { request, context in
            await decide(request, context) { id, form, actor in
                _ = try database.rejectAward(id: id, reason: form["reason"] ?? "", by: actor)
                return "/console/records/\(id)?done=rejected"
            }
        }
        routes.get("/console/awards/{id}/disburse") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await page(request, context, nil, title: "登记拨付 Record disbursement") { token in try views.disbursement(id, token: token) }
        }
        routes.post("/console/awards/{id}/disburse") { request, context in
            await decide(request, context) { id, form, actor in
                let date = try form["on"].flatMap { $0.isEmpty ? nil : $0 }.map { text throws(DomainError) in try CalendarDate(text, field: "on") }
                    ?? CityDatabase.today()
                // The amount typed on the confirmation page must be the approved one: a stray
                // click, or a form posted from elsewhere, records no payment.
                let typed = try form["confirm_amount"].flatMap { $0.isEmpty ? nil : $0 }.map { text throws(DomainError) in try Fen(typed: text, field: "confirm_amount") }
                guard let approved = try database.award(id: id)?.approvedAmount, typed == approved else {
                    throw ConsoleError(.badRequest, "type the approved amount on the confirmation page to record a payment (nothing was recorded)")
                }
                return try Self.orPending(id, done: "disbursed") { _ = try database.disburseAward(id: id, on: date, by: actor) }
            }
        }
        routes.post("/console/awards/{id}/reverse") { request, context in
            await decide(request, context) { id, form, actor in
                let typed = try? form["amount"].flatMap { $0.isEmpty ? nil : $0 }.map { text throws(DomainError) in try Fen(typed: text, field: "amount") }
                guard let approved = try database.award(id: id)?.approvedAmount, typed == approved else {
                    throw ConsoleError(.badRequest, "type the approved amount to confirm a reversal (nothing was recorded)")
                }
                _ = try database.reverseDisbursement(id: id, reason: form["reason"], by: actor)
                return "/console/records/\(id)?done=reversed"
            }
        }
        routes.post("/console/platforms/{id}/recognize") { request, context in
            await decide(request, context) { id, form, actor in
                return try Self.orPending(id, done: "recognized") {
                    _ = try database.recognizePlatform(id: id, distinctReason: form["distinct_reason"].flatMap { $0.isEmpty ? nil : $0 },
                                                       document: form["doc"].flatMap { $0.isEmpty ? nil : $0 }, by: actor)
                }
            }
        }
        routes.post("/console/platforms/{id}/evaluate") { request, context in
            await decide(request, context) { id, form, actor in
                guard let year = form["year"].flatMap({ Int($0) }) else {
                    throw ConsoleError(.badRequest, "the year evaluated is a whole number, not \(form["year"] ?? "nothing") (nothing was recorded)")
                }
                let result = try EvaluationResult(parsing: form["result"] ?? "")
                _ = try database.evaluatePlatform(id: id, year: year, result: result, reason: form["reason"].flatMap { $0.isEmpty ? nil : $0 }, by: actor)
                return "/console/records/\(id)?done=evaluated"
            }
        }
        routes.post("/console/platforms/{id}/revoke") { request, context in
            await decide(request, context) { id, _, actor in
                _ = try database.revokePlatform(id: id, by: actor)
                return "/console/records/\(id)?done=revoked"
            }
        }
        routes.post("/console/pending/{id}/confirm") { request, context in
            await decide(request, context) { id, _, actor in
                guard let number = Int64(id) else { throw ConsoleError(.notFound, "no pending decision \(id)") }
                try database.confirmPending(id: number, by: actor)
                return "/console/decisions?done=confirmed"
            }
        }
        routes.post("/console/pending/{id}/refuse") { request, context in
            await decide(request, context) { id, form, actor in
                guard let number = Int64(id) else { throw ConsoleError(.notFound, "no pending decision \(id)") }
                try database.refusePending(id: number, reason: form["reason"], by: actor)
                return "/console/decisions?done=refused"
            }
        }
        routes.post("/console/conflicts/{id}/resolve") { request, context in
            await decide(request, context) { id, form, actor in
                guard let number = Int64(id) else { throw ConsoleError(.notFound, "no conflict \(id)") }
                guard let keep = form["keep"].flatMap(KeepSide.init(rawValue:)) else {
                    throw ConsoleError(.badRequest, "keep must be local (the city's value) or remote (the county's), not \(form["keep"] ?? "nothing")")
                }
                _ = try database.resolveConflict(id: number, keep: keep, by: actor)
                return "/console/decisions?done=resolved"
            }
        }
        routes.post("/console/parked/{id}/retry") { request, context in
            await decide(request, context) { id, _, actor in
                guard let number = Int64(id) else { throw ConsoleError(.notFound, "no parked change \(id)") }
                try database.retryParked(id: number, by: actor)
                return "/console/decisions?done=retried"
            }
        }
        routes.post("/console/parked/{id}/discard") { request, context in
            await decide(request, context) { id, _, actor in
                guard let number = Int64(id) else { throw ConsoleError(.notFound, "no parked change \(id)") }
                try database.discardParked(id: number, by: actor)
                return "/console/decisions?done=discarded"
            }
        }
    }

    /// Where a decision leads: its record with `done`, or with `pending` when it was kept for a
    /// second operator.
    static func orPending(_ id: String, done: String, _ decide: () throws -> Void) throws -> String {
        do {
            try decide()
            return "/console/records/\(id)?done=\(done)"
        } catch StoreError.awaitingSecondPerson {
            return "/console/records/\(id)?done=pending"
        }
    }

    /// The confirmation of a decision just made, by its code: a fixed text, so a link cannot make
    /// the console show words of someone else's choosing.
    private static func doneMessage(_ request: Request) -> String? {
        switch parameter(request, "done") {
        case "approved": "已批准 approved"
        case "rejected": "已驳回 rejected"
        case "disbursed": "已登记拨付 disbursement recorded"
        case "reversed": "已红冲 payment reversed"
        case "recognized": "已认定 recognised"
        case "revoked": "已撤销 revoked"
        case "pending": "已提交，等待另一名操作员确认 kept as pending: another operator confirms or refuses it (待处理 Decisions)"
        case "confirmed": "已确认，决定已生效 confirmed: the decision is made"
        case "refused": "已不同意，决定未生效 refused: nothing was decided"
        case "evaluated": "已登记绩效评价 evaluation recorded"
        case "resolved": "冲突已解决 conflict resolved"
        case "retried": "暂存变更已重试并应用 parked change retried and applied"
        case "discarded": "暂存变更已放弃 parked change discarded"
        default: nil
        }
    }

    /// A query parameter's text, empty when absent.
    private static func parameter(_ request: Request, _ name: String) -> String { request.uri.queryParameters.get(name) ?? "" }

    /// Renders a page, or only its `<main>` when the page's script asks for a refresh.
    private func page(_ request: Request, _ context: OperatorRequestContext, _ section: Section?, title: String,
                      _ body: @escaping @Sendable (String) throws -> String) async -> Response {
        let token = guardian.token(for: context.operatorName)
        let generated = ConsoleFormat.time(CountyDatabase.wallClockMs())
        do {
            let html = try await Self.storageBanner(database.storageHealth?.failing) + blocking { try body(token) }
            if request.headers[HTTPField.Name("X-Console-Fragment")!] == "main" {
                return htmlResponse(html, generated: generated)
            }
            return htmlResponse(layout(title: title, section: section, operatorName: context.operatorName, body: html, generated: generated),
                                generated: generated)
        } catch {
            return errorPage(error, title: title, section: section, operatorName: context.operatorName, back: section?.path ?? "/console")
        }
    }

    /// The line above every page while the city's writes fail for a cause of its storage: the
    /// city's trouble first, before any county looks stuck.
    static func storageBanner(_ failure: StorageHealth.Failure?) -> String {
        guard let failure else { return "" }
        let text = "城市数据库无法写入 The city cannot store: \(failure.cause) (\(failure.op), since \(ConsoleFormat.time(failure.atMs))). "
            + "Counties keep their changes and send them again by themselves; free space or repair the storage, then the next write clears this."
        return #"<p class="storage" role="alert">"# + HTML.escape(text) + "</p>\n"
    }

    /// Runs a decision from a POSTed form, after the cross-site and token checks, as this
    /// operator; answers with a redirect to where the result shows, or a page naming what was wrong.
    private func decide(_ request: Request, _ context: OperatorRequestContext,
                        _ body: @escaping @Sendable (String, [String: String], String) throws -> String) async -> Response {
        let id = context.parameters.get("id") ?? ""
        let back = request.uri.path.hasPrefix("/console/conflicts") || request.uri.path.hasPrefix("/console/parked") || request.uri.path.hasPrefix("/console/pending")
            ? "/console/decisions" : "/console/records/\(id)"
        // Every decision, and every refusal, is a log line with the operator, the record, the
        // outcome and where the request came from.
        var metadata: Logger.Metadata = ["sync.operator": "\(context.operatorName)", "sync.route": "\(request.uri.path)",
                                         "sync.record": "\(id)", "sync.peer": "\(context.peer)",
                                         "http.request_id": "\(context.logger[metadataKey: RequestIdMiddleware<OperatorRequestContext>.metadataKey] ?? "-")"]
        do {
            let buffer = try await request.body.collect(upTo: 64 * 1024)
            let form = FormFields.parse(String(buffer: buffer))
            try guardian.checkStateChange(request, operatorName: context.operatorName, formToken: form["token"])
            let location = try await blocking {
                try ChangeActor.$current.withValue(context.operatorName) { try body(id, form, context.operatorName) }
            }
            metadata["sync.outcome"] = "\(location.split(separator: "=").last.map(String.init) ?? "done")"
            logger.notice("console decision", metadata: metadata)
            var headers = ConsoleGuard.securityHeaders
            headers[.location] = location
            return Response(status: .seeOther, headers: headers)
        } catch {
            let status = (error as? ConsoleError)?.status ?? APIError(error).status
            metadata["sync.outcome"] = "refused"
            metadata["sync.status"] = "\(status.code)"
            metadata["sync.error.message"] = "\((error as? ConsoleError)?.message ?? APIError(error).body.message)"
            logger.warning("console decision refused", metadata: metadata)
            return errorPage(error, title: "未能完成 Not done", section: nil, operatorName: context.operatorName, back: back)
        }
    }

    private func layout(title: String, section: Section?, operatorName: String, body: String, generated: String) -> String {
        shell.layout(title: title, nav: Self.nav(section), signedIn: operatorName, body: body, generated: generated)
    }

    /// The navigation bar with `section` marked.
    private static func nav(_ section: Section?) -> [ConsoleShell.Link] {
        Section.allCases.map { ConsoleShell.Link(href: $0.path, label: $0.label, current: $0 == section) }
    }

    private func errorPage(_ error: any Error, title: String, section: Section?, operatorName: String, back: String) -> Response {
        let translated = APIError(error)
        return shell.errorPage(error, status: translated.status, fallback: translated.body.message, title: title, nav: Self.nav(section),
                               signedIn: operatorName, back: back)
    }

    private func htmlResponse(_ page: String, generated: String) -> Response {
        shell.htmlResponse(page, generated: generated)
    }

    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await shell.blocking(body)
    }
}
