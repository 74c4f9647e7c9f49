import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// A county replica's replication state, for `syncctl status`.
public struct CountyStatus: Sendable, Hashable, Codable {
    public let role: String
    public let county: String
    public let node: String
    public let pending: Int
    public let oldestPendingAgeSeconds: Int
    public let lastPushAt: Int64?
    public let lastPullAt: Int64?
    public let lastError: String?
    public let conflicts: Int
    public let parked: Int
    public let lastVerifiedAt: Int64?
    public let lastVerifyResult: String?
    /// When this replica last began a new epoch (new node id), and why.
    public let epochStartedAt: Int64?
    public let epochReason: String?
    /// The city's clock minus this machine's (ms), as last measured; stamping adds it.
    public let clockOffsetMs: Int64?
    /// When the offset was measured (ms since 1970).
    public let clockOffsetAt: Int64?
    /// When the certificate the daemon presents expires (ms since 1970), as the daemon last read it.
    public let certificateExpiresAt: Int64?
    /// When this replica last found the city restored from a backup, and the evidence.
    public var cityRestoredAt: Int64?
    public var cityRestoreEvidence: String?
    /// Changes the restored city lost that this replica still sends again (0 once repaired).
    public var resendPending: Int64 = 0
    /// City changes the city refused to take back after a restore (`refusedReturns`).
    public var refusedReturns: Int64 = 0
    /// Findings about the city's decision log not yet acknowledged (`decisionAlarms`).
    public var decisionAlarms: Int64 = 0
}

extension CountyDatabase {
    /// Where this replica stands: pending changes, last contacts, errors, conflicts, parked.
    public func status() throws -> CountyStatus {
        let beat = try heartbeat()
        let position = try syncPosition()
        let node = replica.node
        return try read("read status") { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM conflict WHERE resolved_at IS NULL) AS conflicts,
                  (SELECT count(*) FROM parked WHERE resolution IS NULL) AS parked, last_verified_at, last_verify_result,
                  epoch_started_at, epoch_reason, clock_offset_ms, clock_offset_at, certificate_expires_at,
                  city_restored_at, city_restore_evidence, max(0, resend_until - pushed_seq) AS resend_pending,
                  (SELECT count(*) FROM refused_return) AS refused_returns, (SELECT count(*) FROM decision_alarm) AS decision_alarms
                FROM replica WHERE id = 1
                """)!
            return CountyStatus(
                role: "county", county: self.county, node: node, pending: beat.pending,
                oldestPendingAgeSeconds: beat.oldestPendingAgeSeconds, lastPushAt: position.lastPushAtMs,
                lastPullAt: position.lastPullAtMs, lastError: position.lastError, conflicts: row["conflicts"],
                parked: row["parked"], lastVerifiedAt: row["last_verified_at"], lastVerifyResult: row["last_verify_result"],
                epochStartedAt: row["epoch_started_at"], epochReason: row["epoch_reason"],
                clockOffsetMs: row["clock_offset_at"] == nil ? nil : row["clock_offset_ms"], clockOffsetAt: row["clock_offset_at"],
                certificateExpiresAt: row["certificate_expires_at"], cityRestoredAt: row["city_restored_at"],
                cityRestoreEvidence: row["city_restore_evidence"], resendPending: row["resend_pending"], refusedReturns: row["refused_returns"],
                decisionAlarms: row["decision_alarms"])
        }
    }

    /// Re-applies a parked change's values as a new local change, which syncs (and is judged) again.
    public func retryParked(id: Int64) throws {
        try write("retry parked change") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM parked WHERE id = ? AND resolution IS NULL", arguments: [id]) else {
                throw StoreError.invalidInput(.notFound(kind: "open parked change", id: String(id)))
            }
            let change = try decodeJSON(WireChange.self, row["change"])
            guard let table = SyncedTable.named(change.table) else { throw StoreError.notAllowed("unknown table \(change.table)") }
            let columns = table.columns.filter { change.values[$0] != nil }
            let exists = try Row.fetchOne(db, sql: table.selectByIdSQL, arguments: [change.rowId]) != nil
            switch (change.op, exists) {
            case ("delete", true):
                try db.execute(sql: "DELETE FROM \(table.name) WHERE id = ?", arguments: [change.rowId])
            case ("delete", false):
                break
            case (_, true) where !columns.isEmpty:
                try db.execute(sql: "UPDATE \(table.name) SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?",
                               arguments: StatementArguments(columns.map { change.values[$0]!.databaseValue } + [change.rowId]))
            case (_, false):
                try db.execute(sql: "INSERT INTO \(table.name) (id, \(columns.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: columns.count)))",
                               arguments: StatementArguments([change.rowId.databaseValue] + columns.map { change.values[$0]!.databaseValue }))
            default:
                break
            }
            try db.execute(sql: "UPDATE parked SET resolution = 'retried', resolved_at = ? WHERE id = ?", arguments: [CountyDatabase.wallClockMs(), id])
        }
    }

    /// Records the outcome of a verification against the city.
    public func recordVerification(_ result: String) throws {
        try write("record verification") { db in
            try db.execute(sql: "UPDATE replica SET last_verified_at = ?, last_verify_result = ? WHERE id = 1",
                           arguments: [CountyDatabase.wallClockMs(), result])
        }
    }

    /// A record's whole history here: local edits and whether the city acknowledged them, city
    /// edits pulled and how they were applied, conflicts and parked changes.
    public func history(of rowId: String) throws -> [HistoryEvent] {
        try stamp()
        return try read("read history") { db in
            let pushed = try Int64.fetchOne(db, sql: "SELECT pushed_seq FROM replica WHERE id = 1") ?? 0
            var events: [HistoryEvent] = []
            if let before = try Int64.fetchOne(db, sql: "SELECT log_compacted_before FROM replica WHERE id = 1") {
                events.append(HistoryEvent(atMs: before, kind: "compacted",
                                           detail: "changes acknowledged, and city changes applied, before this time were compacted (log-retention-days); earlier history is not kept here"))
            }
            for row in try Row.fetchAll(db, sql: "SELECT seq, tbl, op, columns, hlc, actor FROM change_log WHERE row_id = ? ORDER BY seq", arguments: [rowId]) {
                let table = SyncedTable.named(row["tbl"])!
                let seq: Int64 = row["seq"]
                let columns = table.columns(in: row["columns"]).joined(separator: ", ")
                let state = seq <= pushed ? "acknowledged by the city" : "not yet acknowledged"
                let actor: String? = row["actor"]
                events.append(HistoryEvent(atMs: HLCTimestamp(rawValue: row["hlc"]).physicalMs, kind: "local_edit",
                                           detail: "\(row["op"] as String) \(table.name) (\(columns.isEmpty ? "row" : columns)), change \(seq), \(state)\(Self.by(actor))",
                                           actor: actor))
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM received WHERE row_id = ? ORDER BY id", arguments: [rowId]) {
                let reason = (row["reason"] as String?).map { ": \($0)" } ?? ""
                // What the city decided, in its words: the status it set and a rejection's reason.
                let values = (try? decodeValues(row["values"] as String? ?? "{}")) ?? [:]
                var decided = ""
                if case .text(let status) = values["status"] ?? .null { decided += "; status \(status)" }
                if case .text(let why) = values["reject_reason"] ?? .null { decided += "; the city's reason: \(DomainText.shown(why))" }
                let actor: String? = row["actor"]
                events.append(HistoryEvent(atMs: HLCTimestamp(rawValue: row["hlc"]).physicalMs, kind: "city_edit",
                                           detail: "\(row["op"] as String) by \(row["node"] as String) (\(row["columns"] as String)), city change \(row["seq"] as Int64), \(row["outcome"] as String)\(reason)\(decided)\(Self.by(actor))",
                                           actor: actor))
            }
            events += try self.conflictAndParkedEvents(db, rowId: rowId)
            return events.sorted { $0.atMs < $1.atMs }
        }
    }
}
