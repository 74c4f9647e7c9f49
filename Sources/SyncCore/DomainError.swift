/// Bad input rejected by a domain rule: names the field, the offending value and the rule.
public enum DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A field's value breaks a rule.
    case invalid(field: String, value: String, rule: String)
    /// A record that was referred to does not exist.
    case notFound(kind: String, id: String)
    /// A field's value breaks a rule the message catalogue words in English and Chinese.
    case refused(field: String, value: String, message: Message)

    /// The field the error is about.
    public var field: String {
        switch self {
        case .invalid(let field, _, _), .refused(let field, _, _): field
        case .notFound(let kind, _): kind
        }
    }

    /// One line for a person: `credit code "91..." is invalid: check character should be "X"`.
    public var description: String {
        switch self {
        case .invalid(let field, let value, let rule):
            "\(field) \"\(value)\" is invalid: \(rule)"
        case .refused(let field, let value, let message):
            "\(field) \"\(value)\" is invalid: \(message.en)"
        case .notFound(let kind, let id):
            "\(kind) \(id) not found"
        }
    }

    /// The rule broken, in English (what `description` says after the field and value).
    public var rule: String {
        switch self {
        case .invalid(_, _, let rule): rule
        case .refused(_, _, let message): message.en
        case .notFound: "not found"
        }
    }

    /// One line in `language`: a catalogued refusal in Chinese names the field by its Chinese
    /// heading; anything else reads as `description`.
    public func text(_ language: Language) -> String {
        guard language == .zh else { return description }
        switch self {
        case .refused(let field, let value, let message):
            return "\(Message.fieldName(field))“\(value)”不符合要求：\(message.zh)"
        case .notFound(let kind, let id):
            return "找不到\(Message.fieldName(kind)) \(id)（\(kind) \(id) not found）"
        case .invalid:
            return description
        }
    }
}
