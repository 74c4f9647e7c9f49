import Console
import Foundation
import SyncCore
import SyncStore

/// What each county console page shows, read from the local replica (never from the city).
struct CountyConsoleViews: Sendable {
    let database: CountyDatabase
    let shell: ConsoleShell

    // MARK: 概览 Today

    func overview(sinceVisitMs: Int64?) throws -> String {
        let status = try database.status()
        let now = CountyDatabase.wallClockMs()
        let lastContact = [status.lastPullAt, status.lastPushAt].compactMap { $0 }.max()
        let cityState: String
        let cityClass: String
        if let lastContact {
            let ago = ConsoleFormat.ago(lastContact, now: now)
            if status.lastError == nil {
                (cityState, cityClass) = ("市里可以连接：最近一次同步在 \(ago) — the city is reachable; last synced \(ago)", "ok")
            } else {
                (cityState, cityClass) = ("暂时连不上市里，录入的内容会保存在本机，恢复后自动发送 — the city is not reachable now; what you enter is kept here and sent when it is (last synced \(ago))", "behind")
            }
        } else {
            (cityState, cityClass) = ("尚未与市里同步过 — this replica has not synced with the city yet", "behind")
        }
        let pendingText = status.pending == 0
            ? "全部已发送 everything entered here has reached the city"
            : "\(status.pending) 条修改等待发送，最早的已等 \(ConsoleFormat.age(seconds: status.oldestPendingAgeSeconds)) — \(status.pending) change(s) wait to be sent, the oldest for \(ConsoleFormat.age(seconds: status.oldestPendingAgeSeconds))"
        var needs: [String] = []
        if status.parked > 0 { needs.append("\(status.parked) 条修改被市里退回，请查看原因 — \(status.parked) change(s) the city refused: see why (syncctl parked)") }
        if status.conflicts > 0 { needs.append("\(status.conflicts) 处冲突待市里处理 — \(status.conflicts) conflict(s) wait for the city") }
        if status.refusedReturns > 0 { needs.append("\(status.refusedReturns) 条市局修改无法交还 — \(status.refusedReturns) city change(s) could not be given back") }
        struct Decision { let at, rowId, label, what: String; let actor: String; let new: Bool }
        var names: [String: String] = [:]
        let decisions = try database.receivedCityChanges(limit: 30).map { change -> Decision in
            if names[change.rowId] == nil {
                names[change.rowId] = (change.table == "platform" ? try database.platform(id: change.rowId)?.name : nil) ?? String(change.rowId.prefix(8))
            }
            return Decision(at: ConsoleFormat.time(change.appliedAtMs), rowId: change.rowId,
                            label: "\(change.table == "platform" ? "平台" : "奖补") \(names[change.rowId] ?? "")",
                            what: Self.describe(change), actor: change.actor ?? "市局 the city",
                            new: sinceVisitMs.map { change.appliedAtMs > $0 } ?? false)
        }
        struct Page { let cityState, cityClass, pendingText: String; let lastError: String?; let needs: [String]; let decisions: [Decision]; let sinceVisit: String? }
        return shell.render(Page(cityState: cityState, cityClass: cityClass, pendingText: pendingText, lastError: status.lastError, needs: needs,
                                 decisions: decisions, sinceVisit: sinceVisitMs.map(ConsoleFormat.time)), "overview")
    }

    /// A city change in plain words: the decision where one is recognisable, else the columns.
    static func describe(_ change: ReceivedCityChange) -> String {
        if change.op == "delete" { return "删除 deleted" }
        if case .text(let status)? = change.values["status"] {
            if let platform = PlatformStatus(rawValue: status) { return "\(platform.chineseName) \(status)" }
            if let award = AwardStatus(rawValue: status) {
                var text = "\(award.chineseName) \(status)"
                if case .integer(let fen)? = change.values["approved_amount_fen"] { text += " · \(ConsoleFormat.yuan(fen)) 元" }
                if case .text(let reason)? = change.values["reject_reason"], !reason.isEmpty { text += " · 理由 reason: \(reason)" }
                return text
            }
        }
        return "修改 changed " + change.columns.joined(separator: ", ")
    }

    // MARK: 奖补 Awards

    /// Every award of the county with its platform, amounts and status, newest proposals first.
    func awards() throws -> String {
        let platforms = Dictionary(try database.platforms().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        struct Row { let id, platformId, platform, amount, approved, year, status, reason: String }
        let rows = try database.awards().reversed().map { award in
            Row(id: award.id, platformId: award.platformId, platform: platforms[award.platformId] ?? award.platformId,
                amount: ConsoleFormat.yuan(award.amount.rawValue), approved: award.approvedAmount.map { ConsoleFormat.yuan($0.rawValue) } ?? "-",
                year: String(award.fiscalYear), status: "\(award.status.chineseName) \(award.status.rawValue)", reason: award.rejectReason ?? "")
        }
        struct Page { let rows: [Row]; let summary: String }
        return shell.render(Page(rows: Array(rows), summary: "共 \(rows.count) 笔 \(rows.count) awards"), "award-list")
    }

    // MARK: 城市决定 The city's decisions

    /// What the city decided of this county's records, what it refused and why with what to do,
    /// and the conflicts, the resolved ones shown resolved.
    func decisions() throws -> String {
        struct Decision { let at, rowId, label, what: String; let actor: String }
        var names: [String: String] = [:]
        func label(_ table: String, _ rowId: String) throws -> String {
            if names[rowId] == nil {
                names[rowId] = (table == "platform" ? try database.platform(id: rowId)?.name : nil) ?? String(rowId.prefix(8))
            }
            return "\(table == "platform" ? "平台" : "奖补") \(names[rowId] ?? "")"
        }
        let decisions = try database.receivedCityChanges(limit: 200).map { change in
            Decision(at: ConsoleFormat.time(change.appliedAtMs), rowId: change.rowId, label: try label(change.table, change.rowId),
                     what: Self.describe(change), actor: change.actor ?? "市局 the city")
        }
        struct Parked { let at, rowId, label, reason, message, advice: String }
        let parked = try database.parked().map { record in
            Parked(at: ConsoleFormat.time(record.parkedAtMs), rowId: record.rowId, label: try label(record.table, record.rowId),
                   reason: record.reason, message: record.message, advice: Self.advice(record.reason))
        }
        struct Conflict { let at, rowId, label, column, kept, lost, state: String; let resolved: Bool }
        let conflicts = try database.recentConflicts(limit: 200).map { record in
            Conflict(at: ConsoleFormat.time(record.decidedAtMs), rowId: record.rowId, label: try label(record.table, record.rowId), column: record.column,
                     kept: record.winnerValue.cell, lost: record.loserValue.cell,
                     state: record.resolvedAtMs.map { "已解决 resolved \(ConsoleFormat.time($0))\(record.resolvedBy.map { "，\($0)" } ?? "")" } ?? "待市里处理 waiting for the city",
                     resolved: record.resolvedAtMs != nil)
        }
        struct Page { let decisions: [Decision]; let parked: [Parked]; let conflicts: [Conflict] }
        return shell.render(Page(decisions: decisions, parked: parked, conflicts: conflicts), "decisions")
    }

    /// What a clerk does about a change the city refused, by its reason.
    static func advice(_ reason: String) -> String {
        switch ParkReason(rawValue: reason) {
        case .cityOwnedColumn, .recognizedPlatform, .awardApproved, .awardDisbursed:
            "这由市局决定，本县区无需操作；如有异议请联系市局 — the city decides this; nothing to do here, or ask the city"
        case .duplicateEnterprise:
            "同一企业已在别处登记，由市局决定 — the enterprise is registered elsewhere too; the city decides"
        case .invalid, .platformAwardLimit, .malformedChange:
            "按原因改正后重新录入 — correct it as the reason says and enter it again"
        case .hasAwards:
            "该平台有奖补，不能删除 — the platform has awards and cannot be deleted"
        case .deleted, .missingRow, .missingPlatform, .concurrentEdit:
            "记录已被删除或改动，请核对后重新录入 — the record was deleted or changed meanwhile; check it and enter again"
        case .constraint, nil:
            "请联系县区 IT 管理员 — ask the county's IT admin (syncctl parked)"
        }
    }

    // MARK: 平台 Platforms

    func platforms(query: String) throws -> String {
        let (page, matching, total) = try database.platformPage(text: query, status: "", county: "", limit: 200, offset: 0)
        struct Row { let id, name, category, level, creditCode, status: String }
        let rows = page.map { platform in
            Row(id: platform.id, name: platform.name, category: platform.category.chineseName, level: platform.level?.chineseName ?? "-",
                creditCode: platform.creditCode, status: platform.status.chineseName)
        }
        let summary = query.isEmpty ? "共 \(total) 个平台 \(total) platforms" : "\(matching) / \(total) 个平台符合“\(query)” — \(matching) of \(total) match"
        struct Page { let query, summary: String; let rows: [Row] }
        return shell.render(Page(query: query, summary: summary, rows: rows), "platforms")
    }

    /// One field of the registration form.
    struct Field {
        struct Option { let value, text: String; let selected: Bool }
        let name, label, value: String
        let maxLength: Int
        let required: Bool
        let select: [String: [Option]]?
        let error: String?
        let hint: String?
    }

    /// The form's values of `platform`, to edit it.
    static func formValues(_ platform: Platform) -> [String: String] {
        ["name": platform.name, "category": platform.category.rawValue, "level": platform.level?.rawValue ?? "", "subtype": platform.subtype ?? "",
         "host-org": platform.hostOrg, "credit-code": platform.creditCode, "industry": platform.industry, "contact": platform.contact ?? "",
         "remarks": platform.remarks ?? ""]
    }

    /// The registration form, or with `editing` a platform's edit form (its own fields only: the
    /// city's status, recognition and evaluation are never on it), with `values` filled in and
    /// `problem`'s message beside its field.
    func platformForm(token: String, values: [String: String], problem: DomainError?, editing: String? = nil) -> String {
        func error(_ name: String) -> String? {
            guard let problem, problem.field == name else { return nil }
            return problem.text(.zh) + " — " + problem.description
        }
        func text(_ name: String, _ label: String, required: Bool = true, hint: String? = nil) -> Field {
            Field(name: name, label: label, value: values[name] ?? "", maxLength: Platform.maxTextLength, required: required, select: nil,
                  error: error(name), hint: hint)
        }
        func choice(_ name: String, _ label: String, _ options: [(String, String)]) -> Field {
            let chosen = values[name] ?? ""
            return Field(name: name, label: label, value: chosen, maxLength: 0, required: false,
                         select: ["options": options.map { Field.Option(value: $0.0, text: $0.1, selected: $0.0 == chosen) }], error: error(name), hint: nil)
        }
        let fields = [
            text("name", "平台名称 Name"),
            choice("category", "类别 Category", PlatformCategory.allCases.map { ($0.rawValue, "\($0.chineseName) \($0.rawValue)") }),
            choice("level", "级别 Level", [("", "无 none")] + Level.allCases.map { ($0.rawValue, "\($0.chineseName) \($0.rawValue)") }),
            choice("subtype", "子类 Subtype", [("", "默认 default"), ("new", "新认定 new"), ("imported", "引进 imported")]),
            text("host-org", "依托单位 Host organisation"),
            text("credit-code", "统一社会信用代码 Credit code", hint: "18 位，例如 91130202MA0A00011Y"),
            text("industry", "行业领域 Industry"),
            text("contact", "联系人及电话 Contact", required: false),
            text("remarks", "备注 Remarks", required: false),
        ]
        // A problem of a field the form does not show (none today) is said above the form.
        let shown = problem.map { problem in fields.contains { $0.name == problem.field } } ?? true
        struct Page { let token: String; let fields: [Field]; let problem: String?; let action, heading, submit: String }
        return shell.render(Page(token: token, fields: fields, problem: shown ? (problem == nil ? nil : "请改正下面标出的内容 — correct the field marked below")
                                                                              : problem.map { $0.text(.zh) + " — " + $0.description },
                                 action: editing.map { "/console/platforms/\($0)" } ?? "/console/platforms",
                                 heading: editing == nil ? "登记平台 Register a platform" : "修改平台 Edit the platform",
                                 submit: editing == nil ? "登记 Register" : "保存 Save"), "platform-form")
    }

    /// Changes the clerk's fields of platform `id` to the form's; throws the rule it breaks.
    func update(_ id: String, _ form: [String: String]) throws -> Platform {
        let category = try PlatformCategory(parsing: form["category"] ?? "")
        let level = try (form["level"] ?? "").isEmpty ? nil : Level(parsing: form["level"] ?? "")
        let optional = ["subtype", "contact", "remarks"].reduce(into: [String: String]()) { values, name in
            if let value = form[name], !value.isEmpty { values[name] = value }
        }
        return try database.updatePlatform(id: id) { platform in
            platform.name = form["name"] ?? ""
            platform.category = category
            platform.level = level
            platform.subtype = optional["subtype"]
            platform.hostOrg = form["host-org"] ?? ""
            platform.creditCode = form["credit-code"] ?? ""
            platform.industry = form["industry"] ?? ""
            platform.contact = optional["contact"]
            platform.remarks = optional["remarks"]
        }
    }

    /// Registers the platform the form describes; throws the rule it breaks, naming the field.
    func register(_ form: [String: String]) throws -> Platform {
        let category = try PlatformCategory(parsing: form["category"] ?? "")
        let level = try (form["level"] ?? "").isEmpty ? nil : Level(parsing: form["level"] ?? "")
        func optional(_ name: String) -> String? { (form[name] ?? "").isEmpty ? nil : form[name] }
        let platform = Platform(county: database.county, name: form["name"] ?? "", category: category, level: level, subtype: optional("subtype"),
                                hostOrg: form["host-org"] ?? "", creditCode: form["credit-code"] ?? "", industry: form["industry"] ?? "",
                                contact: optional("contact"), remarks: optional("remarks"))
        return try database.addPlatform(platform)
    }

    // MARK: 记录 A record

    /// A platform's or an award's page: its fields (those the city sets marked so), what can be
    /// done with it, and its history with who entered and who decided each step. A platform's
    /// page carries the award form: the rule, its clause, the cap and what is left of it.
    func record(_ id: String, token: String, proposal: [String: String] = [:], problem: DomainError? = nil) throws -> String {
        struct Item { let name, label, value: String; let cityOwned: Bool }
        let title: String
        var fields: [Item] = []
        var awards: String = ""
        var actions: String = ""
        if let platform = try database.platform(id: id) {
            title = "平台 \(platform.name)"
            fields = [
                Item(name: "id", label: "编号 Id", value: platform.id, cityOwned: false),
                Item(name: "category", label: "类别 Category", value: "\(platform.category.chineseName) \(platform.category.rawValue)", cityOwned: false),
                Item(name: "level", label: "级别 Level", value: platform.level.map { "\($0.chineseName) \($0.rawValue)" } ?? "-", cityOwned: false),
                Item(name: "host-org", label: "依托单位 Host", value: platform.hostOrg, cityOwned: false),
                Item(name: "credit-code", label: "统一社会信用代码 Credit code", value: platform.creditCode, cityOwned: false),
                Item(name: "industry", label: "行业领域 Industry", value: platform.industry, cityOwned: false),
                Item(name: "status", label: "状态 Status", value: "\(platform.status.chineseName) \(platform.status.rawValue)", cityOwned: true),
            ]
            awards = try awardSection(platform, token: token, values: proposal, problem: problem)
            if platform.status == .registered {
                struct Manage { let id, token: String }
                actions = shell.render(Manage(id: platform.id, token: token), "manage-platform")
            }
        } else if let award = try database.award(id: id) {
            title = "奖补 \(award.id.prefix(8))"
            let platform = try database.platform(id: award.platformId)
            fields = [
                Item(name: "id", label: "编号 Id", value: award.id, cityOwned: false),
                Item(name: "platform", label: "平台 Platform", value: platform?.name ?? award.platformId, cityOwned: false),
                Item(name: "amount", label: "申报金额 Amount proposed", value: "\(ConsoleFormat.yuan(award.amount.rawValue)) 元", cityOwned: false),
                Item(name: "fiscal-year", label: "年度 Fiscal year", value: String(award.fiscalYear), cityOwned: false),
                Item(name: "status", label: "状态 Status", value: "\(award.status.chineseName) \(award.status.rawValue)", cityOwned: true),
                Item(name: "approved", label: "批准金额 Approved", value: award.approvedAmount.map { "\(ConsoleFormat.yuan($0.rawValue)) 元" } ?? "-", cityOwned: true),
                Item(name: "reject-reason", label: "未通过理由 Reason", value: award.rejectReason ?? "-", cityOwned: true),
            ]
            if award.status == .proposed {
                struct Withdraw { let id, token: String }
                actions = shell.render(Withdraw(id: award.id, token: token), "withdraw")
            }
        } else {
            throw ConsoleError(.notFound, "没有编号为 \(id) 的记录 — no platform or award \(id) in this county's replica")
        }
        struct Event { let at, kind, detail: String; let actor: String }
        let events = try database.history(of: id).map {
            Event(at: ConsoleFormat.time($0.atMs), kind: $0.kind, detail: $0.detail, actor: $0.actor ?? "")
        }
        struct History { let events: [Event] }
        struct Page { let title: String; let fields: [Item]; let actions: String; let awards: String; let history: String }
        return shell.render(Page(title: title, fields: fields, actions: actions, awards: awards,
                                 history: shell.render(History(events: events), "history")), "record")
    }

    /// A platform's awards, and the form to propose one with its rule in view.
    func awardSection(_ platform: Platform, token: String, values: [String: String], problem: DomainError?) throws -> String {
        let policy = AwardPolicy.tangshan2022
        let rule = policy.rule(for: platform)
        let all = try database.awards().filter { $0.platformId == platform.id }
        let counted = all.filter { $0.status != .rejected }.reduce(Fen.zero) { $0 + PlatformAwards.counted($1) }
        let cap = policy.platformTotalCap(platform)
        let capText: String
        if let cap {
            capText = "本平台合计最高 \(ConsoleFormat.yuan(cap.rawValue)) 元；已申报或批准 \(ConsoleFormat.yuan(counted.rawValue)) 元；还可申报 \(ConsoleFormat.yuan(max(.zero, cap - counted).rawValue)) 元 — at most \(cap) in all for this platform; \(counted) counted; \(max(.zero, cap - counted)) left"
        } else if rule.hasNoStatedMaximum {
            capText = "规划未定上限；合计超过 \(ConsoleFormat.yuan(policy.caseByCaseCeiling.rawValue)) 元需确认 — no stated maximum; a total above \(policy.caseByCaseCeiling) needs a confirmation; \(counted) counted so far"
        } else {
            capText = "每笔按规则 — each award by its rule; \(counted) counted so far"
        }
        struct Row { let id, amount, year, status: String }
        let rows = all.map { Row(id: $0.id, amount: ConsoleFormat.yuan(PlatformAwards.counted($0).rawValue), year: String($0.fiscalYear),
                                 status: "\($0.status.chineseName) \($0.status.rawValue)") }
        func error(_ name: String) -> String? {
            guard let problem, problem.field == name else { return nil }
            return problem.text(.zh) + " — " + problem.description
        }
        let known = ["amount", "basis", "basis-ref", "fiscal-year", "remarks"]
        let year = values["fiscal-year"] ?? String(min(max(Calendar(identifier: .gregorian).component(.year, from: Date()), Award.planFiscalYears.lowerBound), Award.planFiscalYears.upperBound))
        struct Year { let value: String; let selected: Bool }
        struct Section {
            let platformId, token, rule, clause, cap: String
            let canPropose: Bool
            let needsBasis, confirmable: Bool
            let rows: [Row]
            let amount, basis, basisRef, remarks: String
            let years: [Year]
            let amountError, basisError, basisRefError, yearError, remarksError, problem: String?
        }
        return shell.render(Section(
            platformId: platform.id, token: token, rule: rule.summary, clause: "plan \(platform.category.planSection)", cap: capText,
            canPropose: rule != .none, needsBasis: rule.needsBasis, confirmable: rule.hasNoStatedMaximum, rows: rows,
            amount: values["amount"] ?? "", basis: values["basis"] ?? "", basisRef: values["basis-ref"] ?? "", remarks: values["remarks"] ?? "",
            years: Award.planFiscalYears.map { Year(value: String($0), selected: String($0) == year) },
            amountError: error("amount"), basisError: error("basis") ?? error("basis_ref") , basisRefError: error("basis-ref"),
            yearError: error("fiscal-year") ?? error("fiscal_year"), remarksError: error("remarks"),
            problem: problem.flatMap { known.contains($0.field) || $0.field == "basis_ref" || $0.field == "fiscal_year" ? nil : $0.text(.zh) + " — " + $0.description }),
            "awards")
    }

    /// Proposes the award the form describes for its platform; throws the rule it breaks.
    func propose(_ form: [String: String]) throws -> Award {
        let platformId = form["platform"] ?? ""
        guard let yearText = form["fiscal-year"], let year = Int(yearText) else {
            throw DomainError.invalid(field: "fiscal-year", value: form["fiscal-year"] ?? "", rule: "choose a fiscal year")
        }
        let amount = try Fen(typed: form["amount"] ?? "", field: "amount")
        let basis = try (form["basis"] ?? "").isEmpty ? nil : Fen(typed: form["basis"] ?? "", field: "basis")
        func optional(_ name: String) -> String? { (form[name] ?? "").isEmpty ? nil : form[name] }
        return try database.proposeAward(Award(county: database.county, platformId: platformId, amount: amount, basis: basis, fiscalYear: year,
                                               remarks: optional("remarks"), basisRef: optional("basis-ref")),
                                         confirmAboveCeiling: form["confirm-above-ceiling"] == "yes")
    }
}
