import Foundation
import SyncCore
import ZIPFoundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reading the first worksheet of an .xlsx workbook (Office Open XML) as Excel, WPS, LibreOffice
/// and openpyxl write it: shared and inline strings, numbers as written, booleans, and the
/// workbook's date system. Formulas are read as their last computed value; formatting is not read.
/// A cell of a written workbook: text, an amount of money, or a whole number.
public enum WorkbookCell: Sendable, Hashable {
    case text(String)
    case money(Fen?)
    case number(Int)
}

enum Workbook {
    /// The most any one part of the workbook may hold once unpacked: a sheet of platforms is far
    /// smaller, and a ZIP bomb stops here.
    static let maxPartBytes = 64 << 20

    /// `rows` as an .xlsx workbook of one sheet named `sheet`: the first row bold and frozen,
    /// amounts as numbers with two decimals, everything else text (a credit code stays text).
    static func xlsx(sheet name: String, rows: [[WorkbookCell]]) throws -> Data {
        var sheet = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#
            + #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#
            + #"<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#
            + "<sheetData>"
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
            ("xl/workbook.xml", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="\#(escape(name))" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
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

    static func firstSheet(_ data: Data) throws(DomainError) -> Sheet {
        let archive: Archive
        do { archive = try Archive(data: data, accessMode: .read) } catch {
            throw .invalid(field: "file", value: "xlsx", rule: "not a readable .xlsx workbook (the ZIP archive is damaged)")
        }
        let workbook = try part(archive, "xl/workbook.xml")
        let book = try parse(workbook, WorkbookReader())
        let relations = try parse(try part(archive, "xl/_rels/workbook.xml.rels"), RelationshipReader())
        guard let first = book.firstSheetRelation, let target = relations.targets[first] else {
            throw .invalid(field: "file", value: "xlsx", rule: "the workbook names no worksheet")
        }
        let path = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
        var strings: [String] = []
        if archive["xl/sharedStrings.xml"] != nil {
            strings = try parse(try part(archive, "xl/sharedStrings.xml"), SharedStringReader()).strings
        }
        let sheet = try parse(try part(archive, path), WorksheetReader(strings: strings))
        if let problem = sheet.problem { throw .invalid(field: "file", value: "xlsx", rule: problem) }
        return Sheet(records: sheet.records, date1904: book.date1904)
    }

    /// The unpacked bytes of one part of the archive.
    static func part(_ archive: Archive, _ path: String) throws(DomainError) -> Data {
        guard let entry = archive[path] else {
            throw .invalid(field: "file", value: "xlsx", rule: "the workbook lacks its part \(path); save it again from Excel, WPS or LibreOffice as .xlsx")
        }
        guard entry.uncompressedSize <= UInt64(maxPartBytes) else {
            throw .invalid(field: "file", value: "xlsx", rule: "its part \(path) unpacks to more than \(maxPartBytes >> 20) MiB")
        }
        var bytes = Data()
        do {
            _ = try archive.extract(entry) { chunk in
                guard bytes.count + chunk.count <= maxPartBytes else { throw CocoaError(.fileReadTooLarge) }
                bytes.append(chunk)
            }
        } catch {
            throw .invalid(field: "file", value: "xlsx", rule: "its part \(path) cannot be unpacked (damaged, or larger than \(maxPartBytes >> 20) MiB)")
        }
        return bytes
    }

    static func parse<Reader: XMLReader & XMLParserDelegate>(_ data: Data, _ reader: Reader) throws(DomainError) -> Reader {
        let parser = XMLParser(data: data)
        parser.delegate = reader
        parser.shouldResolveExternalEntities = false
        guard parser.parse() else {
            throw .invalid(field: "file", value: "xlsx", rule: "a part of the workbook is not well-formed XML (line \(parser.lineNumber))")
        }
        return reader
    }
}

/// What the XML delegates below share. Each declares `XMLParserDelegate` itself: a conformance
/// declared here would bind the protocol's default (empty) methods, and the subclasses' would
/// never be called.
class XMLReader: NSObject {
    /// Attribute `name` with or without a namespace prefix (`r:id`, `id`).
    static func attribute(_ attributes: [String: String], _ name: String) -> String? {
        attributes[name] ?? attributes.first { $0.key.hasSuffix(":" + name) }?.value
    }

    /// The element's local name (without its prefix).
    static func local(_ name: String) -> Substring {
        name.split(separator: ":").last ?? Substring(name)
    }
}

/// `xl/workbook.xml`: the first sheet's relation and the date system.
final class WorkbookReader: XMLReader, XMLParserDelegate {
    var firstSheetRelation: String?
    var date1904 = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
        switch Self.local(name) {
        case "workbookPr": date1904 = ["1", "true"].contains(attributes["date1904"]?.lowercased() ?? "")
        case "sheet" where firstSheetRelation == nil: firstSheetRelation = Self.attribute(attributes, "id")
        default: break
        }
    }
}

/// `xl/_rels/workbook.xml.rels`: where each relation points.
final class RelationshipReader: XMLReader, XMLParserDelegate {
    var targets: [String: String] = [:]

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
        if Self.local(name) == "Relationship", let id = attributes["Id"], let target = attributes["Target"] { targets[id] = target }
    }
}

/// `xl/sharedStrings.xml`: the strings cells refer to by index; phonetic guides (`rPh`) left out.
final class SharedStringReader: XMLReader, XMLParserDelegate {
    var strings: [String] = []
    private var current = ""
    private var inText = false
    private var phonetic = 0

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
        switch Self.local(name) {
        case "si": current = ""
        case "rPh": phonetic += 1
        case "t": inText = phonetic == 0
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch Self.local(name) {
        case "si": strings.append(current)
        case "rPh": phonetic -= 1
        case "t": inText = false
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current += string }
    }
}

/// A worksheet's rows: each cell by its column letters, as text or as a number.
final class WorksheetReader: XMLReader, XMLParserDelegate {
    let strings: [String]
    var records: [SheetRecord] = []
    var problem: String?
    private var row: [Int: SheetCell] = [:]
    private var rowNumber = 0
    private var column = -1
    private var type = "n"
    private var value = ""
    private var inValue = false
    private var inInline = false
    private var phonetic = 0

    init(strings: [String]) { self.strings = strings }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
        switch Self.local(name) {
        case "row":
            rowNumber = attributes["r"].flatMap { Int($0) } ?? rowNumber + 1
            row = [:]
            column = -1
        case "c":
            column = attributes["r"].flatMap(Self.column) ?? column + 1
            type = attributes["t"] ?? "n"
            value = ""
        case "v": inValue = true
        case "is": inInline = true
        case "rPh": phonetic += 1
        case "t" where inInline: inValue = phonetic == 0
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch Self.local(name) {
        case "v", "t": inValue = false
        case "is": inInline = false
        case "rPh": phonetic -= 1
        case "c":
            switch type {
            case "s":
                guard let index = Int(value), strings.indices.contains(index) else {
                    problem = problem ?? "row \(rowNumber): a cell refers to a shared string the workbook does not have"
                    return
                }
                row[column] = .text(strings[index])
            case "inlineStr", "str": row[column] = .text(value)
            case "b": row[column] = .text(value == "1" ? "TRUE" : "FALSE")
            case "e": row[column] = .text(value)
            default: if !value.isEmpty { row[column] = .number(value) }
            }
        case "row":
            guard let last = row.keys.max() else { return }
            guard last < 16_384 else {
                problem = problem ?? "row \(rowNumber): a cell lies beyond the last column a sheet can have"
                return
            }
            records.append(SheetRecord(line: rowNumber, cells: (0...last).map { row[$0] ?? .text("") }))
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inValue { value += string }
    }

    /// The 0-based column of a cell reference such as `AB12`.
    static func column(_ reference: String) -> Int? {
        var index = 0
        var letters = 0
        for scalar in reference.unicodeScalars {
            guard ("A"..."Z").contains(scalar) else { break }
            index = index * 26 + Int(scalar.value - 64)
            letters += 1
        }
        return letters == 0 || letters > 3 ? nil : index - 1
    }
}
