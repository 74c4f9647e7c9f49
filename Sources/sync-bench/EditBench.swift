import ArgumentParser
import CityServer
import CountyDaemon
import Foundation
import GRDB
import Logging
import SyncCore
import SyncProtocol
import SyncStore

/// Updates pushed and city edits pulled, on their own (the report runs them with the rest).
struct EditsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edits",
        abstract: "Push of county updates and pull of city edits over HTTPS vs. bare upserts of the same changes.")

    @Option(help: "Updates pushed, and city edits pulled.") var changes = 100_000
    @Option(help: "Rows the changes are made on.") var rows = 10_000
    @Option(help: "Changes per push or pulled page.") var batch = 1_000

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-edits-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let pki = folder.appendingPathComponent("pki").path
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try BenchCity.makePKI(pki, counties: ["130203"])
        let figures = try await EditBench.measure(platforms: try PeerBaselines.rows(rows), changes: changes, batch: batch,
                                                  folder: folder.appendingPathComponent("edits"), pki: pki)
        print("push of \(changes) updates of 2 columns  \(String(format: "%8.0f", figures.push)) changes/s  \(String(format: "%.2f", figures.push / figures.pushBare))x bare upsert (\(String(format: "%.0f", figures.pushBare)))")
        print("  the city's writes alone           \(String(format: "%8.0f", figures.pushCeiling)) changes/s  \(String(format: "%.2f", figures.pushCeiling / figures.pushBare))x (the row, its versions, the applied record; no sync)")
        print("pull of \(changes) city edits           \(String(format: "%8.0f", figures.pull)) changes/s  \(String(format: "%.2f", figures.pull / figures.pullBare))x bare upsert (\(String(format: "%.0f", figures.pullBare)))")
        print("  the county's writes alone         \(String(format: "%8.0f", figures.pullCeiling)) changes/s  \(String(format: "%.2f", figures.pullCeiling / figures.pullBare))x (the row, its versions, the received record; no sync)")
    }
}

/// Updates pushed, city edits pulled, and a catch-up, against the real aggregator over HTTPS;
/// each beside bare SQLite writes of the same changes.
enum EditBench {
    /// What `measure` measured, in changes per second.
    struct Figures {
        var push: Double
        var pushBare: Double
        var pull: Double
        var pullBare: Double
        /// The city's own writes of the pushed updates, with no sync: the ceiling of that push
        /// with this storage (`receiverWrites`).
        var pushCeiling: Double
        /// The county's own writes of the pulled edits, with no sync: the ceiling of that pull.
        var pullCeiling: Double
    }

    /// `platforms` are entered at a county and pushed (not timed). Then the county updates two
    /// columns (name, remarks) `changes` times over them and the push of those updates is timed;
    /// then the city edits a column of its own (evaluation) `changes` times over them and the
    /// county's pull of those edits is timed. Baselines: the same updates and the same edits as
    /// upserts of a bare table holding the same rows.
    static func measure(platforms: [Platform], changes: Int, batch: Int, folder: URL, pki: String) async throws -> Figures {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let code = platforms[0].county
        let county = try CountyDatabase.create(at: folder.appendingPathComponent("county.db").path, county: code)
        try county.addPlatforms(platforms)
        let configuration = BenchCity.configuration(database: folder.appendingPathComponent("city.db").path, pki: pki)
        let (server, port) = try await BenchCity.start(configuration)
        defer { server.cancel() }
        var logger = Logger(label: "sync-bench")
        logger.logLevel = .warning
        let client = SyncClient(database: county, transport: try BenchCity.transport(port: port, pki: pki, county: code), logger: logger, batchSize: batch)
        _ = try await client.syncOnce()

        // The county's updates: round r writes name and remarks of every row.
        func update(_ index: Int) -> (id: String, name: String, remarks: String) {
            let platform = platforms[index % platforms.count]
            let round = index / platforms.count + 1
            return (platform.id, "\(platform.name)（\(round)）", "第\(round)次修改：\(platform.remarks ?? "")")
        }
        try write(changes, batch: batch, pool: county.pool, sql: "UPDATE platform SET name = ?, remarks = ? WHERE id = ?") { index in
            let change = update(index)
            return [change.name, change.remarks, change.id]
        }
        // The receivers' files as the timed runs find them, for their ceilings.
        let cityCopy = folder.appendingPathComponent("city-ceiling.db").path
        let countyCopy = folder.appendingPathComponent("county-ceiling.db").path
        try await CityDatabase.open(at: configuration.databasePath).pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO '\(cityCopy)'") }
        var start = ContinuousClock.now
        let pushed = try await client.pushPending()
        let pushSeconds = (ContinuousClock.now - start).seconds
        guard pushed.pushed == changes, pushed.parked == 0 else { throw BenchError("pushed \(pushed.pushed) updates, \(pushed.parked) parked") }
        let pushBare = try bare(platforms, changes: changes, batch: batch, path: folder.appendingPathComponent("bare-updates.db").path,
                                sql: "INSERT INTO platform (id, name, remarks) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, remarks = excluded.remarks") { index in
            let change = update(index)
            return [change.id, change.name, change.remarks]
        }

        // The city's edits, made as the console makes them (captured into the feed), then stamped
        // by a first one-change pull (not timed).
        let city = try CityDatabase.open(at: configuration.databasePath)
        func evaluation(_ index: Int) -> (id: String, text: String) {
            (platforms[index % platforms.count].id, "第\(index / platforms.count + 1)次评估：良好")
        }
        try write(changes, batch: batch, pool: city.pool, sql: "UPDATE platform SET evaluation = ? WHERE id = ?") { index in
            let edit = evaluation(index)
            return [edit.text, edit.id]
        }
        _ = try city.pullFeed(county: code, after: 0, limit: 1)
        try await county.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO '\(countyCopy)'") }
        start = ContinuousClock.now
        let pulled = try await client.pullAll()
        let pullSeconds = (ContinuousClock.now - start).seconds
        guard pulled == changes else { throw BenchError("pulled \(pulled) of \(changes) city edits") }
        guard try county.platform(id: evaluation(changes - 1).id)?.evaluation == evaluation(changes - 1).text else {
            throw BenchError("the county does not hold the city's last edit")
        }
        let pullBare = try bare(platforms, changes: changes, batch: batch, path: folder.appendingPathComponent("bare-edits.db").path,
                                sql: "INSERT INTO platform (id, evaluation) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET evaluation = excluded.evaluation") { index in
            let edit = evaluation(index)
            return [edit.id, edit.text]
        }
        let version = ColumnVersion(hlc: HLCTimestamp(rawValue: 1 << 40), node: "city-bench")
        let versions = RowVersions(row: version, columns: ["name": version, "remarks": version, "evaluation": version]).storageText
        let pushCeiling = try receiverWrites(changes, batch: batch, path: cityCopy, statements: [
            ("UPDATE platform SET name = ?, remarks = ? WHERE id = ?", { index in let c = update(index); return [c.name, c.remarks, c.id] }),
            ("INSERT OR REPLACE INTO row_version (tbl, row_id, versions) VALUES ('platform', ?, ?)", { index in [update(index).id, versions] }),
            ("INSERT OR REPLACE INTO applied_seq (node, seq, hash, applied_at) VALUES ('county-bench', ?, ?, 0)", { index in ["\(index)", String(index, radix: 16)] }),
        ])
        let pullCeiling = try receiverWrites(changes, batch: batch, path: countyCopy, statements: [
            ("UPDATE platform SET evaluation = ? WHERE id = ?", { index in let e = evaluation(index); return [e.text, e.id] }),
            ("INSERT OR REPLACE INTO row_version (tbl, row_id, versions) VALUES ('platform', ?, ?)", { index in [evaluation(index).id, versions] }),
            ("INSERT INTO received (node, seq, tbl, row_id, op, columns, hlc, outcome, applied_at) VALUES ('city-bench', ?, 'platform', ?, 'update', 'evaluation', 1, 'applied', 0)",
             { index in ["\(index)", evaluation(index).id] }),
        ])
        return Figures(push: Double(changes) / pushSeconds, pushBare: pushBare, pull: Double(changes) / pullSeconds, pullBare: pullBare,
                       pushCeiling: pushCeiling, pullCeiling: pullCeiling)
    }

    /// Changes per second of a receiver's own writes of `count` changes on a copy of its file
    /// (`path`), with no sync: per change, each of `statements` with its arguments, `batch` per
    /// transaction, capture off as during a sync (the row's update with its constraints, indexes
    /// and triggers; its versions; the record the receiver keeps of the change). Nothing is
    /// decided, checked or sent: no sync of these changes into this storage can be faster.
    static func receiverWrites(_ count: Int, batch: Int, path: String, statements: [(String, (Int) -> [String])]) throws -> Double {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let pool = try DatabasePool(path: path, configuration: config)
        defer { try? pool.close() }
        let start = ContinuousClock.now
        for chunk in stride(from: 0, to: count, by: batch) {
            try pool.write { db in
                try db.execute(sql: "UPDATE replica SET capture = 0 WHERE id = 1")
                let prepared = try statements.map { (try db.cachedStatement(sql: $0.0), $0.1) }
                for index in chunk..<min(chunk + batch, count) {
                    for (statement, arguments) in prepared { try statement.execute(arguments: StatementArguments(arguments(index))) }
                }
                try db.execute(sql: "UPDATE replica SET capture = 1 WHERE id = 1")
            }
        }
        return Double(count) / (ContinuousClock.now - start).seconds
    }

    /// A county's changes made while it was offline, then one sync: seconds until all are at the city.
    static func catchUp(_ platforms: [Platform], folder: URL, pki: String) async throws -> Double {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let code = platforms[0].county
        let county = try CountyDatabase.create(at: folder.appendingPathComponent("county.db").path, county: code)
        for chunk in stride(from: 0, to: platforms.count, by: 5_000) {
            try county.addPlatforms(Array(platforms[chunk..<min(chunk + 5_000, platforms.count)]))
        }
        let configuration = BenchCity.configuration(database: folder.appendingPathComponent("city.db").path, pki: pki)
        let (server, port) = try await BenchCity.start(configuration)
        defer { server.cancel() }
        var logger = Logger(label: "sync-bench")
        logger.logLevel = .warning
        let client = SyncClient(database: county, transport: try BenchCity.transport(port: port, pki: pki, county: code), logger: logger,
                                batchSize: 1_000)
        let start = ContinuousClock.now
        _ = try await client.syncOnce()
        let seconds = (ContinuousClock.now - start).seconds
        guard try county.pendingCount() == 0 else { throw BenchError("the catch-up left changes behind") }
        return seconds
    }

    /// Runs `sql` `count` times with `arguments(i)`, `batch` per transaction.
    static func write(_ count: Int, batch: Int, pool: DatabasePool, sql: String, arguments: (Int) -> [String]) throws {
        for chunk in stride(from: 0, to: count, by: batch) {
            try pool.write { db in
                let statement = try db.cachedStatement(sql: sql)
                for index in chunk..<min(chunk + batch, count) { try statement.execute(arguments: StatementArguments(arguments(index))) }
            }
        }
    }

    /// Changes per second of `sql` on a bare platform table holding `platforms` (no triggers,
    /// no versions), `batch` per transaction, `synchronous = FULL` as the replicas.
    static func bare(_ platforms: [Platform], changes: Int, batch: Int, path: String, sql: String, arguments: (Int) -> [String]) throws -> Double {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let pool = try DatabasePool(path: path, configuration: config)
        try pool.write { db in
            try db.execute(sql: "CREATE TABLE platform (id TEXT PRIMARY KEY NOT NULL, \(SyncedTable.platform.columns.map { "\($0) TEXT" }.joined(separator: ", "))) WITHOUT ROWID")
            let insert = try db.cachedStatement(sql: "INSERT INTO platform (id, name, remarks) VALUES (?, ?, ?)")
            for platform in platforms { try insert.execute(arguments: [platform.id, platform.name, platform.remarks]) }
        }
        let start = ContinuousClock.now
        try write(changes, batch: batch, pool: pool, sql: sql, arguments: arguments)
        let seconds = (ContinuousClock.now - start).seconds
        try pool.close()
        return Double(changes) / seconds
    }
}
