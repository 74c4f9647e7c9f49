import Foundation
import Testing
import SyncCore

/// POLICY.md's county table, in its order.
private let policyCounties: [(code: String, name: String, englishName: String, kind: String)] = [
    ("130202", "路南区", "Lunan", "district"),
    ("130203", "路北区", "Lubei", "district"),
    ("130204", "古冶区", "Guye", "district"),
    ("130205", "开平区", "Kaiping", "district"),
    ("130207", "丰南区", "Fengnan", "district"),
    ("130208", "丰润区", "Fengrun", "district"),
    ("130209", "曹妃甸区", "Caofeidian", "district"),
    ("130224", "滦南县", "Luannan", "county"),
    ("130225", "乐亭县", "Laoting", "county"),
    ("130227", "迁西县", "Qianxi", "county"),
    ("130229", "玉田县", "Yutian", "county"),
    ("130281", "遵化市", "Zunhua", "county-level city"),
    ("130283", "迁安市", "Qian'an", "county-level city"),
    ("130284", "滦州市", "Luanzhou", "county-level city"),
    ("130271", "芦台经济开发区", "Lutai Economic Development Zone", "functional zone"),
    ("130272", "汉沽管理区", "Hangu Administrative Zone", "functional zone"),
    ("130273", "唐山高新技术产业开发区", "Tangshan High-tech Zone", "functional zone"),
    ("130274", "海港经济开发区", "Haigang Economic Development Zone", "functional zone"),
]

private func county(_ code: String, _ name: String = "某区") -> County {
    County(code: code, name: name, englishName: "Somewhere", kind: "district")
}

@Suite("County registry")
struct CountyRegistryTests {
    // MARK: - Tangshan defaults

    @Test("Tangshan has its 14 county-level divisions and 4 functional zones, in POLICY.md's order")
    func tangshanList() {
        let registry = CountyRegistry.tangshan
        #expect(registry.counties.count == 18)
        #expect(registry.counties.map(\.code) == policyCounties.map(\.code))
        #expect(Set(registry.counties.map(\.code)).count == 18)
        #expect(registry.counties.filter { $0.kind == "district" }.count == 7)
        #expect(registry.counties.filter { $0.kind == "county" }.count == 4)
        #expect(registry.counties.filter { $0.kind == "county-level city" }.count == 3)
        #expect(registry.counties.filter { $0.kind == "functional zone" }.count == 4)
    }

    @Test("each Tangshan code maps to its name, English name and kind", arguments: policyCounties)
    func tangshanEntry(code: String, name: String, englishName: String, kind: String) throws {
        let registry = CountyRegistry.tangshan
        let entry = try #require(registry[code])
        #expect(entry == County(code: code, name: name, englishName: englishName, kind: kind))
        #expect(try registry.county(code) == entry)
    }

    @Test("codes outside the list are unknown")
    func unknownCode() {
        let registry = CountyRegistry.tangshan
        for code in ["130206", "110101", "130200", "", "路南区", " 130202"] {
            #expect(registry[code] == nil, "\(code)")
        }
        let error = expectDomainError(field: "county") { _ = try registry.county("110101") }
        #expect(error?.description.contains("130202") == true)
        #expect(error?.description.contains("130274") == true)
    }

    // MARK: - Building a registry

    @Test("another list works the same way, in its own order")
    func customList() throws {
        let registry = try CountyRegistry([county("110105", "朝阳区"), county("110101", "东城区")])
        #expect(registry.counties.map(\.code) == ["110105", "110101"])
        #expect(registry["110101"]?.name == "东城区")
        #expect(registry["130202"] == nil)
    }

    @Test("duplicate codes are rejected")
    func duplicates() {
        let error = expectDomainError(field: "county.code") {
            _ = try CountyRegistry([county("130202", "路南区"), county("130203"), county("130202", "又一个")])
        }
        #expect(error?.description.contains("130202") == true)
        #expect(error?.description.contains("unique") == true)
    }

    @Test("codes that are not six ASCII digits are rejected", arguments: [
        "13020",
        "1302021",
        "13020a",
        "",
        " 130202",
        "130-02",
        "１３０２０２",
        "路南区路南区",
    ])
    func invalidCodes(code: String) {
        let error = expectDomainError(field: "county.code") { _ = try CountyRegistry([county("130202"), county(code)]) }
        #expect(error?.description.contains("six digits") == true)
    }

    @Test("an empty list is rejected")
    func emptyList() {
        expectDomainError(field: "counties") { _ = try CountyRegistry([]) }
    }

    // MARK: - JSON

    @Test("a county list loads from JSON")
    func loadsJSON() throws {
        let json = """
        [
          {"code": "130202", "name": "路南区", "englishName": "Lunan", "kind": "district"},
          {"code": "130283", "name": "迁安市", "englishName": "Qian'an", "kind": "county-level city"}
        ]
        """
        let registry = try CountyRegistry(json: Data(json.utf8))
        #expect(registry.counties.map(\.code) == ["130202", "130283"])
        #expect(registry["130283"] == County(code: "130283", name: "迁安市", englishName: "Qian'an", kind: "county-level city"))
        #expect(registry["130203"] == nil)
    }

    @Test("the Tangshan list survives a JSON round trip")
    func tangshanRoundTrip() throws {
        let data = try JSONEncoder().encode(CountyRegistry.tangshan.counties)
        let registry = try CountyRegistry(json: data)
        #expect(registry.counties == CountyRegistry.tangshan.counties)
    }

    @Test("JSON with duplicate or invalid codes is rejected like a literal list")
    func jsonRules() {
        let duplicate = """
        [{"code": "130202", "name": "a", "englishName": "a", "kind": "district"},
         {"code": "130202", "name": "b", "englishName": "b", "kind": "district"}]
        """
        expectDomainError(field: "county.code") { _ = try CountyRegistry(json: Data(duplicate.utf8)) }
        let invalid = """
        [{"code": "13020X", "name": "a", "englishName": "a", "kind": "district"}]
        """
        expectDomainError(field: "county.code") { _ = try CountyRegistry(json: Data(invalid.utf8)) }
        expectDomainError(field: "counties") { _ = try CountyRegistry(json: Data("[]".utf8)) }
    }

    @Test("malformed JSON is rejected", arguments: [
        "",
        "not json",
        "{\"code\": \"130202\"}",
        "[{\"code\": \"130202\", \"name\": \"路南区\"}]",
        "[{\"code\": 130202, \"name\": \"路南区\", \"englishName\": \"Lunan\", \"kind\": \"district\"}]",
    ])
    func malformedJSON(json: String) {
        expectDomainError(field: "counties") { _ = try CountyRegistry(json: Data(json.utf8)) }
    }

    // MARK: - Used by platform validation

    @Test("a platform must belong to a configured county")
    func platformCounty() throws {
        let beijing = try CountyRegistry([county("110101", "东城区")])
        let platform = Platform(
            id: TestIDs.platform, county: "110101", name: "某重点实验室", category: .keyLab, level: .municipal,
            hostOrg: "某大学", creditCode: validCreditCode, industry: "新材料"
        )
        #expect(try platform.validated(counties: beijing).county == "110101")
        expectDomainError(field: "county") { _ = try platform.validated() }
        var tangshan = platform
        tangshan.county = "130202"
        #expect(try tangshan.validated().county == "130202")
        expectDomainError(field: "county") { _ = try tangshan.validated(counties: beijing) }
    }
}
