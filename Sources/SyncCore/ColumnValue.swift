/// One column's value as it travels in a change: SQL NULL, an integer or text.
public enum ColumnValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// SQL NULL.
    case null
    /// An INTEGER column (money in fen, years).
    case integer(Int64)
    /// A TEXT column.
    case text(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Text is the common case: try it first, since a failed attempt costs a thrown error.
        if container.decodeNil() {
            self = .null
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .integer(try container.decode(Int64.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .integer(let value): try container.encode(value)
        case .text(let value): try container.encode(value)
        }
    }

    /// The value as SQL would print it: `NULL`, `42`, `'text'`.
    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .text(let value): "'\(value)'"
        }
    }
}

extension ColumnValue {
    /// The value as a table cell shows it: the text, the digits, or NULL.
    public var cell: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .text(let value): value
        }
    }
}
