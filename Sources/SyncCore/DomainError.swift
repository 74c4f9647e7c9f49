/// Bad input rejected by a domain rule: names the field, the offending value and the rule.
public enum DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A field's value breaks a rule.
    case invalid(field: String, value: String, rule: String)
    /// A record that was referred to does not exist.
    case notFound(kind: String, id: String)

    /// The field the error is about.
    public var field: String {
        switch self {
        case .invalid(let field, _, _): field
        case .notFound(let kind, _): kind
        }
    }

    /// One line for a person: `credit code "91..." is invalid: check character should be "X"`.
    public var description: String {
        switch self {
        case .invalid(let field, let value, let rule):
            "\(field) \"\(value)\" is invalid: \(rule)"
        case .notFound(let kind, let id):
            "\(kind) \(id) not found"
        }
    }
}
