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
    public enum Cell: Sendable, Hashable {
        case text(String)
        case money(Fen?)
        case number(Int)
    }

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
        var sheet = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#
            + #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#
            + #"<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#
            + "<sheetData>"
        let rows: [[Cell]] = [header.map(Cell.text)] + lines.map(cells)
        for (index, row) in rows.enumerated() {
            let number = index + 1
            sheet += #"<row r="\#(number)">"#
            for (column, cell) in row.enumerated() {
                let reference = "\(columnName(column))\(number)"
                switch cell {
                case .text(let text):
                    guard !text.isEmpty else { continue }
                    sheet += #"<c r="\#(reference)" t="inlineStr"\#(index == 0 ? #" s="1""# : "")><is><t xml:space="preserve">\#(escape(text))</t></is></c>"#
                case .money(let fen):
                    guard let fen else { continue }
                    sheet += #"<c r="\#(reference)" s="2"><v>\#(fen.formatted)</v></c>"#
                case .number(let value):
                    sheet += #"<c r="\#(reference)"><v>\#(value)</v></c>"#
                }
            }
            sheet += "</row>"
        }
        sheet += "</sheetData></worksheet>"
        let parts: [(String, String)] = [
            ("[Content_Types].xml", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#),
            ("_rels/.rels", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
            ("xl/workbook.xml", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="奖补 Awards" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
            ("xl/_rels/workbook.xml.rels", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#),
            ("xl/styles.xml", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>"#),
            ("xl/worksheets/sheet1.xml", sheet),
        ]
        let archive = try Archive(accessMode: .create)
        for (path, text) in parts {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), modificationDate: Date(timeIntervalSince1970: 1_577_836_800),
                                 compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        guard let data = archive.data else { throw DomainError.invalid(field: "format", value: "xlsx", rule: "the workbook could not be written") }
        return data
    }

    /// `A`…`Z`, `AA`… for a column index from 0.
    static func columnName(_ index: Int) -> String {
        var name = ""
        var rest = index + 1
        while rest > 0 {
            let digit = (rest - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + digit))) + name
            rest = (rest - 1) / 26
        }
        return name
    }

    /// Text for XML character data; characters XML 1.0 cannot hold at all are left out.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
