import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// Applies incoming changes to a replica with `MergeRules`, inside the caller's transaction:
/// records the loser of every conflict, parks what a rule refuses (one savepoint per change, so a
/// refused change never blocks the ones behind it), and keeps column versions and the clock.
///
/// The city applies county pushes with the city's rules on top (column authority, the award
/// workflow, policy validation); a county applies the city's feed as it comes: the city is the
/// authority on what it sends.
struct ChangeApplier {
    /// The side applying.
    let receiver: NodeRole
    let authority: AuthorityTable
    let counties: CountyRegistry
    let policy: AwardPolicy
    /// Wall clock of this apply.
    let nowMs: Int64

    /// A rule refused the change.
    struct Refusal: Error {
        let reason: String
        let message: String
    }

    /// Applies a batch. The fast path applies every change in one savepoint; if a rule refuses
    /// any of them, that attempt is rolled back and the batch is applied change by change, each in
    /// its own savepoint, so the refused ones are parked (and `onParked` is told) and the rest applied.
    func applyAll(_ changes: [WireChange], county: String, db: Database, onParked: (WireChange) throws -> Void = { _ in }) throws -> [ChangeOutcome] {
        if let newest = changes.map(\.hlc).max() { try Self.receiveClock(newest, db: db) }
        var outcomes: [ChangeOutcome] = []
        do {
            try db.inSavepoint {
                outcomes = try changes.map { try applyUnchecked($0, county: county, db: db) }
                return .commit
            }
            return outcomes
        } catch is Refusal {
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
        }
        return try changes.map { change in
            let outcome = try apply(change, county: county, db: db)
            if outcome.outcome == .parked { try onParked(change) }
            return outcome
        }
    }

    /// Applies one change; `county` is the county the sender may write (the city checks it).
    func apply(_ change: WireChange, county: String, db: Database) throws -> ChangeOutcome {
        var outcome = ChangeOutcome(seq: change.seq, outcome: .merged)
        do {
            try db.inSavepoint {
                outcome = try applyUnchecked(change, county: county, db: db)
                return .commit
            }
        } catch let refusal as Refusal {
            try park(change, county: county, reason: refusal.reason, message: refusal.message, db: db)
            outcome = ChangeOutcome(seq: change.seq, outcome: .parked, reason: refusal.reason, message: refusal.message)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            let message = "the database refused it: \(error.message ?? "constraint failed")"
            try park(change, county: county, reason: "constraint", message: message, db: db)
            outcome = ChangeOutcome(seq: change.seq, outcome: .parked, reason: "constraint", message: message)
        }
        return outcome
    }

    private func applyUnchecked(_ change: WireChange, county: String, db: Database) throws -> ChangeOutcome {
        // Receivers run `ChangeCheck` on every change before applying anything; this guard only
        // keeps an unchecked caller from crashing.
        guard let table = SyncedTable.named(change.table), let op = ChangeOperation(rawValue: change.op) else {
            throw Refusal(reason: "malformed_change", message: "no replicated table \(change.table) or operation \(change.op)")
        }
        let existing = try Row.fetchOne(db.cachedStatement(sql: table.selectByIdSQL), arguments: [change.rowId])
        // The existing row's value of a column, by position (`SELECT id, <columns>`).
        func currentValue(_ column: String) -> ColumnValue {
            existing.map { ColumnValue($0[table.position(of: column) + 1] as DatabaseValue) } ?? .null
        }
        if existing != nil, case .text(let owner) = currentValue("county"), owner != county {
            throw StoreError.forbidden("\(table.name) \(change.rowId) belongs to county \(owner), not \(county)")
        }
        if case .text(let named) = change.values["county"] ?? .null, named != county {
            throw StoreError.forbidden("\(table.name) \(change.rowId) names county \(named); this sender may write only county \(county)")
        }
        let fromCounty = receiver == .city && NodeRole(node: change.node) == .county

        if op == .delete {
            guard let existing else { return ChangeOutcome(seq: change.seq, outcome: .merged) }
            if fromCounty { try checkCountyDelete(table: table, change: change, row: existing, db: db) }
            if table == .platform {
                if fromCounty {
                    let awards = try Int.fetchOne(db, sql: "SELECT count(*) FROM award WHERE platform_id = ?", arguments: [change.rowId]) ?? 0
                    if awards > 0 { throw Refusal(reason: "has_awards", message: "platform \(change.rowId) has \(awards) award(s) at the city") }
                } else {
                    for award in try String.fetchAll(db, sql: "SELECT id FROM award WHERE platform_id = ?", arguments: [change.rowId]) {
                        try deleteRow(.award, id: award, county: county, version: change.version, db: db)
                    }
                }
            }
            let owner: String = existing["county"] ?? county
            try deleteRow(table, id: change.rowId, county: owner, version: change.version, db: db)
            return ChangeOutcome(seq: change.seq, outcome: .applied)
        }
        if existing == nil, let tombstone = try Tombstones.find(db, table: table.name, rowId: change.rowId) {
            // At the city, a county's write for a row deleted here is the loser: an edit that
            // crossed the delete, or a restored replica's insert sent again. The delete stands.
            if fromCounty {
                throw Refusal(reason: "deleted", message: "\(table.name) \(change.rowId) was deleted at the city (\(tombstone.version))")
            }
            // At a county, a city edit of a row deleted here waits for the city's judgement of the
            // delete: the city refuses a delete that crossed an edit and sends the whole row back,
            // edit included, so there is nothing to keep from this one.
            if receiver == .county, op == .update { return ChangeOutcome(seq: change.seq, outcome: .merged) }
        }
        // A write with no values was superseded at its sender by a delete of the row before it was
        // stamped (insert then delete before a push): the delete follows, and there is nothing to
        // write or to refuse.
        if existing == nil, change.values.isEmpty { return ChangeOutcome(seq: change.seq, outcome: .merged) }
        if existing == nil, op == .update {
            throw Refusal(reason: "missing_row", message: "\(table.name) \(change.rowId) does not exist here")
        }
        if let existing, fromCounty { try checkAwardWorkflow(table: table, row: existing) }

        var versions = try CountyDatabase.versions(db, table: table.name, rowId: change.rowId) ?? RowVersions()
        let version = change.version
        var decisions: [ColumnDecision] = []
        for column in table.columns {
            guard let value = change.values[column] else { continue }
            // An insert sent again for a row the city holds (after a county restore) carries the
            // city's columns as the county last saw them: an echo, not a write, so neither a
            // conflict nor a refusal.
            if fromCounty, existing != nil, op == .insert, authority.authority(table.name, column) == .city { continue }
            let current = existing.map { _ in CurrentColumn(value: currentValue(column), version: versions[column]) }
            decisions.append(MergeRules.decide(
                table: table.name, column: column,
                incoming: IncomingColumn(value: value, version: version, base: change.bases[column]),
                current: current, authority: authority))
        }
        let taken = decisions.filter(\.takeIncoming).map(\.column)
        if fromCounty {
            // Only a change of value is a write: a county re-sending a row as the city holds it
            // (an insert sent again under a new epoch after a restore) touches no city column.
            // An update names only the columns the county wrote: one of the city's with another
            // value is refused (parked), whether or not it would win the merge; it is never a
            // conflict, since a county never owns the value.
            let written = op == .update
                ? decisions.map(\.column).filter { change.values[$0] != currentValue($0) }
                : taken.filter { existing == nil || change.values[$0] != currentValue($0) }
            try checkCityOwnedColumns(table: table, change: change, taken: written, isInsert: existing == nil)
        }

        var merged: [String: ColumnValue] = [:]
        for column in table.columns { merged[column] = currentValue(column) }
        for column in taken { merged[column] = change.values[column] }
        if fromCounty, !taken.isEmpty {
            try validate(table: table, id: change.rowId, values: merged, isInsert: existing == nil, db: db)
            if table == .platform, let existing { try checkClassification(id: change.rowId, before: existing, after: merged) }
        }

        if existing == nil {
            try Tombstones.clear(db, table: table.name, rowId: change.rowId)
            try db.cachedStatement(sql: table == .platform ? Platform.insertSQL : Award.insertSQL)
                .execute(arguments: StatementArguments([change.rowId] + table.columns.map { merged[$0]!.databaseValue }))
        } else if !taken.isEmpty {
            try db.execute(
                sql: "UPDATE \(table.name) SET \(taken.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?",
                arguments: StatementArguments(taken.map { merged[$0]!.databaseValue } + [change.rowId]))
        }
        let prior = versions
        if !taken.isEmpty {
            versions.set(version, columns: taken, of: existing == nil ? taken : table.columns)
            try Self.saveVersions(versions, table: table.name, rowId: change.rowId, db: db)
        }
        let rowCounty: String = merged["county"].flatMap { if case .text(let text) = $0 { text } else { nil } } ?? county
        var conflicted = false
        // At a county, a city-owned column the city sends is the authority's value: a concurrent
        // local write of it is no rival value but a refused one, which the city parks and the
        // county keeps in its parked list, so it is not a conflict here either.
        let cityAuthority = { (column: String) in receiver == .county && authority.authority(table.name, column) == .city }
        for decision in decisions where decision.isConflict && !cityAuthority(decision.column) {
            conflicted = true
            let incoming = (value: change.values[decision.column]!, version: Optional(version))
            let current = (value: currentValue(decision.column), version: prior[decision.column])
            let (winner, loser) = decision.takeIncoming ? (incoming, current) : (current, incoming)
            try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO conflict (tbl, row_id, county, column_name, winner_value, winner_version,
                  loser_value, loser_version, base_version, rule, decided_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    table.name, change.rowId, rowCounty, decision.column,
                    JSONText.value(winner.value), winner.version.map(JSONText.version) ?? "null",
                    JSONText.value(loser.value), loser.version.map(JSONText.version),
                    change.bases[decision.column].map(JSONText.version), decision.rule.rawValue, nowMs,
                ])
        }
        if conflicted { return ChangeOutcome(seq: change.seq, outcome: .conflict) }
        let fastForward = decisions.contains { $0.takeIncoming } || decisions.isEmpty && existing == nil
        return ChangeOutcome(seq: change.seq, outcome: fastForward ? .applied : .merged)
    }

    /// Deletes a row, its versions, and keeps its tombstone.
    func deleteRow(_ table: SyncedTable, id: String, county: String, version: ColumnVersion, db: Database) throws {
        try db.execute(sql: "DELETE FROM \(table.name) WHERE id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM row_version WHERE tbl = ? AND row_id = ?", arguments: [table.name, id])
        try Tombstones.record(db, table: table.name, rowId: id, county: county, version: version, atMs: nowMs)
    }

    /// The rule for a county's delete, at the city. A delete carries the version of every column
    /// as the county saw it (its bases). It is refused (parked, and the row sent back to the
    /// county) when
    /// - the row holds the city's decision: an approved or disbursed award, a recognised or
    ///   revoked platform (only the city withdraws what it decided);
    /// - or any column moved past the county's view: an edit the deleter did not see wins over
    ///   the delete, so no value written concurrently is erased unseen.
    private func checkCountyDelete(table: SyncedTable, change: WireChange, row: Row, db: Database) throws {
        try checkAwardWorkflow(table: table, row: row)
        if table == .platform, let status: String = row["status"], status != PlatformStatus.registered.rawValue {
            throw Refusal(reason: "recognized_platform",
                          message: "platform \(change.rowId) was \(status) by the city; a county cannot delete it (the city revokes a platform)")
        }
        let versions = try CountyDatabase.versions(db, table: table.name, rowId: change.rowId)?.expanded(table.columns) ?? [:]
        let moved = table.columns.filter { column in versions[column].map { $0 != change.bases[column] } ?? false }
        guard moved.isEmpty else {
            throw Refusal(reason: "concurrent_edit",
                          message: "\(table.name) \(change.rowId) was changed after the county's view of it (\(moved.joined(separator: ", "))): an edit the deleter did not see wins over the delete")
        }
    }

    /// A county edit of an award the city approved or disbursed is not merged.
    private func checkAwardWorkflow(table: SyncedTable, row: Row) throws {
        guard table == .award, let status = AwardStatus(rawValue: row["status"]),
              status == .approved || status == .disbursed else { return }
        throw Refusal(reason: "award_\(status.rawValue)",
                      message: "award \(row["id"] as String) was \(status.rawValue) by the city; county edits of it are not merged")
    }

    /// A county may not write city-owned columns, except their initial values in a new row.
    private func checkCityOwnedColumns(table: SyncedTable, change: WireChange, taken: [String], isInsert: Bool) throws {
        let initial: [String: ColumnValue] = table == .platform
            ? ["status": .text(PlatformStatus.registered.rawValue), "evaluation": .null]
            : ["status": .text(AwardStatus.proposed.rawValue), "approved_amount_fen": .null, "approved_on": .null, "reject_reason": .null]
        for column in taken where authority.authority(table.name, column) == .city {
            let value = change.values[column] ?? .null
            if isInsert && (initial[column] == nil || initial[column] == value) { continue }
            throw Refusal(reason: "city_owned_column",
                          message: "\(table.name).\(column) is set by the city; a county cannot write \(value)")
        }
    }

    /// Once the city recognised a platform, a county cannot change its level or category.
    private func checkClassification(id: String, before row: Row, after values: [String: ColumnValue]) throws {
        let before = try Platform(row: row)
        guard let after = try? Platform(id: id, values: values), let column = before.cityOwnedClassification(changedTo: after) else { return }
        throw Refusal(reason: "recognized_platform",
                      message: "platform \(id) was \(before.status.rawValue) by the city as \(before.category.rawValue) \(before.level?.rawValue ?? ""); its \(column) is the city's now, so the county's change waits for the city")
    }

    /// The merged row must satisfy the domain rules a single record can break, and the rules over
    /// all of a platform's awards (`PlatformAwards`) and over the whole city (an enterprise is
    /// registered once per credit code).
    private func validate(table: SyncedTable, id: String, values: [String: ColumnValue], isInsert: Bool, db: Database) throws {
        do {
            if table == .platform {
                let platform = try Platform(id: id, values: values).validated(counties: counties)
                if receiver == .city, isInsert, platform.category.isEnterprise,
                   let earlier = try Row.fetchOne(db, sql: "SELECT id, county FROM platform WHERE credit_code = ? AND category = ? AND id <> ? ORDER BY id LIMIT 1",
                                                  arguments: [platform.creditCode, platform.category.rawValue, id]) {
                    throw Refusal(reason: "duplicate_enterprise",
                                  message: "credit code \(platform.creditCode) is already registered as a \(platform.category.rawValue): platform \(earlier["id"] as String) of county \(earlier["county"] as String); an enterprise is counted and paid once")
                }
            } else {
                var fields: [String: (any DatabaseValueConvertible)?] = ["id": id]
                for (column, value) in values { fields[column] = value.databaseValue }
                let award = try Award(row: Row(fields))
                guard let platformRow = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [award.platformId]) else {
                    throw Refusal(reason: "missing_platform", message: "award \(id) is for platform \(award.platformId), which the city does not have")
                }
                let platform = try Platform(row: platformRow)
                let valid = try award.validated(for: platform, policy: policy)
                do {
                    try PlatformAwards.check(PlatformAwards.counted(valid), for: valid, of: platform, policy: policy, db: db)
                } catch StoreError.invalidInput(let error) {
                    throw Refusal(reason: "platform_award_limit", message: error.description)
                }
            }
        } catch let error as DomainError {
            throw Refusal(reason: "invalid", message: error.description)
        }
    }

    /// Keeps a refused change with its reason, once.
    func park(_ change: WireChange, county: String, reason: String, message: String, db: Database) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(change), as: UTF8.self)
        try db.execute(sql: """
            INSERT OR IGNORE INTO parked (node, county, seq, tbl, row_id, op, change, reason, message, parked_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [change.node, county, change.seq, change.table, change.rowId, change.op, json, reason, message, nowMs])
    }

    /// Moves the replica's clock past a reading received from another node.
    static func receiveClock(_ hlc: Int64, db: Database) throws {
        try db.cachedStatement(sql: "UPDATE replica SET hlc = max(hlc, ?) WHERE id = 1").execute(arguments: [hlc])
    }

    static func saveVersions(_ versions: RowVersions, table: String, rowId: String, db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO row_version (tbl, row_id, versions) VALUES (?, ?, ?)")
            .execute(arguments: [table, rowId, JSONText.versions(versions.storage)])
    }
}

extension ColumnValue {
    /// The value to bind in SQL.
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let value): value.databaseValue
        case .text(let value): value.databaseValue
        }
    }
}

extension SyncedTable {
    /// The values of `columns` in row `rowId`, read by position from `selectByIdSQL`; nil if the
    /// row does not exist.
    func values(_ db: Database, rowId: String, columns: [String]) throws -> [String: ColumnValue]? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: selectByIdSQL), arguments: [rowId]) else { return nil }
        var values: [String: ColumnValue] = [:]
        for column in columns { values[column] = ColumnValue(row[position(of: column) + 1] as DatabaseValue) }
        return values
    }
}
