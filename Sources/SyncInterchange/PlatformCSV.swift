import Foundation
import SyncCore

/// The platform CSV format of `syncctl export platforms` and `syncctl import platforms`.
///
/// The header names the columns, in any order: the English keys below, or the Chinese headings
/// county offices use in Excel (`名称`, `类别`, `级别`, ...). Categories and levels may be given as
/// keys (`key_lab`, `provincial`) or in Chinese (`重点实验室`, `省级`). What `export` writes,
/// `import` reads back unchanged.
public enum PlatformCSV {
    /// The columns `export` writes, in order.
    public static let columns = [
        "id", "county", "name", "category", "level", "subtype", "host_org", "credit_code", "industry",
        "recognized_on", "status", "evaluation", "contact", "remarks",
    ]

    /// Chinese headings accepted for each column.
    static let aliases: [String: String] = [
        "编号": "id", "县区代码": "county", "区划代码": "county", "名称": "name", "平台名称": "name",
        "类别": "category", "平台类别": "category", "级别": "level", "子类": "subtype", "依托单位": "host_org",
        "统一社会信用代码": "credit_code", "信用代码": "credit_code", "行业": "industry", "产业领域": "industry",
        "认定日期": "recognized_on", "状态": "status", "评价结果": "evaluation", "联系人": "contact", "备注": "remarks",
    ]

    static let required = ["name", "category", "host_org", "credit_code", "industry"]

    /// One data row of an import: its line and the platform, or why it is bad.
    public struct Row: Sendable {
        /// 1-based line in the file.
        public let line: Int
        /// The platform read from the row, or the reason it could not be read.
        public let result: Result<Platform, DomainError>
    }

    /// Writes platforms as CSV, header first.
    public static func encode(_ platforms: [Platform]) -> String {
        let rows = platforms.map { platform in
            [platform.id, platform.county, platform.name, platform.category.rawValue, platform.level?.rawValue ?? "",
             platform.subtype ?? "", platform.hostOrg, platform.creditCode, platform.industry,
             platform.recognizedOn?.description ?? "", platform.status.rawValue, platform.evaluation ?? "",
             platform.contact ?? "", platform.remarks ?? ""]
        }
        return CSV.format([columns] + rows)
    }

    /// Reads platforms from CSV text for `county`. A header problem throws; a bad data row is
    /// returned as a failed `Row` so that every bad row can be reported at once.
    public static func decode(_ text: String, county: String) throws(DomainError) -> [Row] {
        let records: [CSV.Record]
        do { records = try CSV.parse(text) } catch { throw .invalid(field: "file", value: "csv", rule: error.description) }
        guard let header = records.first else {
            throw .invalid(field: "file", value: "csv", rule: "the file is empty; expected a header line: \(columns.joined(separator: ","))")
        }
        var index: [String: Int] = [:]
        for (position, raw) in header.fields.enumerated() {
            let name = raw.trimmingCharacters(in: .whitespaces)
            guard let key = columns.contains(name.lowercased()) ? name.lowercased() : aliases[name] else {
                throw .invalid(field: "header", value: name, rule: "line \(header.line): unknown column; expected \(columns.joined(separator: ", "))")
            }
            guard index.updateValue(position, forKey: key) == nil else {
                throw .invalid(field: "header", value: name, rule: "line \(header.line): column \(key) appears twice")
            }
        }
        let missing = required.filter { index[$0] == nil }
        guard missing.isEmpty else {
            throw .invalid(field: "header", value: header.fields.joined(separator: ","), rule: "line \(header.line): missing column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))")
        }
        return records.dropFirst().map { record in
            Row(line: record.line, result: Result { () throws(DomainError) -> Platform in
                guard record.fields.count <= header.fields.count else {
                    throw .invalid(field: "row", value: "\(record.fields.count) fields", rule: "the header has \(header.fields.count) columns")
                }
                func field(_ key: String) -> String? {
                    guard let position = index[key], position < record.fields.count else { return nil }
                    let value = record.fields[position].trimmingCharacters(in: .whitespaces)
                    return value.isEmpty ? nil : value
                }
                let id = field("id") ?? RecordID.generate()
                return Platform(
                    id: id, county: field("county") ?? county, name: field("name") ?? "",
                    category: try PlatformCategory(parsing: field("category") ?? ""),
                    level: try field("level").map { text throws(DomainError) in try Level(parsing: text) },
                    subtype: field("subtype"), hostOrg: field("host_org") ?? "",
                    creditCode: field("credit_code") ?? "", industry: field("industry") ?? "",
                    recognizedOn: try field("recognized_on").map { text throws(DomainError) in try CalendarDate(text, field: "recognized_on") },
                    status: try field("status").map { text throws(DomainError) in
                        guard let status = PlatformStatus(rawValue: text) else {
                            throw .invalid(field: "status", value: text, rule: "expected one of \(PlatformStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                        }
                        return status
                    } ?? .registered,
                    evaluation: field("evaluation"), contact: field("contact"), remarks: field("remarks"))
            })
        }
    }
}
