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
        let reason: ParkReason
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
            outcome = ChangeOutcome(seq: change.seq, outcome: .parked, reason: refusal.reason.rawValue, message: refusal.message)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            let message = "the database refused it: \(error.message ?? "constraint failed")"
            try park(change, county: county, reason: .constraint, message: message, db: db)
            outcome = ChangeOutcome(seq: change.seq, outcome: .parked, reason: ParkReason.constraint.rawValue, message: message)
        }
        return outcome
    }

    /// The receiver's rules, from `SyncCore`: this type only loads a row's state, asks them, and
    /// writes what they decide.
    var rules: Receiver { Receiver(side: receiver, authority: authority, counties: counties, policy: policy) }

    private func applyUnchecked(_ change: WireChange, county: String, db: Database) throws -> ChangeOutcome {
        // Receivers run `ChangeCheck` on every change before applying anything; this guard only
        // keeps an unchecked caller from crashing.
        guard let table = SyncedTable.named(change.table), let op = ChangeOperation(rawValue: change.op) else {
            throw Refusal(reason: .malformedChange, message: "no replicated table \(change.table) or operation \(change.op)")
        }
        let state = try Self.rowState(db, table: table, rowId: change.rowId)
        let received = ReceivedChange(table: table.name, rowId: change.rowId, op: op, version: change.version, values: change.values, bases: change.bases)
        let decision: ReceiveDecision
        do {
            decision = try rules.receive(received, into: state, county: county, lookups: StoreLookups(db: db))
        } catch .forbidden(let message) {
            throw StoreError.forbidden(message)
        } catch .park(let reason, let message) {
            throw Refusal(reason: reason, message: message)
        }
        func text(_ value: ColumnValue?) -> String? { if case .text(let text) = value ?? .null { text } else { nil } }
        switch decision.write {
        case .none:
            break
        case .insert(let values):
            try Tombstones.clear(db, table: table.name, rowId: change.rowId)
            try db.cachedStatement(sql: table == .platform ? Platform.insertSQL : Award.insertSQL)
                .execute(arguments: StatementArguments([change.rowId] + table.columns.map { values[$0]!.databaseValue }))
        case .update(let values):
            let columns = table.columns.filter { values[$0] != nil }
            // Cached per column set: preparing compiles the table's triggers too.
            try db.cachedStatement(sql: "UPDATE \(table.name) SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?")
                .execute(arguments: StatementArguments(columns.map { values[$0]!.databaseValue } + [change.rowId]))
        case .delete(let cascade):
            for award in cascade { try deleteRow(.award, id: award, county: county, version: change.version, db: db) }
            try deleteRow(table, id: change.rowId, county: text(state.values?["county"]) ?? county, version: change.version, db: db)
        }
        if let versions = decision.versions { try Self.saveVersions(versions, table: table.name, rowId: change.rowId, db: db) }
        if receiver == .county, NodeRole(node: change.node) == .city, decision.outcome != .merged {
            try Self.closeConflicts(superseded: change, columns: op == .delete ? nil : Array(change.values.keys), table: table, db: db, nowMs: nowMs)
        }
        if !decision.conflicts.isEmpty {
            let rowCounty = text(state.values?["county"]) ?? text(change.values["county"]) ?? county
            let record = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO conflict (tbl, row_id, county, column_name, winner_value, winner_version,
                  loser_value, loser_version, base_version, rule, decided_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for conflict in decision.conflicts {
                try record.execute(arguments: [
                    table.name, change.rowId, rowCounty, conflict.column,
                    JSONText.value(conflict.winner.value), conflict.winner.version.map(JSONText.version) ?? "null",
                    JSONText.value(conflict.loser.value), conflict.loser.version.map(JSONText.version),
                    conflict.base.map(JSONText.version), conflict.rule.rawValue, nowMs,
                ])
            }
        }
        let outcome: ChangeOutcome.Kind = switch decision.outcome {
        case .applied: .applied
        case .merged: .merged
        case .conflict: .conflict
        }
        return ChangeOutcome(seq: change.seq, outcome: outcome)
    }

    /// Closes, at a county, the open conflicts of `change`'s row on `columns` (every column for a
    /// delete) that a write of the city newer than both of their sides settled: the city resolved
    /// them (its decision arrives as such a write) or wrote the column again since. A clerk can no
    /// longer keep the other value over the city's decision.
    static func closeConflicts(superseded change: WireChange, columns: [String]?, table: SyncedTable, db: Database, nowMs: Int64) throws {
        let open = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, column_name, winner_version, loser_version FROM conflict WHERE tbl = ? AND row_id = ? AND resolved_at IS NULL
            """), arguments: [table.name, change.rowId])
        for row in open where columns?.contains(row["column_name"] as String) ?? true {
            let sides = [try decodeJSON(ColumnVersion?.self, row["winner_version"]),
                         try (row["loser_version"] as String?).flatMap { try decodeJSON(ColumnVersion?.self, $0) }].compactMap { $0 }
            guard sides.allSatisfy({ $0 < change.version }) else { continue }
            try db.cachedStatement(sql: "UPDATE conflict SET resolved_at = ?, resolved_by = 'city' WHERE id = ?").execute(arguments: [nowMs, row["id"] as Int64])
        }
    }

    /// A row's state as the receive rules take it: its values, versions and tombstone.
    static func rowState(_ db: Database, table: SyncedTable, rowId: String) throws -> RowState {
        guard let values = try table.values(db, rowId: rowId) else {
            // A row not here has no versions (a delete removes them), only perhaps a tombstone.
            return RowState(values: nil, versions: RowVersions(), tombstone: try Tombstones.find(db, table: table.name, rowId: rowId)?.version)
        }
        let versions = try CountyDatabase.versions(db, table: table.name, rowId: rowId) ?? RowVersions()
        return RowState(values: values, versions: versions, tombstone: nil)
    }

    /// Deletes a row, its versions, and keeps its tombstone.
    func deleteRow(_ table: SyncedTable, id: String, county: String, version: ColumnVersion, db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM \(table.name) WHERE id = ?").execute(arguments: [id])
        try db.cachedStatement(sql: "DELETE FROM row_version WHERE tbl = ? AND row_id = ?").execute(arguments: [table.name, id])
        try Tombstones.record(db, table: table.name, rowId: id, county: county, version: version, atMs: nowMs)
    }

    /// Keeps a refused change with its reason, once.
    func park(_ change: WireChange, county: String, reason: ParkReason, message: String, db: Database) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(change), as: UTF8.self)
        try db.execute(sql: """
            INSERT OR IGNORE INTO parked (node, county, seq, tbl, row_id, op, change, reason, message, parked_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [change.node, county, change.seq, change.table, change.rowId, change.op, json, reason.rawValue, message, nowMs])
    }

    /// Moves the replica's clock past a reading received from another node.
    static func receiveClock(_ hlc: Int64, db: Database) throws {
        try db.cachedStatement(sql: "UPDATE replica SET hlc = max(hlc, ?) WHERE id = 1").execute(arguments: [hlc])
    }

    static func saveVersions(_ versions: RowVersions, table: String, rowId: String, db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO row_version (tbl, row_id, versions) VALUES (?, ?, ?)")
            .execute(arguments: [table, rowId, versions.storageText])
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
    /// The values of the columns of `mask` in row `rowId` as `JSONText.values` writes them (keys
    /// sorted), read by position and written without a dictionary; nil if the row does not exist.
    func frozenValues(_ db: Database, rowId: String, mask: Int64) throws -> String? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: selectByIdSQL), arguments: [rowId]) else { return nil }
        var json = JSONWriter(capacity: 512)
        json.raw("{")
        var first = true
        for index in sortedColumnIndices where mask & (1 << Int64(index)) != 0 {
            if !first { json.raw(",") }
            first = false
            json.string(columns[index])
            json.raw(":")
            json.value(ColumnValue(row[index + 1] as DatabaseValue))
        }
        json.raw("}")
        return json.text
    }

    /// The values of `columns` (every column if nil: the receive rules' row) in row `rowId`, read
    /// by position from `selectByIdSQL`; nil if the row does not exist.
    func values(_ db: Database, rowId: String, columns: [String]? = nil) throws -> [String: ColumnValue]? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: selectByIdSQL), arguments: [rowId]) else { return nil }
        var values: [String: ColumnValue] = [:]
        values.reserveCapacity(columns?.count ?? self.columns.count)
        for (index, column) in self.columns.enumerated() where columns?.contains(column) ?? true {
            values[column] = ColumnValue(row[index + 1] as DatabaseValue)
        }
        return values
    }
}

/// The receive rules' look-ups, answered from the receiver's database.
struct StoreLookups: ReceiveLookups {
    let db: Database

    func platform(id: String) throws -> Platform? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM platform WHERE id = ?"), arguments: [id]).map(Platform.init(row:))
    }

    func awards(ofPlatform id: String) throws -> [Award] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM award WHERE platform_id = ? ORDER BY id"), arguments: [id]).map(Award.init(row:))
    }

    func awards(basisRef: String) throws -> [(award: Award, platform: Platform)] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM award WHERE basis_ref = ? ORDER BY id"), arguments: [basisRef]).compactMap { row in
            let award = try Award(row: row)
            return try platform(id: award.platformId).map { (award, $0) }
        }
    }

    func registration(creditCode: String, category: PlatformCategory, excluding id: String) throws -> (id: String, county: String)? {
        // The category is written into the statement (one of the enum's), so SQLite can use the
        // index of enterprises' credit codes, which holds only those categories.
        guard category.isEnterprise else {
            return try Row.fetchOne(db.cachedStatement(sql: "SELECT id, county FROM platform WHERE credit_code = ? AND category = ? AND id <> ? ORDER BY id LIMIT 1"),
                                    arguments: [creditCode, category.rawValue, id]).map { ($0["id"], $0["county"]) }
        }
        return try Row.fetchOne(db.cachedStatement(sql: "SELECT id, county FROM platform WHERE credit_code = ? AND category = '\(category.rawValue)' AND id <> ? ORDER BY id LIMIT 1"),
                                arguments: [creditCode, id]).map { ($0["id"], $0["county"]) }
    }
}
