import ArgumentParser
import Foundation
import SyncCore
import SyncStore
import SyncProtocol
import CurlTransport

/// `syncctl status`: replication state of a county replica or of every county at the city.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show replication state: a county's backlog and errors, or every county at the city.",
        discussion: """
            With --check, prints one line and exits 0 when healthy, 1 when over a threshold, 2 when \
            broken (no database, unreadable, or the last sync failing): for cron and monitors.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Exit 0 healthy, 1 over a threshold, 2 broken.") var check = false
    @Option(name: .customLong("max-pending"), help: "With --check: most pending changes that count as healthy.")
    var maxPending = 1_000
    @Option(name: .customLong("max-age"), help: "With --check: oldest pending change that counts as healthy, e.g. 30m.")
    var maxAge = "1h"
    @Option(name: .customLong("health"), help: ArgumentHelp(
        "At the city, with --check: the aggregator's monitoring listener to ask (also COUNTY_SYNC_HEALTH_URL), e.g. http://127.0.0.1:9464/healthz; not answering, or a storage failure, is broken.",
        valueName: "url"))
    var health: String?
    @Option(name: .customLong("min-free-mb"), help: "At the city, with --check: the free space, in MiB, below which the city database's filesystem counts as a problem.")
    var minFreeMB = 64

    /// A county replica's status with whether its daemon runs.
    struct CountyOutput: Encodable {
        let status: CountyStatus
        let daemonRunning: Bool
        let daemonPid: Int32?

        func encode(to encoder: any Encoder) throws {
            try status.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(daemonRunning, forKey: .daemonRunning)
            try container.encodeIfPresent(daemonPid, forKey: .daemonPid)
        }

        enum Keys: String, CodingKey { case daemonRunning, daemonPid }
    }

    func run() throws {
        let maxAgeSeconds = try parseDuration(maxAge)
        let replica: any ReplicaDatabase
        do {
            replica = try database.openAny(readOnly: true)
        } catch {
            if check {
                print("BROKEN: \(error)")
                throw ExitCode(2)
            }
            throw CLIError("\(error)", status: .couldNot)
        }
        switch replica {
        case let county as CountyDatabase: try county.statusReport(self, maxAgeSeconds: maxAgeSeconds)
        case let city as CityDatabase: try city.statusReport(self, maxAgeSeconds: maxAgeSeconds)
        default: throw CLIError("\(database.db) is not a replica")
        }
    }
}

extension CountyDatabase {
    fileprivate func statusReport(_ command: StatusCommand, maxAgeSeconds: Int) throws {
        let status = try reporting { try self.status() }
        let pid = DaemonLock.holder(of: path)
        if command.check {
            if let error = status.lastError {
                print("BROKEN: county \(county): last sync failed: \(error)")
                throw ExitCode(2)
            }
            var problems: [String] = []
            if status.pending > command.maxPending { problems.append("\(status.pending) changes pending (more than \(command.maxPending))") }
            if status.pending > 0 && status.oldestPendingAgeSeconds > maxAgeSeconds {
                problems.append("oldest pending change is \(span(status.oldestPendingAgeSeconds)) old (more than \(span(maxAgeSeconds)))")
            }
            if status.resendPending > 0 {
                problems.append("re-sending \(status.resendPending) change(s) the city lost: \(status.cityRestoreEvidence ?? "the city was restored from a backup")")
            }
            if status.refusedReturns > 0 {
                let refused = (try? refusedReturns(limit: 3)) ?? []
                problems.append("the city refused to take back \(status.refusedReturns) of its own change(s) lost to its restore: "
                    + refused.map { "\($0.table) \($0.rowId): \($0.code)" }.joined(separator: ", "))
            }
            if status.decisionAlarms > 0 {
                let alarms = (try? decisionAlarms()) ?? []
                problems.append("the city's decision log does not agree with what this county saw: " + (alarms.last?.message ?? "")
                    + " (syncctl verify --decisions)")
            }
            if let expires = status.certificateExpiresAt, CertificateExpiry.expiresSoon(notAfterMs: expires, nowMs: CountyDatabase.wallClockMs()) {
                problems.append("the county's certificate \(certificateLine(status))")
            }
            guard problems.isEmpty else {
                print("BEHIND: county \(county): \(problems.joined(separator: "; "))")
                throw ExitCode(1)
            }
            print("OK: county \(county): \(status.pending) pending, last push \(ago(status.lastPushAt))")
            return
        }
        if command.output.json { return try printJSON(StatusCommand.CountyOutput(status: status, daemonRunning: pid != nil, daemonPid: pid)) }
        let lines: [(String, String)] = [
            ("role", "county replica"),
            ("county", "\(county) \(counties[county]?.name ?? "")"),
            ("node", replica.node),
            ("daemon", pid.map { "running (pid \($0))" } ?? "not running"),
            ("pending", status.pending == 0 ? "0" : "\(status.pending) (oldest \(span(status.oldestPendingAgeSeconds)) old)"),
            ("last push", ago(status.lastPushAt)),
            ("last pull", ago(status.lastPullAt)),
            ("last error", status.lastError.map(attention) ?? "none"),
            ("conflicts", status.conflicts == 0 ? "0" : attention("\(status.conflicts) open (syncctl conflicts)")),
            ("parked", status.parked == 0 ? "0" : attention("\(status.parked) refused by the city (syncctl parked)")),
            ("last verified", status.lastVerifiedAt.map { "\(ago($0)): \(status.lastVerifyResult ?? "")" } ?? "never"),
            ("clock", clockLine(status)),
            ("certificate", certificateLine(status)),
            ("epoch", status.epochStartedAt.map { attention("new node since \(ago($0)): \(status.epochReason ?? "")") } ?? "original node"),
            ("city restore", status.cityRestoredAt.map { at in
                let line = "found \(ago(at)): \(status.cityRestoreEvidence ?? "")"
                return status.resendPending > 0 ? attention(line + "; \(status.resendPending) change(s) still to send again") : line + "; repaired"
            } ?? "none seen"),
        ] + refusedReturnLines(status) + decisionLines(status)
        let width = lines.map(\.0.count).max() ?? 0
        for (key, value) in lines { print("\(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)") }
    }
}

extension CountyDatabase {
    /// The `decision log` line: what pulls found about the city's decision log.
    fileprivate func decisionLines(_ status: CountyStatus) -> [(String, String)] {
        guard status.decisionAlarms > 0 else { return [("decision log", "agrees with what this county saw")] }
        let last = (try? decisionAlarms())?.last?.message ?? ""
        return [("decision log", attention("\(status.decisionAlarms) finding(s), the last: \(last) (syncctl verify --decisions)"))]
    }

    /// The `refused returns` line, when the city refused to take back any of its own changes.
    fileprivate func refusedReturnLines(_ status: CountyStatus) -> [(String, String)] {
        guard status.refusedReturns > 0 else { return [] }
        let listed: [String] = ((try? refusedReturns(limit: 3)) ?? []).map { "\($0.table) \($0.rowId) (\($0.code): \($0.message))" }
        let line = "the city refused to take back \(status.refusedReturns) of its own change(s); they are kept here: " + listed.joined(separator: "; ")
        return [("refused returns", attention(line))]
    }
}

/// When the county's certificate expires, as the daemon last read it; attention within `CertificateExpiry.warnDays`.
private func certificateLine(_ status: CountyStatus) -> String {
    guard let expires = status.certificateExpiresAt else { return "not read yet (county-syncd reads it at start)" }
    let days = Int((Double(expires) / 1_000 - Date().timeIntervalSince1970) / 86_400)
    let date = String(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(expires) / 1_000)).prefix(10))
    if days < 0 { return attention("EXPIRED on \(date): every sync fails; ask the city for a new certificate") }
    return days < CertificateExpiry.warnDays ? attention("expires \(date), in \(days) days: ask the city for a new one") : "expires \(date) (in \(days) days)"
}

/// The county's clock against the city's: what stamping corrects by.
private func clockLine(_ status: CountyStatus) -> String {
    guard let offset = status.clockOffsetMs, let at = status.clockOffsetAt else { return "offset from the city not measured yet" }
    let seconds = Double(-offset) / 1_000
    let text = abs(seconds) < 1 ? "in step with the city (\(offset) ms)" :
        "\(String(format: "%.1f", abs(seconds))) s \(seconds > 0 ? "ahead of" : "behind") the city; stamping corrects for it"
    let line = "\(text), measured \(ago(at))"
    return abs(offset) > 5 * 60 * 1_000 ? attention(line + "; fix this machine's time (NTP)") : line
}

extension CityDatabase {
    fileprivate func statusReport(_ command: StatusCommand, maxAgeSeconds: Int) throws {
        let states = try reporting { try self.countyStates() }
        let now = CountyDatabase.wallClockMs()
        // The one judgement the console and the alerts make (`CountyHealth`), and the backlog.
        func problems(_ state: CountyState) -> [String] {
            var found = CountyHealth.judge(state, nowMs: now, maxClockOffsetMs: limits.maxClockOffsetMs).problems
            if let pending = state.reportedPending, pending > command.maxPending { found.append("\(pending) pending") }
            if let age = state.oldestPendingAgeSeconds, (state.reportedPending ?? 0) > 0, age > maxAgeSeconds { found.append("oldest pending \(span(age))") }
            return found
        }
        if command.check {
            let city = cityProblems(command)
            if !city.broken.isEmpty {
                print("BROKEN: " + city.broken.joined(separator: "; "))
                throw ExitCode(2)
            }
            let behind = states.filter { !problems($0).isEmpty }
            guard behind.isEmpty && city.problems.isEmpty else {
                print("BEHIND: " + (city.problems + behind.map { "\($0.county) (\(problems($0).joined(separator: ", ")))" }).joined(separator: "; "))
                throw ExitCode(1)
            }
            print("OK: \(states.filter { $0.lastContactAt != nil }.count) of \(states.count) counties in contact, none behind")
            return
        }
        if command.output.json { return try printJSON(states) }
        var table = TextTable("COUNTY", "NAME", "NODES", "LAST CONTACT", "ACKED SEQ", "PENDING", "OLDEST", "CONFLICTS", "PARKED", "PLATFORMS", "AWARDS", "VERIFIED", "STATE")
        for state in states {
            let found = problems(state)
            let condition = found.isEmpty ? (state.lastContactAt == nil ? "never seen" : "ok") : attention(found.joined(separator: ", "))
            table.add(state.county, state.name, state.nodes > 1 ? attention("\(state.nodes) (new epoch)") : String(state.nodes), ago(state.lastContactAt), String(state.acknowledgedSeq),
                      state.reportedPending.map(String.init) ?? "-", state.oldestPendingAgeSeconds.map(span) ?? "-",
                      String(state.conflicts), String(state.parked), String(state.platforms), String(state.awards),
                      ago(state.lastVerifiedAt), condition)
        }
        print(table.render())
    }
}

extension CityDatabase {
    /// The city's own trouble, for `status --check`: what makes it broken (the aggregator not
    /// answering at `--health`, its storage failing) and what is a problem (little space left on
    /// the database's filesystem, the server certificate within 30 days of expiry).
    fileprivate func cityProblems(_ command: StatusCommand) -> (broken: [String], problems: [String]) {
        var broken: [String] = [], problems: [String] = []
        var space = statvfs()
        let folder = (path as NSString).deletingLastPathComponent
        if statvfs(folder.isEmpty ? "." : folder, &space) == 0 {
            let freeMB = Int64(space.f_bavail) * Int64(space.f_frsize) / 1_048_576
            if freeMB < command.minFreeMB {
                problems.append("city storage: \(freeMB) MiB free on the filesystem holding the city database (less than \(command.minFreeMB) MiB)")
            }
        }
        guard let url = command.health ?? ProcessInfo.processInfo.environment["COUNTY_SYNC_HEALTH_URL"] else { return (broken, problems) }
        do {
            let (status, body) = try HealthProbe.get(url)
            guard let answer = try? JSONDecoder().decode(HealthAnswer.self, from: body) else {
                broken.append("aggregator: \(url) answered HTTP \(status) without a health answer")
                return (broken, problems)
            }
            if answer.status != "ok" { broken.append("city storage: the aggregator cannot store (\(answer.storage ?? answer.status))") }
            if let expires = answer.serverCertificateExpiresAt {
                let days = (expires - Int64(Date().timeIntervalSince1970)) / 86_400
                if days < CertificateExpiry.warnDays { problems.append(days < 0 ? "server certificate: expired" : "server certificate: expires in \(days) days") }
            }
        } catch {
            broken.append("aggregator: not answering at \(url) (\(error))")
        }
        return (broken, problems)
    }
}
