import Foundation
import SyncCore
import ZIPFoundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reading the first worksheet of an .xlsx workbook (Office Open XML) as Excel, WPS, LibreOffice
/// and openpyxl write it: shared and inline strings, numbers as written, booleans, and the
/// workbook's date system. Formulas are read as their last computed value; formatting is not read.
enum Workbook {
    /// The most any one part of the workbook may hold once unpacked: a sheet of platforms is far
    /// smaller, and a ZIP bomb stops here.
    static let maxPartBytes = 64 << 20

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
