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
            } catch {
                problems.append(Self.problem(line: row.line, error))
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

    /// A bad row of an import, as `StoreError.invalidRows` lists it, in English and in Chinese.
    static func problem(line: Int, _ error: any Error) -> (line: Int, reason: String, reasonZh: String) {
        switch error {
        case let error as StoreError: (line, error.description, error.text(.zh))
        case let error as DomainError: (line, error.description, error.text(.zh))
        default: (line, "\(error)", "\(error)")
        }
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

/// One row read for an award import.
public struct ImportedAward: Sendable {
    /// 1-based line (CSV) or row number (.xlsx).
    public let line: Int
    /// The proposal read, or why it could not be.
    public let result: Result<ProposedAward, DomainError>

    public init(line: Int, result: Result<ProposedAward, DomainError>) {
        self.line = line
        self.result = result
    }
}

extension CountyDatabase {
    /// Proposes awards from a sheet, all or nothing, each row checked as `proposeAward` checks a
    /// typed one, against the replica and the rows before it in the file (two rows that each
    /// fit a platform's cap but not together are refused).
    ///
    /// A row names its award by id, or else by platform, fiscal year and basis source: an award
    /// the replica holds is updated (while proposed) or left unchanged, never proposed twice, so
    /// importing the same file again changes nothing; where that names several, the row must give
    /// the id. A row pasted twice counts once. If any row is bad, nothing is written and the
    /// error lists every bad row. With `dryRun`, the outcome is worked out and nothing is written.
    @discardableResult
    public func importAwards(_ rows: [ImportedAward], dryRun: Bool = false) throws -> ImportSummary {
        struct DryRun: Error { let summary: ImportSummary }
        do {
            return try write("import awards") { db in
                var problems: [(line: Int, reason: String, reasonZh: String)] = []
                var summary = ImportSummary(dryRun: dryRun)
                var lineOfAward: [String: (line: Int, request: ProposedAward)] = [:]
                for row in rows {
                    do {
                        let request = try row.result.get()
                        let platform = try self.importedPlatform(request, db: db)
                        let held = try self.heldAward(request, platform: platform, db: db)
                        let label = "\(platform.name) \(request.amount.grouped) 元"
                        if let id = held?.id, let first = lineOfAward[id] {
                            guard first.request.sameProposal(as: request) else {
                                throw StoreError.notAllowed("the award of line \(first.line) again with other values; keep one of the two lines")
                            }
                            summary.lines.append(ImportLine(line: row.line, outcome: .repeated, id: id, name: label, sameAs: first.line))
                            summary.unchanged += 1
                            continue
                        }
                        let outcome: ImportLine.Outcome
                        let id: String
                        if let held {
                            id = held.id
                            if held.amount == request.amount, held.basis == request.basis, held.basisRef == request.basisRef,
                               held.fiscalYear == request.fiscalYear, held.remarks == request.remarks {
                                outcome = .unchanged
                            } else {
                                _ = try self.revise(id: held.id, db: db) { award in
                                    award.amount = request.amount
                                    award.basis = request.basis
                                    award.basisRef = request.basisRef
                                    award.fiscalYear = request.fiscalYear
                                    award.remarks = request.remarks
                                }
                                outcome = .updated
                            }
                        } else {
                            // A sheet confirms nothing: an award above the ceiling is proposed with
                            // `syncctl award propose --confirm-above-ceiling`, one by one.
                            let award = try self.propose(Award(county: self.county, platformId: platform.id, amount: request.amount, basis: request.basis,
                                                               fiscalYear: request.fiscalYear, remarks: request.remarks, basisRef: request.basisRef),
                                                         confirmAboveCeiling: false, db: db)
                            id = award.id
                            outcome = .new
                        }
                        lineOfAward[id] = (row.line, request)
                        summary.lines.append(ImportLine(line: row.line, outcome: outcome, id: id, name: label, sameAs: nil))
                        switch outcome {
                        case .new: summary.inserted += 1
                        case .updated: summary.updated += 1
                        case .unchanged, .repeated: summary.unchanged += 1
                        }
                    } catch let error where error is StoreError || error is DomainError {
                        // A refused row; the database's own failures end the import.
                        problems.append(Self.problem(line: row.line, error))
                    }
                }
                guard problems.isEmpty else { throw StoreError.invalidRows(problems) }
                if dryRun { throw DryRun(summary: summary) }
                return summary
            }
        } catch let dry as DryRun {
            return dry.summary
        }
    }

    /// The platform a row names: by id or a unique prefix of 8 or more characters, else by credit
    /// code and, where the enterprise has several platforms here, category.
    func importedPlatform(_ request: ProposedAward, db: Database) throws -> Platform {
        if let id = request.platformId {
            let found = try Row.fetchAll(db, sql: "SELECT * FROM platform WHERE id = ? OR (length(?) >= 8 AND substr(id, 1, length(?)) = ?) LIMIT 3",
                                         arguments: [id, id, id, id.lowercased()]).map(Platform.init(row:))
            if let exact = found.first(where: { $0.id == id }) { return exact }
            guard found.count == 1 else {
                throw StoreError.invalidInput(.refused(field: "platform_id", value: id, message: Message(
                    code: "import.platform_unknown",
                    en: found.isEmpty ? "no platform of this county has this id" : "several platforms begin with this; give more of the id",
                    zh: found.isEmpty ? "本县没有编号为此的平台" : "有多个平台以此开头，请写出更长的编号")))
            }
            return found[0]
        }
        let code = request.creditCode ?? ""
        let found = try Row.fetchAll(db, sql: "SELECT * FROM platform WHERE credit_code = ? ORDER BY id", arguments: [code]).map(Platform.init(row:))
            .filter { request.category == nil || $0.category == request.category }
        guard found.count == 1 else {
            throw StoreError.invalidInput(.refused(field: "credit_code", value: code, message: Message(
                code: found.isEmpty ? "import.credit_code_unknown" : "import.credit_code_ambiguous",
                en: found.isEmpty ? "no platform of this county\(request.category == nil ? "" : " of this category") has this credit code"
                    : "\(found.count) platforms have this credit code (\(found.map(\.category.chineseName).joined(separator: "、"))); give 类别 or 平台编号",
                zh: found.isEmpty ? "本县没有\(request.category == nil ? "" : "此类别、")此统一社会信用代码的平台"
                    : "有 \(found.count) 个平台用此统一社会信用代码（\(found.map(\.category.chineseName).joined(separator: "、"))），请写明类别或平台编号")))
        }
        return found[0]
    }

    /// The award a row names, if the replica holds it: by id, else the one award of the platform
    /// with the row's fiscal year and basis source.
    func heldAward(_ request: ProposedAward, platform: Platform, db: Database) throws -> Award? {
        if let id = request.awardId {
            guard let award = try Row.fetchOne(db, sql: "SELECT * FROM award WHERE id = ?", arguments: [id]).map(Award.init(row:)) else {
                throw StoreError.invalidInput(.notFound(kind: "award", id: id))
            }
            guard award.platformId == platform.id else {
                throw StoreError.notAllowed("award \(id) is for platform \(award.platformId), not \(platform.id); an award's platform cannot change")
            }
            return award
        }
        let matches = try Row.fetchAll(db, sql: "SELECT * FROM award WHERE platform_id = ? AND fiscal_year = ? AND basis_ref IS ? ORDER BY id",
                                       arguments: [platform.id, request.fiscalYear, request.basisRef]).map(Award.init(row:))
        guard matches.count <= 1 else {
            throw StoreError.notAllowed("\(matches.count) awards of this platform have fiscal year \(request.fiscalYear) and this basis source (\(matches.map(\.id).joined(separator: ", "))); give the 奖补编号 column to say which")
        }
        return matches.first
    }
}

extension ProposedAward {
    /// Whether two rows ask for the same proposal.
    func sameProposal(as other: ProposedAward) -> Bool {
        (amount, basis, basisRef, fiscalYear, remarks) == (other.amount, other.basis, other.basisRef, other.fiscalYear, other.remarks)
    }
}
