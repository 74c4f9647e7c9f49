import Foundation
import Testing
import SyncCore

/// POLICY.md's "levels" column for every category (empty: the plan names no level).
private let policyLevels: [(PlatformCategory, [Level])] = [
    (.keyLab, [.national, .provincial, .municipal]),
    (.techInnovationCenter, [.national, .provincial, .municipal]),
    (.engineeringResearchCenter, [.national, .provincial, .municipal]),
    (.enterpriseTechCenter, [.national, .provincial, .municipal]),
    (.industrialTechInstitute, [.national, .provincial, .municipal]),
    (.newRDInstitution, [.provincial]),
    (.pilotBase, [.national, .provincial, .municipal]),   // any base built in Tangshan
    (.techInnovationPark, [.municipal]),
    (.industryAlliance, [.national, .provincial, .municipal]),
    (.starInnovationSpace, [.national, .provincial]),      // provincial or higher
    (.incubator, [.national, .provincial, .municipal]),   // municipal: no award, counts toward the 90
    (.makerspace, [.national, .provincial, .municipal]),
    (.techTransferAgency, [.national, .provincial, .municipal]),  // 1 ‰ at any level
    (.academicianWorkstation, [.provincial]),
    (.academicianPartner, [.provincial]),
    (.postdocStation, []),
    (.postdocBase, [.provincial]),
    (.intlCoopBase, [.national, .provincial]),           // provincial or higher
    (.externalInnovationCenter, []),
    (.applicationScenario, []),
    (.highTechEnterprise, []),
    (.techSME, []),
]

/// POLICY.md's keys and the plan's Chinese names.
private let policyKeys: [(String, String, PlatformCategory)] = [
    ("key_lab", "重点实验室", .keyLab),
    ("tech_innovation_center", "技术创新中心", .techInnovationCenter),
    ("engineering_research_center", "工程研究中心", .engineeringResearchCenter),
    ("enterprise_tech_center", "企业技术中心", .enterpriseTechCenter),
    ("industrial_tech_institute", "产业技术研究院", .industrialTechInstitute),
    ("new_rd_institution", "新型研发机构", .newRDInstitution),
    ("pilot_base", "科技成果中试基地", .pilotBase),
    ("tech_innovation_park", "科技创新园区", .techInnovationPark),
    ("industry_alliance", "产业技术创新战略联盟", .industryAlliance),
    ("star_innovation_space", "星创天地", .starInnovationSpace),
    ("incubator", "科技企业孵化器", .incubator),
    ("makerspace", "众创空间", .makerspace),
    ("tech_transfer_agency", "技术转移服务机构", .techTransferAgency),
    ("academician_workstation", "河北省院士工作站", .academicianWorkstation),
    ("academician_partner", "省级院士合作重点单位", .academicianPartner),
    ("postdoc_station", "博士后科研工作站", .postdocStation),
    ("postdoc_base", "省博士后创新实践基地", .postdocBase),
    ("intl_coop_base", "国际科技合作基地", .intlCoopBase),
    ("external_innovation_center", "域外创新中心", .externalInnovationCenter),
    ("application_scenario", "产业创新应用场景", .applicationScenario),
    ("high_tech_enterprise", "高新技术企业", .highTechEnterprise),
    ("tech_sme", "省科技型中小企业", .techSME),
]

private func platform(
    _ category: PlatformCategory = .keyLab, _ level: Level? = .municipal, subtype: String? = nil,
    county: String = "130202", status: PlatformStatus = .registered
) -> Platform {
    Platform(
        id: TestIDs.platform, county: county, name: "唐山市钢铁新材料重点实验室", category: category, level: level,
        subtype: subtype, hostOrg: "唐山某钢铁集团有限公司", creditCode: validCreditCode, industry: "钢铁新材料",
        status: status
    )
}

private func award(
    amount: Fen, basis: Fen? = nil, county: String = "130202", platformId: String = TestIDs.platform,
    fiscalYear: Int = 2024, remarks: String? = nil, basisRef: String? = nil
) -> Award {
    Award(
        id: TestIDs.award, county: county, platformId: platformId, amount: amount, basis: basis,
        fiscalYear: fiscalYear, remarks: remarks, basisRef: basisRef
    )
}

// MARK: - Categories, levels and subtypes

@Suite("Platform categories, levels and subtypes")
struct PlatformCategoryTests {
    @Test("every category has POLICY.md's levels")
    func allowedLevels() {
        #expect(policyLevels.count == PlatformCategory.allCases.count)
        for (category, levels) in policyLevels {
            #expect(category.allowedLevels == levels, "\(category.rawValue)")
        }
    }

    @Test("each allowed level is accepted; the others are rejected naming the level", arguments: PlatformCategory.allCases)
    func levels(category: PlatformCategory) throws {
        let subtype = category.subtypes.first
        for level in Level.allCases {
            if category.allowedLevels.contains(level) {
                let result = try category.validate(level: level, subtype: subtype)
                #expect(result.level == level)
            } else {
                let error = expectDomainError(field: "level", "\(category.rawValue) \(level.rawValue)") {
                    _ = try category.validate(level: level, subtype: subtype)
                }
                #expect(error?.description.contains(category.planSection) == true)
            }
        }
        if category.allowedLevels.isEmpty {
            #expect(try category.validate(level: nil, subtype: subtype).level == nil)
        } else {
            let error = expectDomainError(field: "level") { _ = try category.validate(level: nil, subtype: subtype) }
            #expect(error?.description.contains("needs a level") == true)
        }
    }

    @Test("application scenarios need one of four subtypes")
    func scenarioSubtypes() throws {
        let category = PlatformCategory.applicationScenario
        #expect(category.subtypes == ["industrial", "energy_environment", "logistics", "smart_agriculture"])
        for subtype in category.subtypes {
            #expect(try category.validate(level: nil, subtype: subtype).subtype == subtype)
        }
        expectDomainError(field: "subtype") { _ = try category.validate(level: nil, subtype: nil) }
        expectDomainError(field: "subtype") { _ = try category.validate(level: nil, subtype: "") }
        expectDomainError(field: "subtype") { _ = try category.validate(level: nil, subtype: "agriculture") }
        expectDomainError(field: "subtype") { _ = try category.validate(level: nil, subtype: "Industrial") }
    }

    @Test("high-tech enterprises are new or imported, new by default")
    func enterpriseSubtypes() throws {
        let category = PlatformCategory.highTechEnterprise
        #expect(category.subtypes == ["new", "imported"])
        #expect(try category.validate(level: nil, subtype: nil).subtype == "new")
        #expect(try category.validate(level: nil, subtype: "").subtype == "new")
        #expect(try category.validate(level: nil, subtype: "imported").subtype == "imported")
        expectDomainError(field: "subtype") { _ = try category.validate(level: nil, subtype: "foreign") }
        expectDomainError(field: "level") { _ = try category.validate(level: .national, subtype: "new") }
    }

    @Test("categories without subtypes reject one", arguments: PlatformCategory.allCases.filter { $0.subtypes.isEmpty })
    func noSubtypes(category: PlatformCategory) throws {
        let level = category.allowedLevels.first
        expectDomainError(field: "subtype") { _ = try category.validate(level: level, subtype: "industrial") }
        // An empty subtype means none.
        #expect(try category.validate(level: level, subtype: "").subtype == nil)
        #expect(try category.validate(level: level, subtype: nil).subtype == nil)
    }

    @Test("only the two enterprise categories are enterprises")
    func enterprises() {
        #expect(PlatformCategory.allCases.filter(\.isEnterprise) == [.highTechEnterprise, .techSME])
    }

    @Test("categories parse from POLICY.md's keys and the plan's Chinese names", arguments: policyKeys)
    func categoryParsing(key: String, chinese: String, category: PlatformCategory) throws {
        #expect(category.rawValue == key)
        #expect(category.chineseName == chinese)
        #expect(try PlatformCategory(parsing: key) == category)
        #expect(try PlatformCategory(parsing: chinese) == category)
        #expect(try PlatformCategory(parsing: " \(key.uppercased()) ") == category)
    }

    @Test("unknown categories are rejected")
    func unknownCategory() {
        for text in ["lab", "", "key-lab", "重点实验"] {
            expectDomainError(field: "category", "\(text)") { _ = try PlatformCategory(parsing: text) }
        }
    }

    @Test("plan sections follow POLICY.md")
    func planSections() {
        #expect(PlatformCategory.keyLab.planSection == "四(二)1")
        #expect(PlatformCategory.enterpriseTechCenter.planSection == "四(二)2")
        #expect(PlatformCategory.pilotBase.planSection == "四(三)1")
        #expect(PlatformCategory.makerspace.planSection == "四(四)1")
        #expect(PlatformCategory.academicianPartner.planSection == "四(四)4")
        #expect(PlatformCategory.externalInnovationCenter.planSection == "四(四)6")
        #expect(PlatformCategory.applicationScenario.planSection == "四(五)")
    }

    @Test("levels parse from keys and Chinese names and order municipal < provincial < national")
    func levelParsing() throws {
        #expect(try Level(parsing: "national") == .national)
        #expect(try Level(parsing: " Provincial ") == .provincial)
        #expect(try Level(parsing: "市级") == .municipal)
        #expect(try Level(parsing: "省级") == .provincial)
        #expect(try Level(parsing: "国家级") == .national)
        for text in ["county", "", "县级", "nation"] {
            expectDomainError(field: "level", "\(text)") { _ = try Level(parsing: text) }
        }
        #expect(Level.municipal < .provincial)
        #expect(Level.provincial < .national)
        #expect(!(Level.national < .municipal))
        #expect(Level.allCases.sorted() == [.municipal, .provincial, .national])
    }
}

// MARK: - Calendar dates

@Suite("Calendar dates")
struct CalendarDateTests {
    @Test("valid dates parse and print back", arguments: [
        ("2022-06-09", 2022, 6, 9),
        ("2024-02-29", 2024, 2, 29),
        ("2000-02-29", 2000, 2, 29),
        ("1949-01-01", 1949, 1, 1),
        ("2100-12-31", 2100, 12, 31),
        ("2025-04-30", 2025, 4, 30),
        ("2019-01-31", 2019, 1, 31),
    ])
    func valid(text: String, year: Int, month: Int, day: Int) throws {
        let date = try CalendarDate(text)
        #expect(date.year == year)
        #expect(date.month == month)
        #expect(date.day == day)
        #expect(date.description == text)
    }

    @Test("surrounding spaces are ignored")
    func spaces() throws {
        #expect(try CalendarDate(" 2025-12-31 ").description == "2025-12-31")
    }

    @Test("impossible or malformed dates are rejected", arguments: [
        "2023-02-29",  // not a leap year
        "2100-02-29",  // century, not a leap year
        "2024-02-30",
        "2024-04-31",
        "2024-06-31",
        "2024-09-31",
        "2024-11-31",
        "2024-13-01",
        "2024-00-10",
        "2024-01-00",
        "2024-01-32",
        "1948-12-31",  // before 1949
        "2101-01-01",  // after 2100
        "1900-02-28",
        "2024-1-01",
        "2024-01-1",
        "24-01-01",
        "2024/01/01",
        "20240101",
        "2024-01-01-01",
        "2024-01-01T00:00",
        "",
        "date",
        "2024-+1-01",
        "2024-01-+1",
        "+202-01-01",
    ])
    func invalid(text: String) {
        expectDomainError(field: "date", "\(text)") { _ = try CalendarDate(text) }
    }

    @Test("the error names the field it was given")
    func customField() {
        expectDomainError(field: "recognized-on") { _ = try CalendarDate("2023-02-29", field: "recognized-on") }
    }

    @Test("dates order by year, month, day")
    func ordering() throws {
        let dates = try ["2023-01-01", "2022-06-10", "2022-07-01", "2022-06-09", "2021-12-31"].map { try CalendarDate($0) }
        #expect(dates.sorted().map(\.description) == ["2021-12-31", "2022-06-09", "2022-06-10", "2022-07-01", "2023-01-01"])
        #expect(try CalendarDate("2022-06-09") == CalendarDate("2022-06-09"))
        #expect(try CalendarDate("2022-12-01") < CalendarDate("2023-01-01"))
        #expect(try !(CalendarDate("2022-06-10") < CalendarDate("2022-06-09")))
    }

    @Test("JSON carries the date as text and rejects impossible dates")
    func coding() throws {
        let date = try CalendarDate("2022-06-09")
        let data = try JSONEncoder().encode(date)
        #expect(String(decoding: data, as: UTF8.self) == "\"2022-06-09\"")
        #expect(try JSONDecoder().decode(CalendarDate.self, from: data) == date)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CalendarDate.self, from: Data("\"2023-02-29\"".utf8))
        }
    }
}

// MARK: - Platforms

@Suite("Platform validation")
struct PlatformValidationTests {
    @Test("a valid platform is returned normalised")
    func normalises() throws {
        var input = platform(.highTechEnterprise, nil)
        input.name = "  唐山某科技有限公司 "
        input.hostOrg = "\t唐山某科技有限公司\n"
        input.creditCode = " 91350100m000100y43 "
        input.evaluation = "   "
        input.contact = " 张三 0315-1234567 "
        let valid = try input.validated()
        #expect(valid.name == "唐山某科技有限公司")
        #expect(valid.hostOrg == "唐山某科技有限公司")
        #expect(valid.creditCode == "91350100M000100Y43")
        #expect(valid.subtype == "new")
        #expect(valid.evaluation == nil)
        #expect(valid.contact == "张三 0315-1234567")
        #expect(valid.remarks == nil)
    }

    /// Text is judged by its end scalars before Foundation trims it: every scalar of the Basic
    /// Multilingual Plane that trimming takes off an end must be taken off, next to a CJK
    /// character (the path that does not read bytes) as next to an ASCII one. (Judged by
    /// `Character.isWhitespace`, a zero-width space at the end of a CJK name stayed.)
    @Test("every whitespace scalar at either end is trimmed, as Foundation trims it")
    func trimsEveryWhitespaceScalar() throws {
        var trimmed = 0
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            for core in ["唐山", "Tangshan"] {
                for text in [String(scalar) + core, core + String(scalar)] where text.trimmingCharacters(in: .whitespacesAndNewlines) != text {
                    var input = platform(.keyLab, .municipal)
                    input.name = text
                    #expect(try input.validated().name == core, "U+\(String(value, radix: 16, uppercase: true))")
                    trimmed += 1
                }
            }
        }
        #expect(trimmed == 4 * 26, "the whitespace and newline set has 26 scalars in the BMP")
    }

    @Test("every allowed category and level combination validates", arguments: PlatformCategory.allCases)
    func everyCategory(category: PlatformCategory) throws {
        let levels: [Level?] = category.allowedLevels.isEmpty ? [nil] : category.allowedLevels.map { $0 }
        for level in levels {
            let valid = try platform(category, level, subtype: category.subtypes.last).validated()
            #expect(valid.level == level)
            #expect(valid.category == category)
        }
    }

    @Test("a missing or disallowed level is rejected through validated()")
    func levelThroughValidated() {
        expectDomainError(field: "level") { _ = try platform(.keyLab, nil).validated() }
        expectDomainError(field: "level") { _ = try platform(.techInnovationPark, .provincial).validated() }
        expectDomainError(field: "level") { _ = try platform(.starInnovationSpace, .municipal).validated() }
        expectDomainError(field: "level") { _ = try platform(.techSME, .provincial).validated() }
        expectDomainError(field: "subtype") { _ = try platform(.applicationScenario, nil).validated() }
    }

    @Test("required text must be present and at most 200 characters")
    func requiredText() throws {
        var noName = platform()
        noName.name = "  "
        expectDomainError(field: "name") { _ = try noName.validated() }
        var noHost = platform()
        noHost.hostOrg = ""
        expectDomainError(field: "host-org") { _ = try noHost.validated() }
        var noIndustry = platform()
        noIndustry.industry = "\n"
        expectDomainError(field: "industry") { _ = try noIndustry.validated() }

        var longest = platform()
        longest.name = String(repeating: "钢", count: 200)
        #expect(try longest.validated().name.count == 200)
        var tooLong = platform()
        tooLong.name = String(repeating: "钢", count: 201)
        expectDomainError(field: "name") { _ = try tooLong.validated() }
        var longRemarks = platform()
        longRemarks.remarks = String(repeating: "x", count: 201)
        expectDomainError(field: "remarks") { _ = try longRemarks.validated() }
    }

    @Test("the credit code, id and county are checked")
    func identifiers() {
        var badCode = platform()
        badCode.creditCode = "91350100M000100Y44"
        expectDomainError(field: "credit-code") { _ = try badCode.validated() }
        var badID = platform()
        badID.id = "017F22E2-79B0-7CC3-98C4-DC0C0C07398F"
        expectDomainError(field: "id") { _ = try badID.validated() }
        expectDomainError(field: "county") { _ = try platform(county: "130206").validated() }
    }
}

// MARK: - Awards

@Suite("Award validation")
struct AwardValidationTests {
    @Test("an award within its rule validates and is returned normalised")
    func valid() throws {
        let valid = try award(amount: .yuan(100_000), remarks: "  首次认定 ").validated(for: platform())
        #expect(valid.amount == .yuan(100_000))
        #expect(valid.remarks == "首次认定")
        #expect(valid.status == .proposed)
        let blank = try award(amount: .yuan(50_000), remarks: " ").validated(for: platform())
        #expect(blank.remarks == nil)
    }

    @Test("an amount above the cap is rejected naming the amount, the category and the plan section")
    func aboveCap() {
        let error = expectDomainError(field: "amount") {
            _ = try award(amount: Fen(rawValue: 10_000_001)).validated(for: platform(.keyLab, .municipal))
        }
        #expect(error?.description.contains("key_lab (municipal)") == true)
        #expect(error?.description.contains("四(二)1") == true)
    }

    @Test("the award's county must be the platform's county")
    func countyMismatch() {
        let error = expectDomainError(field: "county") {
            _ = try award(amount: .yuan(100_000), county: "130203").validated(for: platform(county: "130202"))
        }
        #expect(error?.description.contains("130202") == true)
        #expect(error?.description.contains("130203") == true)
    }

    @Test("the award must be for the platform it is checked against")
    func platformMismatch() {
        let error = expectDomainError(field: "platform") {
            _ = try award(amount: .yuan(100_000), platformId: TestIDs.otherPlatform).validated(for: platform())
        }
        #expect(error == .notFound(kind: "platform", id: TestIDs.otherPlatform))
    }

    @Test("no award can be proposed for a revoked platform")
    func revokedPlatform() throws {
        let error = expectDomainError(field: "platform") {
            _ = try award(amount: .yuan(100_000)).validated(for: platform(status: .revoked))
        }
        #expect(error?.description.contains("revoked") == true)
        if case .invalid(_, let value, _) = error {
            #expect(value == TestIDs.platform)
        } else {
            Issue.record("expected .invalid, got \(String(describing: error))")
        }
        // The same award is fine while the platform is registered or recognised.
        _ = try award(amount: .yuan(100_000)).validated(for: platform(status: .registered))
        _ = try award(amount: .yuan(100_000)).validated(for: platform(status: .recognized))
    }

    @Test("a basis given to a capped or fixed rule is rejected naming the basis")
    func basisForRuleWithoutBasis() throws {
        let capped = expectDomainError(field: "basis") {
            _ = try award(amount: .yuan(100_000), basis: .yuan(1_000_000)).validated(for: platform(.keyLab, .municipal))
        }
        #expect(capped?.description.contains("takes no basis") == true)
        expectDomainError(field: "basis") {
            _ = try award(amount: .yuan(200_000), basis: .yuan(1_000_000)).validated(for: platform(.postdocStation, nil))
        }
        expectDomainError(field: "basis") {
            _ = try award(amount: .yuan(5), basis: .yuan(1)).validated(for: platform(.newRDInstitution, .provincial))
        }
        // Without the basis the same awards pass.
        _ = try award(amount: .yuan(100_000)).validated(for: platform(.keyLab, .municipal))
        _ = try award(amount: .yuan(200_000)).validated(for: platform(.postdocStation, nil))
    }

    @Test("proportional and matching rules need their basis")
    func basisRequired() throws {
        let pilot = platform(.pilotBase, .municipal)
        let missing = expectDomainError(field: "basis") { _ = try award(amount: .yuan(300_000)).validated(for: pilot) }
        #expect(missing?.description.contains("pilot_base") == true)
        // The basis alone is not enough: its source is named too.
        let unsourced = expectDomainError(field: "basis-ref") { _ = try award(amount: .yuan(300_000), basis: .yuan(1_000_000)).validated(for: pilot) }
        #expect(unsourced?.description.contains("equipment-investment project's number") == true)
        let ok = try award(amount: .yuan(300_000), basis: .yuan(1_000_000), basisRef: " tz 2025-017 ").validated(for: pilot)
        #expect(ok.basis == .yuan(1_000_000))
        #expect(ok.basisRef == "TZ2025-017")
        expectDomainError(field: "amount") {
            _ = try award(amount: Fen(rawValue: 30_000_001), basis: .yuan(1_000_000), basisRef: "TZ1").validated(for: pilot)
        }
        let partner = platform(.academicianPartner, .provincial)
        expectDomainError(field: "basis") { _ = try award(amount: .yuan(1)).validated(for: partner) }
        expectDomainError(field: "basis-ref") { _ = try award(amount: .yuan(1), basis: .yuan(1)).validated(for: partner) }
        _ = try award(amount: .yuan(800_000), basis: .yuan(800_000), basisRef: "冀科院〔2025〕3号").validated(for: partner)
        // A rule without a basis takes no source either.
        expectDomainError(field: "basis-ref") {
            _ = try award(amount: .yuan(100_000), basisRef: "HT1").validated(for: platform(.keyLab, .municipal))
        }
    }

    @Test("a basis reference is one text for one source: spaces, width and case folded; blank, long and invisible refused")
    func basisReferences() throws {
        #expect(try BasisSource.normalized("ht 2024-001") == "HT2024-001")
        #expect(try BasisSource.normalized("ＨＴ２０２４－００１") == "HT2024-001")
        #expect(try BasisSource.normalized("\u{3000}HT2024\u{3000}-001") == "HT2024-001")
        #expect(try BasisSource.normalized("冀科合〔2024〕12号") == "冀科合〔2024〕12号")
        // Normalising twice changes nothing: a stored reference is its own normal form.
        for text in ["ht 2024-001", "ＨＴ２０２４－００１", "ß-ǆ-ﬁ 1", "冀科合〔2024〕12号"] {
            let once = try BasisSource.normalized(text)
            #expect(try BasisSource.normalized(once) == once, "\(text)")
        }
        expectDomainError(field: "basis-ref") { _ = try BasisSource.normalized("   ") }
        expectDomainError(field: "basis-ref") { _ = try BasisSource.normalized(String(repeating: "9", count: BasisSource.maxLength + 1)) }
        _ = try BasisSource.normalized(String(repeating: "9", count: BasisSource.maxLength))
        expectDomainError(field: "basis-ref") { _ = try BasisSource.normalized("HT\u{200B}2024") }
        expectDomainError(field: "basis-ref") { _ = try BasisSource.normalized("HT\n2024") }
    }

    @Test("one source pays what its rule allows for it: the first basis stated holds, and the awards on it add up within the rule")
    func oneSource() throws {
        let contract = AwardRule.proportional(numerator: 1, denominator: 1000, cap: .yuan(200_000), basis: "technology-contract value")
        func on(_ ref: String, _ amount: Int64, basis: Int64, status: AwardStatus = .proposed) -> Award {
            Award(county: "130202", platformId: TestIDs.platform, amount: .yuan(amount), basis: .yuan(basis), fiscalYear: 2025, status: status, basisRef: ref)
        }
        // Three 150,000 awards on one 300,000,000 contract: the plan allows 200,000 on it.
        let first = on("HT1", 150_000, basis: 300_000_000)
        try BasisSource.check(.yuan(150_000), for: first, rule: contract, sharing: [])
        let second = on("HT1", 150_000, basis: 300_000_000)
        let over = expectDomainError(field: "amount") { try BasisSource.check(.yuan(150_000), for: second, rule: contract, sharing: [first]) }
        #expect(over?.description.contains("at most 50,000.00 yuan remains") == true)
        try BasisSource.check(.yuan(50_000), for: second, rule: contract, sharing: [first])
        // A rejected award, another source, and the award itself do not count.
        var rejected = first
        rejected.status = .rejected
        try BasisSource.check(.yuan(200_000), for: second, rule: contract, sharing: [rejected, on("HT2", 200_000, basis: 300_000_000), second])
        // The basis is the one first stated on the source, unless accepted with a reason.
        let other = on("HT1", 10_000, basis: 400_000_000)
        expectDomainError(field: "basis") { try BasisSource.check(.yuan(10_000), for: other, rule: contract, sharing: [first]) }
        #expect(try BasisSource.check(.yuan(10_000), for: other, rule: contract, sharing: [first], acceptDifferentBasis: true))
        // One grant matched once: 1:1 of 500,000 is 500,000 in all.
        let match = AwardRule.matching(numerator: 1, denominator: 1, basis: "provincial funding")
        let grant = on("冀科〔2025〕1号", 500_000, basis: 500_000, status: .approved)
        expectDomainError(field: "amount") { try BasisSource.check(.yuan(500_000), for: on("冀科〔2025〕1号", 500_000, basis: 500_000), rule: match, sharing: [grant]) }
    }

    @Test("zero, negative and unawardable amounts are rejected")
    func amounts() {
        expectDomainError(field: "amount") { _ = try award(amount: .zero).validated(for: platform()) }
        expectDomainError(field: "amount") { _ = try award(amount: Fen(rawValue: -1)).validated(for: platform()) }
        expectDomainError(field: "amount") {
            _ = try award(amount: .yuan(1)).validated(for: platform(.starInnovationSpace, .provincial))
        }
        expectDomainError(field: "amount") {
            _ = try award(amount: .yuan(200_000)).validated(for: platform(.highTechEnterprise, nil, subtype: "imported"))
        }
    }

    @Test("fiscal years are the plan's, 2022 to 2025")
    func fiscalYears() throws {
        _ = try award(amount: .yuan(1), fiscalYear: 2022).validated(for: platform())
        _ = try award(amount: .yuan(1), fiscalYear: 2025).validated(for: platform())
        expectDomainError(field: "fiscal-year") { _ = try award(amount: .yuan(1), fiscalYear: 2021).validated(for: platform()) }
        expectDomainError(field: "fiscal-year") { _ = try award(amount: .yuan(1), fiscalYear: 2026).validated(for: platform()) }
    }

    @Test("the seed's own Chinese spellings and subtypes are accepted, and a refusal lists the Chinese names")
    func chineseSpellings() throws {
        for (spelling, category) in [("科技型中小企业", PlatformCategory.techSME), ("省院士工作站", .academicianWorkstation),
                                     ("省院士合作重点单位", .academicianPartner), ("博士后创新实践基地", .postdocBase),
                                     ("技术创新战略联盟", .industryAlliance), ("科技成果中试基地", .pilotBase), ("科技成果转化中试基地", .pilotBase)] {
            #expect(try PlatformCategory(parsing: spelling) == category, "\(spelling)")
        }
        let refused = expectDomainError(field: "category") { _ = try PlatformCategory(parsing: "实验室") }
        #expect(refused?.description.contains("重点实验室") == true)
        let scenario = try platform(.applicationScenario, nil, subtype: "智慧农业").validated()
        #expect(scenario.subtype == "smart_agriculture")
        let imported = try platform(.highTechEnterprise, nil, subtype: "引进").validated()
        #expect(imported.subtype == "imported")
        // The seed's own words for the rest, and full-width brackets as input methods type them.
        for (spelling, subtype) in [("节能环保", "energy_environment"), ("物流服务", "logistics"), ("工业制造", "industrial"), ("能源环保", "energy_environment")] {
            #expect(try platform(.applicationScenario, nil, subtype: spelling).validated().subtype == subtype, "\(spelling)")
        }
        #expect(try platform(.highTechEnterprise, nil, subtype: "省外引进").validated().subtype == "imported")
        for (spelling, category) in [("技术交易机构", PlatformCategory.techTransferAgency), ("科技成果中试基地（平台）", .pilotBase),
                                     ("科技成果转化中试基地(平台)", .pilotBase)] {
            #expect(try PlatformCategory(parsing: spelling) == category, "\(spelling)")
        }
        let wrongSubtype = expectDomainError(field: "subtype") { _ = try platform(.applicationScenario, nil, subtype: "港口").validated() }
        #expect(wrongSubtype?.description.contains("logistics (物流服务)") == true, "\(wrongSubtype?.description ?? "")")
        #expect(PlanTarget.tangshan2025.contains { $0.chinese == "其中节能环保" } && PlanTarget.tangshan2025.contains { $0.chinese == "其中物流服务" })
        #expect(PlatformCategory.highTechEnterprise.planSection == "四(一)1" && PlatformCategory.techSME.planSection == "四(一)1")
    }

    @Test("free text refuses control characters, bidirectional overrides and invalid UTF-8")
    func unsafeText() throws {
        for bad in ["名\u{0}称", "名\u{1B}[31m称", "evil\u{202E}gnp.exe", "坏\u{FFFD}名", "a\u{2066}b", "del\u{7F}x", "c1\u{85}x", "c1\u{9F}x",
                    "arabic\u{061C}mark", "rtl\u{200F}mark", "pdi\u{2069}x"] {
            var lab = platform()
            lab.name = bad
            expectDomainError(field: "name", "\(bad.unicodeScalars.map { String($0.value, radix: 16) })") { _ = try lab.validated() }
        }
        var multiline = platform()
        multiline.remarks = "第一行\n第二行\t备注；“引号”\u{A0}é"
        _ = try multiline.validated()
    }

    @Test("the award id must be a lower-case UUID")
    func awardID() {
        var bad = award(amount: .yuan(1))
        bad.id = "award-1"
        expectDomainError(field: "id") { _ = try bad.validated(for: platform()) }
    }

    @Test("validated(for:policy:) applies the policy it is given")
    func customPolicy() throws {
        let strict = AwardPolicy { _, _, _ in .capped(.yuan(10)) }
        _ = try award(amount: .yuan(10)).validated(for: platform(), policy: strict)
        expectDomainError(field: "amount") { _ = try award(amount: .yuan(11)).validated(for: platform(), policy: strict) }
        // The default policy allows 100,000 yuan for a municipal key lab.
        _ = try award(amount: .yuan(100_000)).validated(for: platform())
    }
}
