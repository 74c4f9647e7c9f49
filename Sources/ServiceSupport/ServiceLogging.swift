import Foundation
import Logging
import Synchronization
import SyncCore

/// How the aggregator and the daemon log: swift-log's line format on standard error, at one level
/// for the whole process that SIGHUP may change (`level`), and under systemd with each line's
/// syslog priority in front (`<3>` for an error, `<4>` a warning, `<5>` a notice, `<6>` info,
/// `<7>` debug), so `journalctl -p warning` and the journal's colours work.
///
/// ```swift
/// ServiceLogging.bootstrap(level: .info)   // once, first thing
/// ServiceLogging.level = .debug            // from then on, every logger of the process
/// ```
public enum ServiceLogging {
    private static let shared = Mutex<Logger.Level>(.info)

    /// The level of every logger of the process.
    public static var level: Logger.Level {
        get { shared.withLock { $0 } }
        set { shared.withLock { $0 = newValue } }
    }

    /// Sets the logging system up: under systemd (standard error connected to the journal, which
    /// systemd says with `JOURNAL_STREAM`) with priority prefixes, else plain lines. With a
    /// configuration file `rereading` (nil when `--log-level` set the level), SIGHUP reads its
    /// `log-level` again (`rereadLevel`); `allowed` are the file's keys.
    public static func bootstrap(level: Logger.Level, rereading config: String? = nil, allowed: Set<String> = [],
                                 environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.level = level
        let journal = environment["JOURNAL_STREAM"] != nil
        LoggingSystem.bootstrap { label in ServiceLogHandler(label: label, journal: journal) }
        guard let config else { return }
        levelSource {
            let name = try ConfigFile(path: config, allowed: allowed).values["log-level"] ?? "info"
            guard let level = Logger.Level(rawValue: name) else {
                throw ConfigurationError.invalid(key: "log-level", reason: "unknown level \(name) in \(config)")
            }
            return level
        }
    }

    private static let source = Mutex<(@Sendable () throws -> Logger.Level?)?>(nil)

    /// Where the level comes from when SIGHUP asks again: the configuration file's `log-level`,
    /// read anew; nil from `read` when a command-line flag set it, which SIGHUP keeps.
    public static func levelSource(_ read: @escaping @Sendable () throws -> Logger.Level?) {
        source.withLock { $0 = read }
    }

    /// Reads the level again from its source (on SIGHUP); returns what happened, for the log.
    public static func rereadLevel() -> String {
        let old = level
        guard let read = source.withLock({ $0 }) else { return "log level \(old) stays (no configuration file)" }
        do {
            guard let new = try read() else { return "log level \(old) stays (set by --log-level)" }
            level = new
            return new == old ? "log level \(new) unchanged" : "log level \(new) (was \(old))"
        } catch {
            return "log level \(old) stays: \(error)"
        }
    }

    /// The syslog priority of a level (sd-daemon(3)).
    public static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}

/// One line per event, as swift-log's `StreamLogHandler` writes it, with the journal's priority
/// prefix where asked.
struct ServiceLogHandler: LogHandler {
    let label: String
    let journal: Bool
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, journal: Bool) {
        self.label = label
        self.journal = journal
    }

    /// The process's level (`ServiceLogging.level`).
    var logLevel: Logger.Level {
        get { ServiceLogging.level }
        set { ServiceLogging.level = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let prefix = journal ? "<\(ServiceLogging.priority(of: event.level))>" : ""
        var line = StreamLogHandler(label: label, stream: StandardErrorLine(prefix: prefix), metadataProvider: metadataProvider)
        line.metadata = metadata
        line.logLevel = .trace
        line.log(event: event)
    }
}

/// Standard error, each line written whole in one call, after `prefix`.
struct StandardErrorLine: TextOutputStream, Sendable {
    let prefix: String

    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data((prefix + string).utf8))
    }
}
