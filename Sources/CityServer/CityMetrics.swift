import Foundation
import GatedTLS
import Logging
import ServiceSupport
import Synchronization
import SyncCore
import SyncStore

/// The aggregator's counters, rendered in the Prometheus text format at `GET /metrics`, with
/// per-county gauges read from the city database at scrape time.
final class CityMetrics: Sendable {
    private struct State {
        var requests: [String: Int] = [:]            // "route|status" → count
        var durationSum: [String: Double] = [:]      // route → seconds
        var durationBuckets: [String: [Int]] = [:]   // route → count per bucket of `bounds` (not cumulative)
        var durationCount: [String: Int] = [:]
        var pushes = 0
        var outcomes: [String: Int] = [:]            // outcome → changes
        var refusedPushesInARow: [String: Int] = [:] // county → pushes refused since its last accepted one
        var refusedPullsInARow: [String: Int] = [:]  // county → pulls refused since its last answered one
        var certificateExpiry: [String: Int64] = [:] // county → notValidAfter of the last certificate seen
    }

    /// Upper bounds of the request-duration histogram's buckets, in seconds.
    static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private let state = Mutex(State())
    /// When the process started (seconds since 1970), for `process_start_time_seconds`.
    let startTime = Date().timeIntervalSince1970
    /// The server certificate's expiry (seconds since 1970), if known.
    let serverCertificateExpiry: Int64?

    /// Refused TLS handshakes, by reason.
    let tlsFailures: TLSFailures
    /// The TLS listener's bound on connections, once it is made.
    let connectionGate = Mutex<ConnectionGate?>(nil)

    init(serverCertificateExpiry: Int64? = nil, tlsFailures: TLSFailures = TLSFailures(logger: Logger(label: "county-sync.tls"))) {
        self.serverCertificateExpiry = serverCertificateExpiry
        self.tlsFailures = tlsFailures
    }

    /// Counts one answered request.
    func request(route: String, status: Int, seconds: Double) {
        state.withLock {
            $0.requests["\(route)|\(status)", default: 0] += 1
            $0.durationSum[route, default: 0] += seconds
            $0.durationCount[route, default: 0] += 1
            var buckets = $0.durationBuckets[route] ?? Array(repeating: 0, count: Self.bounds.count)
            if let index = Self.bounds.firstIndex(where: { seconds <= $0 }) { buckets[index] += 1 }
            $0.durationBuckets[route] = buckets
        }
    }

    /// A county's push was refused (4xx or 5xx), or accepted: a county stuck in a retry loop shows.
    func pushAnswered(county: String, accepted: Bool) {
        state.withLock { $0.refusedPushesInARow[county] = accepted ? 0 : ($0.refusedPushesInARow[county] ?? 0) + 1 }
    }

    /// A county's pull was refused (4xx), or answered.
    func pullAnswered(county: String, accepted: Bool) {
        state.withLock { $0.refusedPullsInARow[county] = accepted ? 0 : ($0.refusedPullsInARow[county] ?? 0) + 1 }
    }

    /// The expiry of the certificate a county last presented.
    func certificateSeen(county: String, notValidAfter: Int64) {
        state.withLock { $0.certificateExpiry[county] = notValidAfter }
    }

    /// Per county: pushes refused in a row, and the expiry (seconds since 1970) of the certificate
    /// it last presented; for the console's county table, which flags as the alerts do.
    func countyHealth() -> CountyHealthSeen {
        state.withLock { CountyHealthSeen(refusedPushes: $0.refusedPushesInARow, refusedPulls: $0.refusedPullsInARow, certificateExpiry: $0.certificateExpiry) }
    }

    /// Counts an applied push and its outcomes.
    func push(outcomes: [String: Int]) {
        state.withLock {
            $0.pushes += 1
            for (outcome, count) in outcomes { $0.outcomes[outcome, default: 0] += count }
        }
    }

    /// The exposition text.
    func render(counties: [CountyState], nowMs: Int64, storage: StorageHealth? = nil) -> String {
        let snapshot = state.withLock { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }
        family("sync_requests_total", "counter", "HTTP requests answered, by route and status.")
        for (key, count) in snapshot.requests.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|")
            out += "sync_requests_total{route=\"\(parts[0])\",status=\"\(parts[1])\"} \(count)\n"
        }
        family("sync_request_duration_seconds", "histogram", "Time to answer requests, by route.")
        for (route, sum) in snapshot.durationSum.sorted(by: { $0.key < $1.key }) {
            var cumulative = 0
            for (bound, count) in zip(Self.bounds, snapshot.durationBuckets[route] ?? []) {
                cumulative += count
                out += "sync_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "sync_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(snapshot.durationCount[route] ?? 0)\n"
            out += "sync_request_duration_seconds_sum{route=\"\(route)\"} \(sum)\n"
            out += "sync_request_duration_seconds_count{route=\"\(route)\"} \(snapshot.durationCount[route] ?? 0)\n"
        }
        family("sync_tls_handshake_failures_total", "counter", "TLS handshakes refused, by reason (no client certificate, certificate refused, not TLS, closed).")
        let failures = tlsFailures.counts
        for reason in ["certificate_refused", "closed_during_handshake", "no_client_certificate", "not_tls", "other"] {
            out += "sync_tls_handshake_failures_total{reason=\"\(reason)\"} \(failures[reason] ?? 0)\n"
        }
        if let gate = connectionGate.withLock({ $0 }) {
            let connections = gate.snapshot
            family("sync_connections_open", "gauge", "Connections open on the TLS listener.")
            out += "sync_connections_open \(connections.open)\n"
            family("sync_connections_handshaking", "gauge", "Connections whose TLS handshake has not finished.")
            out += "sync_connections_handshaking \(connections.handshaking)\n"
            family("sync_connections_refused_total", "counter", "Connections closed at once because the listener was at its bound (max-connections, max-handshaking).")
            out += "sync_connections_refused_total \(connections.refused)\n"
        }
        if let storage {
            family("sync_storage_failing", "gauge", "1 while the city database's writes fail for a cause of its storage (disk full, I/O error, read-only, damaged); the next write that succeeds clears it.")
            out += "sync_storage_failing \(storage.failing == nil ? 0 : 1)\n"
            family("sync_storage_errors_total", "counter", "Writes of the city database that failed for a cause of its storage.")
            out += "sync_storage_errors_total \(storage.failures)\n"
        }
        family("sync_push_total", "counter", "Pushes applied.")
        out += "sync_push_total \(snapshot.pushes)\n"
        family("sync_changes_total", "counter", "Pushed changes by outcome (applied, merged, conflict, parked).")
        for outcome in ["applied", "merged", "conflict", "parked"] {
            out += "sync_changes_total{outcome=\"\(outcome)\"} \(snapshot.outcomes[outcome] ?? 0)\n"
        }
        family("sync_county_last_contact_seconds", "gauge", "Seconds since the county last reached the city (absent: never).")
        for county in counties { if let at = county.lastContactAt { out += "sync_county_last_contact_seconds{county=\"\(county.county)\"} \(Double(nowMs - at) / 1000)\n" } }
        family("sync_county_last_contact_timestamp_seconds", "gauge", "When the county last reached the city, seconds since 1970; 0 for a county never seen.")
        for county in counties { out += "sync_county_last_contact_timestamp_seconds{county=\"\(county.county)\"} \(Double(county.lastContactAt ?? 0) / 1000)\n" }
        family("sync_county_pending_changes", "gauge", "Changes the county reported as not yet acknowledged.")
        for county in counties { if let pending = county.reportedPending { out += "sync_county_pending_changes{county=\"\(county.county)\"} \(pending)\n" } }
        family("sync_county_oldest_pending_seconds", "gauge", "Age of the county's oldest unacknowledged change, as it reported.")
        for county in counties { if let age = county.oldestPendingAgeSeconds { out += "sync_county_oldest_pending_seconds{county=\"\(county.county)\"} \(age)\n" } }
        family("sync_county_acknowledged_seq", "gauge", "The county node's high-water mark at the city.")
        for county in counties { out += "sync_county_acknowledged_seq{county=\"\(county.county)\"} \(county.acknowledgedSeq)\n" }
        family("sync_county_conflicts", "gauge", "Open conflicts of the county's rows.")
        for county in counties { out += "sync_county_conflicts{county=\"\(county.county)\"} \(county.conflicts)\n" }
        family("sync_county_parked", "gauge", "Open parked changes of the county.")
        for county in counties { out += "sync_county_parked{county=\"\(county.county)\"} \(county.parked)\n" }
        family("sync_county_consecutive_refused_pushes", "gauge", "Pushes of the county refused since its last accepted one (a county stuck in a retry loop).")
        for county in counties { out += "sync_county_consecutive_refused_pushes{county=\"\(county.county)\"} \(snapshot.refusedPushesInARow[county.county] ?? 0)\n" }
        family("sync_county_consecutive_refused_pulls", "gauge", "Pulls of the county refused since its last answered one (a county that cannot get the city's decisions).")
        for county in counties { out += "sync_county_consecutive_refused_pulls{county=\"\(county.county)\"} \(snapshot.refusedPullsInARow[county.county] ?? 0)\n" }
        family("sync_county_certificate_expiry_timestamp_seconds", "gauge", "When the certificate the county last presented expires, seconds since 1970.")
        for county in counties {
            if let expiry = snapshot.certificateExpiry[county.county] { out += "sync_county_certificate_expiry_timestamp_seconds{county=\"\(county.county)\"} \(expiry)\n" }
        }
        if let serverCertificateExpiry {
            family("sync_server_certificate_expiry_timestamp_seconds", "gauge", "When the aggregator's server certificate expires, seconds since 1970.")
            out += "sync_server_certificate_expiry_timestamp_seconds \(serverCertificateExpiry)\n"
        }
        family("sync_build_info", "gauge", "The running release of County Sync.")
        out += "sync_build_info{version=\"\(CountySyncVersion.current)\"} 1\n"
        out += ProcessMetrics.render(startTime: startTime)
        family("sync_county_sync_failing", "gauge", "1 when the county reported that its last sync failed (a pull or push it could not make), 0 when it syncs; absent for a county never seen.")
        for county in counties where county.lastContactAt != nil {
            out += "sync_county_sync_failing{county=\"\(county.county)\"} \((county.lastError ?? "").isEmpty ? 0 : 1)\n"
        }
        family("sync_county_clock_offset_seconds", "gauge", "How far the county's machine clock is behind the city's (negative: ahead), as it measured and reported.")
        for county in counties { if let offset = county.clockOffsetMs { out += "sync_county_clock_offset_seconds{county=\"\(county.county)\"} \(Double(offset) / 1000)\n" } }
        return out
    }
}

/// What the running aggregator has seen of each county, beside its database: refused pushes and
/// pulls in a row, and the expiry of the certificate it last presented (seconds since 1970).
struct CountyHealthSeen: Sendable {
    let refusedPushes: [String: Int]
    let refusedPulls: [String: Int]
    let certificateExpiry: [String: Int64]
}
