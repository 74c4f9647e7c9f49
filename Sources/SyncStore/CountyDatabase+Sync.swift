import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// Where a county replica stands with the city.
public struct SyncPosition: Sendable, Hashable, Codable {
    /// Every change up to this seq is acknowledged by the city.
    public let pushedSeq: Int64
    /// The city feed has been applied up to this seq.
    public let pulledSeq: Int64
    /// The newest change in the log.
    public let lastSeq: Int64
    /// When the last push succeeded (ms since 1970).
    public let lastPushAtMs: Int64?
    /// When the last pull succeeded.
    public let lastPullAtMs: Int64?
    /// The last sync error, cleared by the next success.
    public let lastError: String?
}

extension CountyDatabase {
    /// The next batch to push: up to `limit` unacknowledged changes, stamped, with their frozen
    /// values. With `sent`, the batch after the changes up to `sent`, which are on their way (the
    /// next batch is read while the city applies the current one).
    public func nextPushBatch(after sent: Int64? = nil, limit: Int) throws -> PushRequest? {
        // Stamping goes in seq order, a batch at a time (twice its size, for a batch extended to
        // a platform's insert): a large backlog is stamped while the city applies what went before.
        try stamp(limit: 2 * limit)
        let (entries, base) = try read("read push batch") { db -> ([ChangeEntry], Int64) in
            let row = try Row.fetchOne(db, sql: "SELECT pushed_seq, epoch_base_seq FROM replica WHERE id = 1")
            let pushed: Int64 = row?["pushed_seq"] ?? 0
            let base: Int64 = row?["epoch_base_seq"] ?? 0
            return (try Self.batchEntries(db, after: max(pushed, sent ?? 0), limit: limit), base)
        }
        guard !entries.isEmpty else { return nil }
        let node = replica.node
        return PushRequest(node: node, changes: entries.map { entry in
            WireChange(seq: entry.seq, table: entry.table, rowId: entry.rowId, op: entry.op.rawValue, hlc: entry.hlc.rawValue,
                       node: node, values: entry.values, bases: entry.bases, actor: entry.actor)
        }, epochBaseSeq: base)
    }

    /// Up to `limit` stamped entries after `pushed`, extended so a batch does not end between an
    /// award and the insert of a platform it names that was made after it.
    private static func batchEntries(_ db: Database, after pushed: Int64, limit: Int) throws -> [ChangeEntry] {
        let entries = try Self.entries(db, after: pushed, limit: limit)
        // A batch does not end between an award and the insert of a platform it names that
        // was made after it (an award moved to a new platform): the city then gets both in
        // one push and applies the platform first. Up to twice the limit; beyond, as it is.
        guard let last = entries.last?.seq else { return entries }
        let named = Set(entries.compactMap { entry -> String? in
            guard entry.table == "award", entry.op != .delete, case .text(let id) = entry.values["platform_id"] ?? .null else { return nil }
            return id
        })
        guard !named.isEmpty else { return entries }
        let later = try Int64.fetchOne(db, sql: """
            SELECT max(seq) FROM change_log WHERE tbl = 'platform' AND op = 'insert' AND seq > ? AND hlc IS NOT NULL
              AND row_id IN (\(named.map { _ in "?" }.joined(separator: ", ")))
            """, arguments: StatementArguments([last] + named.sorted()))
        guard let later, later - pushed <= Int64(2 * limit) else { return entries }
        return try Self.entries(db, after: pushed, limit: Int(later - pushed))
    }

    /// Records the city's answer to a push in one transaction: the acknowledged mark moves, and
    /// every change the city parked is kept locally with its reason.
    public func acknowledge(_ request: PushRequest, _ response: PushResponse, nowMs: Int64 = CountyDatabase.wallClockMs()) throws {
        let parkedOutcomes = response.outcomes.filter { $0.outcome == .parked }
        // Changes run from firstSeq without a gap: a parked one is found by its offset.
        let first = request.changes.first?.seq ?? 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let parked = try parkedOutcomes.compactMap { outcome -> (ChangeOutcome, WireChange, String)? in
            let offset = outcome.seq - first
            guard offset >= 0, offset < request.changes.count, case let change = request.changes[Int(offset)], change.seq == outcome.seq else { return nil }
            return (outcome, change, String(decoding: try encoder.encode(change), as: UTF8.self))
        }
        let county = self.county
        try write("acknowledge push") { db in
            for (outcome, change, json) in parked {
                try db.execute(sql: """
                    INSERT OR IGNORE INTO parked (node, county, seq, tbl, row_id, op, change, reason, message, parked_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [change.node, county, change.seq, change.table, change.rowId, change.op, json,
                                     outcome.reason ?? "parked", outcome.message ?? "", nowMs])
            }
            // Only this batch is acknowledged. The city's mark may lie beyond it (changes of this
            // node the replica no longer has, after a restore), and those seqs are the replica's
            // next, different changes: taking the mark would skip them unsent.
            try db.execute(sql: """
                UPDATE replica SET pushed_seq = max(pushed_seq, min(?, ?)), node_acked_seq = max(node_acked_seq, min(?, ?)),
                  last_push_at = ?, last_error = NULL WHERE id = 1
                """, arguments: [response.highWater, request.lastSeq, response.highWater, request.lastSeq, nowMs])
        }
    }

    /// Applies a page of the city's feed and stores the cursor in the same transaction.
    @discardableResult
    /// Every change is checked first (`ChangeCheck`, against this replica's clock corrected by its
    /// measured offset): one that fails refuses the whole page, and nothing of it is applied.
    public func applyPull(_ response: PullResponse, limits: SyncLimits = SyncLimits(), nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> [ChangeOutcome] {
        let applier = self.applier(nowMs: nowMs)
        let county = self.county
        let check = ChangeCheck(limits: limits)
        let cityNow = nowMs + (try clockOffset()?.offsetMs ?? 0)
        // A clock reading ahead is refused whole (the county measures its offset again and reads
        // the page again). Any other entry this replica must refuse (a value over its limits, a
        // column it does not know, another county's row) is parked here and the pull goes on:
        // one bad entry of the city's must not stop every later decision from arriving.
        var refused: [Int64: ChangeRefusal] = [:]
        for change in response.changes {
            if let refusal = check.refusal(of: change, county: county, nowMs: cityNow) {
                guard refusal.code != .clockAhead else {
                    throw StoreError.badBatch(code: refusal.code.errorCode, message: "the city's feed: \(refusal); nothing of the page was applied")
                }
                refused[change.seq] = refusal
            }
        }
        let refusals = refused
        return try applyingSync { db in
            let cursor = try Int64.fetchOne(db, sql: "SELECT pulled_seq FROM replica WHERE id = 1") ?? 0
            let fresh = response.changes.filter { $0.seq > cursor }
            let applicable = fresh.filter { refusals[$0.seq] == nil }
            // A page may restore a child before its parent (the city re-asserting an award and then
            // its platform, both deleted here): references are checked when the page is applied whole.
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            var applied = try applier.applyAll(applicable, county: county, db: db)
            // A child whose parent is still missing is removed again and parked, as an immediate
            // check would have done, so the page commits.
            let orphans = try db.cachedStatement(sql: """
                SELECT id FROM award WHERE id = ? AND NOT EXISTS (SELECT 1 FROM platform WHERE platform.id = award.platform_id AND platform.county = award.county)
                """)
            for id in Set(applicable.filter { $0.table == "award" && $0.op != "delete" }.map(\.rowId)) {
                guard try String.fetchOne(orphans, arguments: [id]) != nil else { continue }
                try db.execute(sql: "DELETE FROM award WHERE id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM row_version WHERE tbl = 'award' AND row_id = ?", arguments: [id])
                if let index = applicable.lastIndex(where: { $0.table == "award" && $0.rowId == id && $0.op != "delete" }) {
                    let message = "award \(id) is for a platform this replica does not have"
                    try applier.park(applicable[index], county: county, reason: .missingPlatform, message: message, db: db)
                    applied[index] = ChangeOutcome(seq: applicable[index].seq, outcome: .parked, reason: ParkReason.missingPlatform.rawValue, message: message)
                }
            }
            // The refused entries, parked with the reason, in the page's order.
            var outcomes: [ChangeOutcome] = []
            var next = applied.makeIterator()
            for change in fresh {
                guard let refusal = refusals[change.seq] else {
                    outcomes.append(next.next()!)
                    continue
                }
                let message = "the city's feed: \(refusal); parked here, and the pull went on"
                try applier.park(change, county: county, reason: .malformedChange, message: message, db: db)
                outcomes.append(ChangeOutcome(seq: change.seq, outcome: .parked, reason: ParkReason.malformedChange.rawValue, message: message))
            }
            // Each change is kept with the city's seal (when the city seals its feed), so it can
            // be given back to a city restored from a backup that predates it.
            var seals: [Int64: String] = [:]
            if let sent = response.seals, sent.count == response.changes.count {
                for (change, seal) in zip(response.changes, sent) { seals[change.seq] = seal }
            }
            let log = try db.cachedStatement(sql: """
                INSERT INTO received (node, seq, tbl, row_id, op, columns, hlc, outcome, reason, applied_at, "values", bases, seal, actor)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (change, outcome) in zip(fresh, outcomes) {
                let seal = seals[change.seq]
                try log.execute(arguments: [change.node, change.seq, change.table, change.rowId, change.op,
                                            change.values.keys.sorted().joined(separator: ","), change.hlc,
                                            outcome.outcome.rawValue, outcome.reason, nowMs,
                                            seal.map { _ in JSONText.values(change.values) }, seal.map { _ in JSONText.versions(change.bases) }, seal,
                                            change.actor.flatMap { ChangeActor.isValid($0) ? $0 : nil }])
            }
            try db.execute(sql: "UPDATE replica SET pulled_seq = max(pulled_seq, ?), last_pull_at = ?, last_error = NULL WHERE id = 1",
                           arguments: [response.cursor, nowMs])
            return outcomes
        }
    }

    /// The merge engine as a county applies the city's changes.
    func applier(nowMs: Int64) -> ChangeApplier {
        ChangeApplier(receiver: .county, authority: authority, counties: counties, policy: policy, nowMs: nowMs)
    }

    /// Records a failed sync attempt, for status and heartbeats.
    public func recordSyncError(_ message: String) throws {
        try write("record sync error") { db in
            try db.execute(sql: "UPDATE replica SET last_error = ? WHERE id = 1", arguments: [String(message.prefix(500))])
        }
    }

    /// Where this replica stands with the city.
    public func syncPosition() throws -> SyncPosition {
        try read("read sync position") { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT pushed_seq, pulled_seq, last_push_at, last_pull_at, last_error,
                  max((SELECT ifnull(max(seq), 0) FROM change_log),
                      (SELECT ifnull(max(seq), 0) FROM sqlite_sequence WHERE name = 'change_log')) AS last_seq
                FROM replica WHERE id = 1
                """)!
            return SyncPosition(pushedSeq: row["pushed_seq"], pulledSeq: row["pulled_seq"], lastSeq: row["last_seq"],
                                lastPushAtMs: row["last_push_at"], lastPullAtMs: row["last_pull_at"], lastError: row["last_error"])
        }
    }

    /// The heartbeat this replica would send now.
    public func heartbeat() throws -> Heartbeat {
        let node = replica.node
        return try read("read heartbeat") { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*) AS pending, min(wall_ms) AS oldest, (SELECT last_error FROM replica WHERE id = 1) AS last_error,
                  (SELECT clock_offset_ms FROM replica WHERE id = 1 AND clock_offset_at IS NOT NULL) AS offset,
                  (SELECT max(node_acked_seq, resend_until) FROM replica WHERE id = 1) AS acknowledged,
                  (SELECT pulled_seq FROM replica WHERE id = 1) AS pulled,
                  (\(Self.pulledHlcSQL)) AS pulled_hlc
                FROM change_log WHERE seq > (SELECT pushed_seq FROM replica WHERE id = 1)
                """)!
            let oldest: Int64? = row["oldest"]
            let age = oldest.map { max(0, Int((CountyDatabase.wallClockMs() - $0) / 1000)) } ?? 0
            return Heartbeat(node: node, pending: row["pending"], oldestPendingAgeSeconds: age, lastError: row["last_error"],
                             clockOffsetMs: row["offset"], acknowledgedSeq: row["acknowledged"], pulledSeq: row["pulled"], pulledHlc: row["pulled_hlc"])
        }
    }
}

extension CountyDatabase {
    /// Repairs this replica's positions after the city was restored from a backup, from the
    /// city's answer to a heartbeat of this very node: a high-water mark below what the city
    /// acknowledged means it lost changes, which are sent again from there (the log still has
    /// them); a feed that ends before this replica's pull position means the city's later entries
    /// are gone, and pulling goes on from its end. Returns the evidence, or nil if neither holds.
    public func repairAfterCityRestore(highWater: Int64, feedSeq: Int64?, nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> String? {
        try write("repair after a city restore") { db in
            let row = try Row.fetchOne(db, sql: "SELECT pushed_seq, pulled_seq, node_acked_seq, epoch_base_seq FROM replica WHERE id = 1")!
            let (acked, pulled, base): (Int64, Int64, Int64) = (row["node_acked_seq"], row["pulled_seq"], row["epoch_base_seq"])
            var evidence: [String] = []
            if highWater < acked {
                let from = max(highWater, base)
                evidence.append("the city holds changes of this node up to \(highWater) but had acknowledged \(acked); sending \(from + 1) to \(acked) again")
                try db.execute(sql: "UPDATE replica SET resend_until = max(resend_until, node_acked_seq), pushed_seq = min(pushed_seq, ?) WHERE id = 1",
                               arguments: [from])
            }
            if let feedSeq, feedSeq < pulled {
                // The city's changes after the end of its feed are gone from the city, and this
                // replica holds those it pulled: they go back to the city (`changesToReturn`).
                try db.execute(sql: """
                    UPDATE received SET to_return = 1
                    WHERE id > (SELECT received_repair_id FROM replica WHERE id = 1) AND (seq > ? OR seq = 0) AND seal IS NOT NULL
                    """, arguments: [feedSeq])
                let lost = db.changesCount
                evidence.append("the city's feed ends at \(feedSeq) but this replica had pulled up to \(pulled); giving back the city's \(lost) change(s) after \(feedSeq) and pulling on from \(feedSeq)")
                try db.execute(sql: "UPDATE replica SET pulled_seq = ?, received_repair_id = (SELECT ifnull(max(id), 0) FROM received) WHERE id = 1",
                               arguments: [feedSeq])
            }
            guard !evidence.isEmpty else { return nil }
            let text = "the city database went back in time (restored from a backup?): " + evidence.joined(separator: "; ")
            try db.execute(sql: "UPDATE replica SET city_restored_at = ?, city_restore_evidence = ? WHERE id = 1", arguments: [nowMs, text])
            return text
        }
    }
}

/// How far this machine's clock is off the city's, as last measured.
public struct ClockOffset: Sendable, Hashable, Codable {
    /// The city's clock minus this machine's, in milliseconds.
    public let offsetMs: Int64
    /// When it was measured (this machine's clock, ms since 1970).
    public let measuredAtMs: Int64
}

extension CountyDatabase {
    /// Offsets further off than this are not believed (a broken answer, not a clock).
    static let maxBelievableOffsetMs: Int64 = 100 * 365 * 86_400_000

    /// Records the offset measured against the city: stamping adds it from now on. Written only
    /// when it moved by more than `toleranceMs`, so a steady clock costs no writes.
    public func recordClockOffset(_ offsetMs: Int64, nowMs: Int64 = CountyDatabase.wallClockMs(), toleranceMs: Int64 = 250) throws {
        guard abs(offsetMs) <= Self.maxBelievableOffsetMs else {
            throw StoreError.badBatch(code: .badClock, message: "the city's clock is \(offsetMs) ms off this machine's: not believable")
        }
        if let current = try clockOffset(), abs(current.offsetMs - offsetMs) <= toleranceMs { return }
        try write("record clock offset") { db in
            try db.execute(sql: "UPDATE replica SET clock_offset_ms = ?, clock_offset_at = ? WHERE id = 1", arguments: [offsetMs, nowMs])
        }
    }

    /// The offset last measured against the city, or nil if none was measured yet.
    public func clockOffset() throws -> ClockOffset? {
        try read("read clock offset") { db in
            try Row.fetchOne(db, sql: "SELECT clock_offset_ms, clock_offset_at FROM replica WHERE id = 1 AND clock_offset_at IS NOT NULL")
                .map { ClockOffset(offsetMs: $0["clock_offset_ms"], measuredAtMs: $0["clock_offset_at"]) }
        }
    }
}

extension CountyDatabase {
    /// Records when the certificate the daemon presents expires (ms since 1970).
    public func recordCertificateExpiry(_ ms: Int64) throws {
        try write("record certificate expiry") { db in
            try db.execute(sql: "UPDATE replica SET certificate_expires_at = ? WHERE id = 1", arguments: [ms])
        }
    }
}

/// Giving the city back its own changes after it was restored from a backup (see
/// `CityDatabase.takeBack`).
extension CountyDatabase {
    /// The next city changes to give back, oldest first, at most `limit`.
    public func changesToReturn(limit: Int) throws -> [SealedChange] {
        try read("read changes to return") { db in
            try Row.fetchAll(db, sql: """
                SELECT id, node, seq, tbl, row_id, op, hlc, "values", bases, seal FROM received WHERE to_return = 1 ORDER BY id LIMIT ?
                """, arguments: [limit]).map { row in
                // A city write kept from a snapshot has no feed seq (0); the seal does not cover it.
                let change = WireChange(seq: max(1, row["seq"] as Int64), table: row["tbl"], rowId: row["row_id"], op: row["op"], hlc: row["hlc"], node: row["node"],
                                        values: try decodeValues(row["values"]),
                                        bases: try decodeVersions(row["bases"]))
                return SealedChange(change: change, seal: row["seal"])
            }
        }
    }

    /// How many city changes wait to be given back.
    public func returningCount() throws -> Int {
        try read("count changes to return") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM received WHERE to_return = 1") ?? 0 }
    }

    /// Records that the city refused to take `refused` back for good (its answer's `code` and
    /// `message`): they are no longer offered, and are kept, with the answer, for the admin
    /// (`refusedReturns`). Pulling goes on regardless.
    public func refusedReturn(_ refused: [SealedChange], code: String, message: String, nowMs: Int64 = CountyDatabase.wallClockMs()) throws {
        try write("record refused returns") { db in
            let find = try db.cachedStatement(sql: "SELECT id FROM received WHERE to_return = 1 AND node = ? AND hlc = ? AND tbl = ? AND row_id = ?")
            let keep = try db.cachedStatement(sql: "INSERT OR REPLACE INTO refused_return (received_id, code, message, refused_at) VALUES (?, ?, ?, ?)")
            for sealed in refused {
                let change = sealed.change
                for id in try Int64.fetchAll(find, arguments: [change.node, change.hlc, change.table, change.rowId]) {
                    try keep.execute(arguments: [id, code, String(message.prefix(500)), nowMs])
                }
            }
        }
        try returned(refused)
    }

    /// The city changes the city refused to take back, newest first: the row, the city's answer
    /// and when.
    public func refusedReturns(limit: Int = 100) throws -> [(table: String, rowId: String, code: String, message: String, refusedAt: Int64)] {
        try read("read refused returns") { db in
            try Row.fetchAll(db, sql: """
                SELECT r.tbl, r.row_id, f.code, f.message, f.refused_at FROM refused_return AS f JOIN received AS r ON r.id = f.received_id
                ORDER BY f.refused_at DESC, f.received_id DESC LIMIT ?
                """, arguments: [limit]).map { ($0[0], $0[1], $0[2], $0[3], $0[4]) }
        }
    }

    /// How many city changes the city refused to take back.
    public func refusedReturnCount() throws -> Int {
        try read("count refused returns") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM refused_return") ?? 0 }
    }

    /// Records that the city took `returned` back (whatever their outcome: the city's rules
    /// decided them, and a refused one is re-asserted through its feed).
    public func returned(_ returned: [SealedChange]) throws {
        try write("record returned changes") { db in
            let done = try db.cachedStatement(sql: """
                UPDATE received SET to_return = 0 WHERE to_return = 1 AND node = ? AND hlc = ? AND tbl = ? AND row_id = ?
                """)
            for sealed in returned {
                let change = sealed.change
                try done.execute(arguments: [change.node, change.hlc, change.table, change.rowId])
            }
        }
    }
}

extension CountyDatabase {
    /// The clock reading of the city change applied at the pull position (since the last city
    /// restore was repaired), if there is one: sent with pulls and heartbeats, so a city that
    /// handed the position out again is found.
    public func pulledHlc() throws -> Int64? {
        try read("read pull position") { db in try Int64.fetchOne(db, sql: Self.pulledHlcSQL) }
    }

    /// The clock reading at the pull position, in the current feed incarnation (since the last repair).
    static let pulledHlcSQL = """
        SELECT hlc FROM received WHERE seq > 0 AND seq = (SELECT pulled_seq FROM replica WHERE id = 1)
          AND id > (SELECT received_repair_id FROM replica WHERE id = 1) ORDER BY id DESC LIMIT 1
        """

    /// The city changes applied since the last city restore was repaired, oldest first, as
    /// (feed seq, clock reading): where to look for the last position the city's feed still agrees.
    public func receivedSinceRepair() throws -> [(seq: Int64, hlc: Int64)] {
        try read("read received positions") { db in
            try Row.fetchAll(db, sql: """
                SELECT seq, hlc FROM received WHERE seq > 0 AND id > (SELECT received_repair_id FROM replica WHERE id = 1) ORDER BY id
                """).map { ($0["seq"], $0["hlc"]) }
        }
    }
}

extension CountyDatabase {
    /// The id of the last entry of the city's decision log this replica saw, to ask about on the
    /// next pull (`decisionsSeen`).
    public func decisionsSeen() throws -> Int64? {
        try read("read the decision head seen") { db in try Int64.fetchOne(db, sql: "SELECT decisions_seen_id FROM replica WHERE id = 1") }
    }

    /// Checks what a pull page says of the city's decision log (`DecisionChain`) against the
    /// entry this replica saw last, and keeps the new head.
    ///
    /// The city's log is found rewritten when the entry asked about (`asked`, sent as
    /// `decisionsSeen`) has another hash now, when the log no longer holds it (a history cut
    /// short, or a restore from a backup), or when the head this replica saw comes back with
    /// another hash. Each finding is kept (`decisionAlarms`), shown by `status` and fails
    /// `status --check` until an administrator acknowledges it. Returns the finding, if any.
    @discardableResult
    public func noteDecisions(head: DecisionMark?, at: DecisionMark?, asked: Int64?, nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> String? {
        try write("note the city's decision head") { db in
            let row = try Row.fetchOne(db, sql: "SELECT decisions_seen_id, decisions_seen_hash FROM replica WHERE id = 1")
            guard let seenId: Int64 = row?["decisions_seen_id"], let seenHash: String = row?["decisions_seen_hash"] else {
                if let head {
                    try db.execute(sql: "UPDATE replica SET decisions_seen_id = ?, decisions_seen_hash = ? WHERE id = 1", arguments: [head.id, head.hash])
                }
                return nil
            }
            var finding: (cityHash: String?, message: String)?
            if asked == seenId {
                if let at, at.id == seenId {
                    if at.hash != seenHash {
                        finding = (at.hash, "the city's decision \(seenId) has another hash now (\(at.hash.prefix(12))…) than when this county saw it (\(seenHash.prefix(12))…): the city's decision log was rewritten")
                    }
                } else {
                    finding = (nil, "the city's decision log no longer holds decision \(seenId), which this county saw (hash \(seenHash.prefix(12))…): it was cut short or rewritten, or the city was restored from a backup")
                }
            } else if let head, head.id == seenId, head.hash != seenHash {
                finding = (head.hash, "the city's decision \(seenId) has another hash now (\(head.hash.prefix(12))…) than when this county saw it (\(seenHash.prefix(12))…): the city's decision log was rewritten")
            } else if let head, head.id < seenId {
                finding = (nil, "the city's decision log ends at \(head.id), before decision \(seenId), which this county saw: it was cut short, or the city was restored from a backup")
            }
            if let finding {
                let known = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM decision_alarm WHERE decision_id = ? AND city_hash IS ?)",
                                              arguments: [seenId, finding.cityHash]) ?? false
                if !known {
                    try db.execute(sql: "INSERT INTO decision_alarm (decision_id, seen_hash, city_hash, message, detected_at) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [seenId, seenHash, finding.cityHash, finding.message, nowMs])
                }
            }
            // The head moves on (after a finding too: what follows is judged against the log as
            // the city holds it now; the finding stays until acknowledged).
            if let head, head.id >= seenId || finding != nil {
                try db.execute(sql: "UPDATE replica SET decisions_seen_id = ?, decisions_seen_hash = ? WHERE id = 1", arguments: [head.id, head.hash])
            }
            return finding?.message
        }
    }

    /// What this replica found wrong with the city's decision log, oldest first.
    public func decisionAlarms() throws -> [(decisionId: Int64, message: String, detectedAt: Int64)] {
        try read("read decision alarms") { db in
            try Row.fetchAll(db, sql: "SELECT decision_id, message, detected_at FROM decision_alarm ORDER BY id").map {
                ($0["decision_id"], $0["message"], $0["detected_at"])
            }
        }
    }

    /// Acknowledges every finding about the city's decision log (after the city explained it:
    /// a restore from a backup); returns how many.
    @discardableResult
    public func acknowledgeDecisionAlarms() throws -> Int {
        try write("acknowledge decision alarms") { db in
            try db.execute(sql: "DELETE FROM decision_alarm")
            return db.changesCount
        }
    }
}
