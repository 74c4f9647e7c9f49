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
        let held = try read("read platforms for import") { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT * FROM platform").map { row in let platform = try Platform(row: row); return (platform.id, platform) },
                       uniquingKeysWith: { first, _ in first })
        }
        for row in rows {
            do {
                let read = try row.result.get()
                // A new row is registered like one typed in; a row already held may repeat the
                // city's columns as they are (a sheet exported here), but not change them, nor a
                // recognised platform's classification.
                let platform: Platform
                if let before = held[read.id] {
                    platform = try validate(read)
                    if let column = Self.cityColumnChanged(from: before, to: platform) ?? before.cityOwnedClassification(changedTo: platform) {
                        throw StoreError.notAllowed("platform \(read.id): \(column) is the city's (it was \(before.status.rawValue) by the city); a sheet cannot change it")
                    }
                } else {
                    platform = try validateNew(read)
                }
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
        // (The rows are checked against the replica as read above; the write below is one transaction.)
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

    /// The first city-owned column (recognition, its date, the evaluation) that differs between
    /// `before` and `after`, if any.
    static func cityColumnChanged(from before: Platform, to after: Platform) -> String? {
        if before.status != after.status { return "status" }
        if before.recognizedOn != after.recognizedOn { return "recognized_on" }
        if before.evaluation != after.evaluation { return "evaluation" }
        return nil
    }
}
