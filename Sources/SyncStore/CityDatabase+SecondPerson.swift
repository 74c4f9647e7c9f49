import Foundation
import GRDB
import SyncCore

/// A decision that waits for a second operator: an approval or payment of at least the roles
/// file's `second-person-from-yuan`, or any decision with an override. The first operator's
/// decision is checked in full and kept here; a different operator confirms it (then it is made,
/// checked again, as the first operator's, "confirmed by" the second) or refuses it.
public struct PendingDecision: Sendable, Hashable, Codable {
    public let id: Int64
    /// `approve`, `disburse` or `recognize`.
    public let action: String
    public let recordId: String
    public let county: String
    /// What was asked, for a person.
    public let summary: String
    public let proposedBy: String
    public let proposedAt: Int64
    /// `pending`, `confirmed` or `refused`.
    public let state: String
    public let decidedBy: String?
    public let decidedAt: Int64?
    public let note: String?
}

/// The parameters of a pending decision, as kept.
struct PendingParameters: Codable, Sendable {
    var amountFen: Int64?
    var on: String
    var overrideReason: String?
    var confirmAboveCeiling: Bool?
    var distinctReason: String?
    var document: String?
}

/// Thrown inside a decision's transaction when it needs a second person: the transaction rolls
/// back, and the decision is kept as pending.
struct SecondPersonNeeded: Error {
    let summary: String
}

extension CityDatabase {
    /// Refuses `actor` a decision of `action` its roles do not allow (`roles`).
    func requireRole(_ actor: String, _ action: CityAction, _ what: String) throws {
        let roles = self.roles
        guard roles.may(actor, action) else {
            let needed = switch action {
            case .decide: "approver"
            case .pay: "payer"
            case .administer: "admin"
            }
            throw StoreError.notAllowed("\(actor) may not \(what): it needs the \(needed) role in \(roles.file ?? "the roles file"), and \(actor) has \(roles.describe(actor))")
        }
    }

    /// Whether a decision of `amount` (or with an override) needs a second person.
    func needsSecondPerson(amount: Fen?, override: Bool) -> Bool {
        override || (amount.map { $0 >= roles.secondPersonFrom } ?? false)
    }

    /// Runs `decide` (which throws `SecondPersonNeeded` when it needs a second person and
    /// `confirmedBy` is nil); keeps the decision as pending then, and throws
    /// `awaitingSecondPerson` naming it.
    func withSecondPerson<T>(action: String, recordId: String, county: @escaping () throws -> String, parameters: PendingParameters,
                             by actor: String, _ decide: () throws -> T) throws -> T {
        do {
            return try decide()
        } catch let needed as SecondPersonNeeded {
            let data = try JSONEncoder().encode(parameters)
            let county = try county()
            let id = try write("keep a pending decision") { db -> Int64 in
                if let waiting = try Int64.fetchOne(db, sql: "SELECT id FROM pending_decision WHERE action = ? AND record_id = ? AND state = 'pending'",
                                                    arguments: [action, recordId]) {
                    throw StoreError.notAllowed("\(action) of \(recordId) already waits for a second operator as pending decision \(waiting) (syncctl pending confirm|refuse \(waiting))")
                }
                try db.execute(sql: """
                    INSERT INTO pending_decision (action, record_id, county, summary, params, proposed_by, proposed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [action, recordId, county, needed.summary, String(decoding: data, as: UTF8.self), actor, CountyDatabase.wallClockMs()])
                let id = db.lastInsertedRowID
                try Self.logDecision(db, actor: actor, action: "propose_\(action)", table: action == "recognize" ? "platform" : "award", rowId: recordId,
                                     county: county, detail: "\(needed.summary); waits for a second operator (pending decision \(id))")
                return id
            }
            throw StoreError.awaitingSecondPerson(
                pending: id,
                message: "\(needed.summary): a second operator confirms it (pending decision \(id): syncctl pending confirm \(id), or on the console's decisions page)")
        }
    }

    /// The decisions waiting for a second operator (or, with `all`, every one kept), newest first.
    public func pendingDecisions(all: Bool = false) throws -> [PendingDecision] {
        try read("read pending decisions") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pending_decision \(all ? "" : "WHERE state = 'pending'") ORDER BY id DESC LIMIT 500").map(Self.pending)
        }
    }

    private static func pending(_ row: Row) -> PendingDecision {
        PendingDecision(id: row["id"], action: row["action"], recordId: row["record_id"], county: row["county"], summary: row["summary"],
                        proposedBy: row["proposed_by"], proposedAt: row["proposed_at"], state: row["state"], decidedBy: row["decided_by"],
                        decidedAt: row["decided_at"], note: row["note"])
    }

    /// A different operator confirms a pending decision: it is made now, checked again against
    /// the records as they are, as the first operator's decision confirmed by `actor`. Returns
    /// what was decided.
    @discardableResult
    public func confirmPending(id: Int64, by actor: String = CityDatabase.shellActor) throws -> String {
        let (pending, parameters) = try waiting(id, by: actor, verb: "confirm")
        let on = try CalendarDate(parameters.on, field: "on")
        switch pending.action {
        case "approve":
            try requireRole(actor, .decide, "confirm an approval")
            _ = try approve(id: pending.recordId, amount: parameters.amountFen.map(Fen.init(rawValue:)), on: on, overrideReason: parameters.overrideReason,
                            confirmAboveCeiling: parameters.confirmAboveCeiling ?? false, by: pending.proposedBy, confirmedBy: actor)
        case "disburse":
            try requireRole(actor, .pay, "confirm a payment")
            _ = try disburse(id: pending.recordId, on: on, by: pending.proposedBy, confirmedBy: actor)
        case "recognize":
            try requireRole(actor, .decide, "confirm a recognition")
            _ = try recognize(id: pending.recordId, on: on, overrideReason: parameters.overrideReason, distinctReason: parameters.distinctReason,
                              document: parameters.document, by: pending.proposedBy, confirmedBy: actor)
        default:
            throw StoreError.notAllowed("pending decision \(id) is of an unknown kind \(pending.action)")
        }
        try settle(id, state: "confirmed", by: actor, note: nil)
        return pending.summary
    }

    /// A different operator refuses a pending decision, with a reason; nothing else changes.
    public func refusePending(id: Int64, reason: String?, by actor: String = CityDatabase.shellActor) throws {
        guard let reason = try Self.checkedReason(reason) else {
            throw StoreError.invalidInput(.invalid(field: "reason", value: "", rule: "refusing a pending decision says why"))
        }
        let (pending, _) = try waiting(id, by: actor, verb: "refuse")
        try requireRole(actor, pending.action == "disburse" ? .pay : .decide, "refuse a pending decision")
        try settle(id, state: "refused", by: actor, note: reason)
        try write("log a refused decision") { db in
            try Self.logDecision(db, actor: actor, action: "refuse_\(pending.action)", table: pending.action == "recognize" ? "platform" : "award",
                                 rowId: pending.recordId, county: pending.county,
                                 detail: "refused pending decision \(id) of \(pending.proposedBy) (\(pending.summary)): \(reason)")
        }
    }

    /// The pending decision `id`, still pending, and not `actor`'s own.
    private func waiting(_ id: Int64, by actor: String, verb: String) throws -> (PendingDecision, PendingParameters) {
        let found = try read("read a pending decision") { db -> (PendingDecision, String)? in
            try Row.fetchOne(db, sql: "SELECT * FROM pending_decision WHERE id = ?", arguments: [id]).map { (Self.pending($0), $0["params"]) }
        }
        guard let (pending, params) = found else { throw StoreError.invalidInput(.notFound(kind: "pending decision", id: String(id))) }
        guard pending.state == "pending" else {
            throw StoreError.notAllowed("pending decision \(id) was \(pending.state) by \(pending.decidedBy ?? "someone") already")
        }
        guard pending.proposedBy != actor else {
            throw StoreError.notAllowed("\(actor) made pending decision \(id) and cannot \(verb) it: a second operator does")
        }
        return (pending, try JSONDecoder().decode(PendingParameters.self, from: Data(params.utf8)))
    }

    private func settle(_ id: Int64, state: String, by actor: String, note: String?) throws {
        try write("settle a pending decision") { db in
            try db.execute(sql: "UPDATE pending_decision SET state = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ? AND state = 'pending'",
                           arguments: [state, actor, CountyDatabase.wallClockMs(), note, id])
        }
    }
}
