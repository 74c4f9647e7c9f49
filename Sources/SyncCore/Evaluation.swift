import Foundation

/// A performance-evaluation result (绩效评价), recorded by the city for a recognised platform and
/// a year. A tech innovation park's award follows it (plan 四(三)2: "按绩效评价结果给予不高于50万元"),
/// and a failed evaluation is where the orderly exit (有序退出, 五(五)) starts.
public enum EvaluationResult: String, Sendable, Hashable, Codable, CaseIterable {
    case excellent, good, pass, fail

    /// The plan's word for the result.
    public var chinese: String {
        switch self {
        case .excellent: "优秀"
        case .good: "良好"
        case .pass: "合格"
        case .fail: "不合格"
        }
    }

    /// Whether the result supports an award.
    public var supportsAward: Bool { self != .fail }

    /// Reads a result from its key or its Chinese word; throws naming every accepted spelling.
    public init(parsing text: String) throws(DomainError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let result = Self.allCases.first(where: { $0.rawValue == trimmed.lowercased() || $0.chinese == trimmed }) else {
            throw .invalid(field: "result", value: text,
                           rule: "expected one of " + Self.allCases.map { "\($0.chinese) (\($0.rawValue))" }.joined(separator: ", "))
        }
        self = result
    }
}

/// One evaluation as the platform's replicated `evaluation` column holds the latest: `2024 良好`.
public struct Evaluation: Sendable, Hashable {
    public let year: Int
    public let result: EvaluationResult

    public init(year: Int, result: EvaluationResult) {
        self.year = year
        self.result = result
    }

    /// `2024 良好`.
    public var text: String { "\(year) \(result.chinese)" }

    /// The evaluation in a column's text, if it is one.
    public init?(text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 2, let year = Int(parts[0]), let result = try? EvaluationResult(parsing: String(parts[1])) else { return nil }
        self.init(year: year, result: result)
    }
}
