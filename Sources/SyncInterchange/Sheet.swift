import Foundation
import SyncCore

/// One cell of a sheet as its file holds it: text, or a number as the file writes it (an .xlsx
/// number cell; a CSV has text only).
public enum SheetCell: Sendable, Hashable {
    case text(String)
    case number(String)

    /// The cell as text: a number as the file writes it.
    public var text: String {
        switch self {
        case .text(let text), .number(let text): text
        }
    }

    /// Whether the cell holds nothing but spaces.
    public var isBlank: Bool { text.allSatisfy(\.isWhitespace) }
}

/// One row of a sheet and the line (CSV) or row number (.xlsx) it is on, counted from 1.
public struct SheetRecord: Sendable, Hashable {
    public let line: Int
    public let cells: [SheetCell]

    public init(line: Int, cells: [SheetCell]) {
        self.line = line
        self.cells = cells
    }
}

/// The rows of a sheet, header first, as read from a CSV file or the first worksheet of an
/// .xlsx workbook.
public struct Sheet: Sendable, Hashable {
    /// The rows with anything in them, in order.
    public var records: [SheetRecord]
    /// Whether the workbook counts dates from 1904 (Excel for Mac's old setting); a number in a
    /// date column is a day count from 1899-12-30 otherwise.
    public var date1904 = false

    public init(records: [SheetRecord], date1904: Bool = false) {
        self.records = records
        self.date1904 = date1904
    }

    /// Reads a file as a clerk's office saved it: an .xlsx workbook (found by its content, a ZIP
    /// archive), or CSV text in `encoding` (nil: found from the bytes, `TextEncoding.detect`),
    /// comma- or tab-separated. Throws naming what is wrong.
    public static func read(_ data: Data, encoding: TextEncoding? = nil) throws(DomainError) -> Sheet {
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return try Workbook.firstSheet(data) }
        let text = try (encoding ?? TextEncoding.detect(data)).decode(data)
        do {
            return Sheet(records: try CSV.parse(text).map { SheetRecord(line: $0.line, cells: $0.fields.map(SheetCell.text)) })
        } catch {
            throw .invalid(field: "file", value: "csv", rule: error.description)
        }
    }

    /// The calendar day of a spreadsheet's date number (its serial), or nil when it is none.
    public func date(serial text: String) -> CalendarDate? {
        guard let serial = Double(text), serial.isFinite, serial >= 1, serial < 2_958_466 else { return nil }
        // Day 0 is 1899-12-30 (Excel counts the 29th of February 1900 that never was), or 1904-01-01.
        let days = Int(serial.rounded(.down)) + (date1904 ? 1_462 : 0)
        let seconds = Double(days) * 86_400 - 2_209_161_600
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: seconds))
        guard let year = parts.year, let month = parts.month, let day = parts.day else { return nil }
        return try? CalendarDate(String(format: "%04d-%02d-%02d", year, month, day))
    }
}
