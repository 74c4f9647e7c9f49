import Foundation
import GRDB
import SyncCore

/// Progress toward one 2025 target: the answer to "am I on track?" and "which counties are behind?".
public struct TargetProgress: Sendable, Hashable, Codable {
    public let key: String
    public let description: String
    /// The plan's words.
    public let chinese: String
    /// `stock` (达到) or `flow` (新建: recognised on or after the plan's start).
    public let kind: TargetKind
    public let target: Int
    public let targetMax: Int?
    /// The target this one is part of, if any.
    public let parent: String?
    /// Recognised platforms counting toward the target.
    public let count: Int
    /// Registered by counties and not yet recognised, of the target's categories and levels.
    public let registered: Int
    /// What is still missing (还差): `target - count`, at least 0.
    public let gap: Int
    /// Where a straight line from the plan's start to 2025-12-31 says the count should be on the
    /// report's day. A stock's line starts from what was recognised before the plan.
    public let expected: Int
    /// `count >= expected`.
    public let onTrack: Bool
    /// `count / target`.
    public let share: Double
    /// Recognised platforms counting toward the target, for every configured county, zeros included.
    public let byCounty: [String: Int]
    /// Recognised after the plan's end (2025-12-31) by the report's day: shown apart, not counted.
    public var recognizedAfterPlan: Int = 0
}

/// Money by status, in fen: proposed (awaiting the city), approved, disbursed, rejected.
public struct MoneyByStatus: Sendable, Hashable, Codable {
    public var proposedFen: Int64 = 0
    public var approvedFen: Int64 = 0
    public var disbursedFen: Int64 = 0
    public var rejectedFen: Int64 = 0

    /// Nothing yet.
    public init() {}

    mutating func add(_ award: Award) {
        switch award.status {
        case .proposed: proposedFen += award.amount.rawValue
        case .approved: approvedFen += (award.approvedAmount ?? award.amount).rawValue
        case .disbursed: disbursedFen += (award.approvedAmount ?? award.amount).rawValue
        case .rejected: rejectedFen += award.amount.rawValue
        }
    }
}

/// An award that stands out, and why.
public struct AwardOutlier: Sendable, Hashable, Codable {
    public let awardId: String
    public let county: String
    public let category: String
    public let amountFen: Int64
    public let reason: String
}

/// The money view: totals by status, overall and by county, category and fiscal year, and outliers.
public struct AwardTotals: Sendable, Hashable, Codable {
    public let proposedFen: Int64
    public let approvedFen: Int64
    public let disbursedFen: Int64
    public let rejectedFen: Int64
    public let byCounty: [String: MoneyByStatus]
    public let byCategory: [String: MoneyByStatus]
    public let byFiscalYear: [String: MoneyByStatus]
    public let outliers: [AwardOutlier]
}

/// A target the register cannot count, as the city's entered figures stand on the report's day.
public struct EnteredProgress: Sendable, Hashable, Codable {
    public let key: String
    public let chinese: String
    public let description: String
    public let unit: String
    /// The goal, as text (`15.7`).
    public let goal: String
    /// `latest` or `cumulative`.
    public let reading: String
    /// The standing: the latest year's figure, or the years' sum; nil when none was entered.
    public let value: String?
    /// The latest year entered, by the report's day.
    public let year: Int?
    /// Whether the standing reaches the goal.
    public let reached: Bool
}

/// `syncctl progress`: the city's report on the 2025 targets and the money, as of one day.
public struct ProgressReport: Sendable, Hashable, Codable {
    /// The report's day.
    public let asOf: String
    /// How much of the plan's period (2022-06-09 to 2025-12-31) has passed on that day, 0 to 1.
    public let elapsed: Double
    /// How complete the data is: configured counties, those ever in contact, those never synced.
    public let counties: Int
    public let countiesInContact: Int
    public let countiesNeverSynced: [String]
    /// County code → name, for the matrix.
    public let countyNames: [String: String]
    public let targets: [TargetProgress]
    /// The targets the register cannot count, from the figures the city entered.
    public let entered: [EnteredProgress]
    public let awards: AwardTotals
}

extension CityDatabase {
    /// The progress report as of `date`: each target's goal, count, gap and expected position,
    /// the county × target matrix, the money, and how complete the data is.
    public func progressReport(asOf date: CalendarDate = CityDatabase.today(), targets: [PlanTarget] = PlanTarget.tangshan2025) throws -> ProgressReport {
        let figures = try enteredFigures()
        let (current, awards, contacted, revokedOn) = try read("read the progress report") { db in
            (try Row.fetchAll(db, sql: "SELECT * FROM platform ORDER BY id").map(Platform.init(row:)),
             try Row.fetchAll(db, sql: "SELECT * FROM award ORDER BY id").map(Award.init(row:)),
             Set(try String.fetchAll(db, sql: "SELECT DISTINCT county FROM node_state WHERE last_contact_at IS NOT NULL")),
             Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT platform_id, on_date FROM platform_revocation").map { ($0["platform_id"] as String, $0["on_date"] as String) }))
        }
        // As the register stood on the report's day: a platform revoked after it was recognised then.
        let platforms = current.map { platform -> Platform in
            guard platform.status == .revoked, platform.recognizedOn != nil, let revoked = revokedOn[platform.id], revoked > date.description else { return platform }
            var then = platform
            then.status = .recognized
            return then
        }
        let codes = counties.counties.map(\.code)
        let elapsed = Self.elapsedShare(of: date)
        let progress = targets.map { target -> TargetProgress in
            // Only what had happened by the report's day, and by the plan's end.
            let counted = platforms.filter { target.includes($0, asOf: date) }
            let afterPlan = platforms.filter { target.isRecognizedAfterPlan($0, asOf: date) }.count
            let registered = platforms.filter { $0.status == .registered && target.counts($0) }.count
            var byCounty = Dictionary(uniqueKeysWithValues: codes.map { ($0, 0) })
            for platform in counted { byCounty[platform.county, default: 0] += 1 }
            let baseline = target.kind == .stock
                ? counted.filter { $0.recognizedOn.map { $0 < PlanTarget.planStart } ?? true }.count : 0
            let expected = baseline + Int((Double(max(0, target.target - baseline)) * elapsed).rounded(.down))
            return TargetProgress(
                key: target.key, description: target.description, chinese: target.chinese, kind: target.kind, target: target.target,
                targetMax: target.targetMax, parent: target.parent, count: counted.count, registered: registered,
                gap: max(0, target.target - counted.count), expected: expected, onTrack: counted.count >= expected,
                share: Double(counted.count) / Double(target.target), byCounty: byCounty, recognizedAfterPlan: afterPlan)
        }
        return ProgressReport(
            asOf: date.description, elapsed: elapsed, counties: codes.count, countiesInContact: codes.filter(contacted.contains).count,
            countiesNeverSynced: codes.filter { !contacted.contains($0) },
            countyNames: Dictionary(uniqueKeysWithValues: counties.counties.map { ($0.code, $0.name) }),
            targets: progress, entered: Self.entered(figures, asOf: date), awards: Self.money(awards, platforms: platforms, counties: codes, policy: policy))
    }

    /// The entered targets as of `date`: the figures of years up to its year (and 2025).
    static func entered(_ figures: [EnteredFigure], asOf date: CalendarDate) -> [EnteredProgress] {
        let lastYear = min(Int(date.description.prefix(4))!, 2025)
        return EnteredTarget.tangshan2025.map { target in
            let years = figures.filter { $0.key == target.key && $0.year <= lastYear }.sorted { $0.year < $1.year }
            let standing: Decimal? = years.isEmpty ? nil
                : target.reading == .latest ? years.last!.value : years.reduce(Decimal(0)) { $0 + $1.value }
            return EnteredProgress(key: target.key, chinese: target.chinese, description: target.description, unit: target.unit,
                                   goal: "\(target.goal)", reading: target.reading.rawValue, value: standing.map { "\($0)" }, year: years.last?.year,
                                   reached: standing.map { $0 >= target.goal } ?? false)
        }
    }

    /// Enters a year's figure of a target the register cannot count (at the city; the decision
    /// log keeps it, and the figure it replaced).
    public func enterFigure(key: String, year: Int, value text: String, by actor: String = CityDatabase.shellActor) throws {
        try requireRole(actor, .decide, "enter a target's figure")
        let target: EnteredTarget
        let value: Decimal
        do {
            target = try EnteredTarget.named(key)
            value = try target.figure(text)
        } catch { throw StoreError.invalidInput(error) }
        let thisYear = Int(Self.today().description.prefix(4))!
        guard (Award.planFiscalYears.lowerBound...thisYear).contains(year) else {
            throw StoreError.invalidInput(.invalid(field: "year", value: String(year), rule: "a figure is of a year from \(Award.planFiscalYears.lowerBound) to this year (\(thisYear))"))
        }
        try write("enter a figure") { db in
            let before = try String.fetchOne(db, sql: "SELECT value FROM entered_figure WHERE key = ? AND year = ?", arguments: [target.key, year])
            try db.execute(sql: "INSERT OR REPLACE INTO entered_figure (key, year, value, entered_at) VALUES (?, ?, ?, ?)",
                           arguments: [target.key, year, "\(value)", CountyDatabase.wallClockMs()])
            try Self.logDecision(db, actor: actor, action: "enter_figure", table: "target", rowId: target.key, county: "",
                                 detail: "\(target.chinese) \(year): \(value) \(target.unit)" + (before.map { " (was \($0))" } ?? ""))
        }
    }

    /// Every figure entered, by target and year.
    public func enteredFigures() throws -> [EnteredFigure] {
        try read("read entered figures") { db in
            try Row.fetchAll(db, sql: "SELECT key, year, value FROM entered_figure ORDER BY key, year").compactMap { row in
                Decimal(string: row["value"], locale: Locale(identifier: "en_US_POSIX")).map { EnteredFigure(key: row["key"], year: row["year"], value: $0) }
            }
        }
    }

    /// The share of the plan's period passed on `date`, 0 before its start and 1 from its end.
    static func elapsedShare(of date: CalendarDate) -> Double {
        func day(_ date: CalendarDate) -> Double {
            let components = DateComponents(calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"),
                                            year: date.year, month: date.month, day: date.day)
            return (components.date?.timeIntervalSince1970 ?? 0) / 86_400
        }
        let total = day(PlanTarget.planEnd) - day(PlanTarget.planStart)
        return min(1, max(0, (day(date) - day(PlanTarget.planStart)) / total))
    }

    /// Totals by status, county, category and fiscal year, and the awards that stand out: above
    /// what their rule allows now (data from before a rule was enforced), case-by-case above the
    /// ceiling, or more than ten times the median of their category's awards.
    static func money(_ awards: [Award], platforms: [Platform], counties: [String], policy: AwardPolicy) -> AwardTotals {
        let platformById = Dictionary(uniqueKeysWithValues: platforms.map { ($0.id, $0) })
        var total = MoneyByStatus()
        var byCounty = Dictionary(uniqueKeysWithValues: counties.map { ($0, MoneyByStatus()) })
        var byCategory: [String: MoneyByStatus] = [:]
        var byYear: [String: MoneyByStatus] = [:]
        for award in awards {
            let category = platformById[award.platformId]?.category.rawValue ?? "unknown"
            total.add(award)
            byCounty[award.county, default: MoneyByStatus()].add(award)
            byCategory[category, default: MoneyByStatus()].add(award)
            byYear[String(award.fiscalYear), default: MoneyByStatus()].add(award)
        }
        let counting = awards.filter { $0.status != .rejected }
        let medians = Dictionary(grouping: counting) { platformById[$0.platformId]?.category ?? .keyLab }.mapValues { group -> Fen? in
            guard group.count >= 3 else { return nil }
            let sorted = group.map(PlatformAwards.counted).sorted()
            return sorted[sorted.count / 2]
        }
        var outliers: [AwardOutlier] = []
        for award in counting {
            guard let platform = platformById[award.platformId] else { continue }
            let amount = PlatformAwards.counted(award)
            let rule = policy.rule(for: platform)
            var reason: String?
            // `check` returns nil for a rule with no maximum: only a throw means "not allowed".
            let allowed: Bool
            do { try rule.check(amount: amount, basis: award.basis); allowed = true } catch { allowed = false }
            if !allowed {
                reason = "not allowed by its rule (\(rule.summary))"
            } else if rule.hasNoStatedMaximum, amount > policy.caseByCaseCeiling {
                reason = "\(rule.summary), above the ceiling \(policy.caseByCaseCeiling)"
            } else if let median = medians[platform.category] ?? nil, median > .zero, amount.rawValue > median.rawValue * 10 {
                reason = "more than ten times the median \(median) of its category's awards"
            }
            if let reason {
                outliers.append(AwardOutlier(awardId: award.id, county: award.county, category: platform.category.rawValue, amountFen: amount.rawValue, reason: reason))
            }
        }
        return AwardTotals(proposedFen: total.proposedFen, approvedFen: total.approvedFen, disbursedFen: total.disbursedFen,
                           rejectedFen: total.rejectedFen, byCounty: byCounty, byCategory: byCategory, byFiscalYear: byYear, outliers: outliers)
    }
}

/// One year's figure of a target the register cannot count.
public struct EnteredFigure: Sendable, Hashable {
    public let key: String
    public let year: Int
    public let value: Decimal
}
