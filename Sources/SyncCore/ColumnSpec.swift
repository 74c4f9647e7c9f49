/// What a replicated column may hold on the wire: its type, and the range or set of its values.
///
/// This is the shape a receiver checks before anything is written (see `ChangeCheck`): a value of
/// the wrong type or outside its range is a malformed change, refused whole. Finer rules that a
/// well-formed value can still break (a credit code's check character, an award above its cap)
/// are domain rules: such a change is parked, not refused.
public enum ColumnKind: Sendable, Hashable {
    /// Free text: valid UTF-8 with no NUL, within the receiver's byte limit per value.
    case text
    /// A county code: six digits.
    case countyCode
    /// A record id (lower-case UUID).
    case recordID
    /// One of a fixed set of strings.
    case oneOf([String])
    /// A calendar date, `YYYY-MM-DD`.
    case date
    /// A whole number in a range.
    case integer(ClosedRange<Int64>)
}

/// One replicated column: name, kind and whether it may be NULL.
public struct ColumnSpec: Sendable, Hashable {
    /// The SQL column name.
    public let name: String
    /// What its values may be.
    public let kind: ColumnKind
    /// Whether NULL is allowed.
    public let nullable: Bool

    /// Creates a column spec.
    public init(_ name: String, _ kind: ColumnKind, nullable: Bool = false) {
        self.name = name
        self.kind = kind
        self.nullable = nullable
    }

    /// Why `value` does not fit this column, or nil when it does. `maxTextBytes` bounds every text value.
    public func problem(with value: ColumnValue, maxTextBytes: Int) -> String? {
        switch value {
        case .null:
            return nullable ? nil : "must not be null"
        case .integer(let integer):
            guard case .integer(let range) = kind else { return "must be \(expectation), not the number \(integer)" }
            return range.contains(integer) ? nil : "must be between \(range.lowerBound) and \(range.upperBound), not \(integer)"
        case .text(let text):
            if case .integer = kind { return "must be a whole number, not text" }
            let bytes = text.utf8.count
            guard bytes <= maxTextBytes else { return "has \(bytes) bytes; at most \(maxTextBytes) are accepted" }
            guard !text.utf8.contains(0) else { return "must not contain a NUL character" }
            switch kind {
            case .text, .integer: return nil
            case .countyCode:
                return bytes == 6 && text.utf8.allSatisfy { (48...57).contains($0) } ? nil : "must be a six-digit county code"
            case .recordID:
                return RecordID.isValid(text) ? nil : "must be a lower-case UUID"
            case .oneOf(let allowed):
                return allowed.contains(text) ? nil : "must be one of \(allowed.joined(separator: ", "))"
            case .date:
                return (try? CalendarDate(text)) != nil && bytes == 10 ? nil : "must be a date YYYY-MM-DD"
            }
        }
    }

    private var expectation: String {
        switch kind {
        case .text: "text"
        case .countyCode: "a county code as text"
        case .recordID: "a record id as text"
        case .oneOf: "one of its values as text"
        case .date: "a date as text"
        case .integer: "a whole number"
        }
    }
}

/// The replicated tables as data: every column with its kind, in change-log mask order.
/// `SyncedTable` in the store takes its column lists from here, so the wire check and the
/// change log can never disagree about which columns exist.
public enum ReplicatedSchema {
    /// Most fen any money column may hold: 10^15 fen (ten trillion yuan), far beyond any award.
    public static let maxFen: Int64 = 1_000_000_000_000_000

    /// Columns of `platform`, `id` excluded.
    public static let platform: [ColumnSpec] = [
        ColumnSpec("county", .countyCode),
        ColumnSpec("name", .text),
        ColumnSpec("category", .oneOf(PlatformCategory.allCases.map(\.rawValue))),
        ColumnSpec("level", .oneOf(Level.allCases.map(\.rawValue)), nullable: true),
        ColumnSpec("subtype", .text, nullable: true),
        ColumnSpec("host_org", .text),
        ColumnSpec("credit_code", .text),
        ColumnSpec("industry", .text),
        ColumnSpec("recognized_on", .date, nullable: true),
        ColumnSpec("status", .oneOf(PlatformStatus.allCases.map(\.rawValue))),
        ColumnSpec("evaluation", .text, nullable: true),
        ColumnSpec("contact", .text, nullable: true),
        ColumnSpec("remarks", .text, nullable: true),
    ]

    /// Columns of `award`, `id` excluded.
    public static let award: [ColumnSpec] = [
        ColumnSpec("county", .countyCode),
        ColumnSpec("platform_id", .recordID),
        ColumnSpec("amount_fen", .integer(1...maxFen)),
        ColumnSpec("basis_fen", .integer(0...maxFen), nullable: true),
        ColumnSpec("fiscal_year", .integer(Int64(Award.fiscalYears.lowerBound)...Int64(Award.fiscalYears.upperBound))),
        ColumnSpec("status", .oneOf(AwardStatus.allCases.map(\.rawValue))),
        ColumnSpec("approved_amount_fen", .integer(1...maxFen), nullable: true),
        ColumnSpec("approved_on", .date, nullable: true),
        ColumnSpec("reject_reason", .text, nullable: true),
        ColumnSpec("remarks", .text, nullable: true),
        // The source the basis is taken from (a registered contract's number, an investment
        // project's, a grant's document number): added in county v17 and city v19.
        ColumnSpec("basis_ref", .text, nullable: true),
    ]

    /// The names of a replicated table's columns, in order, or nil for any other name.
    public static func columnNames(of table: String) -> [String]? {
        switch table {
        case "platform": platformNames
        case "award": awardNames
        default: nil
        }
    }

    private static let platformNames = platform.map(\.name)
    private static let awardNames = award.map(\.name)

    /// The columns of a replicated table, or nil for any other name.
    public static func columns(of table: String) -> [ColumnSpec]? {
        switch table {
        case "platform": platform
        case "award": award
        default: nil
        }
    }
}
