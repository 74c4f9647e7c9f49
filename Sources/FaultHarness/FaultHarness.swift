import Foundation
import GRDB
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Synchronization

/// How a harness run is shaped.
public struct HarnessOptions: Sendable {
    /// Seeds every random choice: the same seed replays the same trials.
    public var seed: UInt64
    /// Trials to run.
    public var trials: Int
    /// The counties (three or more), each with its own daemon.
    public var counties = ["130202", "130203", "130204"]
    /// Platforms each county registers before the first trial.
    public var initialPlatforms = 40
    /// Workload steps per trial.
    public var stepsPerTrial = 40
    /// Faults per trial.
    public var faultsPerTrial = 2...3
    /// The kinds of fault to draw from.
    public var kinds = FaultKind.allCases
    /// Changes per push: small, so a push of a trial's changes spans several requests.
    public var batchSize = 60
    /// How long a trial may take to converge after the faults heal.
    public var convergeTimeout: Duration = .seconds(150)
    /// Where the cluster lives: kept afterwards. If nil, a fresh temporary folder, removed after
    /// a pass and kept after a failure.
    public var directory: URL?
    /// Progress lines go here.
    public var log: @Sendable (String) -> Void = { _ in }

    public init(seed: UInt64, trials: Int) {
        self.seed = seed
        self.trials = trials
    }

    /// The mode CI runs: one trial per fault kind (each trial's first fault is that kind), about
    /// a minute.
    public static func quick(seed: UInt64) -> HarnessOptions { HarnessOptions(seed: seed, trials: FaultKind.allCases.count) }

    /// Hundreds of trials.
    public static func long(seed: UInt64) -> HarnessOptions {
        var options = HarnessOptions(seed: seed, trials: 200)
        options.stepsPerTrial = 60
        return options
    }
}

/// What a run found.
public struct HarnessSummary: Sendable, CustomStringConvertible {
    public var seed: UInt64 = 0
    public var trials = 0
    public var faults: [FaultKind: Int] = [:]
    /// How often each link fault actually hit traffic.
    public var linkHits: [LinkFault: Int] = [:]
    /// Changes followed from one log to the other (county → city and city → county).
    public var changesChecked = 0
    /// Values written by the workload and followed to their end.
    public var valuesChecked = 0
    /// Inserted rows checked to exist on both sides.
    public var rowsChecked = 0
    /// Changes or values that vanished.
    public var lost = 0
    /// Changes applied more than once.
    public var duplicated = 0
    /// Rows whose delete the city applied that exist again somewhere (must stay 0).
    public var resurrected = 0
    /// County deletes made, and those the city refused and recorded (an edit they had not seen won).
    public var deletes = 0
    public var deletesRefused = 0
    /// Restores the system found and repaired (the county continued as a new node).
    public var epochsBegun = 0
    /// City feed entries that city restores took away, to be given back by the counties.
    public var cityChangesLostToRestores = 0
    /// Concurrent overwrites recorded as conflicts (city side).
    public var conflicts = 0
    /// Changes the city parked (refused by a workflow or validation rule; kept, not lost).
    public var parked = 0
    /// Workload writes the system refused (validation or policy), not counted as changes.
    public var refusedWrites = 0
    /// The slowest convergence after the faults healed.
    public var slowestConvergence: Duration = .zero
    /// Hostile pushes the city refused (4xx), and accepted (must stay 0).
    public var hostileRefused = 0
    public var hostileAccepted = 0
    /// Clock readings found beyond the real time plus the allowed offset, at the city or a county (must stay 0).
    public var clocksAhead = 0
    /// What went wrong, if anything.
    public var failures: [String] = []
    /// Where the cluster's files are (kept after a failure).
    public var directory = ""

    public var passed: Bool { failures.isEmpty && lost == 0 && duplicated == 0 && resurrected == 0 && hostileAccepted == 0 && clocksAhead == 0 }

    public var description: String {
        var lines = ["fault harness: seed \(seed), \(trials) trials"]
        lines.append("faults injected: " + FaultKind.allCases.map { "\($0.rawValue) \(faults[$0] ?? 0)" }.joined(separator: ", "))
        lines.append("link fault hits (connections cut, refused or swallowed; chunks delayed or throttled): " + LinkFault.allCases.filter { $0 != .pass }.map { "\($0.rawValue) \(linkHits[$0] ?? 0)" }.joined(separator: ", "))
        lines.append("changes checked: \(changesChecked); values checked: \(valuesChecked); rows checked: \(rowsChecked)")
        lines.append("lost: \(lost), duplicated: \(duplicated), resurrected: \(resurrected)")
        lines.append("county deletes: \(deletes), of which refused by the city and recorded: \(deletesRefused)")
        lines.append("hostile pushes refused: \(hostileRefused), accepted: \(hostileAccepted); clocks found ahead of real time: \(clocksAhead)")
        lines.append("city changes taken away by city restores and given back by the counties: \(cityChangesLostToRestores)")
        lines.append("restores found and repaired (new epochs): \(epochsBegun); conflicts recorded: \(conflicts); parked: \(parked); writes refused by validation: \(refusedWrites)")
        let seconds = Double(slowestConvergence.components.seconds) + Double(slowestConvergence.components.attoseconds) / 1e18
        lines.append(String(format: "slowest convergence after healing: %.1f s", seconds))
        lines.append(failures.isEmpty ? "result: PASS" : "result: FAIL\n" + failures.map { "  - \($0)" }.joined(separator: "\n"))
        if !failures.isEmpty { lines.append("files kept in \(directory)") }
        return lines.joined(separator: "\n")
    }
}

/// Drives the real `city-aggregator`, `county-syncd` and `syncctl` over TLS on loopback, with a
/// fault proxy between the daemons and the aggregator, through seeded trials of concurrent county
/// and city edits while faults are injected; after each trial it heals everything, waits for
/// convergence, runs `syncctl verify` for every county, and checks that every change arrived
/// exactly once and every overwritten value is either knowingly replaced or in a conflicts table.
public final class FaultHarness: @unchecked Sendable {
    let options: HarnessOptions
    let cluster: Cluster
    private var proxy: FaultProxy!
    private var counties: [CountyDatabase] = []
    /// Held while a workload step uses a county's handle, and while a restore replaces the file
    /// under it.
    private let countyLock = NSLock()
    /// Each county's node ids, oldest first: a restore makes the county continue as a new node.
    private var epochs: [String: [String]] = [:]
    private var city: CityDatabase!
    /// The city's feed entries that city restores took away (the counties give them back).
    private var lostFeed: Set<FeedEntry> = []
    private let ledger = Mutex(Ledger())
    private let summary = Mutex(HarnessSummary())
    private var nextSerial = 10_000
    /// Rows the counties deleted on purpose.
    private var deletedRows: Set<String> = []
    private var random: SeededGenerator

    public init(_ options: HarnessOptions) throws {
        precondition(options.counties.count >= 1 && options.trials >= 1)
        self.options = options
        random = SeededGenerator(seed: options.seed)
        cluster = try Cluster(dir: options.directory)
        summary.withLock {
            $0.seed = options.seed
            $0.directory = cluster.dir.path
        }
    }

    /// Runs every trial (stopping at the first failure); returns the summary.
    public func run() async throws -> HarnessSummary {
        defer { proxy?.stop(); cluster.stopAll() }
        try await setUp()
        for trial in 1...options.trials {
            // Trials take turns leading with each fault kind, so even a short run injects every kind.
            let plan = TrialPlan.make(&random, counties: counties.count, steps: options.stepsPerTrial, faults: options.faultsPerTrial,
                                      leading: options.kinds[(trial - 1) % options.kinds.count], kinds: options.kinds)
            options.log("trial \(trial): \(plan.steps.count) steps; " + plan.faults.map(\.description).joined(separator: "; "))
            do {
                try await runTrial(trial, plan)
            } catch {
                summary.withLock { $0.failures.append("trial \(trial) (seed \(options.seed)): \(error)") }
            }
            let failed = summary.withLock { $0.trials = trial; return !$0.passed }
            if failed { break }
        }
        summary.withLock { $0.linkHits = proxy.hits }
        let result = summary.withLock { $0 }
        if result.passed && options.directory == nil { try? FileManager.default.removeItem(at: cluster.dir) }
        return result
    }

    // MARK: - Setup

    private func setUp() async throws {
        try await cluster.startCity()
        let cluster = self.cluster
        proxy = try FaultProxy(upstream: { cluster.cityPort })
        for code in options.counties {
            let county = try cluster.makeCounty(code)
            try county.addPlatforms(makePlatforms(code, count: options.initialPlatforms, offset: nextSerial))
            nextSerial += options.initialPlatforms
            counties.append(county)
        }
        for county in counties {
            for platform in try county.platforms() { ledger.withLock { $0.inserted(rowId: platform.id) } }
            epochs[county.county] = [county.replica.node]
            try startDaemon(county.county)
        }
        city = try CityDatabase.open(at: cluster.cityDB)
        _ = try await converge(trial: 0)
    }

    private func startDaemon(_ code: String, skewHours: Int? = nil) throws {
        try cluster.startDaemon(code, batchSize: options.batchSize, pullInterval: 1, via: proxy.url,
                                extra: ["--request-timeout", "4", "--connect-timeout", "2"], skewSeconds: skewHours.map { $0 * 3_600 })
    }

    // MARK: - A trial

    private func runTrial(_ trial: Int, _ plan: TrialPlan) async throws {
        let started = ContinuousClock.now
        // The workload runs on a thread of its own (its SQLite calls block), the faults here.
        let workload = Task.detached { [self] in
            try await onThread { try self.runWorkload(trial, plan) }
        }
        do {
            for fault in plan.faults {
                let due = started + .milliseconds(fault.atMs)
                if due > .now { try await Task.sleep(until: due) }
                summary.withLock { $0.faults[fault.kind, default: 0] += 1 }
                try await inject(fault, trial: trial)
            }
        } catch {
            _ = try? await workload.value  // never leave the workload running on a failed trial
            throw error
        }
        try await workload.value
        try await heal()
        let took = try await converge(trial: trial)
        summary.withLock { $0.slowestConvergence = max($0.slowestConvergence, took) }
        try verifyEveryCounty()
        try check(trial)
    }

    private func runWorkload(_ trial: Int, _ plan: TrialPlan) throws {
        for (index, step) in plan.steps.enumerated() {
            do {
                try countyLock.withLock { try perform(step, tag: "t\(trial).\(index)") }
            } catch let error as StoreError {
                switch error {
                case .invalidInput, .notAllowed: summary.withLock { $0.refusedWrites += 1 }
                default: throw HarnessError("trial \(trial) step \(index) (\(step)): \(error)")
                }
            }
            usleep(useconds_t(plan.gapsMs[index] * 1_000))
        }
    }

    private func perform(_ step: WorkloadStep, tag: String) throws {
        switch step {
        case .countyInsert(let index, let count):
            let county = counties[index]
            let rows = makePlatforms(county.county, count: count, offset: nextSerial)
            nextSerial += count
            try county.addPlatforms(rows)
            ledger.withLock { ledger in rows.forEach { ledger.inserted(rowId: $0.id) } }
        case .countyEdit(let index, let pick, let column):
            let county = counties[index]
            try editShared(ids: county.platforms().map(\.id), pick: pick, column: column, value: "\(tag) \(county.county)",
                           writer: "county \(county.county)") { id, edit in try county.updatePlatform(id: id, edit) }
        case .cityEdit(let index, let pick, let column):
            let code = counties[index].county
            try editShared(ids: city.platforms().filter { $0.county == code }.map(\.id), pick: pick, column: column, value: "\(tag) city",
                           writer: "city") { id, edit in try city.updatePlatform(id: id, edit) }
        case .cityRecognize(let index, let pick):
            let code = counties[index].county
            let ids = try city.platforms().filter { $0.county == code && $0.status == .registered }.map(\.id).sorted()
            guard !ids.isEmpty else { return }
            try city.recognizePlatform(id: ids[pick % ids.count])
        case .countyPropose(let index, let pick, let yuan):
            let county = counties[index]
            let ids = try county.platforms().map(\.id).sorted()
            guard !ids.isEmpty else { return }
            let award = try county.proposeAward(Award(county: county.county, platformId: ids[pick % ids.count], amount: .yuan(Int64(yuan)), fiscalYear: 2025))
            ledger.withLock { $0.inserted(rowId: award.id) }
        case .cityApprove(let index, let pick):
            let code = counties[index].county
            let ids = try city.awards().filter { $0.county == code && $0.status == .proposed }.map(\.id).sorted()
            guard !ids.isEmpty else { return }
            try city.approveAward(id: ids[pick % ids.count])
        case .countyDelete(let index, let pick):
            let county = counties[index]
            let withAwards = Set(try county.awards().map(\.platformId))
            let ids = try county.platforms().filter { $0.status == .registered && !withAwards.contains($0.id) }.map(\.id).sorted()
            guard !ids.isEmpty else { return }
            let id = ids[pick % ids.count]
            // The deleter sees the row's values: they leave it knowingly, even if the city refuses
            // the delete and the row comes back as the city holds it.
            if let platform = try county.platform(id: id) {
                ledger.withLock { ledger in
                    for column in EditColumn.allCases { if let value = column.value(of: platform) { ledger.replaced(value, in: Cell(rowId: id, column: column.rawValue)) } }
                    if let contact = platform.contact { ledger.replaced(contact, in: Cell(rowId: id, column: "contact")) }
                }
            }
            try county.deletePlatform(id: id)
            deletedRows.insert(id)
            summary.withLock { $0.deletes += 1 }
        }
    }

    /// Writes `value` to `column` of a platform picked from `ids` through `update` (a replica's
    /// read-modify-write transaction), recording in the ledger the value it replaced.
    private func editShared(ids: [String], pick: Int, column: EditColumn, value: String, writer: String,
                            update: (String, @escaping @Sendable (inout Platform) throws -> Void) throws -> Void) throws {
        guard !ids.isEmpty else { return }
        let id = hot(ids.sorted(), pick)
        let previous = Mutex<String?>(nil)
        try update(id) { platform in
            previous.withLock { $0 = column.value(of: platform) }
            column.set(value, in: &platform)
        }
        let old = previous.withLock { $0 }
        ledger.withLock { $0.wrote(value, to: Cell(rowId: id, column: column.rawValue), by: writer, replacing: old) }
    }

    // MARK: - Faults

    private func inject(_ fault: PlannedFault, trial: Int) async throws {
        let code = counties[fault.county].county
        switch fault.kind {
        case .daemonCrash:
            cluster.stopDaemon(code, kill: true)
            try await Task.sleep(for: .milliseconds(fault.durationMs))
            try startDaemon(code)
        case .cityCrash:
            cluster.stopCity(kill: true)
            try await Task.sleep(for: .milliseconds(fault.durationMs))
            try await cluster.startCity()
        case .delay, .drop, .reset, .blackHole, .unreachable, .slow, .lostAnswers:
            let link: LinkFault = switch fault.kind {
            case .delay: .delay
            case .drop: .drop
            case .reset: .reset
            case .blackHole: .blackHole
            case .slow: .slow
            case .lostAnswers: .loseAnswers
            default: .down
            }
            proxy.set(link, delayMs: fault.parameter, bytesPerSecond: fault.parameter, resetAfterBytes: fault.parameter)
            try await Task.sleep(for: .milliseconds(fault.durationMs))
            proxy.set(.pass)
        case .clockAhead, .clockBehind:
            try countyLock.withLock { try skewedEdits(code, hours: fault.parameter, tag: "t\(trial).clock\(fault.atMs)") }
        case .restore:
            try await restore(fault.county, backupAgeMs: fault.durationMs)
        case .cityRestore:
            try await restoreCity(backupAgeMs: fault.durationMs, edits: { [self] in
                // City decisions after the backup, besides the workload's: the restore must take some.
                for offset in 0..<3 {
                    let index = (fault.county + offset) % counties.count
                    try perform(.cityEdit(county: index, pick: fault.atMs &+ offset &* 7_919, column: EditColumn.allCases[offset % EditColumn.allCases.count]),
                                tag: "t\(trial).cityrestore\(offset)")
                    try perform(.cityRecognize(county: index, pick: fault.atMs &+ offset), tag: "t\(trial).cityrestore\(offset)")
                }
            })
        case .daemonClock:
            // The daemon itself runs with its machine's wall clock off, then is put right.
            try countyLock.withLock {
                cluster.stopDaemon(code)
                try startDaemon(code, skewHours: fault.parameter)
            }
            try await Task.sleep(for: .milliseconds(fault.durationMs))
            try countyLock.withLock {
                cluster.stopDaemon(code)
                try startDaemon(code)
            }
        case .hostile:
            try await hostilePushes(fault.county, count: fault.parameter, seed: options.seed &+ UInt64(trial) &* 7_919 &+ UInt64(fault.atMs))
        }
    }

    /// A compromised county: pushes the city must refuse, sent with the county's real certificate
    /// under its real node, straight to the aggregator. Each must get a 4xx; one that is accepted
    /// is counted and fails the run.
    private func hostilePushes(_ index: Int, count: Int, seed: UInt64) async throws {
        let code = counties[index].county
        let (cert, key) = try cluster.certificate(code)
        let transport = try cluster.transport(cert: cert, key: key)
        let (node, next) = try countyLock.withLock { () -> (String, Int64) in
            let county = counties[index]
            return (county.replica.node, try county.syncPosition().pushedSeq + 1)
        }
        let rows = try countyLock.withLock { try counties[index].platforms().map(\.id) }
        var generator = HostilePushes(seed: seed, node: node, nextSeq: next, ownRows: rows)
        for _ in 0..<count {
            let attack = generator.next()
            let body = Data(JSONText.pushRequest(PushRequest(node: attack.node, changes: attack.changes)).utf8)
            let status: Int
            do {
                status = try await transport.request(method: "POST", path: "/v1/push", body: body).status
            } catch {
                continue  // the aggregator may be down (another fault): nothing was sent
            }
            summary.withLock {
                if (400..<500).contains(status) { $0.hostileRefused += 1 } else { $0.hostileAccepted += 1 }
            }
            if !(400..<500).contains(status) {
                summary.withLock { $0.failures.append("hostile push \(attack.kind) from \(code) answered \(status), not refused") }
            }
        }
    }

    /// Backs a county's replica up (with the `sqlite3` shell's online backup, the daemon
    /// running), lets the workload go on, then puts the backup back in place of the replica.
    /// Before the restore the county pushes everything, so no value exists only on the disk the
    /// restore overwrites; every value written after the backup must come back from the city.
    private func restore(_ index: Int, backupAgeMs: Int) async throws {
        let code = counties[index].county
        let path = cluster.countyDBPath(code)
        let backup = cluster.dir.appendingPathComponent("backup-\(code).db").path
        try Cluster.backUp(path, to: backup)
        try await Task.sleep(for: .milliseconds(backupAgeMs))
        try await onThread { [self] in
            try countyLock.withLock {
                let county = counties[index]
                let deadline = Date().addingTimeInterval(60)
                while try county.pendingCount() > 0 {
                    guard Date() < deadline else { throw HarnessError("\(code) did not push its backlog before the restore") }
                    usleep(100_000)
                }
                cluster.stopDaemon(code, kill: true)
                try county.pool.close()
                try Cluster.restore(path, from: backup)
                counties[index] = try CountyDatabase.open(at: path)
                try startDaemon(code)
            }
        }
    }

    /// Backs the city database up online (the aggregator running), lets the workload go on, then
    /// stops the aggregator, puts the backup in place and starts it again. Before the restore
    /// every county pushes everything and pulls the city's whole feed, so no value exists only
    /// on the city's disk: every county change after the backup must come back from the
    /// counties' logs, and every city decision after it from the counties that pulled it.
    private func restoreCity(backupAgeMs: Int, edits: @escaping @Sendable () throws -> Void) async throws {
        let backup = cluster.dir.appendingPathComponent("backup-city.db").path
        try Cluster.backUp(cluster.cityDB, to: backup)
        try await onThread { [self] in try countyLock.withLock { try edits() } }
        try await Task.sleep(for: .milliseconds(backupAgeMs))
        try await onThread { [self] in
            try countyLock.withLock {
                let deadline = Date().addingTimeInterval(60)
                while true {
                    let behind = try counties.filter { county in
                        let position = try county.syncPosition()
                        let feedEnd = try cityFeedEnd(county.county)
                        return position.pushedSeq < position.lastSeq || position.pulledSeq < feedEnd
                    }
                    if behind.isEmpty { break }
                    guard Date() < deadline else { throw HarnessError("\(behind.map(\.county)) did not drain before the city restore") }
                    usleep(100_000)
                }
                // The feed entries the restore takes away: the counties hold them and give them back.
                let kept = try read(try CityDatabase.open(at: backup, readOnly: true)) { try Int64.fetchOne($0, sql: "SELECT ifnull(max(seq), 0) FROM change_log") ?? 0 }
                let lost = try read(city) { db in
                    try Row.fetchAll(db, sql: "SELECT county, seq, hlc FROM change_log WHERE seq > ?", arguments: [kept])
                        .map { FeedEntry(county: $0["county"], seq: $0["seq"], hlc: $0["hlc"]) }
                }
                lostFeed.formUnion(lost)
                cluster.stopCity(kill: true)
                try city.pool.close()
                try Cluster.restore(cluster.cityDB, from: backup)
                city = try CityDatabase.open(at: cluster.cityDB)
                summary.withLock { $0.cityChangesLostToRestores += lost.count }
            }
        }
        try await cluster.startCity()
    }

    /// Edits under a skewed clock: `syncctl` runs under libfaketime, so the capture triggers
    /// read the skewed time. Only these edits write `contact`, so the value each one replaces is
    /// known without a race.
    private func skewedEdits(_ code: String, hours: Int, tag: String) throws {
        let county = counties[counties.firstIndex { $0.county == code }!]
        let platforms = try county.platforms().sorted { $0.id < $1.id }
        for (offset, platform) in platforms.enumerated() where offset % 17 == abs(hours) % 17 {
            let value = "\(tag).\(offset) \(code) \(hours > 0 ? "+" : "")\(hours)h"
            let result = try cluster.syncctl(["platform", "update", "--db", cluster.countyDBPath(code), platform.id, "--contact", value],
                                             faketime: "\(hours > 0 ? "+" : "")\(hours)h")
            guard result.status == 0 else { throw HarnessError("syncctl under faketime \(hours)h failed: \(result.stderr)") }
            ledger.withLock { $0.wrote(value, to: Cell(rowId: platform.id, column: "contact"), by: "county \(code) (clock \(hours)h)", replacing: platform.contact) }
        }
    }

    /// Ends every fault: the link passes again, and every process runs. A daemon that exited by
    /// itself is a defect.
    private func heal() async throws {
        proxy.set(.pass)
        if let city = cluster.city, !city.isRunning { throw HarnessError("city-aggregator exited by itself: \(cluster.logTail("city.log"))") }
        if cluster.city == nil { try await cluster.startCity() }
        for county in counties where !cluster.daemonRunning(county.county) {
            throw HarnessError("county-syncd of \(county.county) exited by itself: \(cluster.logTail("county-\(county.county).log"))")
        }
    }

    // MARK: - Checks

    /// Waits until every county has pushed everything, applied the city's whole feed, and holds
    /// the same rows as the city; returns how long that took.
    private func converge(trial: Int) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        var last = ""
        while clock.now - start < options.convergeTimeout {
            var pending: [String] = []
            for county in counties {
                let position = try county.syncPosition()
                let feedEnd = try cityFeedEnd(county.county)
                if position.pushedSeq < position.lastSeq { pending.append("\(county.county) pushed \(position.pushedSeq)/\(position.lastSeq)") }
                if position.pulledSeq < feedEnd { pending.append("\(county.county) pulled \(position.pulledSeq)/\(feedEnd)") }
                if pending.isEmpty, try !cityMatches(county, city) { pending.append("\(county.county) rows differ") }
            }
            if pending.isEmpty { return clock.now - start }
            last = pending.joined(separator: ", ")
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessError("trial \(trial) did not converge within \(options.convergeTimeout): \(last)")
    }

    private func cityFeedEnd(_ county: String) throws -> Int64 {
        try read(city) { db in
            try Int64.fetchOne(db, sql: "SELECT ifnull(max(seq), 0) FROM change_log WHERE county = ?", arguments: [county]) ?? 0
        }
    }

    /// `syncctl verify` for every county, through the real binary: the digests must agree.
    private func verifyEveryCounty() throws {
        for county in counties {
            let result = try cluster.syncctl(["verify"] + cluster.connection(county.county))
            guard result.status == 0 else {
                throw HarnessError("syncctl verify for \(county.county) failed (\(result.status)): \(result.stdout) \(result.stderr)")
            }
        }
    }

    /// Exactly once, both ways, and no value lost.
    private func check(_ trial: Int) throws {
        var changes = 0, lost = 0, duplicated = 0
        var problems: [String] = []
        let cityNode = city.replica.node
        for county in counties {
            let code = county.county
            let node = county.replica.node
            if epochs[code]?.last != node { epochs[code, default: []].append(node) }
            // County → city: every change in the county's log was applied at the city, under the
            // node the replica was when it sent it. After a restore the replica continues as a
            // new node from its first diverging change: that node's first seq starts its epoch.
            let logged = Set(try read(county) { try Int64.fetchAll($0, sql: "SELECT seq FROM change_log") })
            var epochStarts: [(node: String, from: Int64, applied: Set<Int64>)] = []
            for (position, epochNode) in (epochs[code] ?? []).enumerated() {
                let seqs = Set(try read(city) { try Int64.fetchAll($0, sql: "SELECT seq FROM applied_seq WHERE node = ?", arguments: [epochNode]) })
                guard position == 0 || !seqs.isEmpty else { continue }
                epochStarts.append((epochNode, position == 0 ? 1 : seqs.min()!, seqs))
            }
            let missing = logged.filter { seq in
                let owner = epochStarts.last { $0.from <= seq }
                return owner.map { !$0.applied.contains(seq) } ?? true
            }
            // The current epoch's node sent nothing the replica did not log.
            let current = epochStarts.last { $0.node == node }?.applied ?? []
            let phantom = current.subtracting(logged)
            changes += logged.count
            lost += missing.count
            duplicated += phantom.count
            if !missing.isEmpty { problems.append("\(code): county changes never applied at the city: \(missing.sorted().prefix(10))") }
            if !phantom.isEmpty { problems.append("\(code): the city applied changes the county never made: \(phantom.sorted().prefix(10))") }
            // City → county: every entry of the city's feed for this county was applied once. A
            // restored city hands out feed seqs again, so an entry is its seq and its clock.
            let feed = Set(try read(city) { db in
                try Row.fetchAll(db, sql: "SELECT seq, hlc FROM change_log WHERE county = ?", arguments: [code]).map { FeedEntry(county: code, seq: $0["seq"], hlc: $0["hlc"]) }
            })
            let received = try read(county) { db in
                try Row.fetchAll(db, sql: "SELECT seq, hlc FROM received WHERE node = ? AND seq > 0", arguments: [cityNode]).map { FeedEntry(county: code, seq: $0["seq"], hlc: $0["hlc"]) }
            }
            let receivedSet = Set(received)
            changes += feed.count
            let unreceived = feed.subtracting(receivedSet)
            lost += unreceived.count
            let returnable = try read(county) { try Int.fetchOne($0, sql: "SELECT count(*) FROM received WHERE to_return = 1") ?? 0 }
            if returnable > 0 { problems.append("\(code): \(returnable) city change(s) lost to a restore were never given back") }
            lost += returnable
            // A city change a restore took away comes back to the city from a county and goes into
            // its feed again, under the same version: a county that held it applies it twice, the
            // second time as a duplicate version that changes nothing. That is not a duplicate delivery.
            let refed = Set(lostFeed.map(\.hlc))
            let twice = Dictionary(grouping: received, by: { $0 }).filter { $0.value.count > 1 && !refed.contains($0.key.hlc) }
            duplicated += twice.values.reduce(0) { $0 + $1.count - 1 } + receivedSet.subtracting(feed).subtracting(lostFeed).count
            if !unreceived.isEmpty { problems.append("\(code): city changes never applied at the county: \(unreceived.map(\.seq).sorted().prefix(10))") }
            if !twice.isEmpty { problems.append("\(code): city changes applied more than once at the county: \(twice.keys.map(\.seq).sorted().prefix(10))") }
        }
        // A change applied twice as if new would conflict with itself.
        for replica in [city as any ReplicaDatabase] + counties {
            let selfConflicts = try read(replica) { try Int.fetchOne($0, sql: "SELECT count(*) FROM conflict WHERE loser_version = winner_version") ?? 0 }
            duplicated += selfConflicts
            if selfConflicts > 0 { problems.append("\(replica.path): \(selfConflicts) conflicts of a change with itself") }
        }
        // Values: final, knowingly replaced, or a recorded loser.
        let cityRows = Dictionary(uniqueKeysWithValues: try city.platforms().map { ($0.id, $0) })
        var losers: [Cell: Set<String>] = [:]
        for conflict in try city.conflicts() + counties.flatMap({ try $0.conflicts() }) {
            if case .text(let value) = conflict.loserValue { losers[Cell(rowId: conflict.rowId, column: conflict.column), default: []].insert(value) }
        }
        let snapshot = ledger.withLock { $0 }
        // Deletes: one the city applied leaves a tombstone there, and its row exists nowhere; one
        // it refused is parked with its reason, and its row is back on both sides.
        let tombstoned = try city.tombstonedRowIds()
        var resurrected = 0
        for row in deletedRows where tombstoned.contains(row) {
            let back = try cityRows[row] != nil || counties.contains { try $0.platform(id: row) != nil }
            if back {
                resurrected += 1
                problems.append("row \(row): its delete was applied at the city, yet it exists again")
            }
        }
        let refusedDeletes = Set(try city.parked().filter { $0.op == "delete" }.map(\.rowId))
        let deleted = deletedRows.filter { cityRows[$0] == nil }
        let vanished = snapshot.lostValues(
            final: { cell in cityRows[cell.rowId].flatMap { EditColumn(rawValue: cell.column)?.value(of: $0) ?? (cell.column == "contact" ? $0.contact : nil) } },
            losers: { losers[$0] ?? [] })
            .filter { !deleted.contains($0.cell.rowId) }   // the values of a row deleted on purpose
        lost += vanished.count
        for value in vanished.prefix(10) { problems.append("value lost: \(value.cell) = \"\(value.value)\" written by \(value.writer)") }
        let cityAwards = Set(try city.awards().map(\.id))
        let missingRows = snapshot.rows.filter { cityRows[$0] == nil && !cityAwards.contains($0) && !deleted.contains($0) }
        lost += missingRows.count
        if !missingRows.isEmpty { problems.append("rows missing at the city: \(missingRows.sorted().prefix(10))") }
        // No clock, at the city or at a county, ran ahead of the real time by more than the bound
        // (a county whose daemon's clock was off stamps with the city's time).
        let latest = SyncLimits().latestAcceptedReading(nowMs: CountyDatabase.wallClockMs()).rawValue
        var ahead = 0
        for replica in [city as any ReplicaDatabase] + counties {
            let hlc = try read(replica) { try Int64.fetchOne($0, sql: "SELECT hlc FROM replica") ?? 0 }
            if hlc > latest {
                ahead += 1
                problems.append("\(replica.path): its clock reads \(HLCTimestamp(rawValue: hlc)), ahead of the real time")
            }
        }
        let parked = try read(city) { try Int.fetchOne($0, sql: "SELECT count(*) FROM parked") ?? 0 }
        let conflicts = try read(city) { try Int.fetchOne($0, sql: "SELECT count(*) FROM conflict") ?? 0 }
        summary.withLock {
            $0.changesChecked = changes
            $0.valuesChecked = snapshot.valueCount
            $0.rowsChecked = snapshot.rows.count
            $0.lost = lost
            $0.duplicated = duplicated
            $0.resurrected = resurrected
            $0.deletesRefused = refusedDeletes.intersection(deletedRows).count
            $0.parked = parked
            $0.conflicts = conflicts
            $0.epochsBegun = epochs.values.reduce(0) { $0 + $1.count - 1 }
            $0.clocksAhead = ahead
            $0.failures += problems.map { "trial \(trial) (seed \(options.seed)): \($0)" }
        }
        options.log("trial \(trial): converged; \(changes) changes and \(snapshot.valueCount) values checked, lost \(lost), duplicated \(duplicated), conflicts \(conflicts)")
    }

    /// Reads through a replica's own connection pool: the checks run often (the convergence
    /// wait polls), so no file is opened again for them.
    private func read<T>(_ replica: any ReplicaDatabase, _ body: (Database) throws -> T) throws -> T {
        try replica.pool.read(body)
    }
}

/// Half the picks land on a few "hot" rows, so county and city edits collide often enough to
/// exercise the conflict rules; the rest spread over all rows.
func hot(_ ids: [String], _ pick: Int) -> String {
    pick % 2 == 0 ? ids[(pick / 2) % min(ids.count, 6)] : ids[pick % ids.count]
}

extension EditColumn {
    func value(of platform: Platform) -> String? {
        switch self {
        case .name: platform.name
        case .remarks: platform.remarks
        case .hostOrg: platform.hostOrg
        }
    }

    func set(_ value: String, in platform: inout Platform) {
        switch self {
        case .name: platform.name = value
        case .remarks: platform.remarks = value
        case .hostOrg: platform.hostOrg = value
        }
    }
}

/// A harness failure, described for a person.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs blocking work on a thread of its own and awaits it.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// One entry of the city's feed: a restored city hands out seqs again, so the clock tells two apart.
struct FeedEntry: Hashable, Sendable {
    let county: String
    let seq: Int64
    let hlc: Int64
}
