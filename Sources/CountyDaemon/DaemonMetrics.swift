import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import ServiceSupport
import SyncCore
import SyncStore

/// The daemon's `/metrics` (Prometheus text) and `/healthz`, on a plain-HTTP loopback listener
/// (`metrics-listen`), for a Prometheus or node exporter on the county machine: what
/// `syncctl status` shows, read from the replica at scrape time.
enum DaemonMetrics {
    /// The exposition for `database` (and `/proc/self`).
    static func render(_ database: CountyDatabase, startTime: Double) throws -> String {
        let status = try database.status()
        var out = ""
        let labels = "{county=\"\(status.county)\"}"
        func gauge(_ name: String, _ help: String, _ value: String?) {
            guard let value else { return }
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name)\(labels) \(value)\n"
        }
        gauge("sync_daemon_pending_changes", "Local changes the city has not acknowledged yet.", "\(status.pending)")
        gauge("sync_daemon_oldest_pending_seconds", "Age of the oldest unacknowledged change (0 with none).", "\(status.pending > 0 ? status.oldestPendingAgeSeconds : 0)")
        gauge("sync_daemon_last_push_timestamp_seconds", "When a push last succeeded, seconds since 1970 (0: never).", "\(Double(status.lastPushAt ?? 0) / 1_000)")
        gauge("sync_daemon_last_pull_timestamp_seconds", "When a pull last succeeded, seconds since 1970 (0: never).", "\(Double(status.lastPullAt ?? 0) / 1_000)")
        gauge("sync_daemon_sync_failing", "1 while the last sync failed (syncctl status shows why), 0 when it synced.", (status.lastError ?? "").isEmpty ? "0" : "1")
        gauge("sync_daemon_conflicts", "Open conflicts of this replica.", "\(status.conflicts)")
        gauge("sync_daemon_parked", "City changes this replica parked (syncctl parked).", "\(status.parked)")
        gauge("sync_daemon_refused_returns", "City changes the city refused to take back after its restore.", "\(status.refusedReturns)")
        gauge("sync_daemon_clock_offset_seconds", "How far this machine's clock is behind the city's (negative: ahead), as last measured.",
              status.clockOffsetMs.map { "\(Double($0) / 1_000)" })
        gauge("sync_daemon_certificate_expiry_timestamp_seconds", "When this county's certificate expires, seconds since 1970.",
              status.certificateExpiresAt.map { "\($0 / 1_000)" })
        out += "# HELP sync_build_info The running release of County Sync.\n# TYPE sync_build_info gauge\n"
        out += "sync_build_info{version=\"\(CountySyncVersion.current)\"} 1\n"
        out += ProcessMetrics.render(startTime: startTime)
        return out
    }

    /// The listener, a service of the daemon's group; writes its port to `portFile` once bound.
    static func listener(_ database: CountyDatabase, host: String, port: Int, portFile: String?, logger: Logger) -> some Service {
        let startTime = Date().timeIntervalSince1970
        let router = Router()
        router.get("/metrics") { _, _ in
            let text = try DaemonMetrics.render(database, startTime: startTime)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/healthz") { _, _ in
            let failing = try database.status().lastError.map { !$0.isEmpty } ?? false
            let text = #"{"status":"\#(failing ? "sync_failing" : "ok")","county":"\#(database.county)"}"#
            return Response(status: failing ? .serviceUnavailable : .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "county-syncd-metrics"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                if let portFile { try? "\(bound)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
                logger.notice("metrics listener (plain HTTP, /metrics and /healthz only)", metadata: ["sync.listen": "\(host):\(bound)"])
            },
            logger: logger)
    }
}
