import Foundation
import Synchronization
import SyncStore

/// The aggregator's counters, rendered in the Prometheus text format at `GET /metrics`, with
/// per-county gauges read from the city database at scrape time.
final class CityMetrics: Sendable {
    private struct State {
        var requests: [String: Int] = [:]            // "route|status" → count
        var durationSum: [String: Double] = [:]      // route → seconds
        var durationCount: [String: Int] = [:]
        var pushes = 0
        var outcomes: [String: Int] = [:]            // outcome → changes
    }

    private let state = Mutex(State())

    /// Counts one answered request.
    func request(route: String, status: Int, seconds: Double) {
        state.withLock {
            $0.requests["\(route)|\(status)", default: 0] += 1
            $0.durationSum[route, default: 0] += seconds
            $0.durationCount[route, default: 0] += 1
        }
    }

    /// Counts an applied push and its outcomes.
    func push(outcomes: [String: Int]) {
        state.withLock {
            $0.pushes += 1
            for (outcome, count) in outcomes { $0.outcomes[outcome, default: 0] += count }
        }
    }

    /// The exposition text.
    func render(counties: [CountyState], nowMs: Int64) -> String {
        let snapshot = state.withLock { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }
        family("sync_requests_total", "counter", "HTTP requests answered, by route and status.")
        for (key, count) in snapshot.requests.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|")
            out += "sync_requests_total{route=\"\(parts[0])\",status=\"\(parts[1])\"} \(count)\n"
        }
        family("sync_request_duration_seconds", "summary", "Time to answer requests, by route.")
        for (route, sum) in snapshot.durationSum.sorted(by: { $0.key < $1.key }) {
            out += "sync_request_duration_seconds_sum{route=\"\(route)\"} \(sum)\n"
            out += "sync_request_duration_seconds_count{route=\"\(route)\"} \(snapshot.durationCount[route] ?? 0)\n"
        }
        family("sync_push_total", "counter", "Pushes applied.")
        out += "sync_push_total \(snapshot.pushes)\n"
        family("sync_changes_total", "counter", "Pushed changes by outcome (applied, merged, conflict, parked).")
        for outcome in ["applied", "merged", "conflict", "parked"] {
            out += "sync_changes_total{outcome=\"\(outcome)\"} \(snapshot.outcomes[outcome] ?? 0)\n"
        }
        family("sync_county_last_contact_seconds", "gauge", "Seconds since the county last reached the city (absent: never).")
        for county in counties { if let at = county.lastContactAt { out += "sync_county_last_contact_seconds{county=\"\(county.county)\"} \(Double(nowMs - at) / 1000)\n" } }
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
        family("sync_county_clock_offset_seconds", "gauge", "How far the county's machine clock is behind the city's (negative: ahead), as it measured and reported.")
        for county in counties { if let offset = county.clockOffsetMs { out += "sync_county_clock_offset_seconds{county=\"\(county.county)\"} \(Double(offset) / 1000)\n" } }
        return out
    }
}
