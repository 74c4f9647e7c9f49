import Foundation
import GRDB
import Synchronization
import SyncCore

extension CityDatabase {
    /// Today's date at the city, for approvals and recognitions.
    public static func today() -> CalendarDate {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "Asia/Shanghai")!, from: Date())
        return try! CalendarDate(String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!))
    }

    /// The day the plan took effect: awards are for platforms recognised on or after it.
    public static let planStart = try! CalendarDate("2022-06-09")

    /// A decision's date (`--on`) is never after today at the city: a recognition, approval or
    /// payment is recorded when it happened, not ahead of it.
    static func checkNotFuture(_ date: CalendarDate, field: String = "on", what: String) throws {
        let today = Self.today()
        guard date <= today else {
            throw StoreError.invalidInput(.invalid(field: field, value: date.description, rule: "\(what) cannot be dated after today (\(today))"))
        }
    }

    /// Approves a proposed award, for the proposed amount or an adjusted one within the plan's rule.
    ///
    /// The platform must be recognised, on or after the plan's start unless `overrideReason`
    /// records why an earlier recognition still qualifies; the amount must fit the rule and the
    /// platform's other awards (`PlatformAwards`); a case-by-case amount above the policy's
    /// ceiling needs `confirmAboveCeiling`. The override reason is kept with the award's decisions.
    ///
    /// An approval of at least `roles.secondPersonFrom`, or with an override (a reason, or a
    /// confirmation above the ceiling), is checked in full and kept as pending for a second
    /// operator (`awaitingSecondPerson`; `confirmPending`).
    @discardableResult
    public func approveAward(id: String, amount: Fen? = nil, on date: CalendarDate = CityDatabase.today(),
                             overrideReason: String? = nil, confirmAboveCeiling: Bool = false, by actor: String = CityDatabase.shellActor) throws -> Award {
        try requireRole(actor, .decide, "approve an award")
        let parameters = PendingParameters(amountFen: amount?.rawValue, on: date.description, overrideReason: overrideReason,
                                           confirmAboveCeiling: confirmAboveCeiling)
        return try withSecondPerson(action: "approve", recordId: id, county: { try self.award(id: id)?.county ?? "" }, parameters: parameters, by: actor) {
            try approve(id: id, amount: amount, on: date, overrideReason: overrideReason, confirmAboveCeiling: confirmAboveCeiling, by: actor, confirmedBy: nil)
        }
    }

    /// The approval itself; `confirmedBy` the second operator, when it was pending.
    func approve(id: String, amount: Fen?, on date: CalendarDate, overrideReason: String?, confirmAboveCeiling: Bool,
                 by actor: String, confirmedBy: String?) throws -> Award {
        let reason = try Self.checkedReason(overrideReason, field: "override-reason")
        try Self.checkNotFuture(date, what: "an approval")
        return try editAward(id: id, op: "approve award", actor: actor, action: "approve", detail: { award in
            "approved \(award.approvedAmount ?? award.amount) on \(date)" + (confirmAboveCeiling ? ", confirmed above the ceiling" : "")
                + (reason.map { " (reason: \($0))" } ?? "") + (confirmedBy.map { ", confirmed by \($0)" } ?? "")
        }) { award, platform, db in
            guard award.status == .proposed || award.status == .rejected else {
                throw StoreError.notAllowed("award \(id) is \(award.status.rawValue); only a proposed or rejected award can be approved")
            }
            guard platform.status == .recognized else {
                throw StoreError.notAllowed("platform \(platform.id) is \(platform.status.rawValue); an award is approved only for a recognised platform (syncctl platform recognize)")
            }
            let qualifies = platform.recognizedOn.map { $0 >= Self.planStart } ?? false
            if !qualifies && reason == nil {
                throw StoreError.notAllowed("platform \(platform.id) was recognised on \(platform.recognizedOn?.description ?? "an unknown date"), before the plan's start \(Self.planStart); approve with --override-reason to record why it still qualifies")
            }
            let approved = amount ?? award.amount
            // A 1:1 match is the basis itself; anything else is the city's decision, with its reason.
            var adjustedMatch = false
            if case .matching = self.policy.rule(for: platform), let exact = self.policy.rule(for: platform).maximum(basis: award.basis), approved != exact {
                guard reason != nil else {
                    throw StoreError.notAllowed("award \(id) matches \(award.basis?.description ?? "its basis") 1:1, so it is exactly \(exact); approve \(approved) only with --override-reason saying why")
                }
                adjustedMatch = true
            }
            do {
                try self.policy.rule(for: platform).check(amount: approved, basis: award.basis)
                guard Award.planFiscalYears.contains(award.fiscalYear) else {
                    throw DomainError.invalid(field: "fiscal-year", value: String(award.fiscalYear),
                                              rule: "the plan's fiscal years are \(Award.planFiscalYears.lowerBound) to \(Award.planFiscalYears.upperBound)")
                }
            } catch let error as DomainError {
                throw StoreError.invalidInput(error)
            }
            // Above the ceiling (a rule with no stated maximum, the platform's total counted), the
            // confirmation alone is not enough: the reason is kept with the decision.
            let aboveCeiling = try PlatformAwards.checkCeiling(approved, for: award, of: platform, policy: self.policy,
                                                              confirmed: confirmAboveCeiling, db: db)
            if aboveCeiling, reason == nil {
                throw StoreError.notAllowed("award \(id) would take platform \(platform.id)'s awards above the ceiling \(self.policy.caseByCaseCeiling); approve above it only with --override-reason saying why (kept with the decision)")
            }
            try PlatformAwards.check(approved, for: award, of: platform, policy: self.policy, db: db)
            try Self.checkEvaluation(db, award: award, platform: platform)
            // One source pays once across the city: what was approved or paid on it, in any
            // county, counts; a basis other than the one first approved on it needs the reason.
            guard !self.policy.rule(for: platform).needsBasis || award.basisRef != nil else {
                throw StoreError.notAllowed("award \(id) names no source of its basis (\(BasisSource.referenceName(BasisSource.basisName(self.policy.rule(for: platform))))); the county gives it with syncctl award update \(id) --basis-ref, then it can be approved")
            }
            let basisDiffers: Bool
            do {
                basisDiffers = try BasisSource.checkStored(approved, for: award, of: platform, policy: self.policy, county: nil, committedOnly: true,
                                                     acceptDifferentBasis: reason != nil, db: db)
            } catch StoreError.invalidInput(let error) {
                throw StoreError.notAllowed("award \(id) cannot be approved: \(error.description)")
            }
            if basisDiffers, let reason {
                try Self.recordDecision(db, award: id, kind: "basis_differs", note: "\(award.basis?.description ?? "") on \(award.basisRef ?? "") accepted by \(actor): \(reason)", on: date)
            }
            if !qualifies, let reason {
                try Self.recordDecision(db, award: id, kind: "recognized_before_plan", note: reason, on: date)
            }
            if aboveCeiling, let reason {
                try Self.recordDecision(db, award: id, kind: "above_ceiling", note: "\(approved) confirmed by \(actor): \(reason)", on: date)
            }
            if adjustedMatch, let reason {
                try Self.recordDecision(db, award: id, kind: "match_adjusted", note: reason, on: date)
            }
            // Everything holds: a large amount or an override waits for a second operator.
            let overridden = !qualifies || adjustedMatch || aboveCeiling || basisDiffers
            if confirmedBy == nil, self.needsSecondPerson(amount: approved, override: overridden) {
                throw SecondPersonNeeded(summary: "\(actor) approves award \(id) for \(approved) on \(date)"
                    + (reason.map { " (reason: \($0))" } ?? "") + (confirmAboveCeiling ? ", above the ceiling" : ""))
            }
            award.status = .approved
            award.approvedAmount = approved
            award.approvedOn = date
            award.rejectReason = nil
        }
    }

    /// Keeps a decision about an award that the replicated columns do not hold: an override of the
    /// plan's start with its reason, or the day an award was paid out.
    static func recordDecision(_ db: Database, award: String, kind: String, note: String?, on date: CalendarDate) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO award_decision (award_id, kind, note, on_date, recorded_at) VALUES (?, ?, ?, ?, ?)
            """, arguments: [award, kind, note, date.description, CountyDatabase.wallClockMs()])
    }

    /// The decisions kept for an award (kind → note and date), for `explain` and reports.
    public func awardDecisions(id: String) throws -> [String: (note: String?, on: String)] {
        try read("read award decisions") { db in
            var decisions: [String: (note: String?, on: String)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kind, note, on_date FROM award_decision WHERE award_id = ?", arguments: [id]) {
                decisions[row["kind"]] = (row["note"], row["on_date"])
            }
            return decisions
        }
    }

    /// Changes a recognised platform's level (and category): the city's decision once it has
    /// recognised the platform. Every award of the platform still open (proposed or approved, not
    /// disbursed) is checked again under the new rule, and the change is refused, naming them,
    /// if any no longer fits.
    @discardableResult
    public func reclassifyPlatform(id: String, level: Level?, category: PlatformCategory? = nil, by actor: String = CityDatabase.shellActor) throws -> Platform {
        try requireRole(actor, .decide, "reclassify a platform")
        return try write("reclassify platform") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [id]) else {
                throw StoreError.invalidInput(.notFound(kind: "platform", id: id))
            }
            var platform = try Platform(row: row)
            platform.level = level
            if let category { platform.category = category }
            let valid: Platform
            do { valid = try platform.validated(counties: self.counties) } catch let error as DomainError { throw StoreError.invalidInput(error) }
            let awards = try Row.fetchAll(db, sql: "SELECT * FROM award WHERE platform_id = ? ORDER BY id", arguments: [id]).map(Award.init(row:))
            var misfits: [String] = []
            // Open awards must fit the new rule; paid ones stay as paid, and count against what
            // the new classification may still give (its totals, and a fixed award given once).
            for award in awards where award.status == .proposed || award.status == .approved {
                do {
                    try self.policy.rule(for: valid).check(amount: PlatformAwards.counted(award), basis: award.basis)
                    try PlatformAwards.check(PlatformAwards.counted(award), for: award, of: valid, others: awards, policy: self.policy)
                } catch {
                    misfits.append("\(award.id) \(PlatformAwards.counted(award)) (\(award.status.rawValue)): \(error)")
                }
            }
            guard misfits.isEmpty else {
                throw StoreError.notAllowed("platform \(id) cannot become \(valid.category.rawValue) \(valid.level?.rawValue ?? ""): open awards no longer fit; reject or adjust them first (awards already paid count against the new rule): \(misfits.joined(separator: "; "))")
            }
            if valid.category.isEnterprise,
               let earlier = try StoreLookups(db: db).registration(creditCode: valid.creditCode, category: valid.category, excluding: id) {
                throw StoreError.notAllowed("platform \(id) cannot become \(valid.category.rawValue): credit code \(valid.creditCode) is already registered as one (platform \(earlier.id) of county \(earlier.county)); an enterprise is counted and paid once")
            }
            try db.cachedStatement(sql: Platform.updateSQL).execute(arguments: valid.updateArguments)
            try Self.logDecision(db, actor: actor, action: "reclassify", table: "platform", rowId: id, county: valid.county,
                                 detail: "reclassified as \(valid.category.rawValue) \(valid.level?.rawValue ?? "")")
            return valid
        }
    }

    /// Rejects an award with a reason the county will see.
    @discardableResult
    public func rejectAward(id: String, reason: String, by actor: String = CityDatabase.shellActor) throws -> Award {
        try requireRole(actor, .decide, "reject an award")
        guard let trimmed = try Self.checkedReason(reason) else {
            throw StoreError.invalidInput(.invalid(field: "reason", value: reason, rule: "a rejection needs a reason"))
        }
        return try editAward(id: id, op: "reject award", actor: actor, action: "reject", detail: { _ in "rejected: \(trimmed)" }) { award, _, _ in
            guard award.status == .proposed else {
                throw StoreError.notAllowed("award \(id) is \(award.status.rawValue); only a proposed award can be rejected")
            }
            award.status = .rejected
            award.rejectReason = trimmed
        }
    }

    /// Records that an approved award was paid out, once, on `date` (kept with its decisions).
    @discardableResult
    public func disburseAward(id: String, on date: CalendarDate = CityDatabase.today(), by actor: String = CityDatabase.shellActor) throws -> Award {
        try requireRole(actor, .pay, "record a payment")
        return try withSecondPerson(action: "disburse", recordId: id, county: { try self.award(id: id)?.county ?? "" },
                                    parameters: PendingParameters(on: date.description), by: actor) {
            try disburse(id: id, on: date, by: actor, confirmedBy: nil)
        }
    }

    /// The payment itself; `confirmedBy` the second operator, when it was pending.
    func disburse(id: String, on date: CalendarDate, by actor: String, confirmedBy: String?) throws -> Award {
        try editAward(id: id, op: "disburse award", actor: actor, action: "disburse", detail: { award in
            "disbursed \(award.approvedAmount ?? award.amount) on \(date)" + (confirmedBy.map { ", confirmed by \($0)" } ?? "")
        }) { award, platform, db in
            try Self.checkNotFuture(date, what: "a payment")
            guard platform.status == .recognized else {
                throw StoreError.notAllowed("platform \(platform.id) is \(platform.status.rawValue); an award is paid only to a recognised platform (a revoked platform's approved award stays unpaid; reject it)")
            }
            guard award.status == .approved else {
                throw StoreError.notAllowed(award.status == .disbursed
                    ? "award \(id) was already disbursed; an award is paid once"
                    : "award \(id) is \(award.status.rawValue); only an approved award can be disbursed")
            }
            if let approvedOn = award.approvedOn, date < approvedOn {
                throw StoreError.invalidInput(.invalid(field: "on", value: date.description, rule: "an award is paid on or after its approval (\(approvedOn))"))
            }
            if confirmedBy == nil, self.needsSecondPerson(amount: award.approvedAmount ?? award.amount, override: false) {
                throw SecondPersonNeeded(summary: "\(actor) records the payment of award \(id), \(award.approvedAmount ?? award.amount), on \(date)")
            }
            try Self.recordDecision(db, award: id, kind: "disbursed", note: confirmedBy.map { "confirmed by \($0)" }, on: date)
            award.status = .disbursed
        }
    }

    /// Records a platform's performance evaluation (绩效评价) for `year`: at the city, for a
    /// recognised platform, for a year of the plan not after this one. The platform's replicated
    /// `evaluation` column shows the latest (`2024 良好`), so its county sees it; every evaluation
    /// is kept in `platform_evaluation`, and a changed result of a year needs `reason` (the
    /// decision log keeps both). A tech innovation park's award is approved only on a result
    /// that supports one (`checkEvaluation`).
    @discardableResult
    public func evaluatePlatform(id: String, year: Int, result: EvaluationResult, reason: String? = nil,
                                 by actor: String = CityDatabase.shellActor) throws -> Platform {
        try requireRole(actor, .decide, "record a performance evaluation")
        let reason = try Self.checkedReason(reason)
        let thisYear = Int(Self.today().description.prefix(4))!
        guard (Award.planFiscalYears.lowerBound...thisYear).contains(year) else {
            throw StoreError.invalidInput(.invalid(field: "year", value: String(year),
                                                   rule: "an evaluation is of a year from \(Award.planFiscalYears.lowerBound) to this year (\(thisYear))"))
        }
        let evaluation = Evaluation(year: year, result: result)
        return try editPlatform(id: id, op: "evaluate platform", actor: actor, action: "evaluate", detail: { _ in
            "evaluated \(evaluation.text) (\(result.rawValue))" + (reason.map { " (reason: \($0))" } ?? "")
        }) { platform, db in
            guard platform.status == .recognized else {
                throw StoreError.notAllowed("platform \(id) is \(platform.status.rawValue); a performance evaluation is recorded for a recognised platform")
            }
            if let earlier = try String.fetchOne(db, sql: "SELECT result FROM platform_evaluation WHERE platform_id = ? AND year = ?", arguments: [id, year]),
               earlier != result.rawValue, reason == nil {
                throw StoreError.notAllowed("platform \(id) was evaluated \(EvaluationResult(rawValue: earlier)?.chinese ?? earlier) for \(year); change the result only with --reason saying why")
            }
            try db.execute(sql: """
                INSERT OR REPLACE INTO platform_evaluation (platform_id, year, result, recorded_at) VALUES (?, ?, ?, ?)
                """, arguments: [id, year, result.rawValue, CountyDatabase.wallClockMs()])
            // The column shows the latest year's result.
            let latest = try Row.fetchOne(db, sql: "SELECT year, result FROM platform_evaluation WHERE platform_id = ? ORDER BY year DESC LIMIT 1", arguments: [id])
            if let latest, let latestResult = EvaluationResult(rawValue: latest["result"]) {
                platform.evaluation = Evaluation(year: latest["year"], result: latestResult).text
            }
        }
    }

    /// A tech innovation park's award follows its performance evaluation (plan 四(三)2): the
    /// latest evaluation of a year up to the award's fiscal year must support an award.
    static func checkEvaluation(_ db: Database, award: Award, platform: Platform) throws {
        guard platform.category == .techInnovationPark else { return }
        let row = try Row.fetchOne(db, sql: """
            SELECT year, result FROM platform_evaluation WHERE platform_id = ? AND year <= ? ORDER BY year DESC LIMIT 1
            """, arguments: [platform.id, award.fiscalYear])
        guard let row, let result = EvaluationResult(rawValue: row["result"]) else {
            throw StoreError.notAllowed("platform \(platform.id) is a tech innovation park, whose award follows its performance evaluation (plan 四(三)2); record one first: syncctl platform evaluate \(platform.id) --year YEAR --result 优秀|良好|合格|不合格")
        }
        guard result.supportsAward else {
            throw StoreError.notAllowed("platform \(platform.id) was evaluated \(result.chinese) for \(row["year"] as Int); a tech innovation park evaluated 不合格 gets no award (plan 四(三)2)")
        }
    }

    /// Reverses (红冲) a payment recorded by mistake: the award is approved again, unpaid, so it
    /// can be paid correctly or rejected. The reason is required; the reversal is dated (not
    /// after today, not before the payment) and kept in `award_decision` (`reversed`) and in the
    /// decision log beside the payment, which stays: nothing is deleted.
    @discardableResult
    public func reverseDisbursement(id: String, reason: String?, on date: CalendarDate = CityDatabase.today(),
                                    by actor: String = CityDatabase.shellActor) throws -> Award {
        try requireRole(actor, .pay, "reverse a payment")
        guard let reason = try Self.checkedReason(reason) else {
            throw StoreError.invalidInput(.invalid(field: "reason", value: "", rule: "a reversal (红冲) says why the payment was wrong"))
        }
        try Self.checkNotFuture(date, what: "a reversal")
        return try editAward(id: id, op: "reverse disbursement", actor: actor, action: "reverse", detail: { award in
            "reversed the payment of \(award.approvedAmount ?? award.amount) on \(date) (reason: \(reason))"
        }) { award, _, db in
            guard award.status == .disbursed else {
                throw StoreError.notAllowed("award \(id) is \(award.status.rawValue); only a disbursed award's payment can be reversed")
            }
            let paid = try String.fetchOne(db, sql: "SELECT on_date FROM award_decision WHERE award_id = ? AND kind = 'disbursed'", arguments: [id])
            if let paid, date.description < paid {
                throw StoreError.invalidInput(.invalid(field: "on", value: date.description, rule: "a payment is reversed on or after it was recorded as paid (\(paid))"))
            }
            try Self.recordDecision(db, award: id, kind: "reversed",
                                    note: "payment of \(award.approvedAmount ?? award.amount)\(paid.map { " recorded on \($0)" } ?? "") reversed by \(actor): \(reason)", on: date)
            award.status = .approved
        }
    }

    /// Recognises (认定) a platform on `date`, the city's date of the recognition: never after
    /// today, and before the plan's start only with `overrideReason` (an earlier recognition the
    /// city records), which the decision log keeps.
    ///
    /// A platform with a likely duplicate already recognised (`PlatformIdentity`: the same
    /// category and host credit code or name, in any county) is recognised only with `distinctReason`, an
    /// operator's confirmation that they are two platforms, which the decision log keeps: one
    /// platform registered twice is otherwise recognised, and paid, twice.
    @discardableResult
    public func recognizePlatform(id: String, on date: CalendarDate = CityDatabase.today(), overrideReason: String? = nil,
                                  distinctReason: String? = nil, document: String? = nil, by actor: String = CityDatabase.shellActor) throws -> Platform {
        try requireRole(actor, .decide, "recognise a platform")
        let parameters = PendingParameters(on: date.description, overrideReason: overrideReason, distinctReason: distinctReason, document: document)
        return try withSecondPerson(action: "recognize", recordId: id, county: { try self.platform(id: id)?.county ?? "" }, parameters: parameters, by: actor) {
            try recognize(id: id, on: date, overrideReason: overrideReason, distinctReason: distinctReason, document: document, by: actor, confirmedBy: nil)
        }
    }

    /// The recognition itself; `confirmedBy` the second operator, when it was pending (a
    /// recognition with an override: before the plan's start, or of a likely duplicate).
    func recognize(id: String, on date: CalendarDate, overrideReason: String?, distinctReason: String?, document: String? = nil, by actor: String,
                   confirmedBy: String?) throws -> Platform {
        let reason = try Self.checkedReason(overrideReason)
        let documentNumber: String?
        do {
            documentNumber = try document.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
                .map { (text) throws(DomainError) in try ReferenceNumber.normalized(text, field: "doc") }
        } catch { throw StoreError.invalidInput(error) }
        let distinct = try Self.checkedReason(distinctReason)
        try Self.checkNotFuture(date, what: "a recognition")
        if date < Self.planStart, reason == nil {
            throw StoreError.notAllowed("\(date) is before the plan's start \(Self.planStart); recognise on it only with --override-reason saying why (an earlier recognition the city records)")
        }
        let twins = Mutex<[Platform]>([])
        return try editPlatform(id: id, op: "recognize platform", actor: actor, action: "recognize", detail: { platform in
            "recognized on \(platform.recognizedOn?.description ?? date.description)" + (documentNumber.map { " by document \($0)" } ?? "")
                + (reason.map { " (reason: \($0))" } ?? "")
                + (distinct.map { reason in
                    " (confirmed distinct from " + twins.withLock { $0.map(\.id).joined(separator: ", ") } + ": \(reason))"
                } ?? "") + (confirmedBy.map { ", confirmed by \($0)" } ?? "")
        }) { platform, db in
            guard platform.status != .recognized else { throw StoreError.notAllowed("platform \(id) is already recognized") }
            let found = try Self.likelyDuplicates(of: platform, db: db).filter { $0.status == .recognized }
            if let twin = found.first, distinct == nil {
                throw StoreError.notAllowed("platform \(id) looks like platform \(twin.id) of county \(twin.county) (\(twin.status.rawValue)): the same category and \(twin.creditCode == platform.creditCode ? "host credit code \(twin.creditCode)" : "name \(twin.name)"); if it is the same platform, revoke one; if they are two, recognise with --confirm-distinct saying why")
            }
            twins.withLock { $0 = found }
            // One recognition document (认定文号) recognises one platform of its category.
            if let documentNumber, let first = try Row.fetchOne(db, sql: """
                SELECT r.platform_id, p.county FROM recognition_document AS r LEFT JOIN platform AS p ON p.id = r.platform_id
                WHERE r.category = ? AND r.number = ? AND r.platform_id <> ?
                """, arguments: [platform.category.rawValue, documentNumber, id]) {
                throw StoreError.notAllowed("recognition document \(documentNumber) already recognised platform \(first["platform_id"] as String) (county \((first["county"] as String?) ?? "?")) as a \(platform.category.rawValue): one document recognises one platform of its category")
            }
            // An override (a date before the plan, a likely duplicate confirmed distinct) waits
            // for a second operator; a reason given where none was needed is no override.
            let overridden = (date < Self.planStart && reason != nil) || (!found.isEmpty && distinct != nil)
            if confirmedBy == nil, self.needsSecondPerson(amount: nil, override: overridden) {
                throw SecondPersonNeeded(summary: "\(actor) recognises platform \(id) on \(date)" + (reason.map { " (reason: \($0))" } ?? "")
                    + (distinct.map { " (distinct from \(found.map(\.id).joined(separator: ", ")): \($0))" } ?? ""))
            }
            if let documentNumber {
                try db.execute(sql: "INSERT OR REPLACE INTO recognition_document (platform_id, category, number, recorded_at) VALUES (?, ?, ?, ?)",
                               arguments: [id, platform.category.rawValue, documentNumber, CountyDatabase.wallClockMs()])
            }
            platform.status = .recognized
            platform.recognizedOn = date
        }
    }

    /// Changes a recognised platform's recognition date: a decision of the city, with its reason,
    /// kept in the decision log with the date before and after. The same date rules as recognition.
    @discardableResult
    public func redateRecognition(id: String, on date: CalendarDate, reason: String, by actor: String = CityDatabase.shellActor) throws -> Platform {
        try requireRole(actor, .decide, "change a recognition date")
        guard let reason = try Self.checkedReason(reason) else {
            throw StoreError.invalidInput(.invalid(field: "reason", value: "", rule: "a change of a recognition date needs a reason"))
        }
        try Self.checkNotFuture(date, what: "a recognition")
        let before = try platform(id: id)?.recognizedOn
        return try editPlatform(id: id, op: "redate recognition", actor: actor, action: "redate",
                                detail: { "recognition date \(before?.description ?? "none") → \($0.recognizedOn?.description ?? "none") (reason: \(reason))" }) { platform in
            guard platform.status == .recognized else {
                throw StoreError.notAllowed("platform \(id) is \(platform.status.rawValue); only a recognised platform's date can change (syncctl platform recognize)")
            }
            platform.recognizedOn = date
        }
    }

    /// A reason as typed, trimmed; nil when empty. Checked like any text a person enters.
    static func checkedReason(_ text: String?, field: String = "reason") throws -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        do { try DomainText.check(trimmed, field: field) } catch { throw StoreError.invalidInput(error) }
        return trimmed
    }

    /// Revokes (有序退出) a platform.
    @discardableResult
    public func revokePlatform(id: String, on date: CalendarDate = CityDatabase.today(), by actor: String = CityDatabase.shellActor) throws -> Platform {
        try requireRole(actor, .decide, "revoke a platform")
        try Self.checkNotFuture(date, what: "a revocation")
        return try editPlatform(id: id, op: "revoke platform", actor: actor, action: "revoke", detail: { _ in "revoked on \(date)" }) { platform, db in
            guard platform.status != .revoked else { throw StoreError.notAllowed("platform \(id) is already revoked") }
            if let recognized = platform.recognizedOn, date < recognized {
                throw StoreError.invalidInput(.invalid(field: "on", value: date.description, rule: "a platform is revoked on or after its recognition (\(recognized))"))
            }
            // The day counts for reports as of an earlier day (the platform was recognised then).
            try db.execute(sql: "INSERT OR REPLACE INTO platform_revocation (platform_id, on_date, recorded_at) VALUES (?, ?, ?)",
                           arguments: [id, date.description, CountyDatabase.wallClockMs()])
            platform.status = .revoked
        }
    }

    /// Edits a platform at the city: shared columns and the city's own, never a county's intake fields.
    @discardableResult
    public func updatePlatform(id: String, _ edit: @escaping @Sendable (inout Platform) throws -> Void) throws -> Platform {
        try editPlatform(id: id, op: "update platform") { platform in
            let before = platform
            try edit(&platform)
            let changed = zip(SyncedTable.platform.columns, zip(before.columnValues, platform.columnValues))
                .filter { $0.1.0 != $0.1.1 }.map(\.0)
            if let owned = changed.first(where: { self.authority.authority("platform", $0) == .county }) {
                throw StoreError.notAllowed("platform.\(owned) is entered by the county; the city cannot change it")
            }
            // Recognition and its date are decisions, each with its own command and record.
            if let decided = changed.first(where: { $0 == "recognized_on" || $0 == "status" }) {
                throw StoreError.notAllowed("platform.\(decided) is changed by a decision (syncctl platform recognize, redate or revoke), which the decision log keeps")
            }
        }
    }

    private func editPlatform(id: String, op: String, actor: String? = nil, action: String = "", detail: @escaping @Sendable (Platform) -> String = { _ in "" },
                              _ edit: @escaping @Sendable (inout Platform) throws -> Void) throws -> Platform {
        try editPlatform(id: id, op: op, actor: actor, action: action, detail: detail) { platform, _ in try edit(&platform) }
    }

    private func editPlatform(id: String, op: String, actor: String? = nil, action: String = "", detail: @escaping @Sendable (Platform) -> String = { _ in "" },
                              _ edit: @escaping @Sendable (inout Platform, Database) throws -> Void) throws -> Platform {
        try write(op) { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [id]) else {
                throw StoreError.invalidInput(.notFound(kind: "platform", id: id))
            }
            var platform = try Platform(row: row)
            try edit(&platform, db)
            let valid: Platform
            do { valid = try platform.validated(counties: self.counties) } catch let error as DomainError { throw StoreError.invalidInput(error) }
            try db.cachedStatement(sql: Platform.updateSQL).execute(arguments: valid.updateArguments)
            if let actor { try Self.logDecision(db, actor: actor, action: action, table: "platform", rowId: id, county: valid.county, detail: detail(valid)) }
            return valid
        }
    }

    private func editAward(id: String, op: String, actor: String, action: String, detail: @escaping @Sendable (Award) -> String,
                           _ edit: @escaping @Sendable (inout Award, Platform, Database) throws -> Void) throws -> Award {
        try write(op) { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM award WHERE id = ?", arguments: [id]) else {
                throw StoreError.invalidInput(.notFound(kind: "award", id: id))
            }
            var award = try Award(row: row)
            guard let platformRow = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [award.platformId]) else {
                throw StoreError.invalidInput(.notFound(kind: "platform", id: award.platformId))
            }
            try edit(&award, try Platform(row: platformRow), db)
            try db.cachedStatement(sql: Award.updateSQL).execute(arguments: award.updateArguments)
            try Self.logDecision(db, actor: actor, action: action, table: "award", rowId: id, county: award.county, detail: detail(award))
            return award
        }
    }
}

extension Platform {
    /// The values of the `platform` columns in table order (without the id).
    var columnValues: [String?] {
        sqlValues.dropFirst().map { $0.map { "\($0.databaseValue)" } }
    }
}
