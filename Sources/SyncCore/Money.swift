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

    /// An amount as a person types it: yuan (`100000`, `1,250.50`, `100000元`) or 万元 (`10万`,
    /// `10.5万元`, up to six decimals), full-width digits read as ASCII. A bare number below 100 is
    /// refused with a question: the plan awards at least 2,000 yuan, so `10` was most likely meant
    /// as 10万; `10元` says yuan were meant.
    public init(typed text: String, field: String = "amount") throws(DomainError) {
        let folded = text.precomposedStringWithCompatibilityMapping.trimmingCharacters(in: .whitespaces)
        if folded.hasSuffix("万元") || folded.hasSuffix("万") {
            let number = String(folded.dropLast(folded.hasSuffix("万元") ? 2 : 1)).trimmingCharacters(in: .whitespaces)
            let parts = number.split(separator: ".", omittingEmptySubsequences: false)
            let rule = "expected 万元 with at most six decimals, e.g. 10万 or 12.5万"
            guard (1...2).contains(parts.count), (1...11).contains(parts[0].count), parts[0].allSatisfy(\.isASCIIDigit),
                  parts.count == 1 || ((1...6).contains(parts[1].count) && parts[1].allSatisfy(\.isASCIIDigit)) else {
                throw .invalid(field: field, value: text, rule: rule)
            }
            let decimals = parts.count == 2 ? String(parts[1]) + String(repeating: "0", count: 6 - parts[1].count) : "0"
            self.init(rawValue: Int64(parts[0])! * 1_000_000 + Int64(decimals)!)
            return
        }
        if folded.hasSuffix("元") {
            try self.init(yuan: String(folded.dropLast()).trimmingCharacters(in: .whitespaces), field: field)
            return
        }
        try self.init(yuan: folded, field: field)
        if rawValue > 0 && rawValue < 10_000 {
            throw .refused(field: field, value: text, message: .amountBelow100(folded, yuan: formatted, asWan: Fen(rawValue: rawValue * 10_000).grouped))
        }
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
