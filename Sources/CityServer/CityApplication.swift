import Dispatch
import Foundation
import GatedTLS
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceSupport
import X509
import ServiceLifecycle
import Synchronization
import SyncCore
import SyncProtocol
import SyncStore
import CSignals
import WireCompression

/// Builds the aggregator: the HTTPS application over the city database, mutual TLS required.
/// Production (`city-aggregator`) and tests call this one function.
///
/// ```swift
/// let app = try buildCityApplication(configuration: config, logger: logger)
/// try await app.runService()
/// ```
public func buildCityApplication(
    configuration: CityServerConfiguration, logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    try configuration.validate()
    var counties = CountyRegistry.tangshan
    if let file = configuration.countiesFile {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigurationError.invalid(key: "counties", reason: "cannot read \(file)")
        }
        counties = try CountyRegistry(json: data)
    }
    if let unknown = configuration.expectedCounties?.sorted().first(where: { counties[$0] == nil }) {
        throw ConfigurationError.invalid(key: "expected-counties", reason: "\(unknown) is not one of the configured counties")
    }
    func load<T>(_ key: String, _ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            throw ConfigurationError.invalid(key: key, reason: "cannot load \(path) as PEM: \(error)")
        }
    }
    let chain = try load("cert", configuration.certFile) { try NIOSSLCertificate.fromPEMFile(configuration.certFile) }
    // The TLS material is read and judged before the database is opened or created: a start
    // that cannot serve leaves nothing behind.
    let key = try load("key", configuration.keyFile) { try NIOSSLPrivateKey(file: configuration.keyFile, format: .pem) }
    let roots = try load("client-ca", configuration.clientCAFile) { try NIOSSLCertificate.fromPEMFile(configuration.clientCAFile) }
    try checkAuthorities(roots, file: configuration.clientCAFile)
    if let leaf = chain.first {
        // An expired server certificate fails every county's handshake: refuse to start with one,
        // and warn a month ahead.
        let expiry = Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter))
        let days = Int(expiry.timeIntervalSinceNow / 86_400)
        if expiry < Date() {
            throw ConfigurationError.invalid(key: "cert", reason: "the server certificate \(configuration.certFile) expired on \(ISO8601DateFormatter().string(from: expiry)); issue a new one (Deploy/pki.sh server)")
        }
        if days < CertificateExpiry.warnDays {
            logger.warning("the server certificate expires soon; renew it (Deploy/pki.sh server)", metadata: [
                "sync.certificate.expires": "\(ISO8601DateFormatter().string(from: expiry))", "sync.certificate.days_left": "\(days)",
            ])
        }
    }
    let admissions = logger
    let onNodeAdmitted: @Sendable (NodeAdmission) -> Void = { admission in
        admissions.notice("node admitted", metadata: [
            "sync.county": "\(admission.county)", "sync.node": "\(admission.node)", "sync.route": "\(admission.route)",
            "sync.evidence": "\(admission.evidence)",
        ])
    }
    // The addresses to listen on are tried before the feed key or the database is created: a
    // port in use stops the start with one line, and leaves nothing behind.
    try ListenProbe.check(key: "listen", host: configuration.host, port: configuration.port)
    if let monitoring = configuration.monitoringListen {
        try ListenProbe.check(key: "monitoring-listen", host: monitoring.host, port: monitoring.port)
    }
    let feedSeal: FeedSeal
    // The feed key is part of the city's state: counties hold changes sealed with it, to give
    // back after a restore. Once the database has recorded its key, the aggregator starts only
    // with that key: a new or another one would refuse every one of them for good.
    let keyFile = configuration.resolvedFeedKeyFile
    let recordedKey = try? CityDatabase.recordedFeedKey(at: configuration.databasePath)
    if let recordedKey, !FileManager.default.fileExists(atPath: keyFile) {
        throw ConfigurationError.invalid(key: "feed-key", reason: "\(keyFile) is missing, but \(configuration.databasePath) seals its feed with key \(recordedKey); restore the key from the backup made with the server's key (it never changes), or give its path with --feed-key")
    }
    do {
        let (seal, created) = try FeedSeal.loadOrCreate(at: configuration.resolvedFeedKeyFile)
        if created {
            logger.notice("created the feed key; back it up once with the server's key (it never changes)",
                          metadata: ["sync.feed_key": "\(configuration.resolvedFeedKeyFile)"])
        }
        feedSeal = seal
    } catch {
        throw ConfigurationError.invalid(key: "feed-key", reason: error.description)
    }
    let servedRecord: ServedRecord
    do { servedRecord = try ServedRecord.open(at: configuration.resolvedServedRecordFile) } catch {
        throw ConfigurationError.invalid(key: "served-record", reason: "\(error)")
    }
    let database = FileManager.default.fileExists(atPath: configuration.databasePath)
        ? try CityDatabase.open(at: configuration.databasePath, counties: counties, limits: configuration.limits, onNodeAdmitted: onNodeAdmitted,
                                feedSeal: feedSeal, servedRecord: servedRecord)
        : try CityDatabase.create(at: configuration.databasePath, counties: counties, limits: configuration.limits, onNodeAdmitted: onNodeAdmitted,
                                  feedSeal: feedSeal, servedRecord: servedRecord)
    let sealedWith = try database.recordFeedKey(feedSeal.fingerprint)
    guard sealedWith == feedSeal.fingerprint else {
        throw ConfigurationError.invalid(key: "feed-key", reason: "\(keyFile) (key \(feedSeal.fingerprint)) is not the key \(configuration.databasePath) seals its feed with (key \(sealedWith)); give the right one with --feed-key")
    }
    // A restore of city.db takes the city's changes made after the backup; the counties that
    // were handed them give them back, each county all of them (`ReturnGap`).
    for gap in try database.findReturnGaps(retainedSinceMs: configuration.retainedSinceMs(nowMs: CountyDatabase.wallClockMs())) {
        logger.warning("the city database lost changes it had handed to a county (restored from a backup?); what the county gives back is taken only when nothing is missing", metadata: [
            "sync.county": "\(gap.county)", "sync.return.missing": "\(gap.missing.count)", "sync.return.first_missing": "\(gap.missing.first?.summary ?? "")",
        ])
    }
    if let rolesFile = configuration.rolesFile {
        do { database.roles = try OperatorRoles.load(path: rolesFile) } catch {
            throw ConfigurationError.invalid(key: "roles-file", reason: error.description)
        }
        logger.notice("roles read", metadata: ["sync.roles_file": "\(rolesFile)", "sync.roles.operators": "\(database.roles.roles.count)",
                                               "sync.roles.second_person_from": "\(database.roles.secondPersonFrom)"])
    } else {
        logger.warning("no roles file (roles-file): every operator may decide; decisions of at least 1,000,000 yuan, and overrides, still need a second operator")
    }

    let denyList: DenyList
    do { denyList = try DenyList(path: configuration.denyListFile, logger: logger) } catch {
        throw ConfigurationError.invalid(key: "deny-list", reason: "\(error)")
    }
    let api = CityAPI(database: database, counties: counties, configuration: configuration,
                      metrics: CityMetrics(serverCertificateExpiry: chain.first.map { Int64($0.notValidAfter) }, tlsFailures: TLSFailures(logger: logger)))

    let gate = ShutdownGate(logger: logger)
    let router = Router(context: CityRequestContext.self)
    router.middlewares.add(RequestIdMiddleware<CityRequestContext>())
    router.middlewares.add(ShutdownMiddleware<CityRequestContext>(gate: gate))
    router.middlewares.add(MetricsMiddleware<CityRequestContext>(metrics: api.metrics))
    router.middlewares.add(ErrorMiddleware<CityRequestContext>(routes: CityAPI.routes))
    router.middlewares.add(AuthenticationMiddleware(denyList: denyList, counties: counties, metrics: api.metrics))
    router.middlewares.add(ProtocolGate<CityRequestContext>(minimum: configuration.minProtocol))
    api.addRoutes(to: router)
    CityConsole(database: database, metrics: api.metrics, counties: counties, refreshSeconds: configuration.consoleRefreshSeconds,
                expectedCounties: configuration.expectedCounties, logger: logger)
        .addRoutes(to: router)

    var tls = TLSConfiguration.makeServerConfigurationWithMTLS(
        certificateChain: chain.map { .certificate($0) },
        privateKey: .privateKey(key),
        trustRoots: .certificates(roots))
    tls.minimumTLSVersion = .tlsv12
    // TLS 1.2 with forward secrecy and authenticated encryption only (no CBC suites, no static
    // RSA); TLS 1.3 suites are AEAD by definition. Checked by Debian's testssl.sh in the suite.
    tls.cipherSuites = CityServerConfiguration.tls12CipherSuites
    let portFile = configuration.portFile
    // SIGHUP never stops the aggregator: it reads the roles file again (the deny list is read
    // again whenever it changes).
    var services: [any Service] = [HangupService(rolesFile: configuration.rolesFile, database: database, logger: logger)]
    if let monitoring = configuration.monitoringListen {
        // Plain HTTP on loopback, health and metrics only: for a local Prometheus or a load
        // balancer's check, with no certificate. Nothing else is routed there.
        let plain = Router(context: BasicRequestContext.self)
        plain.middlewares.add(RequestIdMiddleware<BasicRequestContext>())
        plain.middlewares.add(MetricsMiddleware<BasicRequestContext>(metrics: api.metrics))
        plain.middlewares.add(ErrorMiddleware<BasicRequestContext>(routes: CityAPI.monitoringRoutes))
        api.addMonitoringRoutes(to: plain)
        let monitoringPortFile = configuration.monitoringPortFile
        services.append(Application(
            router: plain,
            configuration: .init(address: .hostname(monitoring.host, port: monitoring.port), serverName: "city-aggregator-monitoring"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? monitoring.port
                if let monitoringPortFile { try? "\(port)\n".write(toFile: monitoringPortFile, atomically: true, encoding: .utf8) }
                logger.info("monitoring listener (plain HTTP, /healthz and /metrics only)", metadata: ["sync.listen": "\(monitoring.host):\(port)"])
            },
            logger: logger))
    }
    // Connections are bounded below the descriptors the process may open, less a reserve for
    // the database and the log: no number of clients, certificate or not, can take those.
    let descriptors = ConnectionGate.raiseDescriptorLimit()
    let connections = ConnectionGate(maxConnections: max(16, min(configuration.maxConnections, descriptors - ConnectionGate.reserve)),
                              maxHandshaking: max(1, min(configuration.maxHandshaking, descriptors / 4)),
                              handshakeTimeout: .seconds(Int64(configuration.handshakeTimeoutSeconds)))
    api.metrics.connectionGate.withLock { $0 = connections }
    return Application(
        router: router,
        server: .watchedTLS(idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)), tlsConfiguration: tls,
                            failures: api.metrics.tlsFailures, gate: connections),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "city-aggregator"),
        services: services,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            if let portFile { try? "\(port)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
            logger.info("listening", metadata: ["sync.listen": "\(configuration.host):\(port)", "sync.db": "\(configuration.databasePath)",
                                                "sync.connections.max": "\(connections.maxConnections)", "sync.connections.max_handshaking": "\(connections.maxHandshaking)",
                                                "sync.descriptors": "\(descriptors)"])
            // Under systemd (Type=notify): started only now that the listener is bound, and a
            // watchdog fed while the city database answers.
            SystemdNotify.send("READY=1\nSTATUS=listening on \(configuration.host):\(port)")
            Task.detached { await SystemdNotify.runWatchdog { (try? database.schemaSQL()) != nil } }
            // Tombstones older than the retention go, now and every six hours.
            let retentionMs = Int64(configuration.tombstoneRetentionDays) * 86_400_000
            Task.detached {
                while !Task.isCancelled {
                    if let purged = try? database.purgeTombstones(deletedBefore: CountyDatabase.wallClockMs() - retentionMs), purged > 0 {
                        logger.notice("tombstones purged", metadata: ["sync.tombstones.purged": "\(purged)", "sync.tombstones.retention_days": "\(configuration.tombstoneRetentionDays)"])
                    }
                    // The digests of applied county changes follow the same retention.
                    _ = try? database.compactAppliedDigests(appliedBefore: CountyDatabase.wallClockMs() - retentionMs)
                    if configuration.nodeRetireDays > 0,
                       let retired = try? database.retireSilentNodes(silentBeforeMs: CountyDatabase.wallClockMs() - Int64(configuration.nodeRetireDays) * 86_400_000,
                                                                     days: configuration.nodeRetireDays), !retired.isEmpty {
                        logger.notice("silent nodes retired", metadata: ["sync.nodes.retired": "\(retired.joined(separator: ","))",
                                                                       "sync.nodes.retire_days": "\(configuration.nodeRetireDays)"])
                    }
                    let feedCutoff = CountyDatabase.wallClockMs() - Int64(configuration.feedRetentionDays) * 86_400_000
                    if let compacted = try? database.compactFeed(before: feedCutoff), compacted > 0 {
                        logger.notice("feed compacted", metadata: ["sync.feed.compacted": "\(compacted)", "sync.feed.retention_days": "\(configuration.feedRetentionDays)"])
                    }
                    try? await Task.sleep(for: .seconds(6 * 3600))
                }
            }
            await onServerRunning(port)
        },
        logger: logger)
}

/// Every certificate of the client CA file must be a certificate authority: a county's or the
/// server's own certificate given there by mistake would be trusted as a root, and the counties'
/// real certificates refused, or worse, a leaf's holder admitted with anything it signs.
func checkAuthorities(_ roots: [NIOSSLCertificate], file: String) throws {
    guard !roots.isEmpty else { throw ConfigurationError.invalid(key: "client-ca", reason: "\(file) holds no certificate") }
    for root in roots {
        let subject = root.subjectName.first { $0.type == .commonName }?.value ?? "?"
        let isAuthority: Bool
        do {
            let certificate = try Certificate(derEncoded: try root.toDERBytes())
            if case .isCertificateAuthority = try certificate.extensions.basicConstraints { isAuthority = true } else { isAuthority = false }
        } catch {
            throw ConfigurationError.invalid(key: "client-ca", reason: "\(file): the certificate CN=\(subject) cannot be read (\(error))")
        }
        guard isAuthority else {
            throw ConfigurationError.invalid(key: "client-ca", reason: "\(file) holds CN=\(subject), which is not a certificate authority "
                + "(no basicConstraints CA:TRUE); give the city CA's certificate (ca.pem from Deploy/pki.sh ca), not a county's or the server's")
        }
    }
}

/// A request body that did not arrive within `CityServerConfiguration.bodyTimeoutSeconds`.
struct RequestBodyTimeout: Error {
    let seconds: Int
}

/// The aggregator's endpoints over one city database.
struct CityAPI: Sendable {
    let database: CityDatabase
    let metrics: CityMetrics
    let counties: CountyRegistry
    let configuration: CityServerConfiguration
    /// SQLite calls block: they run here, not on the server's event loops or the cooperative pool.
    private let queue = DispatchQueue(label: "county-sync.city-db", attributes: .concurrent)
    /// Pushes, returns and snapshot pages are decoded and applied here, below the priority of
    /// short requests, each county in its turn.
    private let bulk = BulkLane()
    /// Request bodies being received, per county: at most `bodiesPerCounty` at once, so one
    /// county's slow bodies hold a bounded share of the city's memory.
    private let receiving = CountyCounter()
    /// Most bodies one county may be sending at once.
    static let bodiesPerCounty = 4
    /// A push body up to this size (as sent; about a hundred changes) is applied at once, beside
    /// the bulk lane; one county sends at most `bodiesPerCounty` of them at a time.
    static let smallPushBytes = 32 * 1_024

    init(database: CityDatabase, counties: CountyRegistry, configuration: CityServerConfiguration, metrics: CityMetrics = CityMetrics()) {
        self.database = database
        self.counties = counties
        self.configuration = configuration
        self.metrics = metrics
    }

    /// One path the aggregator answers: its methods, and the roles that may call it.
    struct Route: Sendable {
        let methods: [String]
        let roles: Set<Role>
    }

    /// Every path the aggregator answers: the one table `AuthenticationMiddleware` authorises
    /// by and `ErrorMiddleware` answers 405 from.
    static let routes: [String: Route] = [
        "/healthz": Route(methods: ["GET"], roles: [.county, .monitor]),
        "/metrics": Route(methods: ["GET"], roles: [.county, .monitor]),
        "/v1/push": Route(methods: ["POST"], roles: [.county]),
        "/v1/pull": Route(methods: ["GET"], roles: [.county]),
        "/v1/heartbeat": Route(methods: ["POST"], roles: [.county]),
        "/v1/digest": Route(methods: ["GET"], roles: [.county]),
        "/v1/snapshot": Route(methods: ["GET"], roles: [.county]),
        "/v1/return": Route(methods: ["POST"], roles: [.county]),
    ]

    /// Every path under `/console`: the city console, for operators only (`CityConsole`).
    static let consoleRoute = Route(methods: ["GET", "POST"], roles: [.operator])

    /// The route a path belongs to: a listed path, or the console.
    static func route(for path: String) -> Route? {
        if let route = routes[path] { return route }
        return path == "/console" || path.hasPrefix("/console/") ? consoleRoute : nil
    }

    /// The routes a monitor may call: all the plain loopback listener serves.
    static var monitoringRoutes: [String: Route] { routes.filter { $0.value.roles.contains(.monitor) } }

    /// Every route is behind `AuthenticationMiddleware`; the `/v1` routes are for counties only,
    /// and their handlers get the county from a `CountyRequestContext`, never optional.
    func addRoutes(to router: Router<CityRequestContext>) {
        addMonitoringRoutes(to: router)
        let countyRoutes = router.group(context: CountyRequestContext.self)
        countyRoutes.post("/v1/push") { request, context in
            let county = context.county
            let answer: PushResponse
            let push: PushRequest
            do {
                let body = try await receive(request, context)
                let work: @Sendable () throws -> (PushRequest, PushResponse) = { [self] in
                    let push = try decodeBody(PushRequest.self, body)
                    return (push, try database.applyPush(county: county, push))
                }
                // A small push (a daemon's after data entry) holds the writer for a moment: it
                // waits only for the slice being written, not behind another county's large
                // batches. Large ones take their county's turn on the bulk lane.
                let decoded = body.bytes.readableBytes <= Self.smallPushBytes
                    ? try await blocking(work)
                    : try await bulk.run(county: county, isGone: Self.gone(context), work)
                (push, answer) = decoded
                metrics.pushAnswered(county: county, accepted: true)
            } catch {
                if Self.refusesTheCounty(error) { metrics.pushAnswered(county: county, accepted: false) }
                throw error
            }
            metrics.push(outcomes: Dictionary(grouping: answer.outcomes, by: \.outcome.rawValue).mapValues(\.count))
            var logger = context.logger
            logger[metadataKey: "sync.county"] = "\(county)"
            logger[metadataKey: "sync.node"] = "\(push.node)"
            logger.info("push applied", metadata: [
                "sync.push.changes": "\(push.changes.count)", "sync.push.high_water": "\(answer.highWater)",
                "sync.push.parked": "\(answer.outcomes.filter { $0.outcome == .parked }.count)",
                "sync.push.conflicts": "\(answer.outcomes.filter { $0.outcome == .conflict }.count)",
            ])
            return jsonResponse(bytes: JSONText.pushResponseBytes(answer))
        }
        countyRoutes.get("/v1/pull") { request, context in
            let county = context.county
            // A county whose pulls are refused again and again is stuck, as one whose pushes are.
            do {
                let query = request.uri.queryParameters
                let after = try integer(query["after"].map(String.init) ?? "0", name: "after", in: 0...WireBounds.maxSeq)
                let limit = min(try integer(query["limit"].map(String.init) ?? "500", name: "limit", in: 1...Int64.max), Int64(configuration.maxPullPage))
                let node = try nodeParameter(query)
                let afterHlc = try query["afterHlc"].map { try integer(String($0), name: "afterHlc", in: 0...Int64.max) }
                let decisionsSeen = try query["decisionsSeen"].map { try integer(String($0), name: "decisionsSeen", in: 0...WireBounds.maxSeq) }
                let answer = try await blocking {
                    try database.pullFeed(county: county, node: node, after: after, afterHlc: afterHlc, limit: Int(limit), decisionsSeen: decisionsSeen)
                }
                metrics.pullAnswered(county: county, accepted: true)
                return jsonResponse(bytes: JSONText.pullResponseBytes(answer), for: request)
            } catch {
                if Self.refusesTheCounty(error) { metrics.pullAnswered(county: county, accepted: false) }
                throw error
            }
        }
        countyRoutes.get("/v1/digest") { request, context in
            let county = context.county
            let query = request.uri.queryParameters
            let table = query["table"].map(String.init)
            let bucket = query["bucket"].map(String.init)
            if let bucket, bucket.count != 1 || !"0123456789abcdef".contains(bucket) {
                throw APIError(.badRequest, message: "bucket must be one hex digit 0-f")
            }
            if let table, let bucket {
                let rows = try await blocking { try database.rowHashes(county: county, table: table, bucket: bucket) }
                return jsonResponse(RowHashesResponse(rows: rows))
            }
            if let table, SyncedTable.named(table) == nil {
                throw APIError(.invalidInput, message: "table: \(table) is not a replicated table (platform or award)")
            }
            let digests = try await blocking { try database.digests(county: county) }.filter { table == nil || $0.table == table }
            if let node = try nodeParameter(query) {
                try database.checkNode(node, county: county)
                if table == nil { try await blocking { try database.recordVerified(county: county, node: node) } }
            }
            return jsonResponse(DigestResponse(tables: Dictionary(uniqueKeysWithValues: digests.map { digest in
                (digest.table, digest.buckets.map { DigestBucket(bucket: $0.bucket, count: $0.count, hash: $0.hash) })
            })))
        }
        countyRoutes.get("/v1/snapshot") { request, context in
            let county = context.county
            let query = request.uri.queryParameters
            let table = query["table"].map(String.init) ?? ""
            let after = query["after"].map(String.init) ?? ""
            let limit = min(try integer(query["limit"].map(String.init) ?? "500", name: "limit", in: 1...Int64.max), Int64(configuration.maxPullPage))
            let page = try await bulk.run(county: county, isGone: Self.gone(context)) {
                try database.snapshot(county: county, table: table, after: after, limit: Int(limit))
            }
            return jsonResponse(page)
        }
        countyRoutes.post("/v1/return") { request, context in
            let county = context.county
            let body = try await receive(request, context)
            let returned = try await bulk.run(county: county, isGone: Self.gone(context)) { [self] in try decodeBody(ReturnRequest.self, body) }
            // What the city retains: a change older than both retentions was not taken by a restore.
            let retainedSinceMs = configuration.retainedSinceMs(nowMs: CountyDatabase.wallClockMs())
            let answer = try await bulk.run(county: county, isGone: Self.gone(context)) {
                try database.takeBack(county: county, returned, retainedSinceMs: retainedSinceMs)
            }
            var logger = context.logger
            logger[metadataKey: "sync.county"] = "\(county)"
            logger[metadataKey: "sync.node"] = "\(returned.node)"
            logger.notice("city changes taken back after a restore", metadata: [
                "sync.return.changes": "\(returned.changes.count)",
                "sync.return.applied": "\(answer.outcomes.filter { $0.outcome == .applied }.count)",
                "sync.return.conflicts": "\(answer.outcomes.filter { $0.outcome == .conflict }.count)",
                "sync.return.parked": "\(answer.outcomes.filter { $0.outcome == .parked }.count)",
            ])
            return jsonResponse(answer)
        }
        countyRoutes.post("/v1/heartbeat") { request, context in
            let county = context.county
            let heartbeat = try decodeBody(Heartbeat.self, try await receive(request, context))
            let answer = try await blocking { try database.recordHeartbeat(county: county, heartbeat) }
            return jsonResponse(answer)
        }
    }

    /// `/healthz` and `/metrics`: on the TLS listener, and alone on the plain loopback listener.
    func addMonitoringRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/healthz") { _, _ in
            // 503 while the city's writes fail for a cause of its storage: a load balancer or
            // `syncctl status --check --health` sees the city cannot take what counties send.
            var answer = HealthAnswer(status: "ok", node: database.replica.node, serverCertificateExpiresAt: metrics.serverCertificateExpiry)
            if let failure = database.storageHealth?.failing {
                answer.status = "storage_failing"
                answer.storage = "\(failure.cause): \(failure.op) failed at \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(failure.atMs) / 1_000)))"
                return jsonResponse(answer, status: .serviceUnavailable)
            }
            return jsonResponse(answer)
        }
        router.get("/metrics") { _, _ in
            let counties = try await blocking { try database.countyStates() }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render(counties: counties, nowMs: CountyDatabase.wallClockMs(), storage: database.storageHealth))))
        }
    }

    /// Whether `error` refuses what the county sent, and so counts toward a county stuck in a
    /// retry loop: the city's own trouble (5xx: a full disk, a busy database), its share limit
    /// (429) and a body too slow to arrive (408) do not.
    static func refusesTheCounty(_ error: any Error) -> Bool {
        let status = APIError(error).status.code
        return status < 500 && status != 429 && status != 408
    }

    /// Whether the request's client has gone: its queued work is then dropped.
    static func gone(_ context: CountyRequestContext) -> @Sendable () -> Bool {
        let channel = context.channel
        return { !channel.isActive }
    }

    /// Reads a county's request body within the county's share: at most `bodiesPerCounty` at
    /// once (429 past it), each whole within `bodyTimeoutSeconds` (408, and the connection is
    /// closed), so a county trickling bytes into many connections holds neither memory nor
    /// connections for long.
    private func receive(_ request: Request, _ context: CountyRequestContext) async throws -> Body {
        let county = context.county
        if let busy = receiving.enter(county, limit: Self.bodiesPerCounty) { throw BulkLane.LaneFull(county: county, queued: busy) }
        defer { receiving.leave(county) }
        let channel = context.channel
        let seconds = configuration.bodyTimeoutSeconds
        return try await withThrowingTaskGroup(of: Body?.self) { group in
            group.addTask { try await collect(request) }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let body = first else {
                // The body reader ends only when the connection does.
                channel.close(promise: nil)
                throw RequestBodyTimeout(seconds: seconds)
            }
            return body
        }
    }

    /// A request's body, read whole (up to the size limit), and its content coding.
    struct Body: Sendable {
        let bytes: ByteBuffer
        let encoding: String?
    }

    /// Reads a request's body, refusing one over the size limit before reading it whole.
    private func collect(_ request: Request) async throws -> Body {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maxBodyBytes {
            throw APIError(.payloadTooLarge, message: "the body has \(length) bytes; at most \(configuration.maxBodyBytes) are accepted")
        }
        return Body(bytes: try await request.body.collect(upTo: configuration.maxBodyBytes), encoding: request.headers[.contentEncoding]?.lowercased())
    }

    /// Decodes a body read by `collect`, inflating a deflated one within the same size limit.
    private func decodeBody<T: Decodable>(_ type: T.Type, _ body: Body) throws -> T {
        switch body.encoding {
        case nil, "identity":
            return try body.bytes.withUnsafeReadableBytes { try FastJSON.decode(T.self, from: $0) }
        case "deflate":
            let inflated: [UInt8]
            do {
                inflated = try body.bytes.withUnsafeReadableBytes { try Deflate.decompress($0, limit: configuration.maxBodyBytes) }
            } catch Deflate.Failure.tooLarge(let limit) {
                throw APIError(.payloadTooLarge, message: "the body inflates to more than \(limit) bytes; at most \(configuration.maxBodyBytes) are accepted")
            } catch {
                throw APIError(.badRequest, message: "\(error)")
            }
            return try FastJSON.decode(T.self, from: inflated)
        case let other?:
            throw APIError(.badRequest, message: "Content-Encoding \(other) is not supported; send the body as it is or deflated")
        }
    }

    /// The optional `node` query parameter; present but empty is a bad request.
    private func nodeParameter(_ query: Parameters) throws -> String? {
        guard let node = query["node"].map(String.init) else { return nil }
        guard !node.isEmpty else { throw APIError(.badRequest, message: "node must not be empty; leave it out instead") }
        return node
    }

    /// A whole-number query parameter within `range`: every integer a request carries is bounded
    /// before anything computes with it.
    private func integer(_ text: String, name: String, in range: ClosedRange<Int64>) throws -> Int64 {
        guard let value = Int64(text) else {
            throw APIError(.badRequest, message: "query parameter \(name) must be a whole number, not \(text.prefix(40))")
        }
        guard range.contains(value) else {
            throw APIError(.badRequest, message: "query parameter \(name) must be from \(range.lowerBound) to \(range.upperBound), not \(value)")
        }
        return value
    }

    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result(catching: body)) }
        }
    }
}

/// Handles SIGHUP, which never stops the aggregator: reads the roles file again (a file that no
/// longer reads keeps the roles in force, and says so), and logs what it did. The binary counts
/// SIGHUP in a plain handler from its first line (`county_sync_count_hangups`); this service
/// looks twice a second. (A dispatch signal source beside ServiceLifecycle's own left some
/// aggregators started in parallel waiting for ever before they listened.)
struct HangupService: Service {
    let rolesFile: String?
    let database: CityDatabase
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if county_sync_take_hangups() > 0 { reload() }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    func reload() {
        // The log level first: what it says is in force for the lines that follow.
        let level = ServiceLogging.rereadLevel()
        logger.notice("SIGHUP: \(level)")
        guard let path = rolesFile else {
            logger.notice("SIGHUP: no roles file to read again (roles-file); the deny list is read again whenever it changes; other settings take effect on restart")
            return
        }
        do {
            let roles = try OperatorRoles.load(path: path)
            database.roles = roles
            logger.notice("roles read again (SIGHUP)", metadata: ["sync.roles_file": "\(path)", "sync.roles.operators": "\(roles.roles.count)",
                                                                  "sync.roles.second_person_from": "\(roles.secondPersonFrom)"])
        } catch {
            logger.error("the roles file does not read; the roles in force stay", metadata: ["sync.roles_file": "\(path)", "sync.error.message": "\(error)"])
        }
    }
}
