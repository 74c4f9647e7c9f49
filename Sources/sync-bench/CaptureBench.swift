import ArgumentParser
import Foundation
import GRDB
import SyncCore
import SyncStore

/// Inserts platforms through the capture path and into the same schema without capture triggers,
/// alternating rounds so both see the same machine, and prints rows/s and their ratio.
struct CaptureBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Platform inserts with change capture vs. the same inserts with no triggers.")

    @Option(help: "Platforms inserted per round.") var rows = 100_000
    @Option(help: "Rows per transaction.") var batch = 1_000
    @Option(help: "Rounds of each variant (the best round counts).") var rounds = 3
    @Option(help: "Folder for the database files (default: a temporary folder).") var dir: String?

    func run() throws {
        let folder = URL(fileURLWithPath: dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-\(UUID().uuidString)").path)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(at: folder) } }
        let platforms = (0..<rows).map { makePlatform($0) }
        print("sync-bench capture: \(rows) platforms per round, \(batch) per transaction, best of \(rounds) rounds")

        var best: [String: Double] = [:]
        var stampBest = 0.0
        for round in 1...rounds {
            for variant in ["no triggers", "capture"] {
                let path = folder.appendingPathComponent("\(variant == "capture" ? "capture" : "bare")-\(round).db").path
                let db = try CountyDatabase.create(at: path, county: "130202")
                if variant == "no triggers" { try dropCaptureTriggers(path) }
                let seconds = try insert(platforms, into: path)
                best[variant] = max(best[variant] ?? 0, Double(rows) / seconds)
                if variant == "capture" {
                    let start = ContinuousClock.now
                    let stamped = try db.stamp()
                    precondition(stamped == rows, "every insert must be captured")
                    stampBest = max(stampBest, Double(rows) / (ContinuousClock.now - start).seconds)
                }
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        }
        let bare = best["no triggers"]!, capture = best["capture"]!
        let combined = 1 / (1 / capture + 1 / stampBest)
        print(row("inserts, no triggers", bare, bare))
        print(row("inserts, capture triggers", capture, bare))
        print(row("stamping captured changes", stampBest, bare))
        print(row("capture + stamp together", combined, bare))
    }

    func row(_ label: String, _ rate: Double, _ baseline: Double) -> String {
        label.padding(toLength: 28, withPad: " ", startingAt: 0)
            + String(format: "%10.0f rows/s   %.2fx", rate, rate / baseline)
    }

    func makePlatform(_ index: Int) -> Platform {
        let prefix = "9113020000" + String(format: "%07d", index)
        return Platform(
            county: "130202", name: "平台 \(index)", category: .keyLab, level: .municipal,
            hostOrg: "依托单位 \(index % 97)", creditCode: prefix + String(CreditCode.checkCharacter(for: prefix)!),
            industry: "钢铁冶金", contact: "联系人 \(index % 13)", remarks: "bench")
    }

    func dropCaptureTriggers(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            for table in SyncedTable.all {
                for op in ["insert", "update", "delete"] { try db.execute(sql: "DROP TRIGGER \(table.name)_capture_\(op)") }
            }
        }
        try queue.close()
    }

    /// The same prepared-statement insert for both variants: only the triggers differ.
    func insert(_ platforms: [Platform], into path: String) throws -> Double {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let pool = try DatabasePool(path: path, configuration: config)
        let columns = ["id"] + SyncedTable.platform.columns
        let sql = "INSERT INTO platform (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        let start = ContinuousClock.now
        for chunk in stride(from: 0, to: platforms.count, by: batch) {
            try pool.write { db in
                let statement = try db.cachedStatement(sql: sql)
                for p in platforms[chunk..<min(chunk + batch, platforms.count)] {
                    try statement.execute(arguments: [
                        p.id, p.county, p.name, p.category.rawValue, p.level?.rawValue, p.subtype, p.hostOrg,
                        p.creditCode, p.industry, p.recognizedOn?.description, p.status.rawValue, p.evaluation,
                        p.contact, p.remarks,
                    ])
                }
            }
        }
        let elapsed = (ContinuousClock.now - start).seconds
        try pool.close()
        return elapsed
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
