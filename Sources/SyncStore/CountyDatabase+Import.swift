import Foundation
import GRDB
import SyncCore

/// What an import did, line by line.
public struct ImportSummary: Sendable, Hashable, Codable {
    /// New platforms.
    public var inserted = 0
    /// Existing platforms whose fields changed.
    public var updated = 0
    /// Existing platforms already as in the file (and lines repeating an earlier line).
    public var unchanged = 0
    /// Each data line's outcome and platform, in file order.
    public var lines: [ImportLine] = []
    /// Whether nothing was written (`--dry-run`).
    public var dryRun = false

    public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0, lines: [ImportLine] = [], dryRun: Bool = false) {
        self.inserted = inserted
        self.updated = updated
        self.unchanged = unchanged
        self.lines = lines
        self.dryRun = dryRun
    }
}

/// One data line of an import: the platform it became and how.
public struct ImportLine: Sendable, Hashable, Codable {
    /// What the line did.
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// A platform registered from it.
        case new
        /// A platform the replica holds, changed to it.
        case updated
        /// A platform the replica holds, already as the line says.
        case unchanged
        /// The same platform as an earlier line, with the same values (a row pasted twice).
        case repeated
    }

    /// 1-based line (CSV) or row number (.xlsx).
    public let line: Int
    public let outcome: Outcome
    /// The platform's id.
    public let id: String
    /// The platform's name.
    public let name: String
    /// For a repeated line, the line it repeats.
    public let sameAs: Int?

    public init(line: Int, outcome: Outcome, id: String, name: String, sameAs: Int?) {
        self.line = line
        self.outcome = outcome
        self.id = id
        self.name = name
        self.sameAs = sameAs
    }
}

/// One row read for an import.
public struct ImportedRow: Sendable {
    /// 1-based line (CSV) or row number (.xlsx).
    public let line: Int
    /// Whether the row gives the platform's id; else the platform is found by credit code,
    /// category and name (`PlatformIdentity.normalizedName`), or registered.
    public let namesId: Bool
    /// The city's columns the row fills in (`status`, `recognized_on`, `evaluation`); a blank one
    /// leaves a platform's value as it is.
    public let cityColumnsGiven: Set<String>
    /// The platform read, or why it could not be.
    public let result: Result<Platform, DomainError>

    public init(line: Int, namesId: Bool = true, cityColumnsGiven: Set<String> = ["status", "recognized_on", "evaluation"],
                result: Result<Platform, DomainError>) {
        self.line = line
        self.namesId = namesId
        self.cityColumnsGiven = cityColumnsGiven
        self.result = result
    }
}

extension CountyDatabase {
    /// Imports platforms all or nothing. A row names its platform by id, or else by (credit code,
    /// category, normalised name); a platform the replica holds is updated or left unchanged,
    /// never registered twice, so importing the same file again changes nothing. A row pasted
    /// twice counts once. If any row is bad, nothing is written and the error lists every bad
    /// row. With `dryRun`, the outcome is worked out and nothing is written.
    @discardableResult
    public func importPlatforms(_ rows: [ImportedRow], dryRun: Bool = false) throws -> ImportSummary {
        var problems: [(line: Int, reason: String, reasonZh: String)] = []
        var valid: [(line: Int, platform: Platform, outcome: ImportLine.Outcome, sameAs: Int?)] = []
        var lineOfId: [String: (line: Int, platform: Platform)] = [:]
        let held = try read("read platforms for import") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM platform").map(Platform.init(row:))
        }
        let heldById = Dictionary(held.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let heldByIdentity = Dictionary(grouping: held, by: Self.identity)
        for row in rows {
            do {
                var read = try row.result.get()
                if !row.namesId {
                    let matches = heldByIdentity[Self.identity(read)] ?? []
                    if matches.count > 1 {
                        throw StoreError.notAllowed("\(matches.count) platforms have this credit code, category and name (\(matches.map(\.id).joined(separator: ", "))); give the 编号 (id) column to say which")
                    }
                    if let match = matches.first { read.id = match.id }
                }
                // A blank city column leaves the platform's value; one filled in may repeat it
                // (a sheet exported here) but not change it, nor a recognised platform's
                // classification; a new platform is registered like one typed in.
                let platform: Platform
                let outcome: ImportLine.Outcome
                if let before = heldById[read.id] {
                    if !row.cityColumnsGiven.contains("status") { read.status = before.status }
                    if !row.cityColumnsGiven.contains("recognized_on") { read.recognizedOn = before.recognizedOn }
                    if !row.cityColumnsGiven.contains("evaluation") { read.evaluation = before.evaluation }
                    platform = try validate(read)
                    if let column = Self.cityColumnChanged(from: before, to: platform) ?? before.cityOwnedClassification(changedTo: platform) {
                        throw StoreError.notAllowed("platform \(read.id): \(column) is the city's (it was \(before.status.rawValue) by the city); a sheet cannot change it")
                    }
                    outcome = before == platform ? .unchanged : .updated
                } else {
                    platform = try validateNew(read)
                    outcome = .new
                }
                // The same platform twice in one file: once if the lines agree, refused if not.
                let key = row.namesId || heldById[read.id] != nil ? platform.id : "identity:" + Self.identity(platform)
                if let first = lineOfId[key] {
                    var again = platform
                    again.id = first.platform.id
                    guard again == first.platform else {
                        throw StoreError.notAllowed("the platform of line \(first.line) again (same \(row.namesId ? "id" : "credit code, category and name")) with other values; keep one of the two lines")
                    }
                    valid.append((row.line, first.platform, .repeated, first.line))
                    continue
                }
                lineOfId[key] = (row.line, platform)
                valid.append((row.line, platform, outcome, nil))
            } catch let error as StoreError {
                problems.append((row.line, error.description, error.text(.zh)))
            } catch let error as DomainError {
                problems.append((row.line, error.description, error.text(.zh)))
            } catch {
                problems.append((row.line, "\(error)", "\(error)"))
            }
        }
        guard problems.isEmpty else { throw StoreError.invalidRows(problems) }
        var summary = ImportSummary(dryRun: dryRun)
        for (line, platform, outcome, sameAs) in valid {
            summary.lines.append(ImportLine(line: line, outcome: outcome, id: platform.id, name: platform.name, sameAs: sameAs))
            switch outcome {
            case .new: summary.inserted += 1
            case .updated: summary.updated += 1
            case .unchanged, .repeated: summary.unchanged += 1
            }
        }
        guard !dryRun else { return summary }
        // The rows were checked against the replica as read above; the write is one transaction,
        // and a platform changed meanwhile (the daemon applied a city change) is checked again.
        let writes = valid.filter { $0.outcome == .new || $0.outcome == .updated }
        try write("import platforms") { db in
            let insert = try db.cachedStatement(sql: Platform.insertSQL)
            let update = try db.cachedStatement(sql: Platform.updateSQL)
            for (line, platform, outcome, _) in writes {
                let now = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [platform.id]).map(Platform.init(row:))
                guard now == heldById[platform.id] else {
                    throw StoreError.notAllowed("line \(line): platform \(platform.id) changed while the file was read (a sync?); import the file again")
                }
                if outcome == .new { try insert.execute(arguments: platform.insertArguments) } else { try update.execute(arguments: platform.updateArguments) }
            }
        }
        return summary
    }

    /// What names a platform in a sheet without ids: credit code, category and folded name.
    static func identity(_ platform: Platform) -> String {
        "\(platform.creditCode)\u{0}\(platform.category.rawValue)\u{0}\(PlatformIdentity.normalizedName(platform.name))"
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
