import Foundation

/// Where a platform stands with the city: registered by a county, recognised (认定) or revoked.
public enum PlatformStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Entered by the county, not yet recognised by the city.
    case registered
    /// Recognised by the city (认定).
    case recognized
    /// Withdrawn by the city (有序退出).
    case revoked
}

/// A science-and-technology platform or enterprise registered by a county office.
///
/// Values are plain data; `validated()` checks every rule of POLICY.md that a single record can break.
public struct Platform: Sendable, Hashable, Codable {
    /// Time-ordered id (UUIDv7), made where the record is created.
    public var id: String
    /// The county that owns the row.
    public var county: String
    /// The platform's name.
    public var name: String
    /// What kind of platform or enterprise this is.
    public var category: PlatformCategory
    /// National, provincial or municipal; nil for categories without a level.
    public var level: Level?
    /// Scenario kind or enterprise origin, for the categories that have one.
    public var subtype: String?
    /// The host organisation (依托单位).
    public var hostOrg: String
    /// The host organisation's unified social credit code.
    public var creditCode: String
    /// The industry field, e.g. 钢铁冶金.
    public var industry: String
    /// The date of recognition, for platforms recognised before they were entered.
    public var recognizedOn: CalendarDate?
    /// Registered, recognised or revoked.
    public var status: PlatformStatus
    /// The city's latest performance-evaluation result (绩效评价).
    public var evaluation: String?
    /// Contact person and telephone.
    public var contact: String?
    /// Free remarks.
    public var remarks: String?

    /// Creates a platform value; call `validated()` before storing it.
    public init(
        id: String = RecordID.generate(), county: String, name: String, category: PlatformCategory,
        level: Level?, subtype: String? = nil, hostOrg: String, creditCode: String, industry: String,
        recognizedOn: CalendarDate? = nil, status: PlatformStatus = .registered, evaluation: String? = nil,
        contact: String? = nil, remarks: String? = nil
    ) {
        self.id = id
        self.county = county
        self.name = name
        self.category = category
        self.level = level
        self.subtype = subtype
        self.hostOrg = hostOrg
        self.creditCode = creditCode
        self.industry = industry
        self.recognizedOn = recognizedOn
        self.status = status
        self.evaluation = evaluation
        self.contact = contact
        self.remarks = remarks
    }

    /// The longest name, host organisation or remark accepted.
    public static let maxTextLength = 200

    /// Checks every single-record rule and returns the value normalised (trimmed text, upper-case
    /// credit code, default subtype); throws naming the first field that breaks a rule.
    public func validated(counties: CountyRegistry = .tangshan) throws(DomainError) -> Platform {
        var copy = self
        guard RecordID.isValid(id) else {
            throw .invalid(field: "id", value: id, rule: "expected a lower-case UUID")
        }
        _ = try counties.county(county)
        copy.name = try Self.requiredText(name, field: "name", singleLine: true)
        copy.hostOrg = try Self.requiredText(hostOrg, field: "host-org", singleLine: true)
        copy.industry = try Self.requiredText(industry, field: "industry", singleLine: true)
        copy.creditCode = try CreditCode(creditCode, field: "credit-code").value
        (copy.level, copy.subtype) = try category.validate(level: level, subtype: subtype)
        copy.evaluation = try Self.optionalText(evaluation, field: "evaluation")
        copy.contact = try Self.optionalText(contact, field: "contact")
        copy.remarks = try Self.optionalText(remarks, field: "remarks")
        return copy
    }

    static func requiredText(_ text: String, field: String, singleLine: Bool = false) throws(DomainError) -> String {
        // Most values need no trimming; checking the ends first avoids Foundation's slower path.
        let trimmed = hasOuterWhitespace(text) ? text.trimmingCharacters(in: .whitespacesAndNewlines) : text
        guard !trimmed.isEmpty else {
            throw .refused(field: field, value: text, message: .textEmpty)
        }
        if singleLine { try DomainText.checkLine(trimmed, field: field) } else { try DomainText.check(trimmed, field: field) }
        guard trimmed.utf8.count <= maxTextLength || trimmed.count <= maxTextLength else {
            throw .refused(field: field, value: String(trimmed.prefix(20)) + "…", message: .textTooLong(maxTextLength))
        }
        return trimmed
    }

    /// Whether `text` is empty or starts or ends with whitespace (what trimming would remove).
    /// Trimming takes Unicode scalars off the ends, so the end scalars are judged, ASCII ones from
    /// their bytes.
    static func hasOuterWhitespace(_ text: String) -> Bool {
        guard let first = text.utf8.first, let last = text.utf8.last else { return true }
        func asciiSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        if first < 0x80, last < 0x80 { return asciiSpace(first) || asciiSpace(last) }
        guard let head = text.unicodeScalars.first, let tail = text.unicodeScalars.last else { return true }
        return isWhitespace(head) || isWhitespace(tail)
    }

    /// Whether trimming takes `scalar` off an end: `CharacterSet.whitespacesAndNewlines`, which
    /// is Unicode's White_Space property and the zero-width space (U+200B), as a table. (A
    /// `Character`'s `isWhitespace` leaves U+200B out, and the property look-up of the standard
    /// library searches all of Unicode for every call.)
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200B, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    static func optionalText(_ text: String?, field: String) throws(DomainError) -> String? {
        guard let text else { return nil }
        // Blank text is no text; only text with whitespace at an end can be blank.
        if hasOuterWhitespace(text), text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return nil }
        return try requiredText(text, field: field)
    }
}
