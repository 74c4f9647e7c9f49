import ArgumentParser
import CityServer
import CountyDaemon
import CurlTransport
import Foundation
import GRDB
import Logging
import SyncCore
import SyncProtocol
import SyncStore

/// Every performance figure of the project in one run, each beside its baseline measured in the
/// same run on the same machine: the peer baselines in C (`../shared/perf`), bare SQLite writes
/// of the same rows from Swift, and the city idle. Prints one table at the end.
struct ReportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "All performance figures, each beside its baseline from the same run.")

    @Option(help: "New platforms pushed, updates pushed and city edits pulled.") var rows = 100_000
    @Option(help: "Changes per push and rows per baseline transaction.") var batch = 1_000
    @Option(help: "Rows the updates are made on.") var updatedRows = 10_000
    @Option(help: "Changes waiting in the catch-up.") var catchUp = 50_000
    @Option(help: "Single-row commits timed from commit to visible at the city.") var commits = 1_000
    @Option(help: "Seconds the idle daemon is watched.") var idleSeconds = 20
    @Flag(help: "Leave out the peer baselines in C (they need gcc, nginx and python3).") var noPeer = false

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pki = folder.appendingPathComponent("pki").path
        try BenchCity.makePKI(pki, counties: ["130202", "130203", "130204", "130205"])
        var table = ReportTable()
        print("sync-bench report: \(rows) rows, \(batch) per batch; the table follows the runs")

        progress("- peer baselines in C (../shared/perf/run-baselines.sh \(rows) \(batch))")
        let peer = noPeer ? nil : PeerBaselines.run(rows: rows, batch: batch)

        progress("- push of \(rows) new platforms (the baselines' rows)")
        let platforms = try PeerBaselines.rows(rows)
        let inserts = try await PushBench.measureInserts(platforms, batch: batch, folder: folder.appendingPathComponent("inserts"), pki: pki, county: "130203")
        table.ratio("push: new platforms, county file → HTTPS → city file", inserts.push ?? 0, "rows/s",
                    [("bare upsert, Swift, same rows", inserts.bare, 0.5)]
                        + (peer.map { [("bare upsert, C (peer)", $0.bareUpsert, 0.5), ("session extension over HTTPS (peer)", $0.sessionPipeline, 1.5)] } ?? []))
        let ceilingBaselines = [("bare upsert, Swift, same rows", inserts.bare, 0.5)]
            + (peer.map { [("session extension over HTTPS (peer)", $0.sessionPipeline, 1.5)] } ?? [])
        table.ceiling("  ceiling: the city's writes alone, no sync", inserts.cityWrites, "rows/s", ceilingBaselines)
        table.ceiling("  ceiling: the rows alone into the city's table", inserts.cityRows, "rows/s", ceilingBaselines)
        table.ceiling("  ceiling: the rows alone, no CHECKs, no triggers", inserts.lighterRows, "rows/s", ceilingBaselines)
        if let cpu = inserts.cpuPerRow {
            table.absolute("  CPU per row, county and city", cpu * 1_000_000, "µs", target: "", baseline: String(format: "%.1f of 2 cores busy", cpu * (inserts.push ?? 0)), good: true, judged: false)
        }
        table.absolute("bytes on the wire per change (deflated body)", inserts.deflatedBytesPerChange, "B", target: "≤ 150",
                       baseline: String(format: "%.0f B as JSON", inserts.bytesPerChange)
                        + (peer.map { String(format: "; session changeset %.0f B", $0.sessionBytesPerRow) } ?? ""),
                       good: inserts.deflatedBytesPerChange <= 150)

        progress("- push of \(rows) updates (2 columns) on \(updatedRows) rows, then pull of \(rows) city edits")
        let edits = try await EditBench.measure(platforms: Array(platforms.prefix(updatedRows)), changes: rows, batch: batch,
                                                folder: folder.appendingPathComponent("edits"), pki: pki)
        table.ratio("push: updates of 2 columns (versions compared)", edits.push, "changes/s", [("bare upsert of the same updates", edits.pushBare, 0.3)])
        table.ceiling("  ceiling: the city's writes alone, no sync", edits.pushCeiling, "changes/s", [("bare upsert of the same updates", edits.pushBare, 0.3)])
        table.ratio("pull: city edits into a county", edits.pull, "changes/s", [("bare upsert of the same edits", edits.pullBare, 0.5)])
        table.ceiling("  ceiling: the county's writes alone, no sync", edits.pullCeiling, "changes/s", [("bare upsert of the same edits", edits.pullBare, 0.5)])

        progress("- catch-up: \(catchUp) changes made offline, then one sync")
        let catchUpSeconds = try await EditBench.catchUp(PeerBaselines.rows(catchUp).map { var p = $0; p.county = "130205"; return p },
                                                         folder: folder.appendingPathComponent("catch-up"), pki: pki)
        table.absolute("catch-up: \(catchUp) changes drained", catchUpSeconds, "s", target: "≤ 2", baseline: "", good: catchUpSeconds <= 2)

        progress("- commit → visible at the city over \(commits) commits, then the daemon idle for \(idleSeconds) s")
        let daemon = try await DaemonBench.measure(commits: commits, idleSeconds: idleSeconds, folder: folder.appendingPathComponent("daemon"), pki: pki)
        table.absolute("commit → visible, p50", daemon.p50Ms, "ms", target: "≤ 300", baseline: "", good: daemon.p50Ms <= 300)
        table.absolute("commit → visible, p99", daemon.p99Ms, "ms", target: "≤ 1000", baseline: "", good: daemon.p99Ms <= 1_000)
        table.absolute("idle daemon: resident memory", daemon.rssMB, "MB", target: "≤ 40", baseline: "", good: daemon.rssMB <= 40)
        table.absolute("idle daemon: CPU", daemon.cpuPercent, "%", target: "≈ 0",
                       baseline: String(format: "%.0f ms of CPU in %d s (one pull every 10 s)", daemon.cpuPercent * 10 * Double(idleSeconds), idleSeconds),
                       good: daemon.cpuPercent < 0.5)

        progress("- capture on the write path")
        let capture = try CaptureBench.measure(platforms, batch: batch, rounds: 2, folder: folder.appendingPathComponent("capture"))
        table.ratio("capture: inserts", capture.insertCapture, "rows/s", [("same inserts, no triggers", capture.insertBare, 0.6)])
        table.ratio("capture: first updates of 2 columns", capture.updateCapture, "rows/s", [("same updates, no triggers", capture.updateBare, 0.5)])
        table.ratio("capture: later updates of 2 columns", capture.laterUpdateCapture, "rows/s", [("same updates, no triggers", capture.laterUpdateBare, 0.5)])

        progress("- another county's pulls while one county pushes 60,000 changes in its largest legal batches")
        let flood = try await FloodBench.pullLatency(rows: 60_000, batch: SyncLimits().maxBatchChanges, idlePulls: 200,
                                                     folder: folder.appendingPathComponent("flood"), pki: pki)
        table.absolute("other county's pull p99 under a flood", flood.busyP99, "ms", target: "≤ 3x idle",
                       baseline: String(format: "idle p99 %.1f ms (%.2fx)", flood.idleP99, flood.busyP99 / flood.idleP99), good: flood.busyP99 <= 3 * flood.idleP99)
        print()
        table.print()
    }
}

/// Prints a line of progress at once, also through a pipe.
func progress(_ line: String) {
    print(line)
    fflush(nil)
}

/// The report's table: one row per measure, the baseline beside it, the ratio and the target.
struct ReportTable {
    private var lines: [String] = []

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// A rate with one or more baselines; `target` is the least ratio each must reach.
    mutating func ratio(_ name: String, _ value: Double, _ unit: String, _ baselines: [(String, Double, Double)]) {
        rates(name, value, unit, baselines) { $0 ? "met" : "MISSED" }
    }

    /// One line per baseline of a rate: the ratio, the target and `verdict(whether it is reached)`.
    private mutating func rates(_ name: String, _ value: Double, _ unit: String, _ baselines: [(String, Double, Double)], verdict: (Bool) -> String) {
        for (index, (baseline, rate, target)) in baselines.enumerated() {
            let ratio = value / rate
            lines.append(Self.pad(index == 0 ? name : "", 56) + Self.pad(index == 0 ? String(format: "%.0f %@", value, unit) : "", 22)
                         + Self.pad(String(format: "%@ %.0f", baseline, rate), 50) + Self.pad(String(format: "%.2fx", ratio), 8)
                         + Self.pad(String(format: "≥ %.1fx", target), 9) + verdict(ratio >= target))
        }
    }

    /// A figure with a target of its own (`judged` false: a figure without one).
    mutating func absolute(_ name: String, _ value: Double, _ unit: String, target: String, baseline: String, good: Bool, judged: Bool = true) {
        lines.append(Self.pad(name, 56) + Self.pad(String(format: "%.1f %@", value, unit), 22) + Self.pad(baseline, 50) + Self.pad("", 8)
                     + Self.pad(target, 9) + (judged ? (good ? "met" : "MISSED") : ""))
    }

    /// The most a measure could reach, beside the baselines of its targets: whether even that
    /// reaches each target ("within reach") or not ("out of reach").
    mutating func ceiling(_ name: String, _ value: Double, _ unit: String, _ baselines: [(String, Double, Double)]) {
        rates(name, value, unit, baselines) { $0 ? "within reach" : "out of reach" }
    }

    func print() {
        Swift.print(Self.pad("measure", 56) + Self.pad("ours", 22) + Self.pad("baseline, same run", 50) + Self.pad("ratio", 8) + Self.pad("target", 9) + "result")
        for line in lines { Swift.print(line) }
    }
}
