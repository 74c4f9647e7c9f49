import Foundation
import GRDB
import Synchronization
import SyncCore
import SyncProtocol

/// The city's SQLite database (WAL): every county's platforms and awards, the city's own change
/// log (the pull feed of each county), per-node high-water marks, conflicts and parked changes.
///
/// ```swift
/// let city = try CityDatabase.create(at: "/var/lib/county-sync/city.db")
/// let answer = try city.applyPush(county: "130202", request)   // county from the client certificate
/// let feed = try city.pullFeed(county: "130202", after: 0, limit: 500)
/// ```
public final class CityDatabase: ReplicaDatabase {
    /// The database file.
    public let path: String
    /// Role and node of this replica.
    public let replica: ReplicaInfo
    /// The configured counties.
    public let counties: CountyRegistry
    /// The award rules in force.
    public let policy: AwardPolicy
    /// Who owns which column.
    public let authority: AuthorityTable
    /// The connection pool.
    public let pool: DatabasePool
    /// What the city accepts from a county (sizes, clock offset, nodes per county).
    public let limits: SyncLimits
    /// Told of every node the city admits, with the evidence (for the log).
    public let onNodeAdmitted: @Sendable (NodeAdmission) -> Void
    /// Seals the feed's changes, so counties can give them back after a restore (`returnChanges`);
    /// nil when no feed key was given (a shell's `syncctl`, which serves no feed).
    public let feedSeal: FeedSeal?
    /// What the city handed to each county of its own changes, outside `city.db` (`ServedRecord`);
    /// nil in a shell's `syncctl`, which serves nothing.
    public let servedRecord: ServedRecord?
    /// Who may decide what, and from which amount two people decide (the roles file; `open`
    /// until one is set). The aggregator sets it at start and on SIGHUP.
    public var roles: OperatorRoles {
        get { rolesState.withLock { $0 } }
        set { rolesState.withLock { $0 = newValue } }
    }
    private let rolesState = Mutex<OperatorRoles>(.open)
    /// Whether the city's writes fail for a cause of the storage (`/healthz`, metrics, console).
    public let storageHealth: StorageHealth? = StorageHealth()

    private init(path: String, pool: DatabasePool, replica: ReplicaInfo, counties: CountyRegistry, policy: AwardPolicy, authority: AuthorityTable,
                 limits: SyncLimits, onNodeAdmitted: @escaping @Sendable (NodeAdmission) -> Void, feedSeal: FeedSeal?,
                 servedRecord: ServedRecord?) {
        self.path = path
        self.pool = pool
        self.replica = replica
        self.counties = counties
        self.policy = policy
        self.authority = authority
        self.limits = limits
        self.onNodeAdmitted = onNodeAdmitted
        self.feedSeal = feedSeal
        self.servedRecord = servedRecord
    }

    /// Creates a new city database at `path` (mode 0600); refuses an existing file.
    public static func create(
        at path: String, counties: CountyRegistry = .tangshan, policy: AwardPolicy = .tangshan2022,
        authority: AuthorityTable = .standard, node: String? = nil, limits: SyncLimits = SyncLimits(),
        onNodeAdmitted: @escaping @Sendable (NodeAdmission) -> Void = { _ in }, feedSeal: FeedSeal? = nil, servedRecord: ServedRecord? = nil
    ) throws -> CityDatabase {
        try CountyDatabase.createPrivateFile(at: path)
        do {
            let pool = try CountyDatabase.makePool(path: path)
            let info = ReplicaInfo(role: "city", county: nil, node: node ?? "city-\(CountyDatabase.randomSuffix())",
                                   createdAt: ISO8601DateFormatter().string(from: Date()))
            try migrator.migrate(pool)
            try pool.write { db in
                try db.execute(sql: "INSERT INTO replica (id, role, county, node, created_at) VALUES (1, 'city', NULL, ?, ?)",
                               arguments: [info.node, info.createdAt])
            }
            return CityDatabase(path: path, pool: pool, replica: info, counties: counties, policy: policy, authority: authority,
                                limits: limits, onNodeAdmitted: onNodeAdmitted, feedSeal: feedSeal, servedRecord: servedRecord)
        } catch {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            throw CountyDatabase.translate(error, op: "create city database", path: path)
        }
    }

    /// Opens an existing city database; refuses a missing file or a county replica.
    public static func open(
        at path: String, counties: CountyRegistry = .tangshan, policy: AwardPolicy = .tangshan2022,
        authority: AuthorityTable = .standard, limits: SyncLimits = SyncLimits(),
        onNodeAdmitted: @escaping @Sendable (NodeAdmission) -> Void = { _ in }, readOnly: Bool = false, feedSeal: FeedSeal? = nil,
        servedRecord: ServedRecord? = nil
    ) throws -> CityDatabase {
        let (pool, info) = try CountyDatabase.openExisting(path, role: "city", migrator: migrator, readOnly: readOnly,
                                                           upgradeHint: "start city-aggregator once to upgrade it")
        return CityDatabase(path: path, pool: pool, replica: info, counties: counties, policy: policy, authority: authority,
                            limits: limits, onNodeAdmitted: onNodeAdmitted, feedSeal: feedSeal, servedRecord: servedRecord)
    }

    func applier(nowMs: Int64) -> ChangeApplier {
        ChangeApplier(receiver: .city, authority: authority, counties: counties, policy: policy, nowMs: nowMs)
    }
}

extension CityDatabase {
    /// A mark that changes with every write to the city's data: the newest feed entry and
    /// decision, the counties' pushed positions, the row counts, and the database files' times
    /// and sizes (any commit appends to the write-ahead log). A page rendered after reading an
    /// equal mark shows what is there now. Take it before reading what it stands for.
    public func writeMark() throws -> String {
        let counters = try read("read the write mark") { db -> String in
            let row = try Row.fetchOne(db, sql: """
                SELECT (SELECT ifnull(max(seq), 0) FROM change_log), (SELECT ifnull(max(id), 0) FROM decision_log),
                       (SELECT total(high_water) FROM node_state), (SELECT count(*) FROM platform), (SELECT count(*) FROM award)
                """)
            return (0..<5).map { "\(row?[$0] as DatabaseValue? ?? .null)" }.joined(separator: ",")
        }
        var files: [String] = []
        for suffix in ["", "-wal"] {
            var info = stat()
            if stat(path + suffix, &info) == 0 { files.append("\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec):\(info.st_size)") }
        }
        return counters + "|" + files.joined(separator: ";")
    }
}
