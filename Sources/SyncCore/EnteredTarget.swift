import Foundation

/// A 2025 target of the plan that the platform register cannot count (technology-contract
/// turnover, the high-tech industry's share, commissioners, leading enterprises, people
/// trained): the city enters a figure per year, and the progress report shows it beside the
/// counted targets.
public struct EnteredTarget: Sendable, Hashable {
    /// How a target's yearly figures make its standing.
    public enum Reading: String, Sendable, Hashable, Codable {
        /// The latest year's figure is the standing (达到: a level reached).
        case latest
        /// The years' figures add up (a total over the plan: people trained).
        case cumulative
    }

    public let key: String
    public let chinese: String
    public let description: String
    /// 亿元, %, 名, 家, 人次.
    public let unit: String
    /// The goal, in `unit`.
    public let goal: Decimal
    public let reading: Reading
    /// The largest figure a year may have (a share is at most 100 %).
    public let maximum: Decimal

    /// Reads a figure typed by a person: digits with at most two decimals (thousands separators
    /// allowed), from 0 to `maximum`. Throws naming the target and the rule.
    public func figure(_ text: String) throws(DomainError) -> Decimal {
        let plain = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")
        let pattern = /^[0-9]{1,13}(\.[0-9]{1,2})?$/
        guard plain.wholeMatch(of: pattern) != nil, let value = Decimal(string: plain, locale: Locale(identifier: "en_US_POSIX")) else {
            throw .invalid(field: "value", value: text, rule: "\(key) (\(chinese)) is a figure in \(unit), with at most two decimals")
        }
        guard value <= maximum else {
            throw .invalid(field: "value", value: text, rule: "\(key) (\(chinese)) is at most \(maximum) \(unit)")
        }
        return value
    }

    /// The targets of POLICY.md the register cannot count, as Tangshan's plan states them.
    public static let tangshan2025: [EnteredTarget] = [
        EnteredTarget(key: "tech_contract_turnover", chinese: "技术合同成交额", description: "technology-contract turnover", unit: "亿元",
                      goal: 200, reading: .latest, maximum: 1_000_000),
        EnteredTarget(key: "high_tech_share", chinese: "高新技术产业增加值占规模以上工业比重", description: "share of high-tech industry in industrial value added",
                      unit: "%", goal: Decimal(string: "15.7")!, reading: .latest, maximum: 100),
        EnteredTarget(key: "agri_commissioners", chinese: "农业科技特派员", description: "agricultural tech commissioners", unit: "名",
                      goal: 100, reading: .latest, maximum: 1_000_000),
        EnteredTarget(key: "agri_leading_enterprises", chinese: "省级农业产业化龙头企业", description: "provincial agricultural leading enterprises",
                      unit: "家", goal: 110, reading: .latest, maximum: 1_000_000),
        EnteredTarget(key: "trainees", chinese: "培训专业技术骨干", description: "technical staff trained", unit: "人次",
                      goal: 3_000, reading: .cumulative, maximum: 10_000_000),
        EnteredTarget(key: "large_enterprises", chinese: "开展平台建设的大企业", description: "large enterprises leading platform building",
                      unit: "家", goal: 3, reading: .latest, maximum: 1_000_000),
    ]

    /// The target called `key`; throws listing the keys.
    public static func named(_ key: String) throws(DomainError) -> EnteredTarget {
        guard let target = tangshan2025.first(where: { $0.key == key || $0.chinese == key }) else {
            throw .invalid(field: "target", value: key, rule: "expected one of " + tangshan2025.map { "\($0.key) (\($0.chinese))" }.joined(separator: ", "))
        }
        return target
    }
}
