import Foundation

/// A calendar day written `YYYY-MM-DD`, validated (month lengths and leap years included).
public struct CalendarDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The year, 1949 to 2100.
    public let year: Int
    /// The month, 1 to 12.
    public let month: Int
    /// The day of the month.
    public let day: Int

    /// Parses `YYYY-MM-DD`.
    public init(_ text: String, field: String = "date") throws(DomainError) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
        let rule = "expected a date as YYYY-MM-DD"
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else {
            throw .invalid(field: field, value: text, rule: rule)
        }
        guard (1949...2100).contains(year) else {
            throw .invalid(field: field, value: text, rule: "year must be between 1949 and 2100")
        }
        guard (1...12).contains(month), (1...Self.days(inMonth: month, year: year)).contains(day) else {
            throw .invalid(field: field, value: text, rule: "no such day in the calendar")
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses a date as a spreadsheet on Chinese Windows shows it: `2021-11-20`, `2021/11/20`,
    /// `2021.11.20` or `2021年11月20日`, month and day with one digit or two, and a time of
    /// midnight after it (`2021/11/20 0:00`, a date cell WPS saved with its time) ignored.
    public init(sheet text: String, field: String = "date") throws(DomainError) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if let space = rest.firstIndex(of: " "), ["0:00", "00:00", "0:00:00", "00:00:00"].contains(rest[space...].trimmingCharacters(in: .whitespaces)) {
            rest = rest[..<space]
        }
        let rule = "expected a date such as 2021-11-20, 2021/11/20, 2021.11.20 or 2021年11月20日"
        var parts: [Substring] = []
        if rest.hasSuffix("日"), rest.contains("年"), rest.contains("月") {
            parts = rest.dropLast().split(omittingEmptySubsequences: false) { $0 == "年" || $0 == "月" }
        } else if let separator = rest.first(where: { $0 == "-" || $0 == "/" || $0 == "." }) {
            parts = rest.split(separator: separator, omittingEmptySubsequences: false)
        }
        guard parts.count == 3, parts[0].count == 4, (1...2).contains(parts[1].count), (1...2).contains(parts[2].count),
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }), let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else {
            throw .invalid(field: field, value: text, rule: rule)
        }
        let iso = String(format: "%04d-%02d-%02d", year, month, day)
        do { try self.init(iso, field: field) } catch {
            guard case .invalid(_, _, let why) = error else { throw error }
            throw .invalid(field: field, value: text, rule: why)
        }
    }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
