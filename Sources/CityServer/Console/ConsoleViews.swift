import Foundation
import Synchronization
import Console
import SyncCore
import SyncStore

/// Builds each console page's body from the city database: the same reads `syncctl` makes
/// (`countyStates`, `progressReport`, `conflicts`, `parked`, `history`), rendered with the
/// page's template. Every method blocks on SQLite; `CityConsole` calls them off the event loops.
struct ConsoleViews: Sendable {
    let shell: ConsoleShell
    let database: CityDatabase
    let metrics: CityMetrics
    let counties: CountyRegistry
    /// The counties expected online (nil: all): one never seen and not expected yet is grey.
    var expectedCounties: Set<String>? = nil
    /// The progress and awards pages read every platform and award: rendered once per write to
    /// the city's data (`CityDatabase.writeMark`), not once per open tab every refresh.
    let cache = PageCache()

    /// A county is silent after this long without contact, as the `CountySyncCountySilent` alert says.
    static let silentAfterSeconds: Int64 = CountyHealth.silentAfterSeconds
    /// A county is stuck after this many refused pushes in a row (`CountySyncCountyStuck`).
    static let stuckAfterRefusals = CountyHealth.stuckAfterRefusals
    /// At most this many rows in a list; the summary says how many matched.
    static let listLimit = 200

    private func render(_ object: Any, _ template: String) -> String {
        shell.render(object, template)
    }

    private func countyName(_ code: String) -> String { counties[code]?.name ?? code }

    // MARK: Counties

    struct CountyRow {
        let code, name, stateClass, stateLabel, lastContact, backlog, oldest: String
        let conflicts, parked, platforms, awards: Int
        let clockOffset, certificateExpiry, certClass, lastVerified: String
    }

    /// How a county stands: `CountyHealth`, the one judgement `syncctl status` makes too.
    func state(of county: CountyState, refused: Int, refusedPulls: Int = 0, certificateExpiresAt: Int64? = nil, now: Int64) -> (String, String) {
        let health = CountyHealth.judge(county, nowMs: now, refusedInARow: refused, refusedPullsInARow: refusedPulls, certificateExpiresAt: certificateExpiresAt)
        if health.state == "silent", let contact = county.lastContactAt {
            return ("silent", "失联 silent for \(ConsoleFormat.age(seconds: Int((now - contact) / 1000)))")
        }
        if health.state == "never", let expected = expectedCounties, !expected.contains(county.county) {
            return ("later", "未上线 not expected yet")
        }
        return (health.state, health.label)
    }

    func countyRow(_ county: CountyState, now: Int64, health: CountyHealthSeen) -> CountyRow {
        let (stateClass, stateLabel) = state(of: county, refused: health.refusedPushes[county.county] ?? 0, refusedPulls: health.refusedPulls[county.county] ?? 0,
                                             certificateExpiresAt: health.certificateExpiry[county.county], now: now)
        let expiry = health.certificateExpiry[county.county]
        let expiring = expiry.map { CertificateExpiry.expiresSoon(notAfterMs: $0 * 1000, nowMs: now) } ?? false
        return CountyRow(
            code: county.county, name: county.name, stateClass: stateClass, stateLabel: stateLabel,
            lastContact: ConsoleFormat.ago(county.lastContactAt, now: now),
            backlog: county.reportedPending.map(String.init) ?? "—",
            oldest: county.oldestPendingAgeSeconds.map { $0 > 0 ? ConsoleFormat.age(seconds: $0) : "—" } ?? "—",
            conflicts: county.conflicts, parked: county.parked, platforms: county.platforms, awards: county.awards,
            clockOffset: ConsoleFormat.offset(ms: county.clockOffsetMs),
            certificateExpiry: expiry.map { ConsoleFormat.time($0 * 1000) } ?? "—", certClass: expiring ? "expiring" : "",
            lastVerified: ConsoleFormat.ago(county.lastVerifiedAt, now: now))
    }

    func countyList() throws -> String {
        let now = CountyDatabase.wallClockMs()
        let health = metrics.countyHealth()
        // Trouble first: stuck, silent and failing counties before those never seen, then the rest.
        let order = ["stuck": 0, "silent": 1, "error": 2, "never": 3, "ok": 4, "later": 5]
        let rows = try database.countyStates().map { countyRow($0, now: now, health: health) }
            .enumerated().sorted { (order[$0.element.stateClass] ?? 2, $0.offset) < (order[$1.element.stateClass] ?? 2, $1.offset) }.map(\.element)
        let byState = Dictionary(grouping: rows, by: \.stateClass).mapValues(\.count)
        let summary = "\(rows.count) 个县区 counties: \(byState["ok"] ?? 0) 正常 syncing, \(byState["stuck"] ?? 0) 受阻 stuck, "
            + "\(byState["silent"] ?? 0) 失联 silent, \(byState["never"] ?? 0) 从未联系 never seen"
            + (expectedCounties == nil ? "" : ", \(byState["later"] ?? 0) 未上线 not expected yet")
        struct Page { let summary: String; let rows: [CountyRow] }
        return render(Page(summary: summary, rows: rows), "counties")
    }

    // MARK: One county

    func county(_ code: String) throws -> String {
        guard let state = try database.countyStates().first(where: { $0.county == code }) else {
            throw ConsoleError(.notFound, "no county \(code) is configured at the city")
        }
        let now = CountyDatabase.wallClockMs()
        let row = countyRow(state, now: now, health: metrics.countyHealth())
        struct Node { let node, admittedAt, admission, highWater, lastContact, lastPush, lastPull, pending, lastError: String }
        struct Decision { let at, actor, table, rowId, detail: String }
        struct Page {
            let code, name, stateClass, stateLabel, lastContact: String
            let platforms, awards, conflicts, parked: Int
            let nodes: [Node]
            let decisions: [Decision]
        }
        let nodes = try database.nodes(county: code).map {
            Node(node: $0.node, admittedAt: ConsoleFormat.time($0.admittedAt), admission: $0.admission ?? "", highWater: String($0.highWater),
                 lastContact: ConsoleFormat.ago($0.lastContactAt, now: now), lastPush: ConsoleFormat.ago($0.lastPushAt, now: now),
                 lastPull: ConsoleFormat.ago($0.lastPullAt, now: now), pending: $0.pending.map(String.init) ?? "—", lastError: $0.lastError ?? "")
        }
        let decisions = try database.decisions(county: code, limit: 100).map {
            Decision(at: ConsoleFormat.time($0.atMs), actor: $0.actor, table: $0.table, rowId: $0.rowId, detail: $0.detail)
        }
        return render(Page(code: code, name: state.name, stateClass: row.stateClass, stateLabel: row.stateLabel, lastContact: row.lastContact,
                           platforms: state.platforms, awards: state.awards, conflicts: state.conflicts, parked: state.parked,
                           nodes: nodes, decisions: decisions), "county")
    }

    // MARK: Progress

    func progress() throws -> String {
        let today = CityDatabase.today()
        return try cache.page("progress", mark: try database.writeMark() + "|\(today)") { try renderProgress(today: today) }
    }

    private func renderProgress(today: CalendarDate) throws -> String {
        let report = try database.progressReport(asOf: today)
        let platforms = try database.platforms()
        struct Target { let key, chinese, kindLabel, goal: String; let count, gap, expected, registered: Int; let paceClass, paceLabel: String; let child: Bool }
        struct Header { let code, name: String }
        struct Cell { let code, key: String; let value: Int }
        struct MatrixRow { let key, chinese: String; let cells: [Cell] }
        struct Chart { let key, chinese, bars, pace: String }
        struct Page {
            let asOf, elapsedPercent, completeness: String
            let targets: [Target]
            let matrixHeaders: [Header]
            let matrix: [MatrixRow]
            let charts: [Chart]
            let entered: [Entered]
        }
        struct Entered { let key, chinese, goal, standing, year, badgeClass, badge: String }
        let entered = report.entered.map { target in
            Entered(key: target.key, chinese: target.chinese, goal: "\(target.goal) \(target.unit)",
                    standing: target.value.map { "\($0) \(target.unit)" } ?? "未填报 not entered", year: target.year.map(String.init) ?? "—",
                    badgeClass: target.value == nil ? "behind" : target.reached ? "ok" : "behind",
                    badge: target.value == nil ? "未填报 not entered" : target.reached ? "已达到 reached" : "未达到 short")
        }
        let targets = report.targets.map { target in
            Target(key: target.key, chinese: target.chinese, kindLabel: target.kind == .flow ? "新建 flow" : "达到 stock",
                   goal: target.targetMax.map { "\(target.target)-\($0)" } ?? String(target.target), count: target.count, gap: target.gap,
                   expected: target.expected, registered: target.registered, paceClass: target.onTrack ? "ok" : "behind",
                   paceLabel: target.onTrack ? "达标 on track" : "落后 behind by \(target.expected - target.count)", child: target.parent != nil)
        }
        let shown = report.targets.filter { $0.parent == nil }
        let codes = counties.counties.map(\.code)
        // Targets down, the 18 counties across (their short Chinese names): it fits a 1,400 px
        // window, where counties down and 20 targets across did not.
        let matrix = shown.map { target in
            MatrixRow(key: target.key, chinese: target.chinese, cells: codes.map { Cell(code: $0, key: target.key, value: target.byCounty[$0] ?? 0) })
        }
        let plans = Dictionary(uniqueKeysWithValues: PlanTarget.tangshan2025.map { ($0.key, $0) })
        let charts = shown.map { target -> Chart in
            let bars = SVGChart.bars(codes.map { SVGChart.Bar(label: countyName($0), value: target.byCounty[$0] ?? 0) },
                                     title: "\(target.chinese): recognised platforms by county")
            let counted = plans[target.key].map { plan in platforms.filter(plan.includes) } ?? []
            return Chart(key: target.key, chinese: target.chinese, bars: bars, pace: pace(of: target, counted: counted, today: today))
        }
        let completeness = report.countiesNeverSynced.isEmpty
            ? "数据 data: all \(report.counties) counties have synced"
            : "数据不全 incomplete: \(report.countiesNeverSynced.count) of \(report.counties) counties have never synced"
        return render(Page(asOf: report.asOf, elapsedPercent: String(format: "%.0f", report.elapsed * 100), completeness: completeness,
                           targets: targets, matrixHeaders: codes.map { Header(code: $0, name: countyName($0)) }, matrix: matrix,
                           charts: charts, entered: entered), "progress")
    }

    /// The count over time against the plan's straight line, as `progressReport` draws it: a
    /// stock's line starts from what was recognised before the plan.
    private func pace(of target: TargetProgress, counted: [Platform], today: CalendarDate) -> String {
        let start = Self.day(PlanTarget.planStart), end = Self.day(PlanTarget.planEnd)
        let before = counted.filter { $0.recognizedOn.map { $0 < PlanTarget.planStart } ?? true }.count
        let baseline = target.kind == .stock ? before : 0
        var points = [SVGChart.Point(day: start, value: baseline)]
        var running = baseline
        let dated = counted.compactMap(\.recognizedOn).filter { $0 >= PlanTarget.planStart }.map(Self.day).sorted()
        for day in dated {
            running += 1
            if points.last?.day == day { points[points.count - 1] = SVGChart.Point(day: day, value: running) } else { points.append(.init(day: day, value: running)) }
        }
        return SVGChart.pace(actual: points, expectedFrom: .init(day: start, value: baseline), to: .init(day: end, value: target.target),
                             today: Self.day(today), goal: target.target, title: "\(target.chinese): recognised over time against the plan's pace",
                             dayLabel: Self.label)
    }

    /// Days since 1970-01-01 of a calendar date (proleptic Gregorian).
    static func day(_ date: CalendarDate) -> Int {
        let y = date.month <= 2 ? date.year - 1 : date.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (date.month + (date.month > 2 ? -3 : 9)) + 2) / 5 + date.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func label(_ day: Int) -> String { String(ConsoleFormat.time(Int64(day) * 86_400_000).prefix(7)) }

    // MARK: Awards

    func awards(query: String, status: String, county: String) throws -> String {
        let key = ["awards", query, status, county].joined(separator: "\u{0}")
        return try cache.page(key, mark: try database.writeMark() + "|\(CityDatabase.today())") {
            try renderAwards(query: query, status: status, county: county)
        }
    }

    private func renderAwards(query: String, status: String, county: String) throws -> String {
        let report = try database.progressReport(asOf: CityDatabase.today())
        let money = report.awards
        let awards = try database.awards()
        let platforms = Dictionary(uniqueKeysWithValues: try database.platforms().map { ($0.id, $0) })
        struct Money { let proposed, approved, disbursed, rejected: String }
        struct Counts { let proposed, approved, disbursed, rejected: Int }
        struct Row { let key, label, proposed, approved, disbursed, rejected: String }
        struct Group { let id, title: String; let rows: [Row] }
        struct Outlier { let awardId, county, category, amount, reason: String }
        struct Option { let value, label: String; let selected: Bool }
        struct Item { let id, shortId, countyName, platformName, fiscalYear, amount, approved, status, statusLabel: String }
        struct Page {
            let total: Money; let counts: Counts; let groups: [Group]; let outliers: [Outlier]
            let query, county, listSummary: String; let statuses: [Option]; let list: [Item]
        }
        func row(_ key: String, _ label: String, _ totals: MoneyByStatus) -> Row {
            Row(key: key, label: label, proposed: ConsoleFormat.yuan(totals.proposedFen), approved: ConsoleFormat.yuan(totals.approvedFen),
                disbursed: ConsoleFormat.yuan(totals.disbursedFen), rejected: ConsoleFormat.yuan(totals.rejectedFen))
        }
        let groups = [
            Group(id: "county", title: "按县区 By county (yuan)", rows: money.byCounty.keys.sorted().map { row($0, "\(countyName($0)) \($0)", money.byCounty[$0]!) }),
            Group(id: "category", title: "按类别 By category (yuan)", rows: money.byCategory.keys.sorted().map { key in
                row(key, (PlatformCategory(rawValue: key)?.chineseName).map { "\($0) \(key)" } ?? key, money.byCategory[key]!)
            }),
            Group(id: "year", title: "按年度 By fiscal year (yuan)", rows: money.byFiscalYear.keys.sorted().map { row($0, $0, money.byFiscalYear[$0]!) }),
        ]
        let counts = Dictionary(grouping: awards, by: \.status).mapValues(\.count)
        let needle = query.trimmingCharacters(in: .whitespaces).lowercased()
        let matching = awards.filter { award in
            (status.isEmpty || award.status.rawValue == status) && (county.isEmpty || award.county == county)
                && (needle.isEmpty || award.id.lowercased().contains(needle) || award.platformId.lowercased().contains(needle)
                    || (platforms[award.platformId]?.name.lowercased().contains(needle) ?? false))
        }
        let list = matching.prefix(Self.listLimit).map { award in
            Item(id: award.id, shortId: String(award.id.prefix(13)) + "…", countyName: countyName(award.county),
                 platformName: platforms[award.platformId]?.name ?? award.platformId, fiscalYear: String(award.fiscalYear),
                 amount: award.amount.grouped, approved: award.approvedAmount?.grouped ?? "—", status: award.status.rawValue,
                 statusLabel: Self.label(award.status))
        }
        return render(Page(
            total: Money(proposed: ConsoleFormat.yuan(money.proposedFen), approved: ConsoleFormat.yuan(money.approvedFen),
                         disbursed: ConsoleFormat.yuan(money.disbursedFen), rejected: ConsoleFormat.yuan(money.rejectedFen)),
            counts: Counts(proposed: counts[.proposed] ?? 0, approved: counts[.approved] ?? 0, disbursed: counts[.disbursed] ?? 0, rejected: counts[.rejected] ?? 0),
            groups: groups,
            outliers: money.outliers.map { Outlier(awardId: $0.awardId, county: countyName($0.county), category: $0.category, amount: ConsoleFormat.yuan($0.amountFen), reason: $0.reason) },
            query: query, county: county,
            listSummary: "\(matching.count) 项 matching of \(awards.count)" + (matching.count > Self.listLimit ? "; the first \(Self.listLimit) shown" : ""),
            statuses: AwardStatus.allCases.map { Option(value: $0.rawValue, label: Self.label($0), selected: $0.rawValue == status) },
            list: Array(list)), "awards")
    }

    static func label(_ status: AwardStatus) -> String {
        switch status {
        case .proposed: "申报 proposed"
        case .approved: "批准 approved"
        case .rejected: "驳回 rejected"
        case .disbursed: "已拨付 disbursed"
        }
    }

    static func label(_ status: PlatformStatus) -> String {
        switch status {
        case .registered: "待认定 registered"
        case .recognized: "已认定 recognised"
        case .revoked: "已撤销 revoked"
        }
    }

    // MARK: Decisions

    /// A record's history, as `syncctl explain` prints it at the city.
    func history(_ rowId: String) throws -> String {
        struct Event { let at, kind, kindLabel, actor, detail: String }
        let events = try database.history(of: rowId).map {
            Event(at: ConsoleFormat.time($0.atMs), kind: $0.kind, kindLabel: $0.kind.replacingOccurrences(of: "_", with: " "),
                  actor: $0.actor ?? "—", detail: $0.detail)
        }
        struct History { let events: [Event] }
        return render(History(events: events), "history")
    }

    func decisions(county: String, token: String, done: String?, operatorName: String) throws -> String {
        let now = CountyDatabase.wallClockMs()
        struct Pending { let id, countyName, action, recordId, summary, proposedBy, proposedAt, token: String; let mine: Bool }
        let pending = try database.pendingDecisions().filter { county.isEmpty || $0.county == county }
        let pendingItems = pending.prefix(Self.listLimit).map { item in
            Pending(id: String(item.id), countyName: countyName(item.county), action: item.action, recordId: item.recordId, summary: item.summary,
                    proposedBy: item.proposedBy, proposedAt: ConsoleFormat.ago(item.proposedAt, now: now), token: token, mine: item.proposedBy == operatorName)
        }
        let conflicts = try database.conflicts().filter { county.isEmpty || $0.county == county }
        let parked = try database.parked().filter { county.isEmpty || $0.county == county }
        struct Conflict { let id, countyName, table, rowId, column, winner, winnerSide, loser, loserSide, rule, decidedAt, token, history: String }
        struct Parked { let id, countyName, table, rowId, op, reason, message, values, parkedAt, token, history: String }
        struct Page { let done: String?; let pendingCount, conflictCount, parkedCount: Int; let pending: [Pending]; let conflicts: [Conflict]; let parked: [Parked] }
        func side(_ version: ColumnVersion?) -> String {
            guard let node = version?.node else { return "?" }
            return NodeRole(node: node) == .city ? "市局 city" : "县区 county \(node)"
        }
        let conflictItems = try conflicts.prefix(Self.listLimit).map { conflict in
            Conflict(id: String(conflict.id), countyName: countyName(conflict.county), table: conflict.table, rowId: conflict.rowId, column: conflict.column,
                     winner: conflict.winnerValue.description, winnerSide: side(conflict.winnerVersion), loser: conflict.loserValue.description,
                     loserSide: side(conflict.loserVersion), rule: conflict.rule, decidedAt: ConsoleFormat.ago(conflict.decidedAtMs, now: now),
                     token: token, history: try history(conflict.rowId))
        }
        let parkedItems = try parked.prefix(Self.listLimit).map { item in
            Parked(id: String(item.id), countyName: countyName(item.county), table: item.table, rowId: item.rowId, op: item.op, reason: item.reason,
                   message: item.message, values: item.values.keys.sorted().map { "\($0)=\(item.values[$0]!)" }.joined(separator: " "),
                   parkedAt: ConsoleFormat.ago(item.parkedAtMs, now: now), token: token, history: try history(item.rowId))
        }
        return render(Page(done: done, pendingCount: pending.count, conflictCount: conflicts.count, parkedCount: parked.count, pending: Array(pendingItems),
                           conflicts: conflictItems, parked: parkedItems), "decisions")
    }

    // MARK: Platforms and records

    /// The platforms page: a page of `listLimit` rows chosen in SQL, with the filters and the page
    /// in the URL, so a link or a reload shows the same rows.
    func platforms(query: String, status: String, county: String, page requested: Int = 1) throws -> String {
        let pageSize = Self.listLimit
        var number = max(1, requested)
        var (rows, matching, total) = try database.platformPage(text: query, status: status, county: county, limit: pageSize, offset: (number - 1) * pageSize)
        let pages = max(1, (matching + pageSize - 1) / pageSize)
        if number > pages {
            number = pages
            rows = try database.platformPage(text: query, status: status, county: county, limit: pageSize, offset: (number - 1) * pageSize).page
        }
        struct Item { let id, name, countyName, category, level, hostOrg, recognizedOn, status, statusLabel: String }
        struct Option { let value, label: String; let selected: Bool }
        struct CountyOption { let code, name: String; let selected: Bool }
        struct Link { let href, label, rel: String }
        struct Page { let query, summary: String; let statuses: [Option]; let counties: [CountyOption]; let list: [Item]; let links: [Link] }
        let list = rows.map { platform in
            Item(id: platform.id, name: platform.name, countyName: countyName(platform.county), category: platform.category.chineseName,
                 level: platform.level?.chineseName ?? "—", hostOrg: platform.hostOrg, recognizedOn: platform.recognizedOn?.description ?? "—",
                 status: platform.status.rawValue, statusLabel: Self.label(platform.status))
        }
        func href(_ target: Int) -> String {
            var items = URLComponents()
            items.path = "/console/platforms"
            items.queryItems = [("q", query), ("status", status), ("county", county)].filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) }
                + [URLQueryItem(name: "page", value: String(target))]
            return items.string ?? "/console/platforms?page=\(target)"
        }
        var links: [Link] = []
        if number > 1 { links.append(Link(href: href(number - 1), label: "上一页 previous", rel: "prev")) }
        if number < pages { links.append(Link(href: href(number + 1), label: "下一页 next", rel: "next")) }
        let first = matching == 0 ? 0 : (number - 1) * pageSize + 1
        return render(Page(
            query: query,
            summary: "\(matching) 个 matching of \(total); 第 \(number)/\(pages) 页 page \(number) of \(pages), rows \(first)–\((number - 1) * pageSize + list.count)",
            statuses: PlatformStatus.allCases.map { Option(value: $0.rawValue, label: Self.label($0), selected: $0.rawValue == status) },
            counties: counties.counties.map { CountyOption(code: $0.code, name: "\($0.name) \($0.code)", selected: $0.code == county) },
            list: list, links: links), "platforms")
    }

    /// The page that records a payment: the award, its platform and amount, and the confirmation.
    func disbursement(_ id: String, token: String) throws -> String {
        struct Page { let id, platform, countyName, approvedYuan, token, today: String }
        guard let award = try database.award(id: id) else { throw ConsoleError(.notFound, "no award \(id) at the city") }
        guard award.status == .approved, let approved = award.approvedAmount else {
            throw ConsoleError(.conflict, "award \(id) is \(Self.label(award.status)); only an approved award is paid")
        }
        let platform = try database.platform(id: award.platformId)
        return render(Page(id: id, platform: platform?.name ?? award.platformId, countyName: countyName(award.county), approvedYuan: approved.grouped,
                           token: token, today: CityDatabase.today().description), "disburse")
    }

    func record(_ id: String, token: String, done: String?) throws -> String {
        struct Field { let key, name, value: String }
        struct AwardLine { let id, fiscalYear, amount, statusLabel: String }
        struct Page {
            let heading, table, id, county, countyName, token, today: String
            let done: String?
            let fields: [Field]
            let awardActions, canApprove, canReject, canDisburse, canReverse: Bool
            let platformActions, canRecognize, canRevoke, canEvaluate: Bool
            let evaluationYear: String
            let proposedYuan: String
            let hasAwards: Bool
            let awardsOfPlatform: [AwardLine]
            let history: String
        }
        let today = CityDatabase.today().description
        if let platform = try database.platform(id: id) {
            let awards = try database.awards().filter { $0.platformId == id }
            let fields = [
                Field(key: "name", name: "名称 Name", value: platform.name),
                Field(key: "category", name: "类别 Category", value: "\(platform.category.chineseName) \(platform.category.rawValue)"),
                Field(key: "level", name: "级别 Level", value: platform.level.map { "\($0.chineseName) \($0.rawValue)" } ?? "—"),
                Field(key: "subtype", name: "细类 Subtype", value: platform.subtype ?? "—"),
                Field(key: "host_org", name: "依托单位 Host", value: platform.hostOrg),
                Field(key: "credit_code", name: "信用代码 Credit code", value: platform.creditCode),
                Field(key: "industry", name: "产业 Industry", value: platform.industry),
                Field(key: "status", name: "状态 Status", value: Self.label(platform.status)),
                Field(key: "recognized_on", name: "认定日期 Recognised on", value: platform.recognizedOn?.description ?? "—"),
                Field(key: "recognition_document", name: "认定文号 Recognition document", value: try database.recognitionDocument(platform: id) ?? "—"),
                Field(key: "evaluation", name: "评价 Evaluation", value: platform.evaluation ?? "—"),
                Field(key: "contact", name: "联系人 Contact", value: platform.contact ?? "—"),
                Field(key: "remarks", name: "备注 Remarks", value: platform.remarks ?? "—"),
            ]
            return render(Page(
                heading: platform.name, table: "platform", id: id, county: platform.county, countyName: countyName(platform.county), token: token,
                today: today, done: done, fields: fields, awardActions: false, canApprove: false, canReject: false, canDisburse: false, canReverse: false,
                platformActions: true, canRecognize: platform.status != .recognized, canRevoke: platform.status != .revoked,
                canEvaluate: platform.status == .recognized, evaluationYear: String(Int(today.prefix(4))! - 1),
                proposedYuan: "", hasAwards: !awards.isEmpty,
                awardsOfPlatform: awards.map { AwardLine(id: $0.id, fiscalYear: String($0.fiscalYear), amount: $0.amount.grouped, statusLabel: Self.label($0.status)) },
                history: try history(id)), "record")
        }
        guard let award = try database.award(id: id) else {
            throw ConsoleError(.notFound, "no platform or award \(id) at the city")
        }
        let platform = try database.platform(id: award.platformId)
        let decisions = try database.awardDecisions(id: id)
        var fields = [
            Field(key: "platform", name: "平台 Platform", value: platform?.name ?? award.platformId),
            Field(key: "fiscal_year", name: "年度 Fiscal year", value: String(award.fiscalYear)),
            Field(key: "amount", name: "申报金额 Proposed (yuan)", value: award.amount.grouped),
            Field(key: "basis", name: "依据 Basis (yuan)", value: award.basis?.grouped ?? "—"),
            Field(key: "basis_ref", name: "依据来源 Source of the basis", value: award.basisRef ?? "—"),
            Field(key: "status", name: "状态 Status", value: Self.label(award.status)),
            Field(key: "approved_amount", name: "批准金额 Approved (yuan)", value: award.approvedAmount?.grouped ?? "—"),
            Field(key: "approved_on", name: "批准日期 Approved on", value: award.approvedOn?.description ?? "—"),
            Field(key: "reject_reason", name: "驳回原因 Rejection reason", value: award.rejectReason ?? "—"),
            Field(key: "remarks", name: "备注 Remarks", value: award.remarks ?? "—"),
        ]
        for kind in decisions.keys.sorted() {
            let decision = decisions[kind]!
            fields.append(Field(key: "decision_\(kind)", name: "决定 \(kind.replacingOccurrences(of: "_", with: " "))",
                                value: "\(decision.on)" + (decision.note.map { ": \($0)" } ?? "")))
        }
        let yuan = award.amount.formatted
        return render(Page(
            heading: "奖补 Award · \(platform?.name ?? award.platformId)", table: "award", id: id, county: award.county,
            countyName: countyName(award.county), token: token, today: today, done: done, fields: fields,
            awardActions: true, canApprove: award.status == .proposed || award.status == .rejected, canReject: award.status == .proposed,
            canDisburse: award.status == .approved, canReverse: award.status == .disbursed, platformActions: false, canRecognize: false, canRevoke: false,
            canEvaluate: false, evaluationYear: "", proposedYuan: yuan, hasAwards: false, awardsOfPlatform: [], history: try history(id)), "record")
    }
}

/// Rendered pages by key, each with the write mark it was rendered at; a few dozen at most.
final class PageCache: Sendable {
    private let pages = Mutex<[String: (mark: String, html: String)]>([:])

    func page(_ key: String, mark: String, render: () throws -> String) throws -> String {
        if let hit = pages.withLock({ $0[key] }), hit.mark == mark { return hit.html }
        let html = try render()
        pages.withLock { pages in
            if pages.count >= 64 { pages.removeAll() }
            pages[key] = (mark, html)
        }
        return html
    }
}
