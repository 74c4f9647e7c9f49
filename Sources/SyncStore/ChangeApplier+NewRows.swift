import Foundation
import GRDB
import Synchronization
import SyncCore
import SyncProtocol

/// The fast way for the common bulk case: a slice of inserts of rows the receiver has never held
/// (a county's new platforms). Each change is decided by the same pure rules as on the general
/// way (`Receiver.receive`, against an empty row), on another thread a part at a time while the
/// writer inserts the parts before (`NewRowParts`). The rows, their versions and the applied
/// records of a part are written with one statement each, the rows handed over as one JSON
/// array (`json_each`), instead of five statements per change.
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

        // Decided off the writer, a part at a time, while the writer inserts the parts before.
        let parts = NewRowParts(changes, table: table, rules: rules, county: county, digests: digests)
        defer { parts.finish() }
        let columns = ["id"] + table.columns
        let select = columns.indices.map { "value ->> \($0)" }.joined(separator: ", ")
        do {
            try db.inSavepoint {
                if let newest = changes.map(\.hlc).max() { try Self.receiveClock(newest, db: db) }
                for index in 0..<parts.count {
                    guard let part = parts.wait(for: index) else { throw NotNewRows() }
                    // One registration per credit code for an enterprise, city-wide: the rule's
                    // look-up, made here on the writer's connection.
                    let lookups = StoreLookups(db: db)
                    for enterprise in part.enterprises where try lookups.registration(creditCode: enterprise.code, category: enterprise.category, excluding: enterprise.id) != nil {
                        throw NotNewRows()
                    }
                    try db.cachedStatement(sql: "INSERT INTO \(table.name) (\(columns.joined(separator: ", "))) SELECT \(select) FROM json_each(?)")
                        .execute(arguments: [part.rows])
                    try db.cachedStatement(sql: "INSERT OR REPLACE INTO row_version (tbl, row_id, versions) SELECT ?, value ->> 0, value ->> 1 FROM json_each(?)")
                        .execute(arguments: [table.name, part.versions])
                    try db.cachedStatement(sql: "INSERT OR REPLACE INTO applied_seq (node, seq, hash, applied_at) SELECT ?, value ->> 0, value ->> 1, ? FROM json_each(?)")
                        .execute(arguments: [node, nowMs, part.applied])
                }
                return .commit
            }
        } catch is NotNewRows {
            return nil
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            return nil
        }
        return changes.map { ChangeOutcome(seq: $0.seq, outcome: .applied) }
    }
}

/// A slice the fast way does not apply as it stands: the general way decides it change by change.
private struct NotNewRows: Error {}

/// The decisions of a slice of new rows, made on a thread of their own a part at a time, in order, so
/// the writer inserts one part while the next is decided. Each part is the rows, their versions
/// and their applied records as JSON arrays for `json_each`, and its enterprises, whose
/// city-wide registration the writer looks up. A change the fast way cannot take ends the work:
/// its part and every later one are nil.
private final class NewRowParts: @unchecked Sendable {
    struct Part {
        var rows: String
        var versions: String
        var applied: String
        var enterprises: [(id: String, category: PlatformCategory, code: String)]
    }

    /// Changes per part: small enough that the writer soon has one to insert, large enough that
    /// each part's three statements are few beside its rows.
    static let size = 128

    let count: Int
    // Each slot is written once, before its semaphore is signalled, and read after the wait;
    // the lock keeps the array itself from being copied under a reader.
    private let parts: Mutex<[Part?]>
    private let ready: [DispatchSemaphore]
    private let done = DispatchSemaphore(value: 0)
    private let stop = Mutex(false)

    init(_ changes: [WireChange], table: SyncedTable, rules: Receiver, county: String, digests: ChangeDigests) {
        count = (changes.count + Self.size - 1) / Self.size
        parts = Mutex(Array(repeating: nil, count: count))
        ready = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        let work: @Sendable () -> Void = { [self] in
            var enterprises = Set<String>()
            var failed = false
            for index in 0..<count {
                if !failed, !stop.withLock({ $0 }) {
                    let range = index * Self.size..<min((index + 1) * Self.size, changes.count)
                    let part = Self.decide(changes[range], table: table, rules: rules, county: county, digests: digests, enterprises: &enterprises)
                    failed = part == nil
                    parts.withLock { $0[index] = part }
                }
                ready[index].signal()
            }
            done.signal()
        }
        // A slice of one part (a daemon's push after data entry) is decided at once: starting a
        // thread would cost more than the overlap gains.
        guard count > 1 else {
            work()
            return
        }
        // A thread of its own, not one of Dispatch's pool: the writer waits for it, and must not
        // wait for a pool whose threads may all be taken.
        let thread = Thread(block: work)
        thread.name = "city-new-rows"
        thread.start()
    }

    /// The part `index`, once decided; nil if the fast way cannot take it.
    func wait(for index: Int) -> Part? {
        ready[index].wait()
        return parts.withLock { $0[index] }
    }

    /// Stops deciding and waits for the thread to end: no decision outlives the apply.
    func finish() {
        stop.withLock { $0 = true }
        done.wait()
    }

    /// Decides `changes` as the general way would, against the empty row it would load; nil if
    /// any decision is not a plain insert.
    private static func decide(_ changes: ArraySlice<WireChange>, table: SyncedTable, rules: Receiver, county: String,
                               digests: ChangeDigests, enterprises: inout Set<String>) -> Part? {
        var rows = JSONWriter(capacity: 600 * changes.count)
        var versions = JSONWriter(capacity: 120 * changes.count)
        var applied = JSONWriter(capacity: 40 * changes.count)
        var registrations: [(id: String, category: PlatformCategory, code: String)] = []
        rows.raw("[")
        versions.raw("[")
        applied.raw("[")
        for (index, change) in changes.enumerated() {
            guard let op = ChangeOperation(rawValue: change.op) else { return nil }
            let received = ReceivedChange(table: table.name, rowId: change.rowId, op: op, version: change.version, values: change.values, bases: change.bases)
            // The enterprise registration the rule looks up is answered "none" here and made by
            // the writer (`NewRowLookups`).
            guard let decision = try? rules.receive(received, into: RowState(values: nil, versions: RowVersions(), tombstone: nil), county: county, lookups: NewRowLookups()),
                  case .insert(let values) = decision.write, decision.conflicts.isEmpty, decision.outcome == .applied,
                  let rowVersions = decision.versions else { return nil }
            // One registration per credit code for an enterprise: the slice's own rows included.
            if case .text(let name) = values["category"] ?? .null, let category = PlatformCategory(rawValue: name), category.isEnterprise {
                guard case .text(let code) = values["credit_code"] ?? .null, enterprises.insert("\(name) \(code)").inserted else { return nil }
                registrations.append((change.rowId, category, code))
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
        return Part(rows: rows.text, versions: versions.text, applied: applied.text, enterprises: registrations)
    }
}

/// The look-ups of a new platform's rules, off the writer: the one they make, whether an
/// enterprise is registered already, is answered "no" and made by the writer before the insert.
private struct NewRowLookups: ReceiveLookups {
    func platform(id: String) throws -> Platform? { nil }
    func awards(ofPlatform id: String) throws -> [Award] { [] }
    func awards(basisRef: String) throws -> [(award: Award, platform: Platform)] { [] }
    func registration(creditCode: String, category: PlatformCategory, excluding id: String) throws -> (id: String, county: String)? { nil }
}
