import Foundation
import SyncCore

/// The platform sheet of `syncctl export platforms` and `syncctl import platforms`, as CSV or .xlsx.
///
/// The header names the columns, in any order: the Chinese headings the export writes (`名称`,
/// `类别`, `级别`, ...) or the English keys below. Files as Excel and WPS save them read as they
/// are: a `序号` column is ignored, blank rows and empty trailing header cells are skipped, dates
/// may be `2021/11/20` or `2021年11月20日`, and a category may carry its level (`省级重点实验室`).
/// What `export` writes, `import` reads back unchanged.
public enum PlatformSheet {
    /// The columns, in the order `export` writes them.
    public static let columns = [
        "id", "county", "name", "category", "level", "subtype", "host_org", "credit_code", "industry",
        "recognized_on", "status", "evaluation", "contact", "remarks",
    ]

    /// The Chinese heading `export` writes for each column.
    public static let headings: [String: String] = [
        "id": "编号", "county": "县区代码", "name": "名称", "category": "类别", "level": "级别", "subtype": "子类",
        "host_org": "依托单位", "credit_code": "统一社会信用代码", "industry": "行业", "recognized_on": "认定日期",
        "status": "状态", "evaluation": "评价结果", "contact": "联系人", "remarks": "备注",
    ]

    /// Chinese headings accepted for each column.
    static let aliases: [String: String] = Dictionary(uniqueKeysWithValues: headings.map { ($0.value, $0.key) }).merging([
        "区划代码": "county", "平台名称": "name", "平台类别": "category", "信用代码": "credit_code", "产业领域": "industry",
    ]) { first, _ in first }

    /// Headings of columns a sheet may carry for its reader and that import ignores: the running
    /// number clerks put in front.
    static let ignoredHeadings: Set<String> = ["序号", "序 号", "No.", "NO.", "no."]

    static let required = ["name", "category", "host_org", "credit_code", "industry"]

    /// One data row of an import: its line, whether it names its platform by id, and the
    /// platform, or why it is bad.
    public struct Row: Sendable {
        /// 1-based line (CSV) or row number (.xlsx) in the file.
        public let line: Int
        /// Whether the row gives the platform's id (else import finds it by credit code, category
        /// and name, or registers it).
        public let namesId: Bool
        /// The city's columns (status, recognition date, evaluation) the row fills in; a blank
        /// one leaves a platform's value as it is.
        public let cityColumnsGiven: Set<String>
        /// The platform read from the row, or the reason it could not be read.
        public let result: Result<Platform, DomainError>
    }

    /// The city's columns of a platform.
    public static let cityColumns: Set<String> = ["status", "recognized_on", "evaluation"]

    /// The heading of `column` as `export` writes it: `名称 name`.
    static func heading(_ column: String) -> String { headings[column] ?? column }

    /// Writes platforms as CSV, header first (Chinese headings).
    public static func encode(_ platforms: [Platform]) -> String {
        CSV.format(rows(platforms))
    }

    /// The header (Chinese headings) and one row of cells per platform, in `columns` order: what
    /// both the CSV and the workbook hold.
    static func rows(_ platforms: [Platform]) -> [[String]] {
        [columns.map(heading)] + platforms.map { platform in
            [platform.id, platform.county, platform.name, platform.category.rawValue, platform.level?.rawValue ?? "",
             platform.subtype ?? "", platform.hostOrg, platform.creditCode, platform.industry,
             platform.recognizedOn?.description ?? "", platform.status.rawValue, platform.evaluation ?? "",
             platform.contact ?? "", platform.remarks ?? ""]
        }
    }

    /// Writes platforms as an .xlsx workbook (one sheet 平台 Platforms, Chinese headings), every
    /// cell text, so a credit code keeps all 18 characters in Excel and WPS.
    public static func xlsx(_ platforms: [Platform]) throws -> Data {
        try Workbook.xlsx(sheet: "平台 Platforms", rows: rows(platforms).map { $0.map(WorkbookCell.text) })
    }

    /// Reads platforms from CSV text for `county` (see `decode(_:county:)`).
    public static func decode(_ text: String, county: String) throws(DomainError) -> [Row] {
        let records: [CSV.Record]
        do { records = try CSV.parse(text) } catch { throw .invalid(field: "file", value: "csv", rule: error.description) }
        return try decode(Sheet(records: records.map { SheetRecord(line: $0.line, cells: $0.fields.map(SheetCell.text)) }), county: county)
    }

    /// Reads platforms from a sheet for `county`. A header problem throws; a bad data row is
    /// returned as a failed `Row` so that every bad row can be reported at once.
    public static func decode(_ sheet: Sheet, county: String) throws(DomainError) -> [Row] {
        let records = sheet.records.filter { !$0.cells.allSatisfy(\.isBlank) }
        guard let header = records.first else {
            throw .invalid(field: "file", value: "sheet", rule: "the file is empty; expected a header line: \(columns.map(heading).joined(separator: ","))")
        }
        var names = header.cells.map { $0.text.trimmingCharacters(in: .whitespaces) }
        while names.last?.isEmpty == true { names.removeLast() }
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() {
            guard !name.isEmpty else {
                throw .invalid(field: "header", value: "", rule: "line \(header.line): column \(position + 1) has no heading; name it or delete the column")
            }
            if ignoredHeadings.contains(name) { continue }
            guard let key = columns.contains(name.lowercased()) ? name.lowercased() : aliases[name] else {
                throw .invalid(field: "header", value: name, rule: "line \(header.line): unknown column; expected \(columns.map { "\(heading($0)) (\($0))" }.joined(separator: ", "))")
            }
            guard index.updateValue(position, forKey: key) == nil else {
                throw .invalid(field: "header", value: name, rule: "line \(header.line): column \(heading(key)) (\(key)) appears twice")
            }
        }
        let missing = required.filter { index[$0] == nil }
        guard missing.isEmpty else {
            throw .invalid(field: "header", value: names.joined(separator: ","), rule: "line \(header.line): missing column\(missing.count > 1 ? "s" : "") \(missing.map { "\(heading($0)) (\($0))" }.joined(separator: ", "))")
        }
        return records.dropFirst().map { record in
            let filled = { (key: String) in index[key].map { $0 < record.cells.count && !record.cells[$0].isBlank } ?? false }
            return Row(line: record.line, namesId: filled("id"), cityColumnsGiven: cityColumns.filter(filled),
                result: Result { () throws(DomainError) -> Platform in try platform(record, index: index, width: names.count, sheet: sheet, county: county) })
        }
    }

    static func platform(_ record: SheetRecord, index: [String: Int], width: Int, sheet: Sheet, county: String) throws(DomainError) -> Platform {
        if let stray = record.cells.dropFirst(width).first(where: { !$0.isBlank }) {
            throw .invalid(field: "row", value: stray.text, rule: "a cell to the right of the last heading holds a value; the header has \(width) columns")
        }
        func cell(_ key: String) -> SheetCell? {
            guard let position = index[key], position < record.cells.count, !record.cells[position].isBlank else { return nil }
            return record.cells[position]
        }
        func field(_ key: String) -> String? { cell(key)?.text.trimmingCharacters(in: .whitespaces) }
        let (category, levelInCategory) = try category(field("category") ?? "")
        var level = try field("level").map { text throws(DomainError) in try Level(parsing: text) }
        if let levelInCategory {
            if let level, level != levelInCategory {
                throw .invalid(field: "level", value: level.chineseName, rule: "the category says \(levelInCategory.chineseName); give one level")
            }
            level = levelInCategory
        }
        return Platform(
            id: field("id") ?? RecordID.generate(), county: field("county") ?? county, name: field("name") ?? "",
            category: category, level: level,
            subtype: field("subtype"), hostOrg: field("host_org") ?? "",
            creditCode: try creditCode(cell("credit_code")), industry: field("industry") ?? "",
            recognizedOn: try cell("recognized_on").map { cell throws(DomainError) in try date(cell, sheet: sheet, field: "recognized_on") },
            status: try field("status").map { text throws(DomainError) in
                guard let status = PlatformStatus(rawValue: text) ?? statusNames[text] else {
                    throw .invalid(field: "status", value: text, rule: "expected one of \(PlatformStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return status
            } ?? .registered,
            evaluation: field("evaluation"), contact: field("contact"), remarks: field("remarks"))
    }

    /// Chinese status names accepted in a sheet.
    static let statusNames: [String: PlatformStatus] = ["已登记": .registered, "登记": .registered, "待认定": .registered,
                                                        "已认定": .recognized, "认定": .recognized, "已撤销": .revoked, "撤销": .revoked]

    /// The level words a category cell may begin with (`省级重点实验室`), longest first.
    static let levelWords: [(String, Level)] = [("国家级", .national), ("省级", .provincial), ("市级", .municipal),
                                                ("国家", .national), ("省", .provincial), ("市", .municipal)]

    /// Short names clerks type for a category.
    static let shortCategoryNames: [String: PlatformCategory] = ["孵化器": .incubator, "企业孵化器": .incubator, "孵化基地": .incubator]

    /// A category cell: a key or Chinese name, with or without a level word in front of it or
    /// in brackets after it (`省级重点实验室`, `重点实验室（省级）`).
    static func category(_ text: String) throws(DomainError) -> (PlatformCategory, Level?) {
        if let category = try? PlatformCategory(parsing: text) { return (category, nil) }
        let trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "（", with: "(").replacingOccurrences(of: "）", with: ")")
        if let short = shortCategoryNames[trimmed] { return (short, nil) }
        for (word, level) in levelWords {
            var rest: String?
            if trimmed.hasPrefix(word) { rest = String(trimmed.dropFirst(word.count)) }
            if trimmed.hasSuffix("(\(word))") { rest = String(trimmed.dropLast(word.count + 2)) }
            guard let rest, !rest.isEmpty else { continue }
            if let category = (try? PlatformCategory(parsing: rest)) ?? shortCategoryNames[rest] { return (category, level) }
        }
        return (try PlatformCategory(parsing: text), nil)
    }

    /// A credit code cell. Excel shows an 18-digit number as `9.11302E+17` and keeps 15 digits
    /// of it, so a code in scientific notation, or kept as a number, is refused with the way out.
    static func creditCode(_ cell: SheetCell?) throws(DomainError) -> String {
        guard let cell else { return "" }
        let text = cell.text.trimmingCharacters(in: .whitespaces)
        let scientific = text.contains { $0 == "E" || $0 == "e" } && text.allSatisfy { ("0"..."9").contains($0) || "Ee.+-".contains($0) }
        if case .number = cell {
            throw .invalid(field: "credit_code", value: text, rule: "the cell holds a number, which Excel keeps to 15 digits; format the 统一社会信用代码 column as text (设置单元格格式 → 文本), type the codes again and save")
        }
        if scientific {
            throw .invalid(field: "credit_code", value: text, rule: "Excel showed the code in scientific notation and kept only 15 of its digits; format the 统一社会信用代码 column as text (设置单元格格式 → 文本), type the codes again and save")
        }
        return text
    }

    /// A date cell: text as a sheet shows it, or a workbook's date number.
    static func date(_ cell: SheetCell, sheet: Sheet, field: String) throws(DomainError) -> CalendarDate {
        switch cell {
        case .text(let text): return try CalendarDate(sheet: text, field: field)
        case .number(let serial):
            guard let date = sheet.date(serial: serial) else {
                throw .invalid(field: field, value: serial, rule: "a number that is no date; format the column as a date or type it as 2021-11-20")
            }
            return date
        }
    }
}
