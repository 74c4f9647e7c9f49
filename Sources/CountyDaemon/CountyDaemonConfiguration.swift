import CountyConsole
import Foundation
import SyncCore

/// Everything `county-syncd` needs, with complete defaults where one makes sense.
public struct CountyDaemonConfiguration: Sendable, Hashable {
    /// The county replica.
    public var databasePath: String
    /// The aggregator's base URL (https://...).
    public var cityURL: String
    /// PEM file of the city CA.
    public var caFile: String
    /// PEM file of this county's certificate.
    public var certFile: String
    /// PEM file of its key.
    public var keyFile: String
    /// Seconds between pulls when nothing else happens (pulls also follow every push).
    public var pullIntervalSeconds = 10.0
    /// How often the database is checked for new local commits, in seconds.
    public var watchIntervalSeconds = 0.25
    /// Changes per push.
    public var batchSize = 1_000
    /// Ceiling of the retry delay, in seconds.
    public var maxBackoffSeconds = 60.0
    /// How long the final push on shutdown may take, in seconds.
    public var shutdownPushSeconds = 5.0
    /// Connect timeout, seconds.
    public var connectTimeoutSeconds = 10.0
    /// Request deadline, seconds.
    public var requestTimeoutSeconds = 60.0

    /// Changes the city acknowledged, and city changes applied, are kept this many days, then
    /// compacted (at start and every six hours). A city restored from a backup older than this
    /// cannot get them back from this replica's log.
    public var logRetentionDays = 30

    /// An optional plain-HTTP listener for `/metrics` and `/healthz` only, on a loopback address.
    public var metricsHost: String?
    public var metricsPort = 0
    /// Where to write the metrics listener's port (with port 0), if anywhere.
    public var metricsPortFile: String?

    /// The clerks' console (`console-listen`), if served.
    public var console: CountyConsoleSettings?

    /// Creates a configuration.
    public init(databasePath: String, cityURL: String, caFile: String, certFile: String, keyFile: String) {
        self.databasePath = databasePath
        self.cityURL = cityURL
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }

    /// Checks every setting; throws naming the bad key.
    public func validate() throws(ConfigurationError) {
        guard cityURL.lowercased().hasPrefix("https://") else { throw .invalid(key: "city", reason: "must be an https:// URL, not \(cityURL)") }
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw .invalid(key: "db", reason: "no database at \(databasePath) (create one with `syncctl init`)")
        }
        for (key, path) in [("ca", caFile), ("cert", certFile), ("key", keyFile)] {
            guard FileManager.default.isReadableFile(atPath: path) else { throw .invalid(key: key, reason: "cannot read \(path)") }
        }
        if let host = metricsHost {
            guard (0...65535).contains(metricsPort) else { throw .invalid(key: "metrics-listen", reason: "port \(metricsPort) is out of range") }
            guard ListenAddress.isLoopback(host) else {
                throw .invalid(key: "metrics-listen", reason: "\(host) is not a loopback address; the plain-HTTP listener serves only this machine (127.0.0.1 or ::1)")
            }
        }
        try console?.validate()
        guard pullIntervalSeconds > 0, pullIntervalSeconds <= 3600 else { throw .invalid(key: "pull-interval", reason: "must be between 0 and 3600 seconds") }
        guard (1...3_650).contains(logRetentionDays) else { throw .invalid(key: "log-retention-days", reason: "must be 1 to 3650") }
        guard (1...10_000).contains(batchSize) else { throw .invalid(key: "batch-size", reason: "must be 1 to 10000") }
        guard maxBackoffSeconds >= 1 else { throw .invalid(key: "max-backoff", reason: "must be at least 1 second") }
        guard requestTimeoutSeconds >= 1, requestTimeoutSeconds <= 3600 else { throw .invalid(key: "request-timeout", reason: "must be between 1 and 3600 seconds") }
        guard connectTimeoutSeconds >= 1, connectTimeoutSeconds <= requestTimeoutSeconds else {
            throw .invalid(key: "connect-timeout", reason: "must be at least 1 second and at most the request timeout")
        }
    }
}
