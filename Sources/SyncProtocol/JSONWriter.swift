import SyncCore

/// Writes JSON into a byte buffer, for the sync path's large documents (push batches, pull pages,
/// push answers). Strings without characters to escape are copied whole, integers are written
/// digit by digit, and nothing is allocated per value. The text is what `JSONText` has always
/// written: `"`, `\` and control characters escaped, everything else as UTF-8.
///
/// ```swift
/// var json = JSONWriter()
/// json.raw("{\"seq\":"); json.integer(42); json.raw(",\"table\":"); json.string("platform"); json.raw("}")
/// json.text   // {"seq":42,"table":"platform"}
/// ```
public struct JSONWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer, with room for `capacity` bytes.
    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// The bytes as a string.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends `literal` as it is (punctuation and keys the caller knows need no escaping).
    public mutating func raw(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends text that is already JSON (a frozen value map, for instance) as it is.
    public mutating func json(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends a JSON number.
    public mutating func integer(_ value: Int64) {
        if value == 0 { bytes.append(UInt8(ascii: "0")); return }
        if value == Int64.min { json(String(value)); return }
        var magnitude = value < 0 ? UInt64(-value) : UInt64(value)
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes of scratch, enough for 20 digits
        withUnsafeMutableBytes(of: &digits) { scratch in
            var index = scratch.count
            while magnitude > 0 {
                index -= 1
                scratch[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            bytes.append(contentsOf: scratch[index...])
        }
    }

    /// Appends `text` as a JSON string literal.
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case UInt8(ascii: "\n"): raw("\\n")
                case UInt8(ascii: "\r"): raw("\\r")
                case UInt8(ascii: "\t"): raw("\\t")
                default:
                    raw("\\u00")
                    bytes.append(Self.hexDigit(byte >> 4))
                    bytes.append(Self.hexDigit(byte & 0xF))
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// Appends a column value: `null`, a number or a string.
    public mutating func value(_ value: ColumnValue) {
        switch value {
        case .null: raw("null")
        case .integer(let integer): self.integer(integer)
        case .text(let text): string(text)
        }
    }

    /// Appends `{"hlc":n,"node":"..."}`.
    public mutating func version(_ version: ColumnVersion) {
        raw("{\"hlc\":")
        integer(version.hlc.rawValue)
        raw(",\"node\":")
        string(version.node)
        raw("}")
    }

    /// Appends `{"column":value,...}` with the keys sorted.
    public mutating func values(_ values: [String: ColumnValue]) {
        bytes.append(UInt8(ascii: "{"))
        for (index, key) in values.keys.sorted().enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(key)
            bytes.append(UInt8(ascii: ":"))
            value(values[key]!)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// Appends `{"column":{"hlc":n,"node":"..."},...}` with the keys sorted.
    public mutating func versions(_ versions: [String: ColumnVersion]) {
        bytes.append(UInt8(ascii: "{"))
        for (index, key) in versions.keys.sorted().enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(key)
            bytes.append(UInt8(ascii: ":"))
            version(versions[key]!)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// Appends one change of a push batch or a pull page, with its keys in the order
    /// `JSONText.pushRequest` has always used.
    public mutating func change(_ change: WireChange) {
        raw("{\"seq\":")
        integer(change.seq)
        raw(",\"table\":")
        string(change.table)
        raw(",\"rowId\":")
        string(change.rowId)
        raw(",\"op\":")
        string(change.op)
        raw(",\"hlc\":")
        integer(change.hlc)
        raw(",\"node\":")
        string(change.node)
        raw(",\"values\":")
        values(change.values)
        raw(",\"bases\":")
        versions(change.bases)
        if let actor = change.actor {
            raw(",\"actor\":")
            string(actor)
        }
        raw("}")
    }

    /// Appends one change with its keys sorted, as the aggregator's answers write them.
    public mutating func sortedChange(_ change: WireChange) {
        if let actor = change.actor {
            raw("{\"actor\":")
            string(actor)
            raw(",\"bases\":")
        } else {
            raw("{\"bases\":")
        }
        versions(change.bases)
        raw(",\"hlc\":")
        integer(change.hlc)
        raw(",\"node\":")
        string(change.node)
        raw(",\"op\":")
        string(change.op)
        raw(",\"rowId\":")
        string(change.rowId)
        raw(",\"seq\":")
        integer(change.seq)
        raw(",\"table\":")
        string(change.table)
        raw(",\"values\":")
        values(change.values)
        raw("}")
    }

    /// Appends a list of outcomes with their keys sorted, as in a push or return answer.
    public mutating func outcomes(_ outcomes: [ChangeOutcome]) {
        bytes.append(UInt8(ascii: "["))
        for (index, outcome) in outcomes.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            raw("{")
            if let message = outcome.message {
                raw("\"message\":")
                string(message)
                raw(",")
            }
            raw("\"outcome\":")
            string(outcome.outcome.rawValue)
            if let reason = outcome.reason {
                raw(",\"reason\":")
                string(reason)
            }
            raw(",\"seq\":")
            integer(outcome.seq)
            raw("}")
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
