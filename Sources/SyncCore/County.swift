import Foundation

/// One county-level division that runs its own replica, identified by its GB/T 2260 code.
public struct County: Sendable, Hashable, Codable {
    /// Six-digit administrative division code, e.g. `130202`.
    public let code: String
    /// Chinese name, e.g. `路南区`.
    public let name: String
    /// English name, e.g. `Lunan`.
    public let englishName: String
    /// District, county, county-level city or functional zone.
    public let kind: String

    /// Creates a county entry.
    public init(code: String, name: String, englishName: String, kind: String) {
        self.code = code
        self.name = name
        self.englishName = englishName
        self.kind = kind
    }
}

/// The configured list of counties: configuration, not code, so another city or a province can
/// run the same software with its own list.
///
/// ```swift
/// let counties = CountyRegistry.tangshan
/// counties["130202"]?.name   // "路南区"
/// ```
public struct CountyRegistry: Sendable {
    /// The counties in configuration order.
    public let counties: [County]
    private let byCode: [String: County]

    /// Creates a registry; codes must be unique six-digit strings.
    public init(_ counties: [County]) throws(DomainError) {
        var byCode: [String: County] = [:]
        for county in counties {
            guard county.code.count == 6, county.code.allSatisfy(\.isASCIIDigit) else {
                throw .invalid(field: "county.code", value: county.code, rule: "a county code is six digits (GB/T 2260)")
            }
            guard byCode.updateValue(county, forKey: county.code) == nil else {
                throw .invalid(field: "county.code", value: county.code, rule: "county codes must be unique in the county list")
            }
        }
        guard !counties.isEmpty else {
            throw .invalid(field: "counties", value: "[]", rule: "the county list must not be empty")
        }
        self.counties = counties
        self.byCode = byCode
    }

    /// Reads a county list from JSON: `[{"code":"130202","name":"路南区","englishName":"Lunan","kind":"district"}, ...]`.
    public init(json: Data) throws(DomainError) {
        let decoded: [County]
        do {
            decoded = try JSONDecoder().decode([County].self, from: json)
        } catch {
            throw .invalid(field: "counties", value: "(file)", rule: "expected a JSON array of {code, name, englishName, kind}: \(error)")
        }
        try self.init(decoded)
    }

    /// The county with this code, if configured.
    public subscript(code: String) -> County? { byCode[code] }

    /// The county with this code, or an error naming the configured codes.
    public func county(_ code: String) throws(DomainError) -> County {
        guard let county = byCode[code] else {
            throw .invalid(field: "county", value: code, rule: "not a configured county (known: \(counties.map(\.code).joined(separator: ", ")))")
        }
        return county
    }

    /// Tangshan's 14 county-level divisions and its four functional zones (POLICY.md).
    public static let tangshan: CountyRegistry = {
        let rows: [(String, String, String, String)] = [
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
        // The literal list above is valid by construction; a failure here is a programming error.
        return try! CountyRegistry(rows.map { County(code: $0.0, name: $0.1, englishName: $0.2, kind: $0.3) })
    }()
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
