/// An award proposal as a sheet's row gives it, before the replica has found its platform and
/// whether it names a proposal made before (`syncctl import awards`).
public struct ProposedAward: Sendable, Hashable {
    /// The award's id, for a row that names a proposal made before.
    public var awardId: String?
    /// The platform: its id (or a prefix of 8 or more characters), or else its credit code with,
    /// where one enterprise has several platforms, its category.
    public var platformId: String?
    public var creditCode: String?
    public var category: PlatformCategory?
    public var amount: Fen
    public var basis: Fen?
    public var basisRef: String?
    public var fiscalYear: Int
    public var remarks: String?

    public init(awardId: String? = nil, platformId: String? = nil, creditCode: String? = nil, category: PlatformCategory? = nil,
                amount: Fen, basis: Fen? = nil, basisRef: String? = nil, fiscalYear: Int, remarks: String? = nil) {
        self.awardId = awardId
        self.platformId = platformId
        self.creditCode = creditCode
        self.category = category
        self.amount = amount
        self.basis = basis
        self.basisRef = basisRef
        self.fiscalYear = fiscalYear
        self.remarks = remarks
    }
}
