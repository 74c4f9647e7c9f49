import GRDB
import SyncCore
import SyncProtocol

/// What county and city databases share: a WAL pool over one file, and reading the data tables.
public protocol ReplicaDatabase: Sendable {
    /// The database file.
    var path: String { get }
    /// Role, county and node of this replica.
    var replica: ReplicaInfo { get }
    /// The connection pool.
    var pool: DatabasePool { get }
    /// What the writes found of the storage, where a running server watches it (the city).
    var storageHealth: StorageHealth? { get }
}

extension ReplicaDatabase {
    /// None: only the city's database keeps one.
    public var storageHealth: StorageHealth? { nil }

    /// Runs `body` in one write transaction, translating errors once; the outcome tells
    /// `storageHealth` whether the storage works. The change-log entries the transaction made
    /// are attributed to the bound `ChangeActor`, if any.
    func write<T: Sendable>(_ op: String, _ body: @Sendable (Database) throws -> T) throws -> T {
        do {
            let result: T
            if let actor = ChangeActor.current {
                result = try pool.write { db in try Self.attributing(db, to: actor, body) }
            } else {
                result = try pool.write(body)
            }
            storageHealth?.succeeded()
            return result
        } catch {
            storageHealth?.failed(op, error)
            throw CountyDatabase.translate(error, op: op, path: path)
        }
    }

    /// Runs `body` and gives the change-log entries it appended to `actor`. An actor that cannot
    /// be kept (`ChangeActor.isValid`) refuses the write: a change is never kept with a wrong name.
    static func attributing<T>(_ db: Database, to actor: String, _ body: (Database) throws -> T) throws -> T {
        guard ChangeActor.isValid(actor) else {
            throw StoreError.invalidInput(.invalid(field: "actor", value: actor,
                                                   rule: "the name of who makes a change must be 1 to \(ChangeActor.maxBytes) bytes with no control characters"))
        }
        let before = try Int64.fetchOne(db, sql: "SELECT ifnull(max(seq), 0) FROM change_log") ?? 0
        let result = try body(db)
        try db.execute(sql: "UPDATE change_log SET actor = ? WHERE seq > ? AND actor IS NULL", arguments: [actor, before])
        return result
    }

    /// Runs `body` on a read snapshot, translating errors once.
    func read<T: Sendable>(_ op: String, _ body: @Sendable (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch {
            throw CountyDatabase.translate(error, op: op, path: path)
        }
    }

    /// One platform, or nil.
    public func platform(id: String) throws -> Platform? {
        try read("read platform") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [id]).map(Platform.init(row:))
        }
    }

    /// The platforms not revoked that are likely the same as `platform` (`PlatformIdentity`):
    /// of its category, with its host's credit code or its name as folded for comparison.
    public func likelyDuplicates(of platform: Platform) throws -> [Platform] {
        try read("find likely duplicates") { db in
            try Self.likelyDuplicates(of: platform, db: db)
        }
    }

    /// `likelyDuplicates(of:)` inside a transaction.
    static func likelyDuplicates(of platform: Platform, db: Database) throws -> [Platform] {
        try Row.fetchAll(db, sql: "SELECT * FROM platform WHERE category = ? AND id <> ? AND status <> 'revoked' ORDER BY id",
                         arguments: [platform.category.rawValue, platform.id])
            .map(Platform.init(row:)).filter { PlatformIdentity.isLikelyDuplicate(platform, of: $0) }
    }

    /// Every platform, oldest first (ids are time-ordered).
    public func platforms() throws -> [Platform] {
        try read("list platforms") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM platform ORDER BY id").map(Platform.init(row:))
        }
    }

    /// One page of the platforms that match (`status`, `county` and a text found in the name,
    /// host, credit code or id, each empty for any), oldest first, chosen and counted in SQL: a
    /// page costs its own rows, not the whole register. Returns the page, how many match and how
    /// many there are.
    public func platformPage(text: String, status: String, county: String, limit: Int, offset: Int) throws -> (page: [Platform], matching: Int, total: Int) {
        let needle = text.trimmingCharacters(in: .whitespaces).lowercased()
        let filter = """
            WHERE (?1 = '' OR status = ?1) AND (?2 = '' OR county = ?2)
              AND (?3 = '' OR instr(lower(name), ?3) > 0 OR instr(lower(host_org), ?3) > 0 OR instr(lower(credit_code), ?3) > 0 OR instr(id, ?3) > 0)
            """
        return try read("list a page of platforms") { db in
            let arguments: StatementArguments = [status, county, needle]
            let matching = try Int.fetchOne(db, sql: "SELECT count(*) FROM platform " + filter, arguments: arguments) ?? 0
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM platform") ?? 0
            let page = try Row.fetchAll(db, sql: "SELECT * FROM platform " + filter + " ORDER BY id LIMIT ?4 OFFSET ?5",
                                        arguments: arguments + [limit, max(0, offset)]).map(Platform.init(row:))
            return (page, matching, total)
        }
    }

    /// One award, or nil.
    public func award(id: String) throws -> Award? {
        try read("read award") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM award WHERE id = ?", arguments: [id]).map(Award.init(row:))
        }
    }

    /// Every award, oldest first.
    public func awards() throws -> [Award] {
        try read("list awards") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM award ORDER BY id").map(Award.init(row:))
        }
    }

    /// The column versions of a row, empty for a row never stamped.
    public func versions(table: SyncedTable, rowId: String) throws -> [String: ColumnVersion] {
        try write("stamp change log") { db in
            _ = try CountyDatabase.stamp(db, wallMs: CountyDatabase.wallClockMs())
        }
        return try read("read versions") { db in
            try CountyDatabase.versions(db, table: table.name, rowId: rowId)?.expanded(table.columns) ?? [:]
        }
    }

    /// Open conflicts, oldest first.
    public func conflicts() throws -> [ConflictRecord] {
        try read("list conflicts") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM conflict WHERE resolved_at IS NULL ORDER BY id").map(ConflictRecord.init(row:))
        }
    }

    /// The latest conflicts, open and resolved, newest first, at most `limit`.
    public func recentConflicts(limit: Int) throws -> [ConflictRecord] {
        try read("list conflicts") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM conflict ORDER BY id DESC LIMIT ?", arguments: [limit]).map(ConflictRecord.init(row:))
        }
    }

    /// Parked changes nobody has retried or discarded yet, oldest first.
    public func parked() throws -> [ParkedRecord] {
        try read("list parked") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM parked WHERE resolution IS NULL ORDER BY id").map(ParkedRecord.init(row:))
        }
    }

    /// The schema the migrations produced: every table, index and trigger in creation order, each
    /// statement ended by `;` and a blank line, SQLite's and GRDB's bookkeeping left out.
    public func schemaSQL() throws -> String {
        try read("read schema") { db in
            try String.fetchAll(db, sql: """
                SELECT sql FROM sqlite_master
                WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
                ORDER BY rowid
                """)
            .map { $0 + ";\n" }
            .joined(separator: "\n")
        }
    }
}

/// A concurrent edit whose values differed: the winner, the loser, the base and the rule.
public struct ConflictRecord: Sendable, Hashable, Codable {
    public let id: Int64
    public let table: String
    public let rowId: String
    public let county: String
    public let column: String
    public let winnerValue: ColumnValue
    public let winnerVersion: ColumnVersion?
    public let loserValue: ColumnValue
    public let loserVersion: ColumnVersion?
    public let baseVersion: ColumnVersion?
    public let rule: String
    public let decidedAtMs: Int64
    /// When and by whom it was closed (at the city, or here once the city's closing arrived).
    public var resolvedAtMs: Int64?
    public var resolvedBy: String?

    init(row: Row) throws {
        id = row["id"]
        table = row["tbl"]
        rowId = row["row_id"]
        county = row["county"]
        column = row["column_name"]
        winnerValue = try decodeJSON(ColumnValue.self, row["winner_value"])
        winnerVersion = try decodeJSON(ColumnVersion?.self, row["winner_version"])
        loserValue = try decodeJSON(ColumnValue.self, row["loser_value"])
        loserVersion = try (row["loser_version"] as String?).map { try decodeJSON(ColumnVersion.self, $0) }
        baseVersion = try (row["base_version"] as String?).map { try decodeJSON(ColumnVersion.self, $0) }
        rule = row["rule"]
        decidedAtMs = row["decided_at"]
        resolvedAtMs = row["resolved_at"]
        resolvedBy = row["resolved_by"]
    }
}

/// A change a rule refused, kept with its reason.
public struct ParkedRecord: Sendable, Hashable, Codable {
    public let id: Int64
    public let node: String
    public let county: String
    public let seq: Int64
    public let table: String
    public let rowId: String
    public let op: String
    public let reason: String
    public let message: String
    public let parkedAtMs: Int64
    /// The values the refused change carried.
    public let values: [String: ColumnValue]

    init(row: Row) {
        id = row["id"]
        node = row["node"]
        county = row["county"]
        seq = row["seq"]
        table = row["tbl"]
        rowId = row["row_id"]
        op = row["op"]
        reason = row["reason"]
        message = row["message"]
        parkedAtMs = row["parked_at"]
        values = (try? decodeJSON(WireChange.self, row["change"]))?.values ?? [:]
    }
}
