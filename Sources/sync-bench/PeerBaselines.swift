import Foundation
import SyncCore
#if canImport(Glibc)
import Glibc
#endif

/// The peer baselines in C beside the package (`../shared/perf`): a bare SQLite upsert and SQLite's
/// session extension over HTTPS through nginx, on rows from the same generator as ours.
enum PeerBaselines {
    /// What `run-baselines.sh` printed.
    struct Figures {
        /// Rows per second of the bare upsert (WAL, `synchronous=NORMAL`).
        var bareUpsert: Double
        /// Rows per second of the session-extension pipeline, first capture to last answer.
        var sessionPipeline: Double
        /// Changeset bytes per row of that pipeline.
        var sessionBytesPerRow: Double
    }

    /// The folder of the peer baselines, if the package sits beside `shared/`.
    static var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/perf").standardized
    }

    /// Runs `run-baselines.sh rows batch`; nil with the reason printed when it cannot run.
    static func run(rows: Int, batch: Int) -> Figures? {
        let script = folder.appendingPathComponent("run-baselines.sh").path
        guard FileManager.default.fileExists(atPath: script) else {
            print("  (peer baselines not run: no \(script))")
            return nil
        }
        // Output to a file, not a pipe: a server the script starts may outlive it holding the pipe.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-peer-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        // Spawned with no signal blocked: a child inherits the spawning thread's mask, and the
        // script stops the servers it started with SIGTERM.
        let status = ChildProcess.run("/bin/bash", [script, String(rows), String(batch)], output: log.path)
        guard let status else {
            print("  (peer baselines not run: cannot start bash)")
            return nil
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        func figure(_ line: String, _ key: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(line + " ") }?
                .split(separator: " ").first { $0.hasPrefix(key + "=") }
                .flatMap { Double($0.dropFirst(key.count + 1)) }
        }
        guard status == 0, let bare = figure("bare_upsert", "rows_per_s"),
              let session = figure("session_pipeline", "rows_per_s"), let bytes = figure("session_pipeline", "bytes_per_row") else {
            print("  (peer baselines failed, exit \(status):\n\(text.split(separator: "\n").suffix(8).joined(separator: "\n")))")
            return nil
        }
        return Figures(bareUpsert: bare, sessionPipeline: session, sessionBytesPerRow: bytes)
    }

    /// The baselines' rows (`gen-rows.py`, seed 42) as platforms of county 130203: the same text
    /// in the columns a platform has (phone and address go into contact and remarks), entered as
    /// a county enters them (registered, no recognition date: those are the city's).
    static func rows(_ count: Int) throws -> [Platform] {
        let script = folder.appendingPathComponent("gen-rows.py").path
        guard FileManager.default.fileExists(atPath: script) else { throw BenchError("no \(script): the shared tools must sit beside the package") }
        let output = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--n", String(count), "--format", "tsv"]
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("gen-rows.py failed") }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map { line in
            let field = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard field.count == 15 else { throw BenchError("gen-rows.py printed a row of \(field.count) fields") }
            return Platform(id: field[0], county: field[1], name: field[2], category: try PlatformCategory(parsing: field[3]),
                            level: try Level(parsing: field[4]), hostOrg: field[5], creditCode: field[6], industry: field[7],
                            contact: "\(field[10]) \(field[11])", remarks: field[13].isEmpty ? field[12] : "\(field[12])；\(field[13])")
        }
    }
}
