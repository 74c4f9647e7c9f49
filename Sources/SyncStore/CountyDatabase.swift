import Foundation
import GRDB
import SyncCore

/// Who a replica database belongs to: its role, county and node id.
public struct ReplicaInfo: Sendable, Hashable, Codable {
    /// `county` or `city`.
    public let role: String
    /// The county of a county replica; nil at the city.
    public let county: String?
    /// This replica's node id, the origin of every version it writes.
    public let node: String
    /// When the replica was created (ISO 8601).
    public let createdAt: String
}

/// A county's SQLite replica (WAL): its platforms and awards, the change log that captures every
/// write, and the per-column versions sync needs. One value per database file; every method that
/// changes data runs in one transaction and keeps the replica's invariants.
///
/// ```swift
/// let db = try CountyDatabase.create(at: "/var/lib/county-sync/130202.db", county: "130202")
/// let platform = try db.addPlatform(Platform(county: "130202", name: "唐山市焊接重点实验室",
///     category: .keyLab, level: .municipal, hostOrg: "唐山焊接研究所",
///     creditCode: "12130200401999999X", industry: "焊接"))
/// try db.outbox()   // [ChangeEntry(seq: 1, table: "platform", op: .insert, ...)]
/// ```
///
/// Writes made by other processes, including the plain `sqlite3` shell, are captured by SQLite
/// triggers; writes applied by sync go through `applyingSync(_:)` and are not captured again.
public final class CountyDatabase: ReplicaDatabase {
    /// The database file.
    public let path: String
    /// Role, county and node of this replica as it was opened.
    private let opened: ReplicaInfo
    /// Role, county and node of this replica now (the node changes when a new epoch begins
    /// after a restore from backup).
    public var replica: ReplicaInfo { (try? Self.replicaInfo(pool)) ?? opened }
    /// The configured counties.
    public let counties: CountyRegistry
    /// The award rules in force.
    public let policy: AwardPolicy
    /// Who owns which column (decides concurrent edits of pulled changes).
    public let authority: AuthorityTable = .standard
    /// The connection pool (WAL: one writer, concurrent readers).
    public let pool: DatabasePool

    private init(path: String, pool: DatabasePool, replica: ReplicaInfo, counties: CountyRegistry, policy: AwardPolicy) {
        self.path = path
        self.pool = pool
        self.opened = replica
        self.counties = counties
        self.policy = policy
    }

    /// Creates a new county replica at `path`; refuses an unknown county or an existing file.
    /// The file is created private to the current user (mode 0600).
    public static func create(
        at path: String, county: String, counties: CountyRegistry = .tangshan,
        policy: AwardPolicy = .tangshan2022, node: String? = nil
    ) throws -> CountyDatabase {
        do { _ = try counties.county(county) } catch { throw StoreError.invalidInput(error) }
        try createPrivateFile(at: path)
        do {
            let pool = try makePool(path: path)
            let info = ReplicaInfo(
                role: "county", county: county, node: node ?? "county-\(county)-\(randomSuffix())",
                createdAt: ISO8601DateFormatter().string(from: Date()))
            try migrator.migrate(pool)
            // A new replica takes its county's rows from the city on first contact (the snapshot
            // merge of a new epoch): a replacement machine starts with what the city holds, and a
            // county the city has never heard of merges an empty snapshot.
            try pool.write { db in
                try db.execute(
                    sql: "INSERT INTO replica (id, role, county, node, created_at, snapshot_merged) VALUES (1, ?, ?, ?, ?, 0)",
                    arguments: [info.role, info.county, info.node, info.createdAt])
            }
            return CountyDatabase(path: path, pool: pool, replica: info, counties: counties, policy: policy)
        } catch {
            // A half-made replica is worse than none: remove it so `init` can be run again.
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            throw Self.translate(error, op: "create replica", path: path)
        }
    }

    /// Opens an existing county replica; refuses a missing file or a database of another role.
    ///
    /// `readOnly` opens it for inspection (`status`, `list`, `show`): no write connection, so it
    /// never waits for the daemon's writes and never changes the file.
    public static func open(at path: String, counties: CountyRegistry = .tangshan, policy: AwardPolicy = .tangshan2022,
                            readOnly: Bool = false) throws -> CountyDatabase {
        let (pool, info) = try openExisting(path, role: "county", migrator: migrator, readOnly: readOnly,
                                            upgradeHint: "run a command that writes (or start county-syncd) once to upgrade it")
        return CountyDatabase(path: path, pool: pool, replica: info, counties: counties, policy: policy)
    }

    /// Opens an existing replica of `role` (county or city) and brings its schema up to date: the
    /// file is checked and probed read-only first (`checkOpenable`), then a pool is opened on it
    /// and, unless `readOnly`, the migrations still to run are run. `upgradeHint` says what to do
    /// with a read-only file of an older release.
    static func openExisting(_ path: String, role: String, migrator: DatabaseMigrator, readOnly: Bool,
                             upgradeHint: String) throws -> (DatabasePool, ReplicaInfo) {
        let probed = try checkOpenable(path, expected: role, readOnly: readOnly)
        do {
            let pool = try makePool(path: path, readOnly: readOnly)
            // The probe read the replica row unless a writer held the file; then read it now.
            guard let info = try probed ?? replicaInfo(pool) else {
                throw StoreError.wrongRole(path: path, expected: role, found: "non-County-Sync")
            }
            guard info.role == role else { throw StoreError.wrongRole(path: path, expected: role, found: info.role) }
            if readOnly {
                guard try pool.read({ try migrator.hasCompletedMigrations($0) }) else {
                    throw StoreError.cannotOpen(path: path, reason: "it was made by an older release; \(upgradeHint)")
                }
            } else {
                try upgradeIfNeeded(pool, migrator: migrator, path: path)
            }
            return (pool, info)
        } catch let error as DatabaseError where readOnly && [.SQLITE_READONLY, .SQLITE_CANTOPEN].contains(error.resultCode) {
            throw readOnlyWALError(path)
        } catch {
            throw translate(error, op: role == "county" ? "open replica" : "open city database", path: path)
        }
    }

    /// The county this replica belongs to (it never changes).
    public var county: String { opened.county ?? "" }

    /// Says exactly why a database file cannot be opened, before anything opens it for writing: a
    /// missing file, a file or folder this user may not read, a file that is not SQLite, or a
    /// SQLite file that is not a County Sync replica. A file that is not ours is never changed
    /// (a write connection would turn it to WAL mode): it is probed read-only first. Returns the
    /// replica row the probe read, or nil when a writer held the file and the probe could not read.
    static func checkOpenable(_ path: String, expected: String, readOnly: Bool = false) throws -> ReplicaInfo? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT { throw StoreError.missingDatabase(path: path) }
            if code == EACCES {
                throw StoreError.cannotOpen(path: path, reason: "permission denied: a folder on the way is not searchable by this user (uid \(getuid())); run as the service user (e.g. sudo -u county-sync) or grant access")
            }
            throw StoreError.cannotOpen(path: path, reason: String(cString: strerror(code)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw StoreError.cannotOpen(path: path, reason: "not a regular file") }
        guard access(path, readOnly ? R_OK : R_OK | W_OK) == 0 else {
            throw StoreError.cannotOpen(path: path, reason: "permission denied: the file (mode \(String(info.st_mode & 0o777, radix: 8)), owner uid \(info.st_uid)) is not \(readOnly ? "readable" : "readable and writable") by this user (uid \(getuid())); run as the service user (e.g. sudo -u county-sync)")
        }
        var config = Configuration()
        config.readonly = true
        let probe: ReplicaInfo?
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            probe = try queue.read { db -> ReplicaInfo? in
                guard try db.tableExists("replica") else { return nil }
                return try Row.fetchOne(db, sql: "SELECT role, county, node, created_at FROM replica WHERE id = 1").map {
                    ReplicaInfo(role: $0["role"], county: $0["county"], node: $0["node"], createdAt: $0["created_at"])
                }
            }
            try queue.close()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
            throw StoreError.wrongRole(path: path, expected: expected, found: "non-SQLite")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            return nil  // a writer holds it: the pool waits for it
        } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY || error.resultCode == .SQLITE_CANTOPEN {
            throw readOnlyWALError(path)
        }
        guard let probe else { throw StoreError.wrongRole(path: path, expected: expected, found: "non-County-Sync") }
        guard probe.role == expected else { throw StoreError.wrongRole(path: path, expected: expected, found: probe.role) }
        return probe
    }

    /// Who a database file belongs to, or nil for a database that is not a replica.
    static func replicaInfo(_ pool: DatabasePool) throws -> ReplicaInfo? {
        try pool.read { db -> ReplicaInfo? in
            guard try db.tableExists("replica") else { return nil }
            return try Row.fetchOne(db, sql: "SELECT role, county, node, created_at FROM replica WHERE id = 1").map {
                ReplicaInfo(role: $0["role"], county: $0["county"], node: $0["node"], createdAt: $0["created_at"])
            }
        }
    }

    /// A replica opened read-only whose folder does not let SQLite create the `-shm` file a WAL
    /// database needs for reading.
    static func readOnlyWALError(_ path: String) -> StoreError {
        .cannotOpen(path: path, reason: "reading a WAL database needs its -wal and -shm files, which SQLite cannot create in this folder as this user (uid \(getuid())); run as the service user (e.g. sudo -u county-sync), or copy the file to a writable folder")
    }

    /// Brings an older replica's schema up to date (migrations are append-only), taking the write
    /// lock only when there is something to migrate. A read-only file that needs an upgrade says so.
    static func upgradeIfNeeded(_ pool: DatabasePool, migrator: DatabaseMigrator, path: String) throws {
        guard try !pool.read({ try migrator.hasCompletedMigrations($0) }) else { return }
        guard access(path, W_OK) == 0 else {
            throw StoreError.cannotOpen(path: path, reason: "the file is read-only and was made by an older release; open it once with write access to upgrade it")
        }
        try migrator.migrate(pool)
    }

    static func makePool(path: String, readOnly: Bool = false) throws -> DatabasePool {
        SQLiteSettings.applyOnce()
        var config = Configuration()
        config.readonly = readOnly
        config.foreignKeysEnabled = true
        // Another process (syncctl, the daemon) may hold the write lock for a moment.
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // A committed local write must survive power loss, not only a crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return try DatabasePool(path: path, configuration: config)
    }

    static func createPrivateFile(at path: String) throws {
        let fd = Foundation.open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw StoreError.databaseExists(path: path) }
            throw StoreError.sqlite(op: "create", path: path, message: String(cString: strerror(errno)))
        }
        close(fd)
    }

    static func randomSuffix() -> String {
        String(UInt32.random(in: .min ... .max), radix: 16).leftPadded(to: 8)
    }

    static func translate(_ error: any Error, op: String, path: String) -> any Error {
        switch error {
        case let error as StoreError: return error
        case let error as DomainError: return StoreError.invalidInput(error)
        case let error as DatabaseError:
            let message = error.message ?? "\(error.resultCode)"
            if error.resultCode == .SQLITE_NOTADB {
                return StoreError.wrongRole(path: path, expected: "county", found: "non-SQLite")
            }
            if error.resultCode == .SQLITE_FULL {
                return StoreError.diskFull(op: op, path: path)
            }
            if error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                return StoreError.busy(op: op, path: path)
            }
            return StoreError.sqlite(op: op, path: path, message: message)
        default:
            return error
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
