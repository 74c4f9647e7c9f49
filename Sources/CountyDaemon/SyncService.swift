import CountyConsole
import Dispatch
import CurlTransport
import Foundation
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization
import SyncCore
import SyncProtocol
import SyncStore
import CSignals

/// The county daemon's sync loop, as a service: a push starts as soon as a local commit is made
/// (whichever process made it: inotify reports the write to the replica's WAL; without inotify the
/// log is checked every `watchInterval`), pulls run after every
/// push and every `pullInterval`, failures back off exponentially with jitter up to a cap, and a
/// graceful shutdown makes one bounded final push.
public struct SyncService<C: Clock & Sendable>: Service where C.Duration == Duration, C.Instant: Sendable {
    let client: SyncClient
    /// Held for the service's life: one daemon per replica.
    let lock: DaemonLock?
    let configuration: CountyDaemonConfiguration
    let logger: Logger
    /// The clock the loop waits on: the continuous clock, or a test clock that tests advance.
    let clock: C
    /// When the loop last turned, for the systemd watchdog.
    private let lastTurn = LastTurn()
    /// Told of every write to the replica's files; nil: the loop polls every `watchInterval`.
    let watcher: ChangeWatcher?

    /// Creates the service; with `watchFiles`, local commits wake it (inotify) instead of polling.
    public init(client: SyncClient, configuration: CountyDaemonConfiguration, logger: Logger, lock: DaemonLock? = nil, clock: C,
                watchFiles: Bool = false) {
        self.client = client
        self.lock = lock
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.watcher = watchFiles ? ChangeWatcher.start(databasePath: client.database.path) : nil
    }

    /// The longest the loop sleeps when told of writes: a slow poll, in case a write goes unreported.
    static var fallbackPoll: Duration { .seconds(30) }

    public func run() async throws {
        let stopping = Mutex(false)
        // Under systemd (Type=notify): ready once the loop runs, and a watchdog that stays fed
        // while the loop keeps turning (a round is bounded by the request deadline).
        SystemdNotify.send("READY=1\nSTATUS=syncing \(client.database.county) with \(configuration.cityURL)")
        // One line an admin finds first in the journal: what runs, for whom, against which city.
        logger.notice("county-syncd started", metadata: [
            "sync.version": "\(CountySyncVersion.current)", "sync.county": "\(client.database.county)",
            "sync.node": "\(client.database.replica.node)", "sync.city": "\(configuration.cityURL)",
            "sync.db": "\(configuration.databasePath)", "sync.pull_interval_seconds": "\(configuration.pullIntervalSeconds)",
        ])
        let watchdog = Task { [lastTurn] in
            await SystemdNotify.runWatchdog { lastTurn.withLock { ContinuousClock.now - $0 } < .seconds(300) }
        }
        defer { watchdog.cancel() }
        await withGracefulShutdownHandler {
            await loop(stopping: stopping)
        } onGracefulShutdown: { [watcher] in
            SystemdNotify.send("STOPPING=1")
            stopping.withLock { $0 = true }
            watcher?.wake()
        }
        await finalPush()
    }

    /// Turns every `watchInterval` on the service's clock; `SyncSchedule` decides what is due.
    func loop(stopping: borrowing Mutex<Bool>) async {
        var schedule = SyncSchedule(start: clock.now, pullInterval: .seconds(configuration.pullIntervalSeconds),
                                    maxBackoff: .seconds(configuration.maxBackoffSeconds))
        let watch = Duration.seconds(configuration.watchIntervalSeconds)
        while !stopping.withLock({ $0 }) && !Task.isCancelled {
            lastTurn.withLock { $0 = ContinuousClock.now }
            if schedule.shouldCompact(now: clock.now) {
                // The log keeps what the city has not acknowledged, and the rest for the retention.
                let cutoff = CountyDatabase.wallClockMs() - Int64(configuration.logRetentionDays) * 86_400_000
                if let removed = try? client.database.compactLog(before: cutoff), removed > 0 {
                    logger.info("log compacted", metadata: ["sync.log.removed": "\(removed)", "sync.log.retention_days": "\(configuration.logRetentionDays)"])
                }
                schedule.compacted(now: clock.now)
            }
            var pending = (try? client.database.syncPosition()).map { $0.lastSeq > $0.pushedSeq } ?? false
            if schedule.shouldSync(now: clock.now, pending: pending) {
                do {
                    let report = try await client.syncOnce()
                    if report.pushed > 0 || report.pulled > 0 || report.returned > 0 {
                        logger.info("synced", metadata: [
                            "sync.pushed": "\(report.pushed)", "sync.pulled": "\(report.pulled)", "sync.returned": "\(report.returned)",
                            "sync.parked": "\(report.parked)", "sync.conflicts": "\(report.conflicts)",
                        ])
                    }
                    schedule.synced(now: clock.now)
                    pending = false
                } catch {
                    let delay = schedule.failed(now: clock.now, random: Double.random(in: 0...1), retryAfter: (error as? TransportError)?.retryAfter)
                    logger.warning("sync failed; retrying", metadata: [
                        "sync.error": "\(error)", "sync.retry_in_seconds": "\(delay.components.seconds)",
                        "sync.failures": "\(schedule.backoff.failures)",
                    ])
                }
            }
            guard let watcher else {
                try? await clock.sleep(for: watch)
                continue
            }
            // Asleep until a write to the replica or until something falls due, whichever first.
            let wait = min(max(clock.now.duration(to: schedule.nextDue(pending: pending)), .milliseconds(10)), Self.fallbackPoll)
            let clock = self.clock
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await clock.sleep(for: wait) }
                group.addTask { await watcher.changed() }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// One last push, bounded, so a clean stop leaves as little pending as possible.
    private func finalPush() async {
        let limit = Duration.seconds(configuration.shutdownPushSeconds)
        let client = self.client
        let outcome = await withTaskGroup(of: String.self) { group in
            group.addTask {
                do {
                    let report = try await client.pushPending()
                    return "pushed \(report.pushed)"
                } catch {
                    return "final push failed: \(error)"
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return "final push stopped after \(limit)"
            }
            let first = await group.next() ?? ""
            group.cancelAll()
            return first
        }
        logger.info("stopped", metadata: ["sync.final_push": "\(outcome)"])
    }
}

/// Builds the county daemon: the sync service over the county database and a libcurl transport,
/// in a service group that stops gracefully on SIGTERM and SIGINT. Production and tests call this.
public func buildCountyDaemon(configuration: CountyDaemonConfiguration, logger: Logger) throws -> ServiceGroup {
    try configuration.validate()
    let lock = try DaemonLock(database: configuration.databasePath)
    let database = try CountyDatabase.open(at: configuration.databasePath)
    // This replica's own tombstones serve only while its deletes travel; half a year is plenty.
    try? database.purgeTombstones(deletedBefore: CountyDatabase.wallClockMs() - 180 * 86_400_000)
    var logger = logger
    logger[metadataKey: "sync.county"] = "\(database.county)"
    logger[metadataKey: "sync.node"] = "\(database.replica.node)"
    let transport = try CurlTransport(TransportConfiguration(
        baseURL: configuration.cityURL, caFile: configuration.caFile, certFile: configuration.certFile,
        keyFile: configuration.keyFile, connectTimeout: .seconds(configuration.connectTimeoutSeconds),
        requestTimeout: .seconds(configuration.requestTimeoutSeconds)))
    // The county's own certificate: its expiry is kept for `syncctl status`, and a month ahead the
    // daemon warns (an expired certificate stops every sync).
    if let pem = try? String(contentsOfFile: configuration.certFile, encoding: .utf8), let expiry = CertificateExpiry.notAfter(pem: pem) {
        try? database.recordCertificateExpiry(Int64(expiry.timeIntervalSince1970 * 1_000))
        let days = Int(expiry.timeIntervalSinceNow / 86_400)
        if days < CertificateExpiry.warnDays {
            logger.warning("this county's certificate \(days < 0 ? "has expired" : "expires soon"); ask the city for a new one (Deploy/pki.sh county)", metadata: [
                "sync.certificate.expires": "\(ISO8601DateFormatter().string(from: expiry))", "sync.certificate.days_left": "\(days)",
            ])
        }
    }
    let client = SyncClient(database: database, transport: transport, logger: logger, batchSize: configuration.batchSize)
    let service = SyncService(client: client, configuration: configuration, logger: logger, lock: lock, clock: ContinuousClock(), watchFiles: true)
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: service), .init(service: HangupService(logger: logger))]
    if let host = configuration.metricsHost {
        services.append(.init(service: DaemonMetrics.listener(database, host: host, port: configuration.metricsPort,
                                                              portFile: configuration.metricsPortFile, logger: logger)))
    }
    if let console = configuration.console {
        // The clerks' pages read and write the replica only: a page never waits for the city,
        // and what a clerk enters is sent by the sync loop like any change.
        services.append(.init(service: try CountyConsole.application(database: database, settings: console, logger: logger)))
    }
    return ServiceGroup(configuration: .init(
        services: services,
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
}

/// When the sync loop last turned.
final class LastTurn: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    func withLock<T>(_ body: (inout ContinuousClock.Instant) -> T) -> T { instant.withLock { body(&$0) } }
}

/// SIGHUP never stops the daemon (its default action would, with exit 129, which systemd counts
/// as clean): it reads its log level again from its configuration file, and says so. The binary counts SIGHUP in a
/// plain handler from its first line (`county_sync_count_hangups`); this service looks twice a
/// second.
struct HangupService: Service {
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if county_sync_take_hangups() > 0 {
                    logger.notice("SIGHUP: \(ServiceLogging.rereadLevel()); county-syncd keeps running; its other settings take effect on restart (systemctl restart county-syncd)")
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
