import GRDB
import SyncCore

/// What an import did.
public struct ImportSummary: Sendable, Hashable, Codable {
    /// New platforms.
    public var inserted = 0
    /// Existing platforms whose fields changed.
    public var updated = 0
    /// Existing platforms already as in the file.
    public var unchanged = 0
}

extension CountyDatabase {
    /// Imports platforms all-or-nothing: a row whose id exists updates that platform, any other row
    /// is inserted. If any row is bad, nothing is written and the error lists every bad row.
    @discardableResult
    public func importPlatforms(_ rows: [(line: Int, result: Result<Platform, DomainError>)]) throws -> ImportSummary {
        var problems: [(line: Int, reason: String)] = []
        var valid: [Platform] = []
        var lineOfId: [String: Int] = [:]
        for row in rows {
            do {
                let platform = try validate(try row.result.get())
                if let first = lineOfId.updateValue(row.line, forKey: platform.id) {
                    problems.append((row.line, "id \(platform.id) already appears on line \(first)"))
                    continue
                }
                valid.append(platform)
            } catch let error as StoreError {
                problems.append((row.line, error.description))
            } catch {
                problems.append((row.line, "\(error)"))
            }
        }
        guard problems.isEmpty else { throw StoreError.invalidRows(problems) }
        let platforms = valid
        return try write("import platforms") { db in
            var summary = ImportSummary()
            let insert = try db.cachedStatement(sql: Platform.insertSQL)
            let update = try db.cachedStatement(sql: Platform.updateSQL)
            for platform in platforms {
                if let row = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [platform.id]) {
                    if try Platform(row: row) == platform {
                        summary.unchanged += 1
                    } else {
                        try update.execute(arguments: platform.updateArguments)
                        summary.updated += 1
                    }
                } else {
                    try insert.execute(arguments: platform.insertArguments)
                    summary.inserted += 1
                }
            }
            return summary
        }
    }
}
