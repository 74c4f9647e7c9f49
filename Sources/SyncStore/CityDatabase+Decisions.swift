import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// One decision the city made, and who made it: `operator-NAME` from the console, or
/// `shell:USER` for `syncctl` at the server.
public struct DecisionRecord: Sendable, Hashable, Codable {
    public let id: Int64
    public let atMs: Int64
    /// `operator-zhang`, `shell:root`.
    public let actor: String
    /// `approve`, `reject`, `disburse`, `recognize`, `revoke`, `reclassify`, `resolve_conflict`,
    /// `retry_parked`, `discard_parked`.
    public let action: String
    public let table: String
    public let rowId: String
    public let county: String
    /// A sentence for a person: what was decided, with the amount or reason.
    public let detail: String
}

/// What `syncctl verify --decisions` found in the city's decision log.
public struct DecisionChainReport: Sendable, Hashable, Codable {
    /// Entries whose chain holds, from the first.
    public let entries: Int
    /// The last entry whose chain holds.
    public let head: DecisionMark?
    /// The first entry whose hash does not hold, if any.
    public let brokenAt: Int64?
    /// Why it does not.
    public let reason: String?
}

extension CityDatabase {
    /// Who runs this process, for decisions made at the server's shell: `shell:USER`.
    public static var shellActor: String { ChangeActor.shell }

    /// Keeps who decided what, in the decision's own transaction.
    static func logDecision(_ db: Database, actor: String, action: String, table: String, rowId: String, county: String, detail: String) throws {
        // Chained to the entry before (`DecisionChain`); the id is taken here so the hash can cover it.
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, hash FROM decision_log ORDER BY id DESC LIMIT 1"))
        let sequence = try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM sqlite_sequence WHERE name = 'decision_log'")) ?? 0
        let id = max(sequence, last?["id"] ?? 0) + 1
        let atMs = CountyDatabase.wallClockMs()
        let actor = String(actor.prefix(200))
        let hash = DecisionChain.hash(previous: last?["hash"] ?? DecisionChain.genesis, id: id, atMs: atMs, actor: actor, action: action,
                                      table: table, rowId: rowId, county: county, detail: detail)
        try db.execute(sql: """
            INSERT INTO decision_log (id, at_ms, actor, action, tbl, row_id, county, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, atMs, actor, action, table, rowId, county, detail, hash])
    }

    /// The hash chain of the decision log in `db` from its first entry: the entry where it first
    /// breaks (its hash is not that of its fields chained to the entry before), if anywhere, and
    /// the head.
    static func checkDecisionChain(_ db: Database) throws -> DecisionChainReport {
        var previous = DecisionChain.genesis
        var count = 0
        var head: DecisionMark?
        let rows = try Row.fetchCursor(db, sql: "SELECT id, at_ms, actor, action, tbl, row_id, county, detail, hash FROM decision_log ORDER BY id")
        while let row = try rows.next() {
            let id: Int64 = row["id"]
            let expected = DecisionChain.hash(previous: previous, id: id, atMs: row["at_ms"], actor: row["actor"], action: row["action"],
                                              table: row["tbl"], rowId: row["row_id"], county: row["county"], detail: row["detail"])
            let stored: String? = row["hash"]
            guard stored == expected else {
                return DecisionChainReport(entries: count, head: head, brokenAt: id,
                                           reason: stored == nil ? "it carries no hash" : "its hash is not that of its fields chained to the entry before: it, or one before it, was changed, removed or inserted after the fact")
            }
            previous = expected
            head = DecisionMark(id: id, hash: expected)
            count += 1
        }
        return DecisionChainReport(entries: count, head: head, brokenAt: nil, reason: nil)
    }

    /// Checks the decision log's hash chain (`syncctl verify --decisions`).
    public func verifyDecisions() throws -> DecisionChainReport {
        try read("verify the decision log") { db in try Self.checkDecisionChain(db) }
    }

    /// The decision log's last entry, and the entry `id` as it is now (for a pull).
    static func decisionMarks(_ db: Database, seen id: Int64?) throws -> (head: DecisionMark?, at: DecisionMark?) {
        let head = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, hash FROM decision_log ORDER BY id DESC LIMIT 1"))
            .flatMap { row in (row["hash"] as String?).map { DecisionMark(id: row["id"], hash: $0) } }
        guard let id else { return (head, nil) }
        let at = try String.fetchOne(db.cachedStatement(sql: "SELECT hash FROM decision_log WHERE id = ?"), arguments: [id])
            .map { DecisionMark(id: id, hash: $0) }
        return (head, at)
    }

    /// The decisions about one county's records, newest first.
    public func decisions(county: String? = nil, rowId: String? = nil, limit: Int = 200) throws -> [DecisionRecord] {
        try read("read decisions") { db in
            var filters: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let county { filters.append("county = ?"); arguments.append(county) }
            if let rowId { filters.append("row_id = ?"); arguments.append(rowId) }
            let filter = filters.isEmpty ? "" : "WHERE " + filters.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: "SELECT * FROM decision_log \(filter) ORDER BY id DESC LIMIT ?",
                                    arguments: StatementArguments(arguments + [limit])).map { row in
                DecisionRecord(id: row["id"], atMs: row["at_ms"], actor: row["actor"], action: row["action"], table: row["tbl"],
                               rowId: row["row_id"], county: row["county"], detail: row["detail"])
            }
        }
    }

    /// Applies a change the city parked again, as the county sent it, against the city's rows as
    /// they are now (a missing platform may have arrived, a duplicate been withdrawn). Applied, it
    /// is marked retried and the rows it wrote reach the county with the city's next feed entries;
    /// refused again, nothing changes and the refusal is thrown with its reason.
    public func retryParked(id: Int64, by actor: String = CityDatabase.shellActor) throws {
        try requireRole(actor, .decide, "retry a parked change")
        let applier = self.applier(nowMs: CountyDatabase.wallClockMs())
        try write("retry parked change") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM parked WHERE id = ? AND resolution IS NULL", arguments: [id]) else {
                throw StoreError.invalidInput(.notFound(kind: "open parked change", id: String(id)))
            }
            let county: String = row["county"]
            let change = try decodeJSON(WireChange.self, row["change"])
            // Applied with capture on: what it writes is the city's edit now, fed back to the county
            // whose replica dropped or reverted the change when it was parked.
            let outcome = try applier.apply(change, county: county, db: db)
            if outcome.outcome == .parked {
                throw StoreError.notAllowed("parked change \(id) is still refused: \(outcome.reason ?? "refused"): \(outcome.message ?? "")")
            }
            try db.execute(sql: "UPDATE parked SET resolution = 'retried', resolved_at = ? WHERE id = ?", arguments: [CountyDatabase.wallClockMs(), id])
            try Self.logDecision(db, actor: actor, action: "retry_parked", table: change.table, rowId: change.rowId, county: county,
                                 detail: "retried parked change \(id) (\(change.op) from \(change.node), seq \(change.seq)): applied")
        }
    }
}

/// One replica (node) of a county as the city knows it: a county's history of machines and
/// restores, for the console's county page.
public struct NodeRecord: Sendable, Hashable, Codable {
    public let node: String
    public let county: String
    /// Every change up to this seq of the node is at the city.
    public let highWater: Int64
    public let admittedAt: Int64?
    /// Why the city accepted this node (first of its county, or the evidence of a new epoch).
    public let admission: String?
    public let lastContactAt: Int64?
    public let lastPushAt: Int64?
    public let lastPullAt: Int64?
    public let pending: Int?
    public let lastError: String?
    /// When the city retired it, and why (nil: in service).
    public var retiredAt: Int64? = nil
    public var retiredReason: String? = nil
}

extension CityDatabase {
    /// A county's nodes, newest contact first.
    public func nodes(county: String) throws -> [NodeRecord] {
        try read("read nodes") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM node_state WHERE county = ? ORDER BY last_contact_at DESC", arguments: [county]).map { row in
                NodeRecord(node: row["node"], county: row["county"], highWater: row["high_water"], admittedAt: row["admitted_at"],
                           admission: row["admission"], lastContactAt: row["last_contact_at"], lastPushAt: row["last_push_at"],
                           lastPullAt: row["last_pull_at"], pending: row["pending"], lastError: row["last_error"],
                           retiredAt: row["retired_at"], retiredReason: row["retired_reason"])
            }
        }
    }
}
