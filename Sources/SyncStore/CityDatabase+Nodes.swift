import Foundation
import GRDB
import SyncCore

/// A node the city admitted for a county, and why: logged and kept in `node_state.admission`.
public struct NodeAdmission: Sendable, Hashable {
    /// The new node.
    public let node: String
    /// Its county (from the certificate).
    public let county: String
    /// The request that introduced it (`push`, `pull`, `heartbeat`, ...).
    public let route: String
    /// The evidence: the county's other nodes with their marks and last contact, or that it is the first.
    public let evidence: String
}

/// Nodes. A county's replica speaks as a node, `county-CODE-SUFFIX`; a replica restored from a
/// backup, or a replacement machine, continues under a new one (see `CountyDatabase+Epoch`). The
/// city admits a node once, on its first contact, in one place: the id must be well formed and
/// name the certificate's county, the county may hold at most `limits.maxNodesPerCounty` nodes,
/// and each admission is kept with its evidence and, once its transaction committed, reported
/// through `onNodeAdmitted` (a rolled-back admission is never logged as made).
extension CityDatabase {
    /// A county's nodes are named `county-CODE-SUFFIX` (suffix: 1 to 32 of `a-z`, `0-9`, `-`);
    /// a certificate for one county cannot speak for another's node.
    public func checkNode(_ node: String, county: String) throws {
        let prefix = "county-\(county)-"
        guard node.hasPrefix(prefix) else {
            throw StoreError.forbidden("node \(node.prefix(SyncLimits.maxNodeBytes)) is not a node of county \(county)")
        }
        let suffix = node.utf8.dropFirst(prefix.utf8.count)
        guard (1...32).contains(suffix.count),
              suffix.allSatisfy({ (48...57).contains($0) || (97...122).contains($0) || $0 == 45 }) else {
            throw StoreError.badBatch(code: .badNode, message: "node \(node.prefix(SyncLimits.maxNodeBytes)) is not a node id: expected \(prefix) and 1 to 32 of a-z, 0-9 and -")
        }
    }

    /// A node's high-water mark, admitting the node on its first contact (see the extension's
    /// documentation); the admission, if this call made one, for the caller to report after commit.
    /// Throws `too_many_nodes` when the county already holds the most it may.
    func admitNode(_ db: Database, node: String, county: String, route: String, nowMs: Int64) throws -> (mark: Int64, admission: NodeAdmission?) {
        if let known = try Row.fetchOne(db.cachedStatement(sql: "SELECT high_water, retired_at, retired_reason FROM node_state WHERE node = ?"),
                                        arguments: [node]) {
            if let retired = known["retired_at"] as Int64? {
                throw StoreError.badBatch(code: .nodeRetired, message: "node \(node) was retired by the city on \(Self.isoTime(retired)) (\(known["retired_reason"] as String? ?? "")); this replica continues as a new node")
            }
            return (known["high_water"], nil)
        }
        // Retired nodes hold no slot.
        let others = try Row.fetchAll(db, sql: """
            SELECT node, high_water, last_contact_at FROM node_state WHERE county = ? AND retired_at IS NULL ORDER BY ifnull(last_contact_at, 0) DESC
            """, arguments: [county])
        guard others.count < limits.maxNodesPerCounty else {
            throw StoreError.badBatch(code: .tooManyNodes, message: """
                county \(county) already has \(others.count) nodes at the city, the most it may have (max-nodes-per-county); \
                node \(node) is refused. A replica restored from a backup or a new machine needs a new node: \
                ask the city to retire old ones or raise the limit
                """)
        }
        let evidence = others.isEmpty
            ? "first node of county \(county)"
            : "new node beside \(others.count): " + others.prefix(4).map { row in
                let contact: Int64? = row["last_contact_at"]
                return "\(row["node"] as String) (high water \(row["high_water"] as Int64), last contact \(contact.map(Self.isoTime) ?? "never"))"
            }.joined(separator: ", ")
        try db.execute(sql: "INSERT INTO node_state (node, county, admitted_at, admission) VALUES (?, ?, ?, ?)",
                       arguments: [node, county, nowMs, "\(route): \(evidence)"])
        return (0, NodeAdmission(node: node, county: county, route: route, evidence: evidence))
    }

    /// Retires `node`: its slot is free for a new node of its county, and it is refused from
    /// then on (`node_retired`; a county replica answered so continues as a new node). Kept in
    /// the decision log with `reason`.
    public func retireNode(_ node: String, reason: String, by actor: String = CityDatabase.shellActor, nowMs: Int64 = CountyDatabase.wallClockMs()) throws {
        try requireRole(actor, .administer, "retire a node")
        guard let why = try Self.checkedReason(reason) else {
            throw StoreError.invalidInput(.invalid(field: "reason", value: "", rule: "retiring a node needs a reason"))
        }
        try write("retire node") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT county, retired_at FROM node_state WHERE node = ?", arguments: [node]) else {
                throw StoreError.invalidInput(.notFound(kind: "node", id: node))
            }
            guard (row["retired_at"] as Int64?) == nil else { throw StoreError.notAllowed("node \(node) is already retired") }
            try db.execute(sql: "UPDATE node_state SET retired_at = ?, retired_reason = ? WHERE node = ?", arguments: [nowMs, why, node])
            try Self.logDecision(db, actor: actor, action: "retire_node", table: "node", rowId: node, county: row["county"], detail: "retired: \(why)")
        }
    }

    /// Retires every node silent since before `silentBeforeMs` (its last contact, or its
    /// admission if it never spoke again); returns them. Each is kept in the decision log.
    @discardableResult
    public func retireSilentNodes(silentBeforeMs: Int64, days: Int, nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> [String] {
        let silent = try read("find silent nodes") { db in
            try String.fetchAll(db, sql: """
                SELECT node FROM node_state WHERE retired_at IS NULL AND ifnull(last_contact_at, ifnull(admitted_at, 0)) < ? ORDER BY node
                """, arguments: [silentBeforeMs])
        }
        for node in silent {
            try retireNode(node, reason: "silent for more than \(days) days (node-retire-days)", by: "city-aggregator", nowMs: nowMs)
        }
        return silent
    }

    static func isoTime(_ ms: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(ms) / 1_000))
    }
}
