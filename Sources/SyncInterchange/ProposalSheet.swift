import Foundation
import SyncCore

/// The sheet of `syncctl import awards`: a county's award proposals, one per row, as CSV or .xlsx.
///
/// The header names the columns, in any order, in Chinese or by English key: the platform
/// (`平台编号`, or `统一社会信用代码` with `类别` where one enterprise has several platforms), the
/// amount (`申报金额`), its basis and the basis's source, the fiscal year, remarks, and the
/// award's own id (`奖补编号`) for a row that changes a proposal made before. A money column's
/// heading says its unit: `金额（万元）` is read in 万元 and converted to 元, `金额（元）` or
/// plain `金额` in 元; a cell may also say its own (`10万`, `100000元`). The finance export's
/// informational columns are ignored, and its city columns (状态, 批准金额, ...) must be blank: a
/// sheet cannot decide.
public enum ProposalSheet {
    /// A money column's unit, from its heading.
    public enum Unit: String, Sendable, Hashable {
        case yuan, wan
    }

    /// One data row: its line and the proposal it asks for, or why it cannot be read.
    public struct Row: Sendable {
        public let line: Int
        public let result: Result<ProposedAward, DomainError>
    }

    /// The columns, by key, with the Chinese headings accepted for each.
    static let headings: [String: String] = [
        "奖补编号": "id", "award_id": "id", "id": "id",
        "平台编号": "platform_id", "platform_id": "platform_id", "platform": "platform_id",
        "统一社会信用代码": "credit_code", "信用代码": "credit_code", "credit_code": "credit_code",
        "类别": "category", "平台类别": "category", "category": "category",
        "申报金额": "amount", "金额": "amount", "奖补金额": "amount", "amount": "amount",
        "依据金额": "basis", "基数": "basis", "basis": "basis",
        "依据来源": "basis_ref", "基数来源": "basis_ref", "basis_ref": "basis_ref",
        "年度": "fiscal_year", "fiscal_year": "fiscal_year",
        "备注": "remarks", "remarks": "remarks",
    ]

    /// Columns a sheet may carry for its reader that import ignores: the running number, and
    /// what the finance export shows beside an award.
    static let ignored: Set<String> = ["序号", "序 号", "no.", "县区代码", "县区", "平台名称", "依托单位", "认定文号", "级别", "奖补规则", "方案条款"]

    /// The city's columns of the finance export: decisions a sheet cannot make.
    static let cityColumns: Set<String> = ["状态", "批准金额", "批准日期", "批准人", "拨付金额", "拨付日期", "拨付登记人", "驳回理由", "status"]

    /// A heading as a key and, for money, its unit. The finance export's bilingual headings
    /// (`申报金额(元) Proposed (yuan)`) read by their Chinese part; full-width brackets as ASCII.
    static func key(of heading: String) -> (key: String, unit: Unit?)? {
        var text = heading.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "（", with: "(").replacingOccurrences(of: "）", with: ")")
        if let space = text.firstIndex(of: " "), text[..<space].unicodeScalars.contains(where: { $0.value >= 0x4E00 }) {
            text = String(text[..<space])
        }
        var unit: Unit?
        for (suffix, found) in [("(万元)", Unit.wan), ("万元", .wan), ("(万)", .wan), ("(元)", .yuan), ("元", .yuan), ("(yuan)", .yuan)]
        where text.hasSuffix(suffix) && text.count > suffix.count {
            text = String(text.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
            unit = found
            break
        }
        let lower = text.lowercased()
        if lower == "编号" { return ("ambiguous", nil) }
        if ignored.contains(lower) { return ("", nil) }
        if cityColumns.contains(lower) { return ("city:" + text, nil) }
        guard let key = headings[lower] else { return nil }
        return (key, ["amount", "basis"].contains(key) ? unit ?? .yuan : nil)
    }

    /// Reads the proposals of `sheet`. A header problem throws; a bad data row is returned as a
    /// failed `Row`, so every bad row is reported at once.
    public static func decode(_ sheet: Sheet) throws(DomainError) -> [Row] {
        let records = sheet.records.filter { !$0.cells.allSatisfy(\.isBlank) }
        let expected = "平台编号 (or 统一社会信用代码), 申报金额（元 or 万元）, 年度; optionally 奖补编号, 类别, 依据金额, 依据来源, 备注"
        guard let header = records.first else {
            throw .invalid(field: "file", value: "sheet", rule: "the file is empty; expected a header line: \(expected)")
        }
        var names = header.cells.map { $0.text.trimmingCharacters(in: .whitespaces) }
        while names.last?.isEmpty == true { names.removeLast() }
        var index: [String: Int] = [:], units: [String: Unit] = [:], city: [(name: String, at: Int)] = []
        for (position, name) in names.enumerated() {
            guard !name.isEmpty else {
                throw .invalid(field: "header", value: "", rule: "line \(header.line): column \(position + 1) has no heading; name it or delete the column")
            }
            guard let (key, unit) = key(of: name) else {
                throw .invalid(field: "header", value: name, rule: "line \(header.line): unknown column; expected \(expected)")
            }
            if key.isEmpty { continue }
            if key == "ambiguous" {
                throw .invalid(field: "header", value: name, rule: "line \(header.line): 编号 could be the platform's or the award's; head the column 平台编号 or 奖补编号")
            }
            if key.hasPrefix("city:") { city.append((name, position)); continue }
            guard index.updateValue(position, forKey: key) == nil else {
                throw .invalid(field: "header", value: name, rule: "line \(header.line): two columns give \(key)")
            }
            if let unit { units[key] = unit }
        }
        guard index["platform_id"] != nil || index["credit_code"] != nil, index["amount"] != nil, index["fiscal_year"] != nil else {
            throw .invalid(field: "header", value: names.joined(separator: ","), rule: "line \(header.line): expected the columns \(expected)")
        }
        return records.dropFirst().map { record in
            Row(line: record.line, result: Result { () throws(DomainError) -> ProposedAward in
                if let stray = record.cells.dropFirst(names.count).first(where: { !$0.isBlank }) {
                    throw .invalid(field: "row", value: stray.text, rule: "a cell to the right of the last heading holds a value; the header has \(names.count) columns")
                }
                if let filled = city.first(where: { $0.at < record.cells.count && !record.cells[$0.at].isBlank }) {
                    throw .invalid(field: filled.name, value: record.cells[filled.at].text,
                                   rule: "the column is the city's decision, which a sheet cannot make; leave it blank or delete it")
                }
                return try proposal(record, index: index, units: units)
            })
        }
    }

    static func proposal(_ record: SheetRecord, index: [String: Int], units: [String: Unit]) throws(DomainError) -> ProposedAward {
        func field(_ key: String) -> String? {
            guard let position = index[key], position < record.cells.count, !record.cells[position].isBlank else { return nil }
            return record.cells[position].text.trimmingCharacters(in: .whitespaces)
        }
        guard field("platform_id") != nil || field("credit_code") != nil else {
            throw .invalid(field: "platform_id", value: "", rule: "the row names no platform: give 平台编号 or 统一社会信用代码")
        }
        guard let amountText = field("amount") else { throw .invalid(field: "amount", value: "", rule: "the row has no 申报金额") }
        guard let yearText = field("fiscal_year") else { throw .invalid(field: "fiscal_year", value: "", rule: "the row has no 年度") }
        var yearDigits = yearText.hasSuffix("年") ? String(yearText.dropLast()) : yearText
        if yearDigits.hasSuffix(".0") { yearDigits.removeLast(2) }  // a number cell as some writers store it
        guard let year = Int(yearDigits) else {
            throw .invalid(field: "fiscal_year", value: yearText, rule: "a year such as 2025")
        }
        return ProposedAward(
            awardId: field("id"), platformId: field("platform_id"), creditCode: field("credit_code"),
            category: try field("category").map { text throws(DomainError) in try PlatformSheet.category(text).0 },
            amount: try money(amountText, unit: units["amount"] ?? .yuan, field: "amount"),
            basis: try field("basis").map { text throws(DomainError) in try money(text, unit: units["basis"] ?? .yuan, field: "basis") },
            basisRef: field("basis_ref"), fiscalYear: year, remarks: field("remarks"))
    }

    /// A money cell in its column's unit: a cell that says its own (`10万`, `100000元`) is read
    /// as it says; else a 万元 column's number is taken as 万, a 元 column's as yuan, with
    /// `Fen(typed:)`'s rules (a bare number under 100 yuan asks whether 万元 was meant).
    static func money(_ text: String, unit: Unit, field: String) throws(DomainError) -> Fen {
        let saysItsUnit = text.hasSuffix("万") || text.hasSuffix("万元") || text.hasSuffix("元")
        return try Fen(typed: saysItsUnit || unit == .yuan ? text : text + "万", field: field)
    }
}
