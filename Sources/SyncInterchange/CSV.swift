import Foundation

/// RFC 4180 CSV: comma-separated fields, double-quoted when they hold a comma, quote or line
/// break, records ended by CRLF or LF.
public enum CSV {
    /// One parsed record and the line of the file it starts on.
    public struct Record: Sendable, Hashable {
        /// 1-based line number where the record starts.
        public let line: Int
        /// The fields, unquoted.
        public let fields: [String]
    }

    /// The field separator of `text`: a tab when its first line holds tabs and no comma (Excel's
    /// "Unicode text" and text pasted from a sheet), a comma otherwise.
    public static func separator(of text: String) -> Unicode.Scalar {
        let firstLine = text.unicodeScalars.prefix { $0 != "\n" && $0 != "\r" }
        return firstLine.contains("\t") && !firstLine.contains(",") ? "\t" : ","
    }

    /// Parses `text` into records, fields separated by `separator` (by default as `separator(of:)`
    /// finds it); blank lines are skipped. Throws on an unterminated quote.
    public static func parse(_ text: String, separator: Unicode.Scalar? = nil) throws(CSVError) -> [Record] {
        let separator = separator ?? Self.separator(of: text)
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var quotedField = false
        var line = 1
        var recordLine = 1
        var scalars = Array(text.unicodeScalars)[...]

        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !quotedField) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields = []
            field = ""
            quotedField = false
        }

        while let scalar = scalars.popFirst() {
            if inQuotes {
                if scalar == "\"" {
                    if scalars.first == "\"" {
                        scalars.removeFirst()
                        field.unicodeScalars.append("\"")
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty && !quotedField:
                inQuotes = true
                quotedField = true
            case separator:
                fields.append(field)
                field = ""
                quotedField = false
            case "\r" where scalars.first == "\n":
                break
            case "\n", "\r":
                endRecord()
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { throw .unterminatedQuote(line: recordLine) }
        if !field.isEmpty || !fields.isEmpty || quotedField { endRecord() }
        return records
    }

    /// Formats records as CSV with CRLF line ends (what Excel writes and reads).
    public static func format(_ rows: [[String]]) -> String {
        rows.map { $0.map(quote).joined(separator: ",") + "\r\n" }.joined()
    }

    static func quote(_ field: String) -> String {
        let needsQuotes = field.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || field.first == " " || field.last == " "
        guard needsQuotes else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A CSV file that cannot be parsed at all.
public enum CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A quoted field runs to the end of the file.
    case unterminatedQuote(line: Int)

    /// One line for a person.
    public var description: String {
        switch self {
        case .unterminatedQuote(let line): "line \(line): a quoted field is never closed"
        }
    }
}
