import Foundation
import SyncCore
import ZIPFoundation

/// The awards as the finance bureau takes them away: one row per award, as CSV (UTF-8 with a
/// byte-order mark, which Excel needs to read Chinese; or GB18030) or as an .xlsx workbook.
/// Amounts are yuan with two decimals: numbers in the workbook, plain `1250.50` in CSV.
///
/// ```swift
/// let data = try AwardSheet.xlsx(lines)     // opens in Excel, WPS and LibreOffice
/// ```
public enum AwardSheet {
    /// A cell: text, or an amount of money.
    public typealias Cell = WorkbookCell

    /// The header row: Chinese first, as the bureau reads it, with the English beside it.
    public static let header: [String] = [
        "奖补编号 Award id", "县区代码 County", "县区 County name", "平台编号 Platform id", "平台名称 Platform", "依托单位 Host organisation",
        "统一社会信用代码 Credit code", "认定文号 Recognition document", "类别 Category", "级别 Level", "奖补规则 Rule", "方案条款 Clause", "依据金额(元) Basis (yuan)",
        "依据来源 Basis reference", "年度 Fiscal year", "状态 Status", "申报金额(元) Proposed (yuan)", "批准金额(元) Approved (yuan)",
        "批准日期 Approved on", "批准人 Approved by", "拨付金额(元) Disbursed (yuan)", "拨付日期 Disbursed on", "拨付登记人 Disbursed by",
    ]

    /// The cells of one award, in `header` order.
    public static func cells(_ line: AwardLine) -> [Cell] {
        rawCells(line).map { cell in
            // A control a raw write left in a name is shown as a mark in the finance bureau's sheet.
            if case .text(let text) = cell { return .text(DomainText.shown(text)) }
            return cell
        }
    }

    private static func rawCells(_ line: AwardLine) -> [Cell] {
        [
            .text(line.awardId), .text(line.county), .text(line.countyName), .text(line.platformId), .text(line.platformName),
            .text(line.hostOrg), .text(line.creditCode), .text(line.recognitionDocument ?? ""), .text(line.category), .text(line.level), .text(line.rule), .text(line.clause),
            .money(line.basis), .text(line.basisRef ?? ""), .number(line.fiscalYear), .text(line.status), .money(line.proposed),
            .money(line.approved), .text(line.approvedOn ?? ""), .text(line.approvedBy ?? ""), .money(line.disbursed),
            .text(line.disbursedOn ?? ""), .text(line.disbursedBy ?? ""),
        ]
    }

    /// The awards as CSV text in `encoding`; UTF-8 starts with a byte-order mark, so Excel reads
    /// the Chinese right.
    public static func csv(_ lines: [AwardLine], encoding: TextEncoding) throws(DomainError) -> Data {
        let rows = [header] + lines.map { line in
            cells(line).map { cell -> String in
                switch cell {
                case .text(let text): text
                case .money(let fen): fen?.formatted ?? ""
                case .number(let number): String(number)
                }
            }
        }
        let text = CSV.format(rows)
        switch encoding {
        case .utf8: return Data([0xEF, 0xBB, 0xBF]) + (try encoding.encode(text))
        case .gb18030, .utf16: return try encoding.encode(text)
        }
    }

    /// The awards as an .xlsx workbook (Office Open XML, one sheet 奖补 Awards): the header row
    /// bold and frozen, amounts as numbers with two decimals, everything else text.
    public static func xlsx(_ lines: [AwardLine]) throws -> Data {
        try Workbook.xlsx(sheet: "奖补 Awards", rows: [header.map(Cell.text)] + lines.map(cells))
    }
}
