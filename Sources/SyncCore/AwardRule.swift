/// How the plan fixes the award for one kind of platform. Rules are data: `AwardPolicy` maps a
/// platform's category, level and subtype to one of these.
///
/// ```swift
/// let rule = AwardRule.proportional(numerator: 30, denominator: 100, cap: .yuan(10_000_000), basis: "equipment investment")
/// rule.maximum(basis: .yuan(1_000_000))          // 300,000 yuan
/// try rule.check(amount: .yuan(400_000), basis: .yuan(1_000_000))  // throws: above 30 % of the basis
/// ```
public enum AwardRule: Sendable, Hashable {
    /// "Up to" (最高): the city decides the amount; the rule only caps it.
    case capped(Fen)
    /// "Exactly": the plan states a fixed amount.
    case fixed(Fen)
    /// A share of a basis (equipment investment, contract value), capped.
    case proportional(numerator: Int64, denominator: Int64, cap: Fen, basis: String)
    /// A match of other funding (1:1 of provincial funds): at most the basis.
    case matching(numerator: Int64, denominator: Int64, basis: String)
    /// The plan leaves the amount open: decided case by case.
    case caseByCase
    /// The plan states no award for this kind of platform.
    case none

    /// Whether the plan states no amount that bounds the rule: case by case, or a match of a
    /// basis the county states. Such awards are held to `AwardPolicy.caseByCaseCeiling`.
    public var hasNoStatedMaximum: Bool {
        switch self {
        case .caseByCase, .matching: true
        default: false
        }
    }

    /// Whether the rule needs a basis amount to decide.
    public var needsBasis: Bool {
        switch self {
        case .proportional, .matching: true
        default: false
        }
    }

    /// The largest allowed amount, or nil when the rule sets no maximum (case by case) or no award.
    /// Proportional and matching rules need the basis; without one they have no maximum.
    public func maximum(basis: Fen?) -> Fen? {
        switch self {
        case .capped(let cap): cap
        case .fixed(let amount): amount
        case .proportional(let numerator, let denominator, let cap, _):
            basis.map { min(cap, $0.scaled(numerator, over: denominator)) }
        case .matching(let numerator, let denominator, _):
            basis.map { $0.scaled(numerator, over: denominator) }
        case .caseByCase, .none: nil
        }
    }

    /// A short statement of the rule for messages: `fixed at 200,000.00 yuan`.
    public var summary: String {
        switch self {
        case .capped(let cap): "up to \(cap)"
        case .fixed(let amount): "exactly \(amount)"
        case .proportional(let numerator, let denominator, let cap, let basis):
            "\(Self.ratio(numerator, denominator)) of the \(basis), at most \(cap)"
        case .matching(let numerator, let denominator, let basis):
            "\(numerator):\(denominator) match of the \(basis)"
        case .caseByCase: "decided case by case"
        case .none: "no award stated in the plan"
        }
    }

    private static func ratio(_ numerator: Int64, _ denominator: Int64) -> String {
        switch denominator {
        case 100: "\(numerator) %"
        case 1000: "\(numerator) ‰"
        default: "\(numerator)/\(denominator)"
        }
    }

    /// Checks a proposed amount against the rule; throws naming the rule when it is not allowed.
    /// Returns the maximum the rule allows, when it has one.
    @discardableResult
    public func check(amount: Fen, basis: Fen?) throws(DomainError) -> Fen? {
        guard amount > .zero else {
            throw .invalid(field: "amount", value: amount.formatted, rule: "an award must be a positive amount")
        }
        if let basis, basis < .zero {
            throw .invalid(field: "basis", value: basis.formatted, rule: "a basis amount cannot be negative")
        }
        switch self {
        case .none:
            throw .invalid(field: "amount", value: amount.formatted, rule: "this kind of platform has \(summary)")
        case .caseByCase:
            return nil
        case .capped(let cap):
            guard amount <= cap else {
                throw .invalid(field: "amount", value: amount.formatted, rule: "above the cap: the award is \(summary)")
            }
            return cap
        case .fixed(let fixed):
            guard amount == fixed else {
                throw .invalid(field: "amount", value: amount.formatted, rule: "the award is \(summary)")
            }
            return fixed
        case .proportional(_, _, _, let basisName), .matching(_, _, let basisName):
            guard let basis else {
                throw .invalid(field: "basis", value: "", rule: "the award is \(summary): give the \(basisName) with --basis")
            }
            let maximum = self.maximum(basis: basis)!
            guard amount <= maximum else {
                throw .invalid(field: "amount", value: amount.formatted, rule: "above the maximum \(maximum) allowed with a \(basisName) of \(basis): the award is \(summary)")
            }
            return maximum
        }
    }
}

/// The plan's award rules as data: which `AwardRule` applies to a platform.
public struct AwardPolicy: Sendable {
    /// Looks up the rule for a category, level and subtype.
    public var rule: @Sendable (PlatformCategory, Level?, String?) -> AwardRule
    /// Categories whose proportional cap holds for the platform's total, not per award.
    public var totalCappedCategories: Set<PlatformCategory>
    /// A platform's awards under a rule with no stated maximum (`AwardRule.hasNoStatedMaximum`:
    /// case by case, or a match) that together pass this need a confirmation with a reason (the
    /// plan states no maximum; 10,000,000 yuan, the largest cap the plan does state, by default).
    public var caseByCaseCeiling: Fen
    /// Categories whose award is given one time (一次性), whatever its amount: at most one award per
    /// platform that is not rejected.
    public var oneTimeCategories: Set<PlatformCategory>

    /// Creates a policy from a lookup function.
    public init(rule: @escaping @Sendable (PlatformCategory, Level?, String?) -> AwardRule,
                totalCappedCategories: Set<PlatformCategory> = [], oneTimeCategories: Set<PlatformCategory> = [],
                caseByCaseCeiling: Fen = .yuan(10_000_000)) {
        self.rule = rule
        self.totalCappedCategories = totalCappedCategories
        self.oneTimeCategories = oneTimeCategories
        self.caseByCaseCeiling = caseByCaseCeiling
    }

    /// The rule that applies to `platform`.
    public func rule(for platform: Platform) -> AwardRule {
        rule(platform.category, platform.level, platform.subtype)
    }

    /// The most all of a platform's awards may add up to, or nil when the plan sets no total
    /// (see `PlatformAwards`): the cap of an "up to" rule, and the cap of a proportional rule of a
    /// category in `totalCappedCategories`.
    public func platformTotalCap(_ platform: Platform) -> Fen? {
        switch rule(for: platform) {
        case .capped(let cap): cap
        case .proportional(_, _, let cap, _) where totalCappedCategories.contains(platform.category): cap
        default: nil
        }
    }

    /// Tangshan's 2022 plan (POLICY.md, "Platform categories, levels and awards"). A pilot base's
    /// 10,000,000 is for the base; the tech-transfer subsidy's 200,000 is per contract; a new R&D
    /// institution's award (四(二)4) and an academician workstation's (四(四)4) are one-time.
    public static let tangshan2022 = AwardPolicy(rule: { category, level, subtype in
        // The rule for each level; a level the plan names no amount for gets no award.
        func byLevel(_ national: Int64?, _ provincial: Int64?, _ municipal: Int64?, _ make: (Fen) -> AwardRule) -> AwardRule {
            let yuan: Int64? = switch level {
            case .national: national
            case .provincial: provincial
            case .municipal: municipal
            case nil: nil
            }
            return yuan.map { make(.yuan($0)) } ?? .none
        }
        switch category {
        case .keyLab, .techInnovationCenter, .engineeringResearchCenter, .enterpriseTechCenter, .industrialTechInstitute:
            return byLevel(10_000_000, 1_000_000, 100_000, AwardRule.capped)
        case .newRDInstitution, .externalInnovationCenter:
            return .caseByCase
        case .pilotBase:
            return .proportional(numerator: 30, denominator: 100, cap: .yuan(10_000_000), basis: "equipment investment")
        case .techInnovationPark:
            return .capped(.yuan(500_000))
        case .industryAlliance:
            return byLevel(1_000_000, 200_000, 100_000, AwardRule.fixed)
        case .starInnovationSpace, .intlCoopBase, .applicationScenario:
            return .none
        case .incubator:
            return byLevel(500_000, 300_000, nil, AwardRule.fixed)
        case .makerspace:
            return byLevel(200_000, 100_000, nil, AwardRule.fixed)
        case .techTransferAgency:
            return .proportional(numerator: 1, denominator: 1000, cap: .yuan(200_000), basis: "technology-contract value")
        case .academicianWorkstation:
            return .fixed(.yuan(1_000_000))
        case .academicianPartner:
            return .matching(numerator: 1, denominator: 1, basis: "provincial funding")
        case .postdocStation:
            return .fixed(.yuan(200_000))
        case .postdocBase:
            return .fixed(.yuan(100_000))
        case .highTechEnterprise:
            return subtype == "imported" ? .fixed(.yuan(500_000)) : .fixed(.yuan(200_000))
        case .techSME:
            return .fixed(.yuan(2_000))
        }
    }, totalCappedCategories: [.pilotBase], oneTimeCategories: [.newRDInstitution, .academicianWorkstation])
}
