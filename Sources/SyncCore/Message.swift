import Foundation

/// The language a person reads: Chinese when the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`, in
/// POSIX's order) starts with `zh`, English otherwise.
public enum Language: String, Sendable, Hashable {
    case en
    case zh

    /// The language of `environment`'s locale.
    public static func of(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Language {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        return locale.lowercased().hasPrefix("zh") ? .zh : .en
    }
}

/// One entry of the message catalogue: a stable code, and its English and Chinese text.
/// Programs match the code; people read the text in their language. `DomainError.refused`
/// carries one, so the CLI (and the consoles) say a refusal in the reader's language; the English
/// text is what the English-only releases said, word for word.
public struct Message: Sendable, Hashable {
    /// Stable, dotted: `text.empty`, `credit_code.check_character`, ...
    public let code: String
    public let en: String
    public let zh: String

    public init(code: String, en: String, zh: String) {
        self.code = code
        self.en = en
        self.zh = zh
    }

    /// The text in `language`.
    public func text(_ language: Language) -> String { language == .zh ? zh : en }

    /// The Chinese name of a field a person fills in, as the forms and sheets head it; the key
    /// itself for a field the catalogue does not name.
    public static func fieldName(_ field: String) -> String {
        fieldNames[field] ?? field
    }

    static let fieldNames: [String: String] = [
        "name": "名称", "category": "类别", "level": "级别", "subtype": "子类", "host_org": "依托单位",
        "credit_code": "统一社会信用代码", "credit code": "统一社会信用代码", "credit-code": "统一社会信用代码",
        "industry": "行业", "contact": "联系人", "remarks": "备注", "evaluation": "评价结果", "status": "状态",
        "recognized_on": "认定日期", "amount": "金额", "basis": "基数", "basis_ref": "基数来源", "fiscal_year": "年度",
        "confirm_amount": "确认金额", "county": "县区代码",
    ]
}

/// The catalogue: every message of a refusal a clerk meets while entering platforms and
/// amounts, in one place.
extension Message {
    public static let textEmpty = Message(code: "text.empty", en: "must not be empty", zh: "不能为空")

    public static func textTooLong(_ limit: Int) -> Message {
        Message(code: "text.too_long", en: "at most \(limit) characters", zh: "最多 \(limit) 个字")
    }

    public static func creditCodeLength(_ count: Int) -> Message {
        Message(code: "credit_code.length", en: "a unified social credit code has 18 characters, not \(count) (GB 32100-2015)",
                zh: "统一社会信用代码为 18 位，这里是 \(count) 位（GB 32100-2015）")
    }

    public static func creditCodeCharacter(_ character: Character) -> Message {
        Message(code: "credit_code.character", en: "character \"\(character)\" is not allowed (GB 32100-2015 uses 0-9 and A-Z without I, O, S, V, Z)",
                zh: "不能含字符“\(character)”（GB 32100-2015 只用 0-9 和除 I、O、S、V、Z 外的大写字母）")
    }

    public static let creditCodeZeros = Message(code: "credit_code.zeros", en: "a code of zeros is a placeholder, not a registration (GB 32100-2015)",
                                                zh: "全零的代码是占位符，不是登记的代码（GB 32100-2015）")

    public static func creditCodeAuthority(_ first: String) -> Message {
        Message(code: "credit_code.authority", en: "the first character names the registering authority (1 to 9, A, N or Y), not \"\(first)\" (GB 32100-2015)",
                zh: "第 1 位是登记管理部门代码（1 至 9、A、N 或 Y），不能是“\(first)”（GB 32100-2015）")
    }

    public static let creditCodeDivision = Message(code: "credit_code.division",
                                                   en: "characters 3 to 8 are an administrative division, not 000000: a placeholder, not a registration (GB 32100-2015)",
                                                   zh: "第 3 至 8 位是行政区划码，不能是 000000：这是占位符，不是登记的代码（GB 32100-2015）")

    public static func creditCodeCheck(expected: Character, found: Character) -> Message {
        Message(code: "credit_code.check_character", en: "check character should be \"\(expected)\", not \"\(found)\" (GB 32100-2015)",
                zh: "校验码应为“\(expected)”，不是“\(found)”，请核对代码（GB 32100-2015）")
    }

    public static func levelUnknown(_ keys: [String]) -> Message {
        Message(code: "level.unknown", en: "expected one of \(keys.joined(separator: ", "))", zh: "级别应为国家级、省级或市级")
    }

    public static func categoryUnknown(_ list: String) -> Message {
        Message(code: "category.unknown", en: "unknown category; expected one of \(list)",
                zh: "没有这个类别；类别应为：\(PlatformCategory.allCases.map(\.chineseName).joined(separator: "、"))")
    }

    public static func levelNotAllowed(category: PlatformCategory) -> Message {
        Message(code: "level.none", en: "category \(category.rawValue) has no level (plan \(category.planSection)); leave it empty",
                zh: "\(category.chineseName)不分级别（方案\(category.planSection)），请留空")
    }

    public static func levelNeeded(category: PlatformCategory) -> Message {
        Message(code: "level.needed",
                en: "category \(category.rawValue) needs a level: \(category.allowedLevels.map(\.rawValue).joined(separator: " or ")) (plan \(category.planSection))",
                zh: "\(category.chineseName)须填级别：\(category.allowedLevels.map(\.chineseName).joined(separator: "或"))（方案\(category.planSection)）")
    }

    public static func levelNotOfCategory(category: PlatformCategory) -> Message {
        Message(code: "level.not_allowed",
                en: "not allowed for category \(category.rawValue); allowed: \(category.allowedLevels.map(\.rawValue).joined(separator: ", ")) (plan \(category.planSection))",
                zh: "\(category.chineseName)没有这一级别；可填：\(category.allowedLevels.map(\.chineseName).joined(separator: "、"))（方案\(category.planSection)）")
    }

    public static func subtypeNone(category: PlatformCategory) -> Message {
        Message(code: "subtype.none", en: "category \(category.rawValue) has no subtypes; leave it empty", zh: "\(category.chineseName)不分子类，请留空")
    }

    public static func subtypeNeeded(category: PlatformCategory) -> Message {
        Message(code: "subtype.needed", en: "category \(category.rawValue) needs a subtype: \(category.subtypes.joined(separator: ", "))",
                zh: "\(category.chineseName)须填子类：\(category.subtypes.map { PlatformCategory.subtypeChineseNames[$0] ?? $0 }.joined(separator: "、"))")
    }

    public static func subtypeUnknown(category: PlatformCategory, names: [String]) -> Message {
        Message(code: "subtype.unknown", en: "not a subtype of \(category.rawValue); expected one of \(names.joined(separator: ", "))",
                zh: "不是\(category.chineseName)的子类；可填：\(category.subtypes.map { PlatformCategory.subtypeChineseNames[$0] ?? $0 }.joined(separator: "、"))")
    }

    public static func amountBelow100(_ typed: String, yuan: String, asWan: String) -> Message {
        Message(code: "amount.below_100",
                en: "\(yuan) yuan is less than 100 yuan; if 万元 was meant, write \(typed)万 (\(asWan) yuan); if yuan, write \(typed)元",
                zh: "金额不足 100 元：如指万元请写 \(typed)万（\(asWan) 元），如指元请写 \(typed)元")
    }
}

/// The Chinese names tables show for the plan's kinds and states (keys stay in JSON).
extension PlatformStatus {
    public var chineseName: String {
        switch self {
        case .registered: "已登记"
        case .recognized: "已认定"
        case .revoked: "已撤销"
        }
    }
}

extension AwardStatus {
    public var chineseName: String {
        switch self {
        case .proposed: "已申报"
        case .approved: "已批准"
        case .rejected: "未通过"
        case .disbursed: "已拨付"
        }
    }
}
