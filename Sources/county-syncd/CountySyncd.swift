import ArgumentParser
import CountyConsole
import CountyDaemon
import CSignals
import Foundation
import Logging
import ServiceSupport
import SyncCore
import SyncStore

/// `county-syncd`: keeps a county replica in sync with the city.
@main
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
struct CountySyncd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "county-syncd",
        abstract: "Keep a county replica in sync with the city aggregator over HTTPS (mutual TLS).",
        discussion: """
            Settings come from --config (lines of key = value; keys as the long flags without --) \
            and from flags, which win. Stops gracefully on SIGTERM after a bounded final push.
            """,
        version: CountySyncVersion.current)

    @Option(help: ArgumentHelp("Configuration file (key = value lines).", valueName: "file")) var config: String?
    @Option(help: ArgumentHelp("The county replica.", valueName: "path")) var db: String?
    @Option(help: ArgumentHelp("The aggregator's URL, e.g. https://city.example:8443.", valueName: "url")) var city: String?
    @Option(help: ArgumentHelp("PEM file of the city CA.", valueName: "pem")) var ca: String?
    @Option(help: ArgumentHelp("PEM file of this county's certificate.", valueName: "pem")) var cert: String?
    @Option(help: ArgumentHelp("PEM file of its private key.", valueName: "pem")) var key: String?
    @Option(name: .customLong("pull-interval"), help: "Seconds between pulls (default 10).") var pullInterval: Double?
    @Option(name: .customLong("batch-size"), help: "Changes per push (default 1000).") var batchSize: Int?
    @Option(name: .customLong("max-backoff"), help: "Ceiling of the retry delay in seconds (default 60).") var maxBackoff: Double?
    @Option(name: .customLong("request-timeout"), help: "Deadline of one request to the city in seconds, body included (default 60).") var requestTimeout: Double?
    @Option(name: .customLong("connect-timeout"), help: "Deadline of connecting to the city in seconds (default 10).") var connectTimeout: Double?
    @Option(name: .customLong("log-retention-days"), help: "Days acknowledged changes are kept in the log before compaction (default 30).")
    var logRetentionDays: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel: String?
    @Option(name: .customLong("metrics-listen"), help: ArgumentHelp("A loopback address for a plain-HTTP listener serving /metrics and /healthz only, e.g. 127.0.0.1:9465.", valueName: "host:port"))
    var metricsListen: String?
    @Option(name: .customLong("metrics-port-file"), help: ArgumentHelp("Write the metrics listener's port here.", valueName: "path"))
    var metricsPortFile: String?

    @Option(name: .customLong("console-listen"), help: ArgumentHelp("Serve the clerks' console over HTTPS here, e.g. 8443 (this machine only) or 0.0.0.0:8443 (the office's network); off by default.", valueName: "[host:]port"))
    var consoleListen: String?
    @Option(name: .customLong("console-cert"), help: ArgumentHelp("The console's server certificate (Deploy/pki.sh county-server).", valueName: "pem"))
    var consoleCert: String?
    @Option(name: .customLong("console-key"), help: ArgumentHelp("Its private key.", valueName: "pem"))
    var consoleKey: String?
    @Option(name: .customLong("console-client-ca"), help: ArgumentHelp("The CA of the clerk certificates (default: --ca).", valueName: "pem"))
    var consoleClientCA: String?
    @Option(name: .customLong("console-port-file"), help: ArgumentHelp("Write the console's port here.", valueName: "path"))
    var consolePortFile: String?

    static let keys: Set<String> = ["db", "city", "ca", "cert", "key", "pull-interval", "batch-size", "max-backoff", "request-timeout", "connect-timeout",
                                    "log-retention-days", "log-level", "metrics-listen", "metrics-port-file",
                                    "console-listen", "console-cert", "console-key", "console-client-ca", "console-port-file"]

    /// Runs the process; a configuration error is one line naming the file, line and key, and
    /// exit status 78 (no usage text, and no restart by the service unit).
    func run() async throws {
        // SIGHUP never ends the process (its default action): counted from here, handled by the
        // group's HangupService.
        _ = county_sync_count_hangups()
        do {
            try await serve()
        } catch let error as ConfigurationError {
            error.exit(program: "county-syncd", configPath: config, allowed: Self.keys)
        }
    }

    func serve() async throws {
        let file = try config.map { path throws(ConfigurationError) in try ConfigFile(path: path, allowed: Self.keys) }
        func setting(_ flag: String?, _ key: String) throws -> String {
            guard let value = flag ?? file?.values[key] else {
                throw ConfigurationError.invalid(key: key, reason: "missing: give --\(key), or \(key) = ... in --config")
            }
            return value
        }
        var configuration = CountyDaemonConfiguration(
            databasePath: try setting(db, "db"), cityURL: try setting(city, "city"),
            caFile: try setting(ca, "ca"), certFile: try setting(cert, "cert"), keyFile: try setting(key, "key"))
        if let value = try pullInterval ?? file?.integer("pull-interval").map(Double.init) { configuration.pullIntervalSeconds = value }
        if let value = try batchSize ?? file?.integer("batch-size") { configuration.batchSize = value }
        if let value = try logRetentionDays ?? file?.integer("log-retention-days") { configuration.logRetentionDays = value }
        if let value = try maxBackoff ?? file?.integer("max-backoff").map(Double.init) { configuration.maxBackoffSeconds = value }
        if let value = try requestTimeout ?? file?.integer("request-timeout").map(Double.init) { configuration.requestTimeoutSeconds = value }
        if let value = try connectTimeout ?? file?.integer("connect-timeout").map(Double.init) { configuration.connectTimeoutSeconds = value }
        if let address = metricsListen ?? file?.values["metrics-listen"] {
            let metrics = try ListenAddress(address, key: "metrics-listen")
            configuration.metricsHost = metrics.host
            configuration.metricsPort = metrics.port
        }
        configuration.metricsPortFile = metricsPortFile ?? file?.values["metrics-port-file"]
        if let address = consoleListen ?? file?.values["console-listen"] {
            // A bare port is this machine only; the office's network must be named.
            let listen = Int(address) != nil ? try ListenAddress("127.0.0.1:\(address)", key: "console-listen") : try ListenAddress(address, key: "console-listen")
            configuration.console = CountyConsoleSettings(
                host: listen.host, port: listen.port,
                certFile: try setting(consoleCert, "console-cert"), keyFile: try setting(consoleKey, "console-key"),
                clientCAFile: consoleClientCA ?? file?.values["console-client-ca"] ?? configuration.caFile,
                portFile: consolePortFile ?? file?.values["console-port-file"])
        }
        let levelName = logLevel ?? file?.values["log-level"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ConfigurationError.invalid(key: "log-level", reason: "unknown level \(levelName); expected trace, debug, info, notice, warning, error or critical")
        }

        // SIGHUP reads the configuration file's log-level again, unless --log-level set it.
        ServiceLogging.bootstrap(level: level, rereading: logLevel == nil ? config : nil, allowed: Self.keys)
        let logger = Logger(label: "county-syncd")
        do {
            let group = try buildCountyDaemon(configuration: configuration, logger: logger)
            try await group.run()
        } catch let error as StoreError {
            // One line naming the file and the fix, and a status the unit does not restart on
            // when only a person can help (a damaged or missing replica).
            FileHandle.standardError.write(Data("county-syncd: cannot start: \(error.description); \(error.startupFix)\n".utf8))
            Foundation.exit(error.startupExitStatus)
        }
    }
}

