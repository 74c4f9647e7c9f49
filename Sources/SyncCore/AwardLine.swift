/// One award as the finance bureau reads it: where it is, what the plan says of it, and each
/// step with its date and operator (`syncctl export awards`, the console's download).
public struct AwardLine: Sendable, Hashable {
    public var awardId: String
    public var county: String
    public var countyName: String
    public var platformId: String
    public var platformName: String
    public var hostOrg: String
    public var creditCode: String
    /// 重点实验室 key_lab.
    public var category: String
    /// 市级 municipal, or empty.
    public var level: String
    /// The rule's statement: `up to 100,000.00 yuan`.
    public var rule: String
    /// The plan's clause: 四(二)1.
    public var clause: String
    public var basis: Fen?
    public var basisRef: String?
    public var fiscalYear: Int
    /// proposed, approved, rejected or disbursed.
    public var status: String
    public var proposed: Fen
    public var approved: Fen?
    public var approvedOn: String?
    public var approvedBy: String?
    public var disbursed: Fen?
    public var disbursedOn: String?
    public var disbursedBy: String?
    /// The platform's recognition document (认定文号), if recorded.
    public var recognitionDocument: String?

    public init(awardId: String, county: String, countyName: String, platformId: String, platformName: String, hostOrg: String,
                creditCode: String, category: String, level: String, rule: String, clause: String, basis: Fen?, basisRef: String?,
                fiscalYear: Int, status: String, proposed: Fen, approved: Fen?, approvedOn: String?, approvedBy: String?,
                disbursed: Fen?, disbursedOn: String?, disbursedBy: String?, recognitionDocument: String? = nil) {
        self.awardId = awardId
        self.county = county
        self.countyName = countyName
        self.platformId = platformId
        self.platformName = platformName
        self.hostOrg = hostOrg
        self.creditCode = creditCode
        self.category = category
        self.level = level
        self.rule = rule
        self.clause = clause
        self.basis = basis
        self.basisRef = basisRef
        self.fiscalYear = fiscalYear
        self.status = status
        self.proposed = proposed
        self.approved = approved
        self.approvedOn = approvedOn
        self.approvedBy = approvedBy
        self.disbursed = disbursed
        self.disbursedOn = disbursedOn
        self.disbursedBy = disbursedBy
        self.recognitionDocument = recognitionDocument
    }
}
