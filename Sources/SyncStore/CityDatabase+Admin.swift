import Foundation
import GRDB
import SyncCore

/// One county as the city sees it, for `syncctl status` at the city.
public struct CountyState: Sendable, Hashable, Codable {
    public let county: String
    public let name: String
    /// The county's node the city heard from last, if any.
    public let node: String?
    /// How many nodes (epochs) of the county the city has seen; more than one means a replica
    /// began a new epoch, e.g. after a restore from backup.
    public let nodes: Int
    public let lastContactAt: Int64?
    /// Every change up to this seq of that node is at the city.
    public let acknowledgedSeq: Int64
    /// What the county reported in its last heartbeat.
    public let reportedPending: Int?
    public let oldestPendingAgeSeconds: Int?
    public let lastError: String?
    public let conflicts: Int
    public let parked: Int
    public let platforms: Int
    public let awards: Int
    public let lastVerifiedAt: Int64?
    /// How far the county's machine clock is off the city's (ms, city minus county), as it last reported.
    public var clockOffsetMs: Int64?
    /// What the county's node last reported it had acknowledged and pulled: beyond the city's
    /// mark or feed, the city database went back in time (`cityBehind`).
    public var reportedAcknowledged: Int64?
    public var reportedPulled: Int64?
    /// Why the city is behind this county, if it is: restored from a backup, until the county re-sent.
    public var cityBehind: String?
    /// The city's changes a restore took that the county was handed and has not all given back.
    public var returnGap: ReturnGap?
}

extension CityDatabase {
    /// Every configured county: last contact, acknowledged seq, reported backlog, conflicts, parked, rows.
    public func countyStates() throws -> [CountyState] {
        let counties = self.counties.counties
        return try read("read county states") { db in
            let nodes = Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT * FROM node_state ORDER BY last_contact_at DESC"),
                                   by: { $0["county"] as String })
            func counts(_ sql: String) throws -> [String: Int] {
                Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: sql).map { ($0[0] as String, $0[1] as Int) })
            }
            let conflicts = try counts("SELECT county, count(*) FROM conflict WHERE resolved_at IS NULL GROUP BY county")
            let parked = try counts("SELECT county, count(*) FROM parked WHERE resolution IS NULL GROUP BY county")
            let platforms = try counts("SELECT county, count(*) FROM platform GROUP BY county")
            let awards = try counts("SELECT county, count(*) FROM award GROUP BY county")
            let feedSeq = try Int64.fetchOne(db, sql: "SELECT ifnull(max(seq), 0) FROM change_log") ?? 0
            var gaps: [String: ReturnGap] = [:]
            for county in try String.fetchAll(db, sql: "SELECT DISTINCT county FROM return_gap WHERE settled_at IS NULL") {
                let gap = try Self.returnGap(db, county: county).gap
                if !gap.missing.isEmpty { gaps[county] = gap }
            }
            return counties.map { county in
                let node = nodes[county.code]?.first
                var state = CountyState(
                    county: county.code, name: county.name, node: node?["node"], nodes: nodes[county.code]?.count ?? 0,
                    lastContactAt: node?["last_contact_at"],
                    acknowledgedSeq: node?["high_water"] ?? 0, reportedPending: node?["pending"],
                    oldestPendingAgeSeconds: node?["oldest_pending_age_seconds"], lastError: node?["last_error"],
                    conflicts: conflicts[county.code] ?? 0, parked: parked[county.code] ?? 0,
                    platforms: platforms[county.code] ?? 0, awards: awards[county.code] ?? 0,
                    lastVerifiedAt: node?["last_verified_at"], clockOffsetMs: node?["clock_offset_ms"])
                state.reportedAcknowledged = node?["reported_acknowledged"]
                state.reportedPulled = node?["reported_pulled"]
                var behind: [String] = []
                if let acknowledged = state.reportedAcknowledged, acknowledged > state.acknowledgedSeq {
                    behind.append("the city lost \(acknowledged - state.acknowledgedSeq) change(s) it had acknowledged to \(state.node ?? "the county") (up to \(acknowledged), now \(state.acknowledgedSeq)); the county sends them again")
                }
                if let pulled = state.reportedPulled, pulled > feedSeq {
                    behind.append("the county had pulled the city's feed up to \(pulled), beyond its end \(feedSeq)")
                }
                if let gap = gaps[county.code] {
                    state.returnGap = gap
                    behind.append("the restore took \(gap.missing.count) city change(s) handed to this county that it has not given back: \(gap.missingSummary); the \(gap.givenBack) it gave back are kept until then (or settle: syncctl returns settle)")
                }
                state.cityBehind = behind.isEmpty ? nil : "city database restored from a backup? " + behind.joined(separator: "; ")
                return state
            }
        }
    }

    /// Records that a county verified its rows against the city.
    public func recordVerified(county: String, node: String) throws {
        try write("record verification") { db in
            try db.execute(sql: "UPDATE node_state SET last_verified_at = ? WHERE node = ? AND county = ?",
                           arguments: [CountyDatabase.wallClockMs(), node, county])
        }
    }

    /// A record's history at the city: the city's own edits, conflicts, parked changes, and each
    /// decision with who made it.
    public func history(of rowId: String) throws -> [HistoryEvent] {
        try read("read history") { db in
            var events: [HistoryEvent] = []
            for row in try Row.fetchAll(db, sql: "SELECT seq, tbl, op, columns, hlc, wall_ms, actor FROM change_log WHERE row_id = ? ORDER BY seq", arguments: [rowId]) {
                let table = SyncedTable.named(row["tbl"])!
                let columns = table.columns(in: row["columns"]).joined(separator: ", ")
                let at: Int64 = (row["hlc"] as Int64?).map { HLCTimestamp(rawValue: $0).physicalMs } ?? (row["wall_ms"] as Int64)
                let actor: String? = row["actor"]
                events.append(HistoryEvent(atMs: at, kind: "city_edit",
                                           detail: "\(row["op"] as String) \(table.name) (\(columns.isEmpty ? "row" : columns)), feed entry \(row["seq"] as Int64)\(Self.by(actor))",
                                           actor: actor))
            }
            // What the counties changed, with who entered it there (changes that said who).
            for row in try Row.fetchAll(db, sql: "SELECT * FROM county_change WHERE row_id = ? ORDER BY hlc", arguments: [rowId]) {
                let actor: String? = row["actor"]
                events.append(HistoryEvent(atMs: HLCTimestamp(rawValue: row["hlc"]).physicalMs, kind: "county_edit",
                                           detail: "\(row["op"] as String) \(row["tbl"] as String) (\(row["columns"] as String)) by county \(row["county"] as String), node \(row["node"] as String) change \(row["seq"] as Int64)\(Self.by(actor))",
                                           actor: actor))
            }
            events += try self.conflictAndParkedEvents(db, rowId: rowId)
            for row in try Row.fetchAll(db, sql: "SELECT at_ms, actor, detail FROM decision_log WHERE row_id = ? ORDER BY id", arguments: [rowId]) {
                events.append(HistoryEvent(atMs: row["at_ms"], kind: "decision", detail: "\(row["detail"] as String), by \(row["actor"] as String)",
                                           actor: row["actor"]))
            }
            return events.sorted { $0.atMs < $1.atMs }
        }
    }
}

/// How a county stands, judged one way for `syncctl status`, `status --check`, the console and
/// (by the same thresholds) the alert rules: never seen, silent, stuck, failing, clock off, or
/// syncing.
public struct CountyHealth: Sendable, Hashable {
    /// `ok`, `never`, `silent`, `stuck` or `error`: the console's colour.
    public let state: String
    /// A short Chinese and English label.
    public let label: String
    /// Every cause found, each a phrase for a person; empty when the county syncs.
    public let problems: [String]

    /// A county is silent after this long without contact (`CountySyncCountySilent`).
    public static let silentAfterSeconds: Int64 = 6 * 3600
    /// A county is stuck after this many refused pushes, or pulls, in a row (`CountySyncCountyStuck`).
    public static let stuckAfterRefusals = 5

    /// Judges `county` at `nowMs`. `refusedInARow` and `certificateExpiresAt` (seconds) are what
    /// the running aggregator has seen, where known; `maxClockOffsetMs` the city's bound.
    public static func judge(_ county: CountyState, nowMs: Int64, refusedInARow: Int = 0, refusedPullsInARow: Int = 0, certificateExpiresAt: Int64? = nil,
                             maxClockOffsetMs: Int64 = SyncLimits().maxClockOffsetMs) -> CountyHealth {
        guard let contact = county.lastContactAt else { return CountyHealth(state: "never", label: "从未联系 never seen", problems: []) }
        var problems: [String] = []
        let silentFor = (nowMs - contact) / 1000
        if silentFor > silentAfterSeconds { problems.append("silent for \(silentFor / 3600) h (more than \(silentAfterSeconds / 3600) h)") }
        if refusedInARow >= stuckAfterRefusals { problems.append("\(refusedInARow) pushes refused in a row") }
        if refusedPullsInARow >= stuckAfterRefusals { problems.append("\(refusedPullsInARow) pulls refused in a row") }
        if let error = county.lastError, !error.isEmpty { problems.append("error: \(error)") }
        if let behind = county.cityBehind { problems.append(behind) }
        if let offset = county.clockOffsetMs, abs(offset) > maxClockOffsetMs {
            problems.append("clock \(abs(offset) / 1000) s \(offset > 0 ? "behind" : "ahead of") the city's (more than \(maxClockOffsetMs / 1000) s)")
        }
        if let expires = certificateExpiresAt, CertificateExpiry.expiresSoon(notAfterMs: expires * 1000, nowMs: nowMs) {
            problems.append(expires * 1000 < nowMs ? "certificate expired" : "certificate expires within 30 days")
        }
        let state: String, label: String
        if refusedInARow >= stuckAfterRefusals {
            (state, label) = ("stuck", "受阻 stuck: \(refusedInARow) pushes refused in a row")
        } else if refusedPullsInARow >= stuckAfterRefusals {
            (state, label) = ("stuck", "受阻 stuck: \(refusedPullsInARow) pulls refused in a row")
        } else if silentFor > silentAfterSeconds {
            (state, label) = ("silent", "失联 silent for \(silentFor / 3600) h")
        } else if let error = county.lastError, !error.isEmpty {
            (state, label) = ("stuck", "出错 error: \(error.prefix(80))")
        } else if !problems.isEmpty {
            (state, label) = ("error", "注意 \(problems[0])")
        } else {
            (state, label) = ("ok", "正常 syncing")
        }
        return CountyHealth(state: state, label: label, problems: problems)
    }
}
