import Foundation
import GRDB
import SyncCore
import SyncProtocol

extension CityDatabase {
    /// Applies a county's batch. `county` comes from the verified client certificate.
    ///
    /// Everything is checked before anything is written, and a batch that fails a check is
    /// refused whole: its size (`batch_too_large`), checksum, sequence and node, and every change
    /// through `ChangeCheck` (table, operation, columns, each value's type, range and size, the
    /// county it names, and its clock readings against this city's clock plus the allowed offset).
    /// A refusal throws `badBatch` or `forbidden` naming the change and the field.
    ///
    /// The changes are then applied in slices of `limits.applySliceChanges`, one transaction
    /// each, so no batch holds the city's writer for long: other counties' requests run between
    /// slices. Each slice moves the node's high-water mark, so a batch cut short by a crash is
    /// finished by the county's retry. Changes at or below the mark are skipped (re-delivery is
    /// harmless) once checked to be the very changes the city applied.
    public func applyPush(county: String, _ request: PushRequest, nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> PushResponse {
        try checkNode(request.node, county: county)
        guard request.changes.count <= limits.maxBatchChanges else {
            throw StoreError.badBatch(code: .batchTooLarge, message: "the batch has \(request.changes.count) changes; at most \(limits.maxBatchChanges) are accepted per push (max-batch-changes)")
        }
        let sums = Checksum.ofEach(request.changes)
        guard sums.batch == request.checksum else {
            throw StoreError.badBatch(code: .checksumMismatch, message: "the batch's checksum does not match its changes")
        }
        let check = ChangeCheck(limits: limits)
        // A clock reading ahead is judged once the node's mark is known: a change at or below it
        // is a re-delivery of one the city applied when its clock allowed it (or, if it differs,
        // a diverged history), and is never applied again, whatever the city's clock says now.
        var clockAhead: [Int64: ChangeRefusal] = [:]
        var expected = request.changes.first?.seq ?? 0
        for change in request.changes {
            guard change.seq == expected else {
                throw StoreError.badBatch(code: .badSequence, message: "changes must run from firstSeq to lastSeq without gaps; expected seq \(expected), got \(change.seq)")
            }
            guard change.node == request.node else {
                throw StoreError.badBatch(code: .nodeMismatch, message: "change \(change.seq) claims node \(change.node.prefix(SyncLimits.maxNodeBytes)), but the batch is from \(request.node)")
            }
            // A malformed change is a broken or hostile sender, not data to keep: the whole batch is refused.
            if let refusal = check.refusal(of: change, county: county, nowMs: nowMs) {
                guard refusal.code == .clockAhead else { throw StoreError(refusal) }
                clockAhead[change.seq] = refusal
            }
            expected += 1
        }
        // The range must be exactly the changes' range: an empty batch claims nothing, so it can
        // never move the high-water mark past changes the city has not seen.
        let claimed = request.changes.isEmpty ? (0, 0) : (request.changes.first!.seq, request.changes.last!.seq)
        guard (request.firstSeq, request.lastSeq) == claimed else {
            throw StoreError.badBatch(code: .badSequence, message: "firstSeq \(request.firstSeq) and lastSeq \(request.lastSeq) do not match the changes (\(claimed.0) to \(claimed.1))")
        }
        let clockRefusals = clockAhead
        let digests = ChangeDigests(first: request.changes.first?.seq ?? 0, each: sums.each)
        let applier = self.applier(nowMs: nowMs)
        // The first transaction checks the batch against what the city holds, then applies the first slice.
        let first = try write("apply push") { db -> (Int64, [ChangeOutcome], NodeAdmission?) in
            let (highWater, admission) = try admitNode(db, node: request.node, county: county, route: "push", nowMs: nowMs)
            // A node's first batch may start after 1: a new epoch of a replica restored from a
            // backup resumes its own sequence under a new node id.
            if let first = request.changes.first, first.seq > highWater + 1, highWater > 0 {
                throw StoreError.badBatch(code: .sequenceGap, message: "the city has changes up to \(highWater) from \(request.node); this batch starts at \(first.seq)")
            }
            // A node the city does not know, whose history starts before this batch: the city lost
            // its earlier changes (restored from a backup taken before the node's first push).
            if let first = request.changes.first, highWater == 0, let base = request.epochBaseSeq, first.seq > base + 1 {
                throw StoreError.badBatch(code: .sequenceGap, message: "the city has no changes from \(request.node), whose history starts after seq \(base); this batch starts at \(first.seq) (was the city restored from a backup?)")
            }
            // A re-sent change must be the change the city applied under that seq.
            let known = try db.cachedStatement(sql: "SELECT hash FROM applied_seq WHERE node = ? AND seq = ?")
            for change in request.changes where change.seq <= highWater {
                if let hash = try String.fetchOne(known, arguments: [request.node, change.seq]), hash != digests[change] {
                    throw StoreError.badBatch(code: .replicaDiverged, message: "change \(change.seq) of \(request.node) differs from the one the city applied: the replica's history diverged (restored from a backup?); it must continue as a new node")
                }
            }
            if let refused = clockRefusals.filter({ $0.key > highWater }).min(by: { $0.key < $1.key })?.value { throw StoreError(refused) }
            // A batch longer than one slice is committed a slice at a time: a change that writes
            // another county's row is found now, before the first slice, so the batch is refused
            // whole wherever that change stands in it.
            if request.changes.count > limits.applySliceChanges {
                try Self.checkOwnership(request.changes.lazy.filter { $0.seq > highWater }, county: county, db: db)
            }
            // A re-delivered change gets the outcome the city kept for it: a county whose answer was
            // lost must still learn that a change was parked, and why.
            let storedOutcomes = try Self.parkedOutcomes(db, node: request.node, seqs: request.changes.lazy.map(\.seq).filter { $0 <= highWater })
            let (mark, outcomes) = try applySlice(request, after: highWater, county: county, applier: applier, digests: digests, nowMs: nowMs, db: db)
            return (mark, storedOutcomes + outcomes, admission)
        }
        if let admission = first.2 { onNodeAdmitted(admission) }
        var (highWater, outcomes) = (first.0, first.1)
        while highWater < request.lastSeq {
            let (mark, more) = try write("apply push") { db -> (Int64, [ChangeOutcome]) in
                let current = try admitNode(db, node: request.node, county: county, route: "push", nowMs: nowMs).mark
                return try applySlice(request, after: current, county: county, applier: applier, digests: digests, nowMs: nowMs, db: db)
            }
            guard mark > highWater else { break }
            highWater = mark
            outcomes += more
        }
        return PushResponse(highWater: highWater, outcomes: outcomes)
    }

    /// Refuses the whole batch (`forbidden`) when any change touches a row the city holds for
    /// another county: the receive rules refuse it too, but only in the slice it falls in.
    static func checkOwnership(_ changes: some Sequence<WireChange>, county: String, db: Database) throws {
        let owners = [
            "platform": try db.cachedStatement(sql: "SELECT county FROM platform WHERE id = ?"),
            "award": try db.cachedStatement(sql: "SELECT county FROM award WHERE id = ?"),
        ]
        for change in changes {
            guard let lookup = owners[change.table], let owner = try String.fetchOne(lookup, arguments: [change.rowId]), owner != county else { continue }
            throw StoreError.forbidden("change \(change.seq): \(change.table) \(change.rowId) belongs to another county, not \(county); nothing was applied")
        }
    }

    /// The platform an award change names, if it names one.
    static func platformReference(_ change: WireChange) -> String? {
        guard change.table == "award", change.op != "delete", case .text(let id) = change.values["platform_id"] ?? .null else { return nil }
        return id
    }

    /// The slice's changes in the order to apply them: as sent, except that an award naming a
    /// platform the city does not have yet, whose insert comes later in the slice, waits for that
    /// insert (with any later change of the same award). What a county wrote before a push thus
    /// reaches the city as a consistent state, whatever order its log has.
    static func parentsFirst(_ changes: [WireChange], db: Database) throws -> [WireChange] {
        var insertedAt: [String: Int] = [:]
        for (offset, change) in changes.enumerated() where change.table == "platform" && change.op == "insert" && insertedAt[change.rowId] == nil {
            insertedAt[change.rowId] = offset
        }
        guard !insertedAt.isEmpty else { return changes }
        let exists = try db.cachedStatement(sql: "SELECT 1 FROM platform WHERE id = ?")
        var ordered: [WireChange] = []
        var waiting: [String: [WireChange]] = [:]   // platform id → changes waiting for its insert
        var heldAwards: [String: String] = [:]      // award id → the platform it waits for
        for (offset, change) in changes.enumerated() {
            if change.table == "award", let platform = heldAwards[change.rowId] {
                waiting[platform, default: []].append(change)
                continue
            }
            if let platform = platformReference(change), let at = insertedAt[platform], at > offset,
               try Bool.fetchOne(exists, arguments: [platform]) == nil {
                heldAwards[change.rowId] = platform
                waiting[platform, default: []].append(change)
                continue
            }
            ordered.append(change)
            if change.table == "platform", change.op == "insert", let held = waiting.removeValue(forKey: change.rowId) {
                ordered += held
                for award in held { heldAwards[award.rowId] = nil }
            }
        }
        return ordered + waiting.values.flatMap { $0 }.sorted { $0.seq < $1.seq }
    }

    /// The parked outcomes the city kept for `seqs` of `node` (already applied), in seq order.
    static func parkedOutcomes(_ db: Database, node: String, seqs: some Sequence<Int64>) throws -> [ChangeOutcome] {
        let lookup = try db.cachedStatement(sql: "SELECT reason, message FROM parked WHERE node = ? AND seq = ?")
        return try seqs.compactMap { seq in
            try Row.fetchOne(lookup, arguments: [node, seq]).map {
                ChangeOutcome(seq: seq, outcome: .parked, reason: $0["reason"], message: $0["message"])
            }
        }
    }

    /// Applies the next slice of `request`'s changes after the node's mark `after`, records their
    /// digests and moves the mark; returns the new mark and the slice's outcomes.
    private func applySlice(_ request: PushRequest, after highWater: Int64, county: String, applier: ChangeApplier,
                            digests: ChangeDigests, nowMs: Int64, db: Database) throws -> (Int64, [ChangeOutcome]) {
        let pending = request.changes.filter { $0.seq > highWater }
        var count = min(pending.count, limits.applySliceChanges)
        // A slice never ends between an award and the insert of the platform it refers to, when
        // that insert comes later in this push (an award moved to a platform made after it).
        let inserted = Dictionary(pending.enumerated().filter { $0.element.table == "platform" && $0.element.op == "insert" }
            .map { ($0.element.rowId, $0.offset) }, uniquingKeysWith: { first, _ in first })
        var index = 0
        while index < count {
            if let parent = Self.platformReference(pending[index]), let at = inserted[parent], at >= count { count = at + 1 }
            index += 1
        }
        let fresh = try Self.parentsFirst(Array(pending.prefix(count)), db: db)
        guard let last = pending.prefix(count).last else { return (highWater, []) }
        _ = try CountyDatabase.stamp(db, wallMs: nowMs)
        try db.execute(sql: "UPDATE replica SET capture = 0 WHERE id = 1")
        let outcomes: [ChangeOutcome]
        if let newRows = try applier.applyNewRows(fresh, node: request.node, county: county, digests: digests, db: db) {
            // New rows, written a slice at a time with their applied records.
            outcomes = newRows
        } else {
            var refused: [WireChange] = []
            outcomes = try applier.applyAll(fresh, county: county, db: db) { refused.append($0) }
            // A registration of an enterprise already registered is the city's decision to make:
            // the county keeps its row, waiting, instead of the city's feed deleting it there.
            let waiting = Set(zip(fresh, outcomes).filter { $0.0.op == ChangeOperation.insert.rawValue && $0.1.parkReason == .duplicateEnterprise }
                .map(\.0.seq))
            try reassertAll(refused.filter { !waiting.contains($0.seq) }, county: county, nowMs: nowMs, db: db)
            let record = try db.cachedStatement(sql: "INSERT OR REPLACE INTO applied_seq (node, seq, hash, applied_at) VALUES (?, ?, ?, ?)")
            for change in fresh { try record.execute(arguments: [request.node, change.seq, digests[change], nowMs]) }
        }
        try Self.recordActors(fresh, outcomes: outcomes, node: request.node, county: county, nowMs: nowMs, db: db)
        try db.execute(sql: "UPDATE replica SET capture = 1 WHERE id = 1")
        try db.execute(sql: """
            UPDATE node_state SET high_water = ?, last_contact_at = ?, last_push_at = ? WHERE node = ?
            """, arguments: [last.seq, nowMs, nowMs, request.node])
        try closeReturnGapIfWhole(county: county, applier: applier, nowMs: nowMs, db: db)
        return (last.seq, outcomes)
    }

    /// Keeps who made each change the city took (`county_change`), for `explain` and the
    /// console: every change that says who made it and was not parked.
    static func recordActors(_ changes: [WireChange], outcomes: [ChangeOutcome], node: String, county: String, nowMs: Int64, db: Database) throws {
        guard changes.contains(where: { $0.actor != nil }) else { return }
        let parked = Set(outcomes.lazy.filter { $0.outcome == .parked }.map(\.seq))
        let record = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO county_change (node, seq, county, tbl, row_id, op, columns, hlc, actor, applied_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for change in changes where !parked.contains(change.seq) {
            guard let actor = change.actor else { continue }
            try record.execute(arguments: [node, change.seq, county, change.table, change.rowId, change.op,
                                           change.values.keys.sorted().joined(separator: ","), change.hlc, actor, nowMs])
        }
    }

    /// The city's changes to `county`'s rows after `after`, in order, at most `limit`.
    ///
    /// A pull does not wait for the city's writer when it need not: if every entry of the feed is
    /// stamped, the page is read from a WAL snapshot while a push may be applying, and the node's
    /// contact is recorded afterwards without holding up the answer.
    /// Otherwise (city edits not yet stamped) it stamps and reads in one write transaction. A pull
    /// is a read: it records the contact of a node the city knows, and creates no node.
    public func pullFeed(county: String, node: String? = nil, after: Int64, afterHlc: Int64? = nil, limit: Int, decisionsSeen: Int64? = nil,
                         nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> PullResponse {
        if let node { try checkNode(node, county: county) }
        let fast = try read("read pull feed") { db -> PullResponse? in
            guard try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM change_log WHERE hlc IS NULL)") == true else { return nil }
            return try self.feedPage(db, county: county, after: after, afterHlc: afterHlc, limit: limit, decisionsSeen: decisionsSeen)
        }
        let page: PullResponse
        if let fast {
            if let node {
                pool.asyncWrite({ db in
                    try db.execute(sql: "UPDATE node_state SET last_contact_at = max(ifnull(last_contact_at, 0), ?), last_pull_at = max(ifnull(last_pull_at, 0), ?) WHERE node = ?",
                                   arguments: [nowMs, nowMs, node])
                }, completion: { [storageHealth] _, result in
                    switch result {
                    case .success: storageHealth?.succeeded()
                    case .failure(let error): storageHealth?.failed("record a pull", error)
                    }
                })
            }
            page = fast
        } else {
            page = try write("read pull feed") { db in
                _ = try CountyDatabase.stamp(db, wallMs: nowMs)
                if let node {
                    try db.execute(sql: "UPDATE node_state SET last_contact_at = ?, last_pull_at = ? WHERE node = ?", arguments: [nowMs, nowMs, node])
                }
                return try self.feedPage(db, county: county, after: after, afterHlc: afterHlc, limit: limit, decisionsSeen: decisionsSeen)
            }
        }
        // Recorded before the answer leaves: a change that reached the county is in the record.
        try servedRecord?.recordPulled(county: county, page.changes, nowMs: nowMs)
        return page
    }

    /// A page of the feed, read from stamped entries. A node asking from below the county's
    /// compacted floor is told to merge the snapshot (`feed_compacted`).
    private func feedPage(_ db: Database, county: String, after: Int64, afterHlc: Int64?, limit: Int, decisionsSeen: Int64?) throws -> PullResponse {
        let floor = try Self.feedFloor(db, county: county)
        guard after >= floor else {
            throw StoreError.badBatch(code: .feedCompacted, message: "the city's feed for county \(county) is compacted up to \(floor) and this node asks from \(after): merge the city's snapshot (GET /v1/snapshot) and pull on from its feedSeq")
        }
        if let afterHlc, after > floor {
            let held = try Int64.fetchOne(db.cachedStatement(sql: "SELECT hlc FROM change_log WHERE seq = ? AND county = ?"), arguments: [after, county])
            guard held == afterHlc else {
                throw StoreError.badBatch(code: .feedDiverged, message: "the city's feed holds \(held == nil ? "no change of county \(county)" : "another change") at \(after), where this node applied one: the city went back in time (restored from a backup?)")
            }
        }
        let rows = try Row.fetchAll(db.cachedStatement(sql: #"""
            SELECT c.seq, c.tbl, c.row_id, c.op, c.columns, c.hlc, c.bases, c."values", c.actor, \#(SyncedTable.liveColumnsSQL)
            FROM change_log AS c \#(SyncedTable.liveJoinSQL)
            WHERE c.county = ? AND c.seq > ? ORDER BY c.seq LIMIT ?
            """#), arguments: [county, after, limit + 1])
        let changes = try rows.prefix(limit).map { row -> WireChange in
            guard let table = SyncedTable.named(row[1]) else {
                throw StoreError.notAllowed("change \(row[0] as Int64) of the feed names an unknown table")
            }
            return WireChange(
                seq: row[0], table: table.name, rowId: row[2], op: row[3], hlc: row[5], node: replica.node,
                values: try table.entryValues(frozen: row[7], row: row, liveAt: 9, mask: row[4]),
                bases: try decodeVersions(row[6]), actor: row[8])
        }
        let seals = feedSeal.map { seal in changes.map { seal.seal($0, county: county) } }
        // The decision log's head, and the entry the county saw last as it is now: a history
        // rewritten here is found by the counties (`DecisionChain`).
        let marks = try Self.decisionMarks(db, seen: decisionsSeen)
        return PullResponse(changes: changes, cursor: changes.last?.seq ?? after, more: rows.count > limit, seals: seals,
                            decisionHead: marks.head, decisionAt: marks.at)
    }

    /// A page of `county`'s rows of `table` with their column versions, in id order after `after`.
    public func snapshot(county: String, table: String, after: String, limit: Int, nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> SnapshotResponse {
        guard let synced = SyncedTable.named(table) else {
            throw StoreError.invalidInput(.invalid(field: "table", value: table, rule: "not a replicated table"))
        }
        // Stamp first, so a city edit not yet stamped is not sent with its old version.
        let response = try write("read snapshot") { db in
            _ = try CountyDatabase.stamp(db, wallMs: nowMs)
            let fetched = try Row.fetchAll(db, sql: "SELECT id, \(synced.columns.joined(separator: ", ")) FROM \(synced.name) WHERE county = ? AND id > ? ORDER BY id LIMIT ?",
                                           arguments: [county, after, limit + 1])
            let deleted = try Row.fetchAll(db, sql: "SELECT row_id, hlc, node FROM tombstone WHERE county = ? AND tbl = ? AND row_id > ? ORDER BY row_id LIMIT ?",
                                           arguments: [county, synced.name, after, limit + 1])
            // Live rows and tombstones share one range of ids: the page ends at the `limit`-th id of both.
            let ids = (fetched.map { $0[0] as String } + deleted.map { $0[0] as String }).sorted()
            let end = ids.count > limit ? ids[limit - 1] : nil
            let rows = fetched.filter { end == nil || ($0[0] as String) <= end! }
            let tombstones = deleted.filter { end == nil || ($0[0] as String) <= end! }.map {
                SnapshotTombstone(rowId: $0["row_id"], version: ColumnVersion(hlc: HLCTimestamp(rawValue: $0["hlc"]), node: $0["node"]))
            }
            let page = try rows.map { row -> SnapshotRow in
                let id: String = row[0]
                var values: [String: ColumnValue] = [:]
                for (index, column) in synced.columns.enumerated() { values[column] = ColumnValue(row[index + 1] as DatabaseValue) }
                let versions = try CountyDatabase.versions(db, table: synced.name, rowId: id)?.expanded(synced.columns) ?? [:]
                let row = SnapshotRow(table: synced.name, rowId: id, values: values, versions: versions)
                guard let feedSeal else { return row }
                let seals = Dictionary(row.cityWrites().map { (String($0.hlc), feedSeal.seal($0, county: county)) },
                                       uniquingKeysWith: { first, _ in first })
                return SnapshotRow(table: synced.name, rowId: id, values: values, versions: versions, seals: seals)
            }
            return SnapshotResponse(rows: page, tombstones: tombstones, more: ids.count > limit, feedSeq: try Self.feedEnd(db))
        }
        if feedSeal != nil { try servedRecord?.recordSnapshot(county: county, response.rows.flatMap { $0.cityWrites() }, nowMs: nowMs) }
        return response
    }

    /// Records a county's heartbeat; returns its high-water mark and the city's clock.
    public func recordHeartbeat(county: String, _ heartbeat: Heartbeat, nowMs: Int64 = CountyDatabase.wallClockMs()) throws -> HeartbeatResponse {
        try checkNode(heartbeat.node, county: county)
        let (answer, admission) = try write("record heartbeat") { db -> (HeartbeatResponse, NodeAdmission?) in
            let (mark, admission) = try admitNode(db, node: heartbeat.node, county: county, route: "heartbeat", nowMs: nowMs)
            try db.execute(sql: """
                UPDATE node_state SET pending = ?, oldest_pending_age_seconds = ?, last_error = ?, heartbeat_at = ?,
                  last_contact_at = ?, clock_offset_ms = ?, reported_acknowledged = ?, reported_pulled = ? WHERE node = ?
                """, arguments: [heartbeat.pending, heartbeat.oldestPendingAgeSeconds, heartbeat.lastError.map { String($0.prefix(500)) },
                                 nowMs, nowMs, heartbeat.clockOffsetMs, heartbeat.acknowledgedSeq, heartbeat.pulledSeq, heartbeat.node])
            let feedSeq = try Self.feedEnd(db)
            var agrees: Bool?
            if let pulled = heartbeat.pulledSeq, let hlc = heartbeat.pulledHlc, pulled > 0, pulled <= feedSeq, pulled > (try Self.feedFloor(db, county: county)) {
                let held = try Int64.fetchOne(db, sql: "SELECT hlc FROM change_log WHERE seq = ? AND county = ?", arguments: [pulled, county])
                agrees = held == hlc
            }
            try closeReturnGapIfWhole(county: county, applier: applier(nowMs: nowMs), nowMs: nowMs, db: db)
            return (HeartbeatResponse(highWater: mark, cityTimeMs: nowMs, feedSeq: feedSeq, feedAgrees: agrees), admission)
        }
        if let admission { onNodeAdmitted(admission) }
        return answer
    }

    /// Re-asserts refused changes, parents first: a platform before its awards when rows come
    /// back, an award before its platform when rows go, so a county's foreign key never refuses
    /// what the city re-asserts.
    func reassertAll(_ refused: [WireChange], county: String, nowMs: Int64, db: Database) throws {
        func order(_ change: WireChange) -> Int {
            change.op == ChangeOperation.delete.rawValue ? (change.table == "platform" ? 0 : 1) : (change.table == "award" ? 2 : 3)
        }
        for change in refused.enumerated().sorted(by: { (order($0.element), $0.offset) < (order($1.element), $1.offset) }).map(\.element) {
            try reassert(change, county: county, nowMs: nowMs, db: db)
        }
    }

    /// After refusing a county's change, the city writes its own current values of the refused
    /// columns with fresh versions into the county's feed, based on the refused change's version,
    /// so the county converges to the city's state (its refused values stay in its parked list).
    func reassert(_ change: WireChange, county: String, nowMs: Int64, db: Database) throws {
        guard let table = SyncedTable.named(change.table), RecordID.isValid(change.rowId) else { return }
        var clock = HybridLogicalClock(last: HLCTimestamp(rawValue: try Int64.fetchOne(db, sql: "SELECT hlc FROM replica WHERE id = 1") ?? 0))
        clock.receive(HLCTimestamp(rawValue: change.hlc), wallMs: nowMs)
        let hlc = clock.tick(wallMs: nowMs)
        try db.execute(sql: "UPDATE replica SET hlc = ? WHERE id = 1", arguments: [hlc.rawValue])
        let version = ColumnVersion(hlc: hlc, node: replica.node)
        let columns = change.op == ChangeOperation.delete.rawValue ? table.columns : table.columns.filter { change.values[$0] != nil }
        var bases: [String: ColumnVersion] = [:]
        for column in columns { bases[column] = change.version }
        guard let values = try table.values(db, rowId: change.rowId, columns: columns) else {
            // The city has no such row. A refused insert's row goes from the county; an update of
            // a row the city lacks (`missing_row`) asserts nothing: a sealed delete of that id
            // would stay valid, to be replayed, after the row is inserted and decided on.
            guard change.op == ChangeOperation.insert.rawValue else { return }
            try appendFeed(db, county: county, table: table, rowId: change.rowId, op: .delete, columns: [], wallMs: nowMs, hlc: hlc, bases: bases, values: [:])
            return
        }
        guard !columns.isEmpty else { return }
        var versions = try CountyDatabase.versions(db, table: table.name, rowId: change.rowId) ?? RowVersions()
        versions.set(version, columns: columns, of: table.columns)
        try ChangeApplier.saveVersions(versions, table: table.name, rowId: change.rowId, db: db)
        let op: ChangeOperation = change.op == ChangeOperation.delete.rawValue ? .insert : .update
        try appendFeed(db, county: county, table: table, rowId: change.rowId, op: op, columns: columns, wallMs: nowMs, hlc: hlc, bases: bases, values: values)
    }

    func appendFeed(_ db: Database, county: String, table: SyncedTable, rowId: String, op: ChangeOperation, columns: [String],
                    wallMs: Int64, hlc: HLCTimestamp, bases: [String: ColumnVersion], values: [String: ColumnValue]) throws {
        try db.cachedStatement(sql: """
            INSERT INTO change_log (county, tbl, row_id, op, columns, wall_ms, hlc, bases, "values")
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [county, table.name, rowId, op.rawValue, try table.mask(for: columns), wallMs, hlc.rawValue,
                                     JSONText.versions(bases), JSONText.values(values)])
    }
}

/// Each change's digest (`Checksum.of`) in a push, found by seq: the changes of a checked batch
/// run from its first seq without a gap.
struct ChangeDigests {
    let first: Int64
    let each: [String]

    subscript(change: WireChange) -> String { each[Int(change.seq - first)] }
}
