import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// The fast way for the common bulk case: a slice of inserts of rows the receiver has never held
/// (a county's new platforms). Each change is decided by the same pure rules as on the general
/// way (`Receiver.receive`, against an empty row), and the rows, their versions and the applied
/// records are then written with one statement each for the whole slice, the rows handed over
/// as one JSON array (`json_each`), instead of five statements per change.
///
/// It applies a slice only when the general way would write exactly the same: every change an
/// insert of a distinct row that does not exist and has no tombstone, every decision a plain
/// insert (no park, no conflict), no two enterprises of the slice with one credit code (the rule
/// that looks at other rows). Otherwise, or if SQLite refuses a row, it changes nothing and
/// returns nil, and the general way applies the slice change by change.
extension ChangeApplier {
    /// Applies `changes` as new rows, or returns nil having changed nothing.
    func applyNewRows(_ changes: [WireChange], node: String, county: String, digests: ChangeDigests, db: Database) throws -> [ChangeOutcome]? {
        guard changes.count > 1, let table = SyncedTable.named(changes[0].table), table == .platform else { return nil }
        var ids = Set<String>()
        ids.reserveCapacity(changes.count)
        for change in changes {
            guard change.table == table.name, change.op == ChangeOperation.insert.rawValue, ids.insert(change.rowId).inserted else { return nil }
        }
        var idList = JSONWriter(capacity: 40 * changes.count)
        idList.raw("[")
        for (index, change) in changes.enumerated() {
            if index > 0 { idList.raw(",") }
            idList.string(change.rowId)
        }
        idList.raw("]")
        let held = try Int.fetchOne(db, sql: """
            SELECT (SELECT count(*) FROM \(table.name) WHERE id IN (SELECT value FROM json_each(?1)))
                 + (SELECT count(*) FROM tombstone WHERE tbl = ?2 AND row_id IN (SELECT value FROM json_each(?1)))
            """, arguments: [idList.text, table.name]) ?? 1
        guard held == 0 else { return nil }

        // Decide every change as the general way would, against the empty row it would load.
        let rules = self.rules
        let lookups = StoreLookups(db: db)
        var enterprises = Set<String>()
        var rows = JSONWriter(capacity: 600 * changes.count)
        var versions = JSONWriter(capacity: 120 * changes.count)
        var applied = JSONWriter(capacity: 40 * changes.count)
        rows.raw("[")
        versions.raw("[")
        applied.raw("[")
        for (index, change) in changes.enumerated() {
            guard let op = ChangeOperation(rawValue: change.op) else { return nil }
            let received = ReceivedChange(table: table.name, rowId: change.rowId, op: op, version: change.version, values: change.values, bases: change.bases)
            let decision: ReceiveDecision
            do {
                decision = try rules.receive(received, into: RowState(values: nil, versions: RowVersions(), tombstone: nil), county: county, lookups: lookups)
            } catch {
                return nil
            }
            guard case .insert(let values) = decision.write, decision.conflicts.isEmpty, decision.outcome == .applied,
                  let rowVersions = decision.versions else { return nil }
            // One registration per credit code for an enterprise: the rule reads other rows,
            // which here include the slice's own.
            if case .text(let category) = values["category"] ?? .null, PlatformCategory(rawValue: category)?.isEnterprise == true {
                guard case .text(let code) = values["credit_code"] ?? .null, enterprises.insert("\(category) \(code)").inserted else { return nil }
            }
            if index > 0 {
                rows.raw(",")
                versions.raw(",")
                applied.raw(",")
            }
            rows.raw("[")
            rows.string(change.rowId)
            for column in table.columns {
                rows.raw(",")
                rows.value(values[column] ?? .null)
            }
            rows.raw("]")
            versions.raw("[")
            versions.string(change.rowId)
            versions.raw(",")
            versions.string(rowVersions.storageText)
            versions.raw("]")
            applied.raw("[")
            applied.integer(change.seq)
            applied.raw(",")
            applied.string(digests[change])
            applied.raw("]")
        }
        rows.raw("]")
        versions.raw("]")
        applied.raw("]")

        let columns = ["id"] + table.columns
        let select = columns.indices.map { "value ->> \($0)" }.joined(separator: ", ")
        do {
            try db.inSavepoint {
                if let newest = changes.map(\.hlc).max() { try Self.receiveClock(newest, db: db) }
                try db.cachedStatement(sql: "INSERT INTO \(table.name) (\(columns.joined(separator: ", "))) SELECT \(select) FROM json_each(?)")
                    .execute(arguments: [rows.text])
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO row_version (tbl, row_id, versions) SELECT ?, value ->> 0, value ->> 1 FROM json_each(?)")
                    .execute(arguments: [table.name, versions.text])
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO applied_seq (node, seq, hash, applied_at) SELECT ?, value ->> 0, value ->> 1, ? FROM json_each(?)")
                    .execute(arguments: [node, nowMs, applied.text])
                return .commit
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            return nil
        }
        return changes.map { ChangeOutcome(seq: $0.seq, outcome: .applied) }
    }
}
