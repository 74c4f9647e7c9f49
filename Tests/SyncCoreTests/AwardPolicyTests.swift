import Testing
import SyncCore

/// The award table of POLICY.md ("Platform categories, levels and awards" and the enterprise
/// table), transcribed by hand from the policy text, independently of `AwardPolicy.tangshan2022`.
/// One row per valid (category, level, subtype) combination.
private let policyTable: [(category: PlatformCategory, level: Level?, subtype: String?, rule: AwardRule)] = [
    // 四(二)1-3: "up to" 10,000,000 / 1,000,000 / 100,000
    (.keyLab, .national, nil, .capped(.yuan(10_000_000))),
    (.keyLab, .provincial, nil, .capped(.yuan(1_000_000))),
    (.keyLab, .municipal, nil, .capped(.yuan(100_000))),
    (.techInnovationCenter, .national, nil, .capped(.yuan(10_000_000))),
    (.techInnovationCenter, .provincial, nil, .capped(.yuan(1_000_000))),
    (.techInnovationCenter, .municipal, nil, .capped(.yuan(100_000))),
    (.engineeringResearchCenter, .national, nil, .capped(.yuan(10_000_000))),
    (.engineeringResearchCenter, .provincial, nil, .capped(.yuan(1_000_000))),
    (.engineeringResearchCenter, .municipal, nil, .capped(.yuan(100_000))),
    (.enterpriseTechCenter, .national, nil, .capped(.yuan(10_000_000))),
    (.enterpriseTechCenter, .provincial, nil, .capped(.yuan(1_000_000))),
    (.enterpriseTechCenter, .municipal, nil, .capped(.yuan(100_000))),
    (.industrialTechInstitute, .national, nil, .capped(.yuan(10_000_000))),
    (.industrialTechInstitute, .provincial, nil, .capped(.yuan(1_000_000))),
    (.industrialTechInstitute, .municipal, nil, .capped(.yuan(100_000))),
    // 四(二)4: by the provincial standard, case by case
    (.newRDInstitution, .provincial, nil, .caseByCase),
    // 四(三)1: 30 % of equipment investment, at most 10,000,000
    (.pilotBase, .national, nil, .proportional(numerator: 30, denominator: 100, cap: .yuan(10_000_000), basis: "equipment investment")),
    (.pilotBase, .provincial, nil, .proportional(numerator: 30, denominator: 100, cap: .yuan(10_000_000), basis: "equipment investment")),
    (.pilotBase, .municipal, nil, .proportional(numerator: 30, denominator: 100, cap: .yuan(10_000_000), basis: "equipment investment")),
    // 四(三)2: by performance evaluation, at most 500,000
    (.techInnovationPark, .municipal, nil, .capped(.yuan(500_000))),
    // 四(三)3: exactly 1,000,000 / 200,000 / 100,000
    (.industryAlliance, .national, nil, .fixed(.yuan(1_000_000))),
    (.industryAlliance, .provincial, nil, .fixed(.yuan(200_000))),
    (.industryAlliance, .municipal, nil, .fixed(.yuan(100_000))),
    // 四(三)4: none stated
    (.starInnovationSpace, .national, nil, .none),
    (.starInnovationSpace, .provincial, nil, .none),
    // 四(四)1: exactly 500,000 / 300,000 and 200,000 / 100,000
    (.incubator, .national, nil, .fixed(.yuan(500_000))),
    (.incubator, .provincial, nil, .fixed(.yuan(300_000))),
    (.incubator, .municipal, nil, .none),
    (.makerspace, .national, nil, .fixed(.yuan(200_000))),
    (.makerspace, .provincial, nil, .fixed(.yuan(100_000))),
    (.makerspace, .municipal, nil, .none),
    // 四(四)2: 1 ‰ of the contract value, at most 200,000
    (.techTransferAgency, .national, nil, .proportional(numerator: 1, denominator: 1000, cap: .yuan(200_000), basis: "technology-contract value")),
    (.techTransferAgency, .provincial, nil, .proportional(numerator: 1, denominator: 1000, cap: .yuan(200_000), basis: "technology-contract value")),
    (.techTransferAgency, .municipal, nil, .proportional(numerator: 1, denominator: 1000, cap: .yuan(200_000), basis: "technology-contract value")),
    // 四(四)4
    (.academicianWorkstation, .provincial, nil, .fixed(.yuan(1_000_000))),
    (.academicianPartner, .provincial, nil, .matching(numerator: 1, denominator: 1, basis: "provincial funding")),
    (.postdocStation, nil, nil, .fixed(.yuan(200_000))),
    (.postdocBase, .provincial, nil, .fixed(.yuan(100_000))),
    // 四(四)5: none stated
    (.intlCoopBase, .national, nil, .none),
    (.intlCoopBase, .provincial, nil, .none),
    // 四(四)6: "some award", case by case
    (.externalInnovationCenter, nil, nil, .caseByCase),
    // 四(五): none stated, for every scenario kind
    (.applicationScenario, nil, "industrial", .none),
    (.applicationScenario, nil, "energy_environment", .none),
    (.applicationScenario, nil, "logistics", .none),
    (.applicationScenario, nil, "smart_agriculture", .none),
    // Enterprises
    (.highTechEnterprise, nil, "new", .fixed(.yuan(200_000))),
    (.highTechEnterprise, nil, "imported", .fixed(.yuan(500_000))),
    (.techSME, nil, nil, .fixed(.yuan(2_000))),
]

private func policyRule(_ category: PlatformCategory, _ level: Level? = nil, _ subtype: String? = nil) -> AwardRule {
    AwardPolicy.tangshan2022.rule(category, level, subtype)
}

private func fen(_ raw: Int64) -> Fen { Fen(rawValue: raw) }

private let cappedRows = policyTable.compactMap { row -> (PlatformCategory, Level?, Int64)? in
    guard case .capped(let cap) = row.rule else { return nil }
    return (row.category, row.level, cap.rawValue)
}

private let fixedRows = policyTable.compactMap { row -> (PlatformCategory, Level?, String?, Int64)? in
    guard case .fixed(let amount) = row.rule else { return nil }
    return (row.category, row.level, row.subtype, amount.rawValue)
}

private let noAwardRows = policyTable.filter { $0.rule == .none }.map { ($0.category, $0.level, $0.subtype) }

private let caseByCaseRows = policyTable.filter { $0.rule == .caseByCase }.map { ($0.category, $0.level) }

@Suite("Award policy: POLICY.md's award table")
struct AwardPolicyTests {
    // MARK: - The table as a whole

    @Test("the transcribed table has one row per kind of rule the plan uses")
    func tableShape() {
        #expect(policyTable.count == 48)
        #expect(cappedRows.count == 16)
        #expect(fixedRows.count == 13)
        #expect(noAwardRows.count == 10)  // municipal incubators and makerspaces among them
        #expect(caseByCaseRows.count == 2)
    }

    @Test("every valid category/level/subtype gets exactly the rule of POLICY.md")
    func everyValidCombination() {
        var combinations = 0
        for category in PlatformCategory.allCases {
            let levels: [Level?] = category.allowedLevels.isEmpty ? [nil] : category.allowedLevels.map { $0 }
            let subtypes: [String?] = category.subtypes.isEmpty ? [nil] : category.subtypes.map { $0 }
            for level in levels {
                for subtype in subtypes {
                    combinations += 1
                    let row = policyTable.first { $0.category == category && $0.level == level && $0.subtype == subtype }
                    #expect(row != nil, "no row in POLICY.md for \(category.rawValue) \(String(describing: level)) \(String(describing: subtype))")
                    if let row {
                        #expect(policyRule(category, level, subtype) == row.rule, "\(category.rawValue) \(String(describing: level)) \(String(describing: subtype))")
                    }
                }
            }
        }
        #expect(combinations == policyTable.count, "every row of the table is a valid combination")
    }

    @Test("rule(for:) looks up the platform's category, level and subtype")
    func ruleForPlatform() {
        let platform = Platform(
            id: TestIDs.platform, county: "130202", name: "唐山市某产业技术创新战略联盟", category: .industryAlliance,
            level: .provincial, hostOrg: "某公司", creditCode: validCreditCode, industry: "钢铁冶金"
        )
        #expect(AwardPolicy.tangshan2022.rule(for: platform) == .fixed(.yuan(200_000)))
        var imported = platform
        imported.category = .highTechEnterprise
        imported.level = nil
        imported.subtype = "imported"
        #expect(AwardPolicy.tangshan2022.rule(for: imported) == .fixed(.yuan(500_000)))
    }

    // MARK: - "Up to": capped

    @Test("capped rules: the cap is allowed, one fen more is rejected, less is allowed", arguments: cappedRows)
    func capped(category: PlatformCategory, level: Level?, capFen: Int64) throws {
        let rule = policyRule(category, level)
        let cap = fen(capFen)
        #expect(rule == .capped(cap))
        #expect(rule.maximum(basis: nil) == cap)
        #expect(try rule.check(amount: cap, basis: nil) == cap)
        #expect(try rule.check(amount: fen(capFen - 1), basis: nil) == cap)
        #expect(try rule.check(amount: fen(capFen / 2), basis: nil) == cap)
        #expect(try rule.check(amount: fen(1), basis: nil) == cap)
        let error = expectDomainError(field: "amount") { _ = try rule.check(amount: fen(capFen + 1), basis: nil) }
        #expect(error?.description.contains("above the cap") == true)
        expectDomainError(field: "amount") { _ = try rule.check(amount: fen(capFen * 10), basis: nil) }
    }

    @Test("key labs and innovation centres: national 10,000,000, provincial 1,000,000, municipal 100,000 yuan")
    func cappedAmountsByLevel() {
        for category in [PlatformCategory.keyLab, .techInnovationCenter, .engineeringResearchCenter, .enterpriseTechCenter, .industrialTechInstitute] {
            #expect(policyRule(category, .national).maximum(basis: nil) == fen(1_000_000_000))
            #expect(policyRule(category, .provincial).maximum(basis: nil) == fen(100_000_000))
            #expect(policyRule(category, .municipal).maximum(basis: nil) == fen(10_000_000))
        }
        #expect(policyRule(.techInnovationPark, .municipal).maximum(basis: nil) == fen(50_000_000))
    }

    // MARK: - "Exactly": fixed

    @Test("fixed rules: exactly the amount is allowed, any other is rejected", arguments: fixedRows)
    func fixed(category: PlatformCategory, level: Level?, subtype: String?, amountFen: Int64) throws {
        let rule = policyRule(category, level, subtype)
        let amount = fen(amountFen)
        #expect(rule == .fixed(amount))
        #expect(rule.maximum(basis: nil) == amount)
        #expect(try rule.check(amount: amount, basis: nil) == amount)
        for other in [amountFen - 1, amountFen + 1, amountFen / 2, amountFen * 2, 1] {
            expectDomainError(field: "amount", "\(other) fen for \(category.rawValue)") {
                _ = try rule.check(amount: fen(other), basis: nil)
            }
        }
    }

    @Test("enterprises: new high-tech 200,000, imported high-tech 500,000, tech SME 2,000 yuan")
    func enterprises() throws {
        #expect(policyRule(.highTechEnterprise, nil, "new") == .fixed(fen(20_000_000)))
        #expect(policyRule(.highTechEnterprise, nil, "imported") == .fixed(fen(50_000_000)))
        // No subtype means newly recognised (the category's default subtype).
        #expect(policyRule(.highTechEnterprise, nil, nil) == .fixed(fen(20_000_000)))
        #expect(policyRule(.techSME) == .fixed(fen(200_000)))

        try policyRule(.highTechEnterprise, nil, "imported").check(amount: .yuan(500_000), basis: nil)
        expectDomainError(field: "amount") { _ = try policyRule(.highTechEnterprise, nil, "imported").check(amount: .yuan(200_000), basis: nil) }
        expectDomainError(field: "amount") { _ = try policyRule(.highTechEnterprise, nil, "new").check(amount: .yuan(500_000), basis: nil) }
        try policyRule(.techSME).check(amount: .yuan(2_000), basis: nil)
        expectDomainError(field: "amount") { _ = try policyRule(.techSME).check(amount: .yuan(20_000), basis: nil) }
    }

    // MARK: - Proportional

    @Test("pilot base: 30 % of equipment investment, capped at 10,000,000 yuan")
    func pilotBaseMaximum() {
        let rule = policyRule(.pilotBase, .municipal)
        #expect(rule.needsBasis)
        #expect(rule.maximum(basis: nil) == nil)
        #expect(rule.maximum(basis: .yuan(1_000_000)) == .yuan(300_000))
        #expect(rule.maximum(basis: .zero) == .zero)
        // Below the cap: 30 % of 33,333,333 yuan is 9,999,999.90 yuan.
        #expect(rule.maximum(basis: .yuan(33_333_333)) == fen(999_999_990))
        // Rounded down to the fen: 30 % of 33,333,333.33 yuan is 9,999,999.999 yuan.
        #expect(rule.maximum(basis: fen(3_333_333_333)) == fen(999_999_999))
        // Just reaching the cap, and above it.
        #expect(rule.maximum(basis: fen(3_333_333_334)) == .yuan(10_000_000))
        #expect(rule.maximum(basis: .yuan(50_000_000)) == .yuan(10_000_000))
        #expect(rule.maximum(basis: .yuan(1_000_000_000)) == .yuan(10_000_000))
        // A basis so large that 30 × basis overflows still gives the cap.
        #expect(rule.maximum(basis: fen(.max)) == .yuan(10_000_000))
    }

    @Test("pilot base: amounts up to 30 % pass, more is rejected, a missing basis is rejected")
    func pilotBaseCheck() throws {
        let rule = policyRule(.pilotBase, .municipal)
        #expect(try rule.check(amount: .yuan(300_000), basis: .yuan(1_000_000)) == .yuan(300_000))
        #expect(try rule.check(amount: .yuan(100_000), basis: .yuan(1_000_000)) == .yuan(300_000))
        expectDomainError(field: "amount") { _ = try rule.check(amount: fen(30_000_001), basis: .yuan(1_000_000)) }
        // Above the cap even with a basis that would allow more.
        #expect(try rule.check(amount: .yuan(10_000_000), basis: .yuan(100_000_000)) == .yuan(10_000_000))
        expectDomainError(field: "amount") { _ = try rule.check(amount: fen(1_000_000_001), basis: .yuan(100_000_000)) }
        // Missing basis.
        let missing = expectDomainError(field: "basis") { _ = try rule.check(amount: .yuan(1), basis: nil) }
        #expect(missing?.description.contains("equipment investment") == true)
        // Negative basis.
        expectDomainError(field: "basis") { _ = try rule.check(amount: .yuan(1), basis: fen(-1)) }
        // A zero basis allows nothing.
        expectDomainError(field: "amount") { _ = try rule.check(amount: fen(1), basis: .zero) }
    }

    @Test("tech transfer agency: 1 ‰ of contract value, capped at 200,000 yuan, at any level", arguments: [Level.national, .provincial, .municipal])
    func techTransferAgency(level: Level) throws {
        let rule = policyRule(.techTransferAgency, level)
        #expect(rule.needsBasis)
        #expect(rule.maximum(basis: nil) == nil)
        #expect(rule.maximum(basis: .yuan(100_000_000)) == .yuan(100_000))
        #expect(rule.maximum(basis: .yuan(200_000_000)) == .yuan(200_000))
        #expect(rule.maximum(basis: .yuan(500_000_000)) == .yuan(200_000))
        // Rounded down: 1 ‰ of 19.99 yuan is 0.01999 yuan.
        #expect(rule.maximum(basis: fen(1_999)) == fen(1))

        #expect(try rule.check(amount: .yuan(100_000), basis: .yuan(100_000_000)) == .yuan(100_000))
        expectDomainError(field: "amount") { _ = try rule.check(amount: fen(10_000_001), basis: .yuan(100_000_000)) }
        #expect(try rule.check(amount: .yuan(200_000), basis: .yuan(900_000_000)) == .yuan(200_000))
        expectDomainError(field: "amount") { _ = try rule.check(amount: fen(20_000_001), basis: .yuan(900_000_000)) }
        let missing = expectDomainError(field: "basis") { _ = try rule.check(amount: .yuan(1), basis: nil) }
        #expect(missing?.description.contains("technology-contract value") == true)
    }

    // MARK: - Matching

    @Test("academician partner: at most 1:1 of provincial funding")
    func academicianPartner() throws {
        let rule = policyRule(.academicianPartner, .provincial)
        #expect(rule.needsBasis)
        #expect(rule.maximum(basis: nil) == nil)
        #expect(rule.maximum(basis: .yuan(500_000)) == .yuan(500_000))
        #expect(rule.maximum(basis: fen(12_345)) == fen(12_345))
        #expect(try rule.check(amount: .yuan(500_000), basis: .yuan(500_000)) == .yuan(500_000))
        #expect(try rule.check(amount: .yuan(250_000), basis: .yuan(500_000)) == .yuan(500_000))
        expectDomainError(field: "amount") { _ = try rule.check(amount: fen(50_000_001), basis: .yuan(500_000)) }
        let missing = expectDomainError(field: "basis") { _ = try rule.check(amount: .yuan(500_000), basis: nil) }
        #expect(missing?.description.contains("provincial funding") == true)
        expectDomainError(field: "basis") { _ = try rule.check(amount: .yuan(1), basis: fen(-100)) }
    }

    // MARK: - Case by case

    @Test("case by case: any positive amount is accepted", arguments: caseByCaseRows)
    func caseByCase(category: PlatformCategory, level: Level?) throws {
        let rule = policyRule(category, level)
        #expect(rule == .caseByCase)
        #expect(!rule.needsBasis)
        #expect(rule.maximum(basis: nil) == nil)
        #expect(rule.maximum(basis: .yuan(1_000)) == nil)
        for amount in [fen(1), .yuan(1), .yuan(100_000), .yuan(100_000_000), fen(.max)] {
            #expect(try rule.check(amount: amount, basis: nil) == nil)
        }
    }

    // MARK: - None

    @Test("no award stated: any proposal is rejected", arguments: noAwardRows)
    func noAward(category: PlatformCategory, level: Level?, subtype: String?) {
        let rule = policyRule(category, level, subtype)
        #expect(rule == .none)
        #expect(!rule.needsBasis)
        #expect(rule.maximum(basis: nil) == nil)
        for amount in [fen(1), .yuan(1), .yuan(100_000)] {
            let error = expectDomainError(field: "amount") { _ = try rule.check(amount: amount, basis: nil) }
            #expect(error?.description.contains("no award") == true)
        }
    }

    @Test("a levelled category without a level has no rule to apply")
    func missingLevel() {
        #expect(policyRule(.keyLab, nil) == .none)
        #expect(policyRule(.industryAlliance, nil) == .none)
        #expect(policyRule(.incubator, nil) == .none)
    }

    // MARK: - Amounts that are never valid

    @Test("zero and negative amounts are rejected by every rule, naming the amount", arguments: policyTable.indices)
    func nonPositiveAmounts(index: Int) {
        let row = policyTable[index]
        let rule = policyRule(row.category, row.level, row.subtype)
        for amount in [Fen.zero, fen(-1), .yuan(-100_000)] {
            let error = expectDomainError(field: "amount", "\(amount.formatted) for \(row.category.rawValue)") {
                _ = try rule.check(amount: amount, basis: .yuan(1_000_000))
            }
            #expect(error?.description.contains("positive") == true)
        }
    }

    // MARK: - Summaries used in messages

    @Test("summaries state the rule with grouped yuan")
    func summaries() {
        #expect(policyRule(.keyLab, .municipal).summary == "up to 100,000.00 yuan")
        #expect(policyRule(.incubator, .national).summary == "exactly 500,000.00 yuan")
        #expect(policyRule(.pilotBase, .municipal).summary == "30 % of the equipment investment, at most 10,000,000.00 yuan")
        #expect(policyRule(.techTransferAgency, .provincial).summary == "1 ‰ of the technology-contract value, at most 200,000.00 yuan")
        #expect(policyRule(.academicianPartner, .provincial).summary == "1:1 match of the provincial funding")
        #expect(policyRule(.newRDInstitution, .provincial).summary == "decided case by case")
        #expect(policyRule(.intlCoopBase, .national).summary == "no award stated in the plan")
    }
}
