import Foundation
import ServiceSupport
import SyncCore
import SyncProtocol

/// Everything `city-aggregator` needs, with complete defaults where one makes sense.
public struct CityServerConfiguration: Sendable, Hashable {
    /// The city database file.
    public var databasePath: String
    /// Address to listen on.
    public var host = "127.0.0.1"
    /// Port to listen on; 0 picks a free one (tests).
    public var port = 8443
    /// PEM file of the server certificate (chain).
    public var certFile: String
    /// PEM file of the server's private key.
    public var keyFile: String
    /// PEM file of the city CA; client certificates must be signed by it.
    public var clientCAFile: String
    /// What the city accepts from a county: bytes per body and per value, changes per push, clock
    /// offset, nodes per county (see `SyncLimits` for the defaults).
    public var limits = SyncLimits()
    /// Largest request body accepted; larger ones get 413 before they are read whole.
    public var maxBodyBytes: Int {
        get { limits.maxBodyBytes }
        set { limits.maxBodyBytes = newValue }
    }
    /// Most changes one pull page carries.
    public var maxPullPage = 2_000
    /// Idle keep-alive connections are closed after this long.
    public var idleTimeoutSeconds = 120
    /// The TLS 1.2 cipher suite offered: ECDHE with AES-256-GCM, for an EC server key (the
    /// default, `Deploy/pki.sh`) or an RSA one. One suite per key type, because NIOSSL does not
    /// let a server impose its own order (`SSL_OP_CIPHER_SERVER_PREFERENCE`): with one, the
    /// client cannot choose a weaker one (testssl.sh: "server cipher order: yes"). TLS 1.3, which
    /// counties' libcurl negotiates first, has AEAD suites only.
    public static let tls12CipherSuites = TLSProfile.tls12CipherSuites
    /// A TLS handshake not finished this long after the connection is closed (`ConnectionGate`).
    public var handshakeTimeoutSeconds = 5
    /// Most connections at once; the process's descriptor limit less a reserve bounds it too.
    public var maxConnections = 4_096
    /// Most connections still in their TLS handshake at once.
    public var maxHandshaking = 256
    /// A county node silent (no contact) for this many days is retired, freeing its slot
    /// (`syncctl nodes retire` does it by hand); 0 never. The county continues as a new node.
    public var nodeRetireDays = 365
    /// A request body not received whole within this many seconds is refused (408) and its
    /// connection closed: 8 MiB in 60 s is about 1.1 Mbit/s, and a push is deflated.
    public var bodyTimeoutSeconds = 60
    /// Where to write the port actually bound (for supervisors and tests), if anywhere.
    public var portFile: String?
    /// A JSON county list replacing the default 18 Tangshan divisions.
    public var countiesFile: String?
    /// A file of revoked certificate serials (hex, one per line); re-read when it changes.
    public var denyListFile: String?
    /// The roles file (`OperatorRoles`): who may decide what, and from which amount two people
    /// decide. Read at start and on SIGHUP; without one, every operator may decide.
    public var rolesFile: String?
    /// The key that seals the city's feed (`FeedSeal`): created at the first start if missing.
    /// It lives outside the database, so a restore of `city.db` from a backup keeps it, and the
    /// city can take back its own changes from the counties. Default: `feed.key` beside the database.
    public var feedKeyFile: String?
    /// The feed key file in use.
    public var resolvedFeedKeyFile: String {
        feedKeyFile ?? URL(fileURLWithPath: databasePath).deletingLastPathComponent().appendingPathComponent("feed.key").path
    }
    /// The record of which of its own changes the city handed to which county (`ServedRecord`):
    /// after a restore of `city.db`, it tells the city what the restore took, so a county must give
    /// back all of it, not a choice. Outside the database like the feed key, and never restored
    /// with it. Default: `served.db` beside the feed key.
    public var servedRecordFile: String?
    /// The served record in use.
    public var resolvedServedRecordFile: String {
        servedRecordFile ?? URL(fileURLWithPath: resolvedFeedKeyFile).deletingLastPathComponent().appendingPathComponent("served.db").path
    }
    /// What the city still retains of its own changes, in ms since 1970: a change written before
    /// is older than both the feed's and the tombstones' retention, and no restore took it.
    public func retainedSinceMs(nowMs: Int64) -> Int64 {
        nowMs - Int64(min(feedRetentionDays, tombstoneRetentionDays)) * 86_400_000
    }
    /// An optional plain-HTTP listener for `/healthz` and `/metrics` only; loopback addresses only.
    public var monitoringListen: (host: String, port: Int)? {
        get { monitoringHost.map { ($0, monitoringPort) } }
        set { monitoringHost = newValue?.host; monitoringPort = newValue?.port ?? 0 }
    }
    private var monitoringHost: String?
    private var monitoringPort = 0
    /// Where to write the monitoring listener's port (with port 0), if anywhere.
    public var monitoringPortFile: String?
    /// How often an open console page refreshes itself while counties sync, in seconds; 0 never.
    public var consoleRefreshSeconds = 5
    /// The counties expected online (their daemons installed); nil: all. A county never seen
    /// and not expected yet is shown grey on the console, not red.
    public var expectedCounties: Set<String>?
    /// Tombstones of deleted rows are kept this many days, then purged (at start and every six
    /// hours). A county replica restored from a backup older than this may hold rows deleted
    /// since, which no snapshot deletes again: replace it instead (`syncctl init`).
    public var tombstoneRetentionDays = 180
    /// Feed entries every node in contact has pulled are compacted after this many days (at
    /// start and every six hours); a node silent longer merges the city's snapshot instead.
    public var feedRetentionDays = 30
    /// The oldest sync protocol a county may speak (`ProtocolVersion`); older ones get 426
    /// `upgrade_needed`. 1 (the default) serves every release since 0.10.
    public var minProtocol = 1

    /// Creates a configuration.
    public init(databasePath: String, certFile: String, keyFile: String, clientCAFile: String) {
        self.databasePath = databasePath
        self.certFile = certFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
    }


    /// Checks every setting; throws naming the bad key.
    public func validate() throws(ConfigurationError) {
        guard (0...65535).contains(port) else { throw .invalid(key: "listen", reason: "port \(port) is out of range") }
        guard !host.isEmpty else { throw .invalid(key: "listen", reason: "no host") }
        for (key, path) in [("cert", certFile), ("key", keyFile), ("client-ca", clientCAFile)] {
            guard FileManager.default.isReadableFile(atPath: path) else { throw .invalid(key: key, reason: "cannot read \(path)") }
        }
        guard maxBodyBytes >= 1024 else { throw .invalid(key: "max-body-bytes", reason: "must be at least 1024") }
        guard (16...(1 << 20)).contains(limits.maxValueBytes) else { throw .invalid(key: "max-value-bytes", reason: "must be 16 to 1048576") }
        guard (1...100_000).contains(limits.maxBatchChanges) else { throw .invalid(key: "max-batch-changes", reason: "must be 1 to 100000") }
        guard (1_000...(7 * 86_400_000)).contains(limits.maxClockOffsetMs) else {
            throw .invalid(key: "max-clock-offset-seconds", reason: "must be 1 to 604800")
        }
        guard (1...10_000).contains(limits.maxNodesPerCounty) else { throw .invalid(key: "max-nodes-per-county", reason: "must be 1 to 10000") }
        if let monitoring = monitoringListen {
            guard (0...65535).contains(monitoring.port) else { throw .invalid(key: "monitoring-listen", reason: "port \(monitoring.port) is out of range") }
            guard ListenAddress.isLoopback(monitoring.host) else {
                throw .invalid(key: "monitoring-listen", reason: "\(monitoring.host) is not a loopback address; the plain-HTTP listener serves only this machine (127.0.0.1 or ::1)")
            }
        }
        guard (1...ProtocolVersion.current).contains(minProtocol) else {
            throw .invalid(key: "min-protocol", reason: "must be 1 to \(ProtocolVersion.current), the protocol this release speaks")
        }
        guard nodeRetireDays == 0 || (30...36_500).contains(nodeRetireDays) else { throw .invalid(key: "node-retire-days", reason: "must be 0 (never) or 30 to 36500") }
        guard (5...3_600).contains(bodyTimeoutSeconds) else { throw .invalid(key: "body-timeout-seconds", reason: "must be 5 to 3600") }
        guard (1...120).contains(handshakeTimeoutSeconds) else { throw .invalid(key: "handshake-timeout-seconds", reason: "must be 1 to 120") }
        guard (16...1_000_000).contains(maxConnections) else { throw .invalid(key: "max-connections", reason: "must be 16 to 1000000") }
        guard (1...maxConnections).contains(maxHandshaking) else { throw .invalid(key: "max-handshaking", reason: "must be 1 to max-connections (\(maxConnections))") }
        guard (7...36_500).contains(tombstoneRetentionDays) else { throw .invalid(key: "tombstone-retention-days", reason: "must be 7 to 36500") }
        guard (1...36_500).contains(feedRetentionDays) else { throw .invalid(key: "feed-retention-days", reason: "must be 1 to 36500") }
        guard (0...3600).contains(consoleRefreshSeconds) else { throw .invalid(key: "console-refresh-seconds", reason: "must be 0 (never) to 3600") }
        if let expected = expectedCounties {
            guard !expected.isEmpty else { throw .invalid(key: "expected-counties", reason: "names no county; give codes separated by commas, or all") }
            if let unknown = expected.sorted().first(where: { !$0.allSatisfy(\.isNumber) || $0.count != 6 }) {
                throw .invalid(key: "expected-counties", reason: "\(unknown) is not a six-digit county code (or give all)")
            }
        }
        guard (1...100_000).contains(maxPullPage) else { throw .invalid(key: "max-pull-page", reason: "must be 1 to 100000") }
    }
}
