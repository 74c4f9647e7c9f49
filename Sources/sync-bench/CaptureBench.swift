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
        defer { if dir == nil { try? FileManager.default.removeItem(at: folder) } }
        let platforms = (0..<rows).map { makePlatform($0) }
        print("sync-bench capture: \(rows) platforms per round, \(batch) per transaction, best of \(rounds) rounds")
        let figures = try Self.measure(platforms, batch: batch, rounds: rounds, folder: folder)
        let combined = 1 / (1 / figures.insertCapture + 1 / figures.stamp)
        print(row("inserts, no triggers", figures.insertBare, figures.insertBare))
        print(row("inserts, capture triggers", figures.insertCapture, figures.insertBare))
        print(row("stamping captured changes", figures.stamp, figures.insertBare))
        print(row("capture + stamp together", combined, figures.insertBare))
        print(row("updates, no triggers", figures.updateBare, figures.updateBare))
        print(row("updates, capture triggers", figures.updateCapture, figures.updateBare))
        print(row("later updates, no triggers", figures.laterUpdateBare, figures.laterUpdateBare))
        print(row("later updates, capture", figures.laterUpdateCapture, figures.laterUpdateBare))
        let checks = try Self.constraintCost(platforms, batch: batch, rounds: rounds, folder: folder)
        print(row("inserts, CHECK comparisons", checks.comparisons, checks.comparisons))
        print(row("inserts, CHECK IN lists", checks.inLists, checks.comparisons))
    }

    /// Inserts into the platform table alone (no triggers, no other index), once with its CHECK
    /// constraints as this release writes them (comparisons, migration `v13-plain-checks`) and
    /// once as `IN` lists, as earlier releases did; rows per second, the best round of each.
    static func constraintCost(_ platforms: [Platform], batch: Int, rounds: Int, folder: URL) throws -> (comparisons: Double, inLists: Double) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let reference = folder.appendingPathComponent("checks-reference.db").path
        _ = try CountyDatabase.create(at: reference, county: platforms[0].county)
        let definition = try DatabaseQueue(path: reference).read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'platform'")!
        }
        guard definition.contains(" OR ") else { throw BenchError("the platform table has no comparisons to turn into IN lists") }
        var best = (comparisons: 0.0, inLists: 0.0)
        for round in 1...rounds {
            for inLists in [false, true] {
                let path = folder.appendingPathComponent("checks-\(inLists ? "in" : "or")-\(round).db").path
                let queue = try DatabaseQueue(path: path)
                try queue.write { db in try db.execute(sql: inLists ? Self.withInLists(definition) : definition) }
                try queue.close()
                let rate = Double(platforms.count) / (try insert(platforms, batch: batch, into: path))
                if inLists { best.inLists = max(best.inLists, rate) } else { best.comparisons = max(best.comparisons, rate) }
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        }
        return best
    }

    /// `definition` with each `(c = 'a' OR c = 'b' ...)` written back as `c IN ('a', 'b', ...)`.
    static func withInLists(_ definition: String) -> String {
        definition.replacing(/\((\w+) = '[^']*'(?: OR \1 = '[^']*')+\)/) { match in
            let literals = match.output.0.matches(of: /'[^']*'/).map { String($0.output) }
            return "\(match.output.1) IN (\(literals.joined(separator: ", ")))"
        }
    }

    /// Rows per second of each variant, the best round of each.
    struct Figures {
        var insertBare = 0.0, insertCapture = 0.0, stamp = 0.0, updateBare = 0.0, updateCapture = 0.0
        /// Updates of rows written since their insert's stamp: no values left to freeze.
        var laterUpdateBare = 0.0, laterUpdateCapture = 0.0
    }

    /// Inserts `platforms`, then updates two columns of each, twice, with and without the capture
    /// triggers, alternating rounds so both see the same machine. The first update of a row after
    /// a bulk stamp also freezes its insert's values (`stampNewRows`); a later one does not.
    static func measure(_ platforms: [Platform], batch: Int, rounds: Int, folder: URL) throws -> Figures {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var best = Figures()
        let rows = Double(platforms.count)
        for round in 1...rounds {
            for capture in [false, true] {
                let path = folder.appendingPathComponent("\(capture ? "capture" : "bare")-\(round).db").path
                let db = try CountyDatabase.create(at: path, county: platforms[0].county)
                if !capture { try dropCaptureTriggers(path) }
                let inserted = rows / (try insert(platforms, batch: batch, into: path))
                if capture {
                    best.insertCapture = max(best.insertCapture, inserted)
                    let start = ContinuousClock.now
                    let stamped = try db.stamp()
                    precondition(stamped == platforms.count, "every insert must be captured")
                    best.stamp = max(best.stamp, rows / (ContinuousClock.now - start).seconds)
                } else {
                    best.insertBare = max(best.insertBare, inserted)
                }
                let updated = rows / (try update(platforms, batch: batch, in: path))
                if capture { best.updateCapture = max(best.updateCapture, updated) } else { best.updateBare = max(best.updateBare, updated) }
                let later = rows / (try update(platforms, batch: batch, in: path, mark: "（再改）"))
                if capture { best.laterUpdateCapture = max(best.laterUpdateCapture, later) } else { best.laterUpdateBare = max(best.laterUpdateBare, later) }
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        }
        return best
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

    static func dropCaptureTriggers(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            for table in SyncedTable.all {
                for op in ["insert", "update", "delete"] { try db.execute(sql: "DROP TRIGGER \(table.name)_capture_\(op)") }
            }
        }
        try queue.close()
    }

    /// The same prepared-statement update of two columns for both variants; seconds.
    static func update(_ platforms: [Platform], batch: Int, in path: String, mark: String = "（改）") throws -> Double {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let pool = try DatabasePool(path: path, configuration: config)
        let start = ContinuousClock.now
        for chunk in stride(from: 0, to: platforms.count, by: batch) {
            try pool.write { db in
                let statement = try db.cachedStatement(sql: "UPDATE platform SET name = ?, remarks = ? WHERE id = ?")
                for p in platforms[chunk..<min(chunk + batch, platforms.count)] {
                    try statement.execute(arguments: [p.name + mark, mark + (p.remarks ?? ""), p.id])
                }
            }
        }
        let elapsed = (ContinuousClock.now - start).seconds
        try pool.close()
        return elapsed
    }

    /// The same prepared-statement insert for both variants: only the triggers differ; seconds.
    static func insert(_ platforms: [Platform], batch: Int, into path: String) throws -> Double {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let pool = try DatabasePool(path: path, configuration: config)
        let start = ContinuousClock.now
        for chunk in stride(from: 0, to: platforms.count, by: batch) {
            try pool.write { db in
                let statement = try db.cachedStatement(sql: Platform.insertSQL)
                for p in platforms[chunk..<min(chunk + batch, platforms.count)] {
                    // Listed, as the push bench's bare upsert lists them: binding `Platform.sqlValues`
                    // costs more, and would add the same to both variants.
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
