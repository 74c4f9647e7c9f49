import SyncCore
import Testing

/// The plan's limits over all the awards of one platform (issue findings: two 10,000,000 awards
/// for one pilot base, the one-time 500,000 twice, 100,000 + 100,000 + 50,000 for a municipal key lab).
@Suite struct PlatformAwardsTests {
    let policy = AwardPolicy.tangshan2022
    var serial = 0

    func platform(_ category: PlatformCategory, _ level: Level?, subtype: String? = nil) -> Platform {
        Platform(id: TestIDs.platform, county: "130202", name: "平台", category: category, level: level, subtype: subtype,
                 hostOrg: "依托单位", creditCode: validCreditCode, industry: "钢铁冶金", status: .recognized)
    }

    func award(_ yuan: Int64, basis: Int64? = nil, status: AwardStatus = .proposed, approved: Int64? = nil, id: Int) -> Award {
        Award(id: "018f3b2a-1c00-7000-8000-\(String(repeating: "0", count: 12 - String(id).count))\(id)", county: "130202",
              platformId: TestIDs.platform, amount: .yuan(yuan), basis: basis.map { .yuan($0) }, fiscalYear: 2025, status: status,
              approvedAmount: approved.map { .yuan($0) })
    }

    @Test func upToCapsHoldForThePlatformsTotal() {
        let lab = platform(.keyLab, .municipal)
        let first = award(100_000, id: 1)
        #expect(throws: Never.self) { try PlatformAwards.check(.yuan(100_000), for: first, of: lab, others: [], policy: policy) }
        let second = award(100_000, id: 2)
        let error = expectDomainError(field: "amount") {
            try PlatformAwards.check(.yuan(100_000), for: second, of: lab, others: [first], policy: policy)
        }
        #expect(error?.description.contains("at most 0.00 yuan remains") == true, "\(String(describing: error))")
        // 60,000 approved (of a 90,000 proposal) leaves 40,000; a rejected award does not count.
        let approved = award(90_000, status: .approved, approved: 60_000, id: 3)
        let rejected = award(100_000, status: .rejected, id: 4)
        #expect(throws: Never.self) { try PlatformAwards.check(.yuan(40_000), for: second, of: lab, others: [approved, rejected], policy: policy) }
        expectDomainError(field: "amount") { try PlatformAwards.check(.yuan(40_001), for: second, of: lab, others: [approved, rejected], policy: policy) }
        // An award checked again is not counted twice.
        #expect(throws: Never.self) { try PlatformAwards.check(.yuan(100_000), for: first, of: lab, others: [first], policy: policy) }
    }

    @Test func aPilotBasesTenMillionIsForTheBase() {
        let base = platform(.pilotBase, .municipal)
        let first = award(10_000_000, basis: 40_000_000, status: .approved, approved: 10_000_000, id: 1)
        expectDomainError(field: "amount") {
            try PlatformAwards.check(.yuan(10_000_000), for: award(10_000_000, basis: 50_000_000, id: 2), of: base, others: [first], policy: policy)
        }
    }

    @Test func techTransferIsPaidPerContract() {
        let agency = platform(.techTransferAgency, .provincial)
        let contracts = (1...5).map { award(200_000, basis: 300_000_000, status: .approved, approved: 200_000, id: $0) }
        #expect(throws: Never.self) {
            try PlatformAwards.check(.yuan(200_000), for: award(200_000, basis: 250_000_000, id: 9), of: agency, others: contracts, policy: policy)
        }
    }

    @Test func aFixedAwardIsGivenOncePerPlatformAndLevel() {
        let imported = platform(.highTechEnterprise, nil, subtype: "imported")
        let first = award(500_000, status: .disbursed, approved: 500_000, id: 1)
        expectDomainError(field: "amount") {
            try PlatformAwards.check(.yuan(500_000), for: award(500_000, id: 2), of: imported, others: [first], policy: policy)
        }
        // An alliance awarded as provincial may be awarded again as national, once.
        let alliance = platform(.industryAlliance, .national)
        let provincial = award(200_000, status: .disbursed, approved: 200_000, id: 3)
        #expect(throws: Never.self) {
            try PlatformAwards.check(.yuan(1_000_000), for: award(1_000_000, id: 4), of: alliance, others: [provincial], policy: policy)
        }
        let rejected = award(1_000_000, status: .rejected, id: 5)
        #expect(throws: Never.self) {
            try PlatformAwards.check(.yuan(1_000_000), for: award(1_000_000, id: 6), of: alliance, others: [provincial, rejected], policy: policy)
        }
    }

    @Test func caseByCaseAmountsAboveTheCeilingNeedAConfirmation() {
        let institution = platform(.newRDInstitution, .provincial)
        let typo = Fen.yuan(99_999_999_999)
        expectDomainError(field: "amount") { try PlatformAwards.checkCeiling(typo, of: institution, policy: policy, confirmed: false) }
        #expect(throws: Never.self) { try PlatformAwards.checkCeiling(typo, of: institution, policy: policy, confirmed: true) }
        #expect(throws: Never.self) { try PlatformAwards.checkCeiling(.yuan(3_000_000), of: institution, policy: policy, confirmed: false) }
        var strict = policy
        strict.caseByCaseCeiling = .yuan(1_000_000)
        expectDomainError(field: "amount") { try PlatformAwards.checkCeiling(.yuan(3_000_000), of: institution, policy: strict, confirmed: false) }
        // Rules with a cap of their own are not affected.
        #expect(throws: Never.self) { try PlatformAwards.checkCeiling(typo, of: platform(.keyLab, .national), policy: policy, confirmed: false) }
    }
}
