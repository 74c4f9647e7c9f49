import Foundation

/// An amount of money in fen (分, 1/100 yuan). Money is integer fen everywhere; never floating point.
///
/// ```swift
/// try Fen(yuan: "1,000,000.50")  // Fen(rawValue: 100_000_050)
/// Fen.yuan(100_000).formatted       // "100000.00"
/// ```
public struct Fen: RawRepresentable, Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The amount in fen.
    public let rawValue: Int64

    /// Wraps an amount in fen.
    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// A whole number of yuan.
    public static func yuan(_ yuan: Int64) -> Fen { Fen(rawValue: yuan * 100) }

    /// Zero fen.
    public static let zero = Fen(rawValue: 0)

    /// Parses yuan as typed by a person: digits, optional `,` thousands separators, at most two decimals.
    public init(yuan text: String, field: String = "amount") throws(DomainError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let rule = "expected yuan with at most two decimals, e.g. 100000 or 1,250.50"
        if trimmed.hasPrefix("-") || trimmed.hasPrefix("−") {
            throw .invalid(field: field, value: text, rule: "an amount cannot be negative; give it in yuan, e.g. 100000")
        }
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty else {
            throw .invalid(field: field, value: text, rule: rule)
        }
        let whole = parts[0].filter { $0 != "," }
        guard !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit), whole.count <= 15 else {
            throw .invalid(field: field, value: text, rule: rule)
        }
        if parts[0].contains(",") {
            // Grouping must be real thousands grouping, not a stray comma.
            let groups = parts[0].split(separator: ",", omittingEmptySubsequences: false)
            guard groups.first.map({ (1...3).contains($0.count) }) == true,
                  groups.dropFirst().allSatisfy({ $0.count == 3 }) else {
                throw .invalid(field: field, value: text, rule: rule)
            }
        }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let decimals = parts[1]
            guard (1...2).contains(decimals.count), decimals.allSatisfy(\.isASCIIDigit) else {
                throw .invalid(field: field, value: text, rule: rule)
            }
            fraction = Int64(decimals)! * (decimals.count == 1 ? 10 : 1)
        }
        self.rawValue = Int64(whole)! * 100 + fraction
    }

    /// Yuan with two decimals and no grouping, as the CLI and CSV files write it: `1250.50`.
    public var formatted: String {
        let sign = rawValue < 0 ? "-" : ""
        let magnitude = rawValue.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// Yuan with thousands separators for people: `1,250.50`.
    public var grouped: String {
        let plain = formatted
        let sign = plain.hasPrefix("-") ? "-" : ""
        let body = plain.drop(while: { $0 == "-" })
        let whole = body.prefix(while: { $0 != "." })
        var out = ""
        for (index, digit) in whole.enumerated() {
            if index > 0, (whole.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return sign + out + body.drop(while: { $0 != "." })
    }

    /// `formatted` followed by the currency, for messages.
    public var description: String { "\(grouped) yuan" }

    public static func < (lhs: Fen, rhs: Fen) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The sum, saturating: money totals never wrap.
    public static func + (lhs: Fen, rhs: Fen) -> Fen {
        let (sum, overflow) = lhs.rawValue.addingReportingOverflow(rhs.rawValue)
        return Fen(rawValue: overflow ? (rhs.rawValue > 0 ? .max : .min) : sum)
    }

    /// The difference, saturating.
    public static func - (lhs: Fen, rhs: Fen) -> Fen {
        let (difference, overflow) = lhs.rawValue.subtractingReportingOverflow(rhs.rawValue)
        return Fen(rawValue: overflow ? (rhs.rawValue > 0 ? .min : .max) : difference)
    }

    /// This amount times `numerator / denominator`, rounded down to the fen.
    public func scaled(_ numerator: Int64, over denominator: Int64) -> Fen {
        let (product, overflow) = rawValue.multipliedReportingOverflow(by: numerator)
        if overflow { return Fen(rawValue: Int64.max / denominator) }
        return Fen(rawValue: product / denominator)
    }
}
