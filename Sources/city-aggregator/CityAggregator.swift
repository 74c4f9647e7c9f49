import ArgumentParser
import CityServer
import CSignals
import Foundation
import NIOCore
import Hummingbird
import Logging
import ServiceSupport
import SyncCore
import SyncStore

/// `city-aggregator`: the city's HTTPS server.
@main
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
struct CityAggregator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "city-aggregator",
        abstract: "Serve the city database to the county daemons over HTTPS with mutual TLS.",
        discussion: """
            Settings come from --config (lines of key = value; keys as the long flags without --) \
            and from flags, which win. The database is created on first start.
            """,
        version: CountySyncVersion.current)

    @Option(help: ArgumentHelp("Configuration file (key = value lines).", valueName: "file")) var config: String?
    @Option(help: ArgumentHelp("The city database.", valueName: "path")) var db: String?
    @Option(help: ArgumentHelp("Address and port to listen on (default 127.0.0.1:8443).", valueName: "host:port")) var listen: String?
    @Option(help: ArgumentHelp("PEM file of the server certificate.", valueName: "pem")) var cert: String?
    @Option(help: ArgumentHelp("PEM file of the server key.", valueName: "pem")) var key: String?
    @Option(name: .customLong("client-ca"), help: ArgumentHelp("PEM file of the CA that signs county certificates.", valueName: "pem")) var clientCA: String?
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted (default 8 MiB).") var maxBodyBytes: Int?
    @Option(name: .customLong("max-value-bytes"), help: "Largest text value in a change, in UTF-8 bytes (default 4096).") var maxValueBytes: Int?
    @Option(name: .customLong("max-batch-changes"), help: "Most changes in one push (default 2000).") var maxBatchChanges: Int?
    @Option(name: .customLong("max-clock-offset-seconds"), help: "How far ahead of the city's clock a change's clock may be (default 300).")
    var maxClockOffsetSeconds: Int?
    @Option(name: .customLong("max-nodes-per-county"), help: "Most nodes (replicas and epochs) the city admits per county (default 16).")
    var maxNodesPerCounty: Int?
    @Option(name: .customLong("port-file"), help: ArgumentHelp("Write the bound port here (useful with port 0).", valueName: "path")) var portFile: String?
    @Option(name: .customLong("monitoring-listen"),
            help: ArgumentHelp("Also serve /healthz and /metrics over plain HTTP here, loopback only (e.g. 127.0.0.1:9464).", valueName: "host:port"))
    var monitoringListen: String?
    @Option(name: .customLong("monitoring-port-file"), help: ArgumentHelp("Write the monitoring listener's port here.", valueName: "path"))
    var monitoringPortFile: String?
    @Option(help: ArgumentHelp("JSON county list replacing the 18 Tangshan divisions.", valueName: "file")) var counties: String?
    @Option(name: .customLong("deny-list"), help: ArgumentHelp("File of revoked certificate serials (hex, one per line); re-read when it changes.", valueName: "file"))
    var denyList: String?

    @Option(name: .customLong("roles-file"), help: ArgumentHelp("Who may decide what at the city (viewer, approver, payer, admin per operator) and second-person-from-yuan; read at start and on SIGHUP. Without one, every operator may decide.", valueName: "file"))
    var rolesFile: String?
    @Option(name: .customLong("feed-key"), help: ArgumentHelp("The key that seals the feed, so counties can give the city back its own changes after a restore from backup; made on the first start (default: feed.key beside the database); the database records it, and the aggregator then starts only with it. Back it up once: it never changes.", valueName: "file"))
    var feedKey: String?
    @Option(name: .customLong("served-record"), help: ArgumentHelp("The record of which of its own changes the city handed to which county, so that after a restore a county must give back all the restore took, not a choice (default: served.db beside the feed key). Keep it out of a restore of the database, like the feed key.", valueName: "file"))
    var servedRecord: String?
    @Option(name: .customLong("console-refresh-seconds"), help: "How often an open console page refreshes itself, in seconds; 0 never (default 5).")
    var consoleRefreshSeconds: Int?
    @Option(name: .customLong("expected-counties"), help: ArgumentHelp("The counties expected online, as codes separated by commas, or all (default all): a county never seen and not expected yet is shown grey on the console, not red.", valueName: "codes"))
    var expectedCounties: String?
    @Option(name: .customLong("tombstone-retention-days"), help: "How long deleted rows' tombstones are kept, in days (default 180).")
    var tombstoneRetentionDays: Int?

    @Option(name: .customLong("feed-retention-days"), help: "How long the city's feed keeps entries every node has pulled, in days (default 30); a node silent longer merges the snapshot.")
    var feedRetentionDays: Int?
    @Option(name: .customLong("handshake-timeout-seconds"), help: "A TLS handshake not finished this long after connecting is closed (default 5).")
    var handshakeTimeoutSeconds: Int?
    @Option(name: .customLong("max-connections"), help: "Most connections at once, held below the descriptor limit less a reserve (default 4096).")
    var maxConnections: Int?
    @Option(name: .customLong("node-retire-days"), help: "Retire a county node silent this many days, freeing its slot; 0 never (default 365).")
    var nodeRetireDays: Int?
    @Option(name: .customLong("body-timeout-seconds"), help: "A request body not received whole this long is refused with 408 (default 60).")
    var bodyTimeoutSeconds: Int?
    @Option(name: .customLong("max-handshaking"), help: "Most connections still in their TLS handshake at once (default 256).")
    var maxHandshaking: Int?
    @Option(name: .customLong("min-protocol"), help: "The oldest sync protocol a county may speak; older ones get 426 upgrade_needed (default 1: all).")
    var minProtocol: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel: String?

    static let keys: Set<String> = [
        "db", "listen", "cert", "key", "client-ca", "max-body-bytes", "max-value-bytes", "max-batch-changes", "max-clock-offset-seconds",
        "max-nodes-per-county", "port-file", "monitoring-listen", "monitoring-port-file", "counties", "deny-list", "feed-key", "served-record", "console-refresh-seconds", "expected-counties", "tombstone-retention-days", "feed-retention-days", "min-protocol", "log-level",
        "handshake-timeout-seconds", "max-connections", "max-handshaking", "body-timeout-seconds", "node-retire-days", "roles-file",
    ]

    /// Runs the process; a configuration error is one line naming the file, line and key, and
    /// exit status 78 (no usage text, and no restart by the service unit).
    func run() async throws {
        // SIGHUP never ends the process (its default action): counted from here, handled by the
        // group's HangupService.
        _ = county_sync_count_hangups()
        do {
            try await serve()
        } catch let error as ConfigurationError {
            error.exit(program: "city-aggregator", configPath: config, allowed: Self.keys)
        } catch let error as StoreError {
            // One line naming the file and the fix, and a status the unit does not restart on
            // when only a person can help (a damaged database, one it may not open).
            FileHandle.standardError.write(Data("city-aggregator: cannot start: \(error.description); \(error.startupFix)\n".utf8))
            Foundation.exit(error.startupExitStatus)
        } catch let error as ListenError {
            FileHandle.standardError.write(Data("city-aggregator: cannot start: \(error.description); nothing was created\n".utf8))
            Foundation.exit(error.exitStatus)
        } catch let error as IOError where error.errnoCode == EADDRINUSE || error.errnoCode == EACCES || error.errnoCode == EADDRNOTAVAIL {
            // Taken between the probe and the server's own bind.
            let refused = ListenError(key: "listen", address: listen ?? "the listen address", code: error.errnoCode)
            FileHandle.standardError.write(Data("city-aggregator: cannot start: \(refused.description)\n".utf8))
            Foundation.exit(refused.exitStatus)
        }
    }

    func serve() async throws {
        let file = try config.map { path throws(ConfigurationError) in try ConfigFile(path: path, allowed: Self.keys) }
        func setting(_ flag: String?, _ key: String) throws -> String {
            guard let value = flag ?? file?.values[key] else { throw ConfigurationError.invalid(key: key, reason: "missing: give --\(key), or \(key) = ... in --config") }
            return value
        }
        var configuration = CityServerConfiguration(
            databasePath: try setting(db, "db"), certFile: try setting(cert, "cert"), keyFile: try setting(key, "key"),
            clientCAFile: try setting(clientCA, "client-ca"))
        let address = listen ?? file?.values["listen"] ?? "127.0.0.1:8443"
        let listenAddress = try ListenAddress(address, key: "listen")
        configuration.host = listenAddress.host
        configuration.port = listenAddress.port
        if let value = try maxBodyBytes ?? file?.integer("max-body-bytes") { configuration.maxBodyBytes = value }
        if let value = try maxValueBytes ?? file?.integer("max-value-bytes") { configuration.limits.maxValueBytes = value }
        if let value = try maxBatchChanges ?? file?.integer("max-batch-changes") { configuration.limits.maxBatchChanges = value }
        if let value = try maxClockOffsetSeconds ?? file?.integer("max-clock-offset-seconds") {
            configuration.limits.maxClockOffsetMs = Int64(value) * 1_000
        }
        if let value = try maxNodesPerCounty ?? file?.integer("max-nodes-per-county") { configuration.limits.maxNodesPerCounty = value }
        configuration.portFile = portFile ?? file?.values["port-file"]
        if let address = monitoringListen ?? file?.values["monitoring-listen"] {
            let monitoring = try ListenAddress(address, key: "monitoring-listen")
            configuration.monitoringListen = (monitoring.host, monitoring.port)
        }
        configuration.monitoringPortFile = monitoringPortFile ?? file?.values["monitoring-port-file"]
        configuration.countiesFile = counties ?? file?.values["counties"]
        configuration.denyListFile = denyList ?? file?.values["deny-list"]
        configuration.rolesFile = rolesFile ?? file?.values["roles-file"]
        if let key = feedKey ?? file?.values["feed-key"] { configuration.feedKeyFile = key }
        if let record = servedRecord ?? file?.values["served-record"] { configuration.servedRecordFile = record }
        if let value = try consoleRefreshSeconds ?? file?.integer("console-refresh-seconds") { configuration.consoleRefreshSeconds = value }
        if let list = expectedCounties ?? file?.values["expected-counties"], list.trimmingCharacters(in: .whitespaces).lowercased() != "all" {
            let codes = Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            configuration.expectedCounties = codes
        }
        if let value = try tombstoneRetentionDays ?? file?.integer("tombstone-retention-days") { configuration.tombstoneRetentionDays = value }
        if let value = try feedRetentionDays ?? file?.integer("feed-retention-days") { configuration.feedRetentionDays = value }
        if let value = try minProtocol ?? file?.integer("min-protocol") { configuration.minProtocol = value }
        if let value = try handshakeTimeoutSeconds ?? file?.integer("handshake-timeout-seconds") { configuration.handshakeTimeoutSeconds = value }
        if let value = try maxConnections ?? file?.integer("max-connections") { configuration.maxConnections = value }
        if let value = try maxHandshaking ?? file?.integer("max-handshaking") { configuration.maxHandshaking = value }
        if let value = try bodyTimeoutSeconds ?? file?.integer("body-timeout-seconds") { configuration.bodyTimeoutSeconds = value }
        if let value = try nodeRetireDays ?? file?.integer("node-retire-days") { configuration.nodeRetireDays = value }
        let levelName = logLevel ?? file?.values["log-level"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ConfigurationError.invalid(key: "log-level", reason: "unknown level \(levelName); expected trace, debug, info, notice, warning, error or critical")
        }

        // SIGHUP reads the configuration file's log-level again, unless --log-level set it.
        ServiceLogging.bootstrap(level: level, rereading: logLevel == nil ? config : nil, allowed: Self.keys)
        let logger = Logger(label: "city-aggregator")
        do {
            let app = try buildCityApplication(configuration: configuration, logger: logger)
            try await app.runService()
            logger.notice("stopped", metadata: ["sync.db": "\(configuration.databasePath)"])
        }
    }
}

