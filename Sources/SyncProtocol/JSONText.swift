import SyncCore

/// Compact JSON for the change log's hot path: `JSONEncoder` costs tens of microseconds per
/// small object on Linux, and stamping writes two or three objects per change. Keys are sorted,
/// so the text is the same as `JSONEncoder` with `.sortedKeys` would write.
public enum JSONText {
    /// `{"column":value,...}`.
    public static func values(_ values: [String: ColumnValue]) -> String {
        var out = "{"
        for (index, key) in values.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            appendString(key, to: &out)
            out += ":"
            switch values[key]! {
            case .null: out += "null"
            case .integer(let value): out += String(value)
            case .text(let value): appendString(value, to: &out)
            }
        }
        return out + "}"
    }

    /// `{"column":{"hlc":n,"node":"..."},...}`.
    public static func versions(_ versions: [String: ColumnVersion]) -> String {
        var out = "{"
        for (index, key) in versions.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            appendString(key, to: &out)
            let version = versions[key]!
            out += ":{\"hlc\":\(version.hlc.rawValue),\"node\":"
            appendString(version.node, to: &out)
            out += "}"
        }
        return out + "}"
    }

    /// One value: `null`, a number or a string.
    public static func value(_ value: ColumnValue) -> String {
        switch value {
        case .null: return "null"
        case .integer(let integer): return String(integer)
        case .text(let text):
            var out = ""
            appendString(text, to: &out)
            return out
        }
    }

    /// One version: `{"hlc":n,"node":"..."}`.
    public static func version(_ version: ColumnVersion) -> String {
        var out = "{\"hlc\":\(version.hlc.rawValue),\"node\":"
        appendString(version.node, to: &out)
        return out + "}"
    }

    /// Appends `text` as a JSON string literal.
    public static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// A push request as JSON, the same document `JSONEncoder` would write for it.
    public static func pushRequest(_ request: PushRequest) -> String {
        var out = "{\"node\":"
        appendString(request.node, to: &out)
        out += ",\"firstSeq\":\(request.firstSeq),\"lastSeq\":\(request.lastSeq),\"checksum\":"
        appendString(request.checksum, to: &out)
        if let base = request.epochBaseSeq { out += ",\"epochBaseSeq\":\(base)" }
        out += ",\"changes\":["
        for (index, change) in request.changes.enumerated() {
            if index > 0 { out += "," }
            out += "{\"seq\":\(change.seq),\"table\":"
            appendString(change.table, to: &out)
            out += ",\"rowId\":"
            appendString(change.rowId, to: &out)
            out += ",\"op\":"
            appendString(change.op, to: &out)
            out += ",\"hlc\":\(change.hlc),\"node\":"
            appendString(change.node, to: &out)
            out += ",\"values\":" + values(change.values) + ",\"bases\":" + versions(change.bases) + "}"
        }
        return out + "]}"
    }
}
