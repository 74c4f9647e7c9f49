import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// Taking back the city's own changes after a restore from backup.
///
/// The city seals every change of its feed (`FeedSeal`) and each county keeps the seal with the
/// change. Restored from a backup, the city has lost the decisions it made after the backup, but
/// the counties that pulled them still hold them: each county finds the restore (its feed ends
/// before the county's pull position), sends them back here, and the city applies those carrying
/// its seal with the merge rules, as its own writes of that time. A decision the city made again
/// since the restore is newer and stays; the older one is recorded as its loser.
extension CityDatabase {
    /// Takes back `request`'s changes for `county` (from the verified certificate). Refused whole,
    /// changing nothing, when any change lacks this city's seal for this county, or fails the
    /// checks of a pushed change.
    ///
    /// A seal proves only that the city once sent the change to this county. So a change the
    /// city's feed still holds is not taken again (nothing was lost: a county replaying it gets
    /// `merged` and nothing changes), one written before `retainedSinceMs` (the feed's and the
    /// tombstones' retention) is refused as too old, and the rest is judged by the versions like
    /// any change: a returned delete older than the row stands for nothing.
    ///
    /// Nor does a seal say what came after it: while the record of what the city handed out
    /// (`ServedRecord`) shows changes of this county that the restore took and that are still
    /// missing, what the county gives back is kept (`return_waiting`) and taken back only with the
    /// rest (`ReturnGap`), so a county cannot give back a recognition and keep its revocation.
    public func takeBack(county: String, _ request: ReturnRequest, retainedSinceMs: Int64 = 0,
                         nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> ReturnResponse {
        try checkNode(request.node, county: county)
        guard let feedSeal else {
            throw StoreError.badBatch(code: .noFeedKey, message: "this city runs without a feed key, so it cannot check the seals of returned changes")
        }
        guard request.changes.count <= limits.maxBatchChanges else {
            throw StoreError.badBatch(code: .batchTooLarge, message: "the return has \(request.changes.count) changes; at most \(limits.maxBatchChanges) are accepted at once (max-batch-changes)")
        }
        let check = ChangeCheck(limits: limits)
        for (index, sealed) in request.changes.enumerated() {
            let change = sealed.change
            if let refusal = check.refusal(of: change, county: county, nowMs: nowMs) { throw StoreError(refusal) }
            guard change.node == replica.node, feedSeal.verify(sealed.seal, of: change, county: county) else {
                throw StoreError.forbidden("returned change \(index + 1) (\(change.table) \(change.rowId), feed seq \(change.seq)) does not carry this city's seal for county \(county); nothing was taken back")
            }
        }
        let applier = self.applier(nowMs: nowMs)
        let (answer, admission, decided) = try write("take back city changes") { db -> (ReturnResponse, NodeAdmission?, [WireChange]) in
            let admission = try admitNode(db, node: request.node, county: county, route: "return", nowMs: nowMs).admission
            // Only what a restore took is taken back (see above).
            var kept: [ChangeOutcome] = []
            var changes: [WireChange] = []
            for change in request.changes.map(\.change) {
                switch try Self.returnStanding(change, county: county, retainedSinceMs: retainedSinceMs, db: db) {
                case .lost: changes.append(change)
                case .held: kept.append(ChangeOutcome(seq: change.seq, outcome: .merged))
                case .beyondRetention:
                    kept.append(ChangeOutcome(seq: change.seq, outcome: .parked, reason: Self.returnTooOld,
                                              message: "\(change.table) \(change.rowId) was written at \(HLCTimestamp(rawValue: change.hlc)), before what the city retains; a restore did not take it, so it is not taken back"))
                }
            }
            _ = try CountyDatabase.stamp(db, wallMs: nowMs)
            try db.execute(sql: "UPDATE node_state SET last_contact_at = ? WHERE node = ?", arguments: [nowMs, request.node])
            guard !changes.isEmpty else { return (ReturnResponse(outcomes: kept), admission, []) }
            try db.execute(sql: "DELETE FROM return_gap WHERE hlc < ?", arguments: [HLCTimestamp(physicalMs: retainedSinceMs, logical: 0).rawValue])
            guard try Self.hasReturnGap(db, county: county) else {
                // Nothing the record knows was lost for this county: taken back as it comes.
                let outcomes = try applyReturned(changes, county: county, applier: applier, nowMs: nowMs, db: db)
                return (ReturnResponse(outcomes: (kept + outcomes).sorted { $0.seq < $1.seq }), admission, changes)
            }
            // The restore took changes this county was handed: kept until none is missing, then
            // taken back together, in the city's clock order.
            for change in changes { try Self.stage(change, county: county, nowMs: nowMs, db: db) }
            let (gap, given) = try Self.returnGap(db, county: county)
            guard gap.missing.isEmpty else {
                let message = "kept until county \(county) has given back every city change the restore took; still missing: \(gap.missingSummary)"
                let waiting = changes.map { ChangeOutcome(seq: $0.seq, outcome: .parked, reason: Self.returnWaiting, message: message) }
                return (ReturnResponse(outcomes: (kept + waiting).sorted { $0.seq < $1.seq }), admission, [])
            }
            let outcomes = try applyReturned(given, county: county, applier: applier, nowMs: nowMs, db: db)
            try db.execute(sql: "DELETE FROM return_gap WHERE county = ? AND settled_at IS NULL", arguments: [county])
            // This request's changes answered with the outcome of the same change taken back.
            let byKey = Dictionary(zip(given, outcomes).map { (ReturnKey($0.0), $0.1) }, uniquingKeysWith: { first, _ in first })
            let answered = changes.map { change in
                let outcome = byKey[ReturnKey(change)] ?? ChangeOutcome(seq: change.seq, outcome: .merged)
                return ChangeOutcome(seq: change.seq, outcome: outcome.outcome, reason: outcome.reason, message: outcome.message)
            }
            return (ReturnResponse(outcomes: (kept + answered).sorted { $0.seq < $1.seq }), admission, given)
        }
        if let admission { onNodeAdmitted(admission) }
        // Decided now: the record no longer needs them (a failure here only keeps them longer).
        try? servedRecord?.forget(county: county, decided.map { ($0.table, $0.rowId, $0.hlc) })
        return answer
    }

    /// Applies changes taken back, as the city's writes of their time, and feeds them again.
    func applyReturned(_ changes: [WireChange], county: String, applier: ChangeApplier, nowMs: Int64, db: Database) throws -> [ChangeOutcome] {
        try db.execute(sql: "UPDATE replica SET capture = 0 WHERE id = 1")
        var refused: [WireChange] = []
        let ordered = try Self.parentsFirst(changes, db: db)
        let outcomes = try applier.applyAll(ordered, county: county, db: db) { refused.append($0) }
        // A returned change of a row the city holds no trace of (neither the row nor its
        // tombstone: the restore took it, and its county sends it again) asserts nothing. A
        // delete in its place would take the county's copy, the only one left.
        let traced = try refused.filter { change in
            guard let table = SyncedTable.named(change.table) else { return false }
            return try table.values(db, rowId: change.rowId, columns: []) != nil
                || Tombstones.find(db, table: table.name, rowId: change.rowId) != nil
        }
        try reassertAll(traced, county: county, nowMs: nowMs, db: db)
        // What the city took goes into its feed again as it was, versions and all: the
        // county that gave it back may not hold it (a row it lacked then), nor may the
        // county's other nodes; a node that holds it finds the same version, a duplicate.
        for (change, outcome) in zip(ordered, outcomes) where outcome.outcome == .applied || outcome.outcome == .conflict {
            guard let table = SyncedTable.named(change.table), let op = ChangeOperation(rawValue: change.op),
                  try table.values(db, rowId: change.rowId, columns: Array(change.values.keys)) == change.values || op == .delete else { continue }
            try appendFeed(db, county: county, table: table, rowId: change.rowId, op: op, columns: Array(change.values.keys),
                           wallMs: nowMs, hlc: HLCTimestamp(rawValue: change.hlc), bases: change.bases, values: change.values)
        }
        try db.execute(sql: "UPDATE replica SET capture = 1 WHERE id = 1")
        // In the order applied: the caller pairs them with `changes` by row and clock reading.
        return zip(ordered, outcomes).sorted { ReturnKey($0.0) < ReturnKey($1.0) }.map(\.1)
    }

    /// The reason of a returned change refused as older than the feed's retention.
    static let returnTooOld = "return_too_old"

    /// Where a returned change stands against the city's feed.
    enum ReturnStanding: Equatable {
        /// The city holds no record of it: the restore took it.
        case lost
        /// The feed still holds this very change (same row, county and clock reading).
        case held
        /// It was written before what the city retains (feed entries and tombstones).
        case beyondRetention
    }

    /// Where `change`, sealed for `county`, stands now. Judged by what the seal covers (its row,
    /// county and clock reading), never by its feed seq, which the seal does not cover.
    static func returnStanding(_ change: WireChange, county: String, retainedSinceMs: Int64, db: Database) throws -> ReturnStanding {
        if HLCTimestamp(rawValue: change.hlc).physicalMs < retainedSinceMs { return .beyondRetention }
        let held = try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT 1 FROM change_log WHERE tbl = ? AND row_id = ? AND county = ? AND hlc = ?
            """), arguments: [change.table, change.rowId, county, change.hlc]) ?? false
        return held ? .held : .lost
    }
}
