import Foundation

/// Where an award stands: proposed by a county, then approved or rejected by the city, then disbursed.
public enum AwardStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Proposed by the county; the amount is the county's proposal.
    case proposed
    /// Approved by the city, possibly with an adjusted amount.
    case approved
    /// Rejected by the city, with a reason.
    case rejected
    /// Paid out.
    case disbursed
}

/// An award proposed for a platform under the plan's rules.
public struct Award: Sendable, Hashable, Codable {
    /// Time-ordered id (UUIDv7), made where the record is created.
    public var id: String
    /// The county that owns the row (always the platform's county).
    public var county: String
    /// The platform the award is for.
    public var platformId: String
    /// The proposed amount.
    public var amount: Fen
    /// The basis of a proportional or matching rule (equipment investment, contract value, provincial funding).
    public var basis: Fen?
    /// The fiscal year the award is budgeted in.
    public var fiscalYear: Int
    /// Proposed, approved, rejected or disbursed.
    public var status: AwardStatus
    /// The amount the city approved.
    public var approvedAmount: Fen?
    /// The day the city approved it.
    public var approvedOn: CalendarDate?
    /// Why the city rejected it.
    public var rejectReason: String?
    /// Free remarks.
    public var remarks: String?
    /// The source of the basis, for a proportional or matching rule: the registered technology
    /// contract's number, the investment project's number, the superior grant's document number
    /// (`BasisSource.normalized`). One source pays at most what its rule allows, across the city.
    public var basisRef: String?

    /// Creates an award value; call `validated(for:policy:)` before storing it.
    public init(
        id: String = RecordID.generate(), county: String, platformId: String, amount: Fen, basis: Fen? = nil,
        fiscalYear: Int, status: AwardStatus = .proposed, approvedAmount: Fen? = nil,
        approvedOn: CalendarDate? = nil, rejectReason: String? = nil, remarks: String? = nil, basisRef: String? = nil
    ) {
        self.id = id
        self.county = county
        self.platformId = platformId
        self.amount = amount
        self.basis = basis
        self.fiscalYear = fiscalYear
        self.status = status
        self.approvedAmount = approvedAmount
        self.approvedOn = approvedOn
        self.rejectReason = rejectReason
        self.remarks = remarks
        self.basisRef = basisRef
    }

    /// Fiscal years a stored award may carry (the wire and the schema accept these).
    public static let fiscalYears = 2000...2100
    /// The plan's fiscal years: it took effect on 2022-06-09 and sets targets for 2025. A new or
    /// changed award must fall in them.
    public static let planFiscalYears = 2022...2025

    /// Checks the award against its platform and the plan's rule for that platform; returns it
    /// normalised, or throws naming the field and the rule.
    public func validated(for platform: Platform, policy: AwardPolicy = .tangshan2022) throws(DomainError) -> Award {
        guard RecordID.isValid(id) else {
            throw .invalid(field: "id", value: id, rule: "expected a lower-case UUID")
        }
        guard platform.id == platformId else {
            throw .notFound(kind: "platform", id: platformId)
        }
        guard platform.county == county else {
            throw .invalid(field: "county", value: county, rule: "an award belongs to its platform's county \(platform.county)")
        }
        guard Self.planFiscalYears.contains(fiscalYear) else {
            throw .invalid(field: "fiscal-year", value: String(fiscalYear), rule: "the plan's fiscal years are \(Self.planFiscalYears.lowerBound) to \(Self.planFiscalYears.upperBound)")
        }
        guard platform.status != .revoked else {
            throw .invalid(field: "platform", value: platformId, rule: "the platform was revoked; no award can be proposed for it")
        }
        let rule = policy.rule(for: platform)
        do {
            try rule.check(amount: amount, basis: basis)
        } catch {
            let where_ = "\(platform.category.rawValue)\(platform.level.map { " (\($0.rawValue))" } ?? "")"
            guard case .invalid(let field, let value, let reason) = error else { throw error }
            throw .invalid(field: field, value: value, rule: "\(reason) for a \(where_), plan \(platform.category.planSection)")
        }
        if basis != nil, !rule.needsBasis {
            throw .invalid(field: "basis", value: basis!.formatted, rule: "the award for a \(platform.category.rawValue) is \(rule.summary) and takes no basis")
        }
        var copy = self
        copy.remarks = try Platform.optionalText(remarks, field: "remarks")
        copy.basisRef = try basisRef.map { (text) throws(DomainError) in try BasisSource.normalized(text) }
        if case .proportional(_, _, _, let basisName) = rule, copy.basisRef == nil {
            throw .invalid(field: "basis-ref", value: "", rule: "the award is \(rule.summary): name the \(basisName)'s source with --basis-ref (\(BasisSource.referenceName(basisName)))")
        }
        if case .matching(_, _, let basisName) = rule, copy.basisRef == nil {
            throw .invalid(field: "basis-ref", value: "", rule: "the award is \(rule.summary): name the \(basisName)'s source with --basis-ref (\(BasisSource.referenceName(basisName)))")
        }
        if let ref = copy.basisRef, !rule.needsBasis {
            throw .invalid(field: "basis-ref", value: ref, rule: "the award for a \(platform.category.rawValue) is \(rule.summary) and takes no basis, so no source of one")
        }
        return copy
    }
}
