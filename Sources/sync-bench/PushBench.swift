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
import WireCompression

/// Pushes platform changes from a county file to a city file over HTTPS (the real aggregator
/// in-process, the real libcurl client, mutual TLS) and compares the rate with a bare batched
/// SQLite upsert of the same rows, measured in the same run.
struct PushBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "End-to-end push over HTTPS vs. a bare batched SQLite upsert of the same rows.")

    @Option(help: "Platform changes pushed.") var rows = 100_000
    @Option(help: "Changes per push (and rows per upsert transaction).") var batch = 1_000
    @Flag(help: "Also time each stage without the network.") var breakdown = false
    @Flag(help: "Time only the stages without the network (for profiling them).") var stagesOnly = false

    @Flag(help: "Push the peer baselines' rows (../shared/perf/gen-rows.py) instead of this bench's own.") var peerRows = false

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-push-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pki = folder.appendingPathComponent("pki").path
        let platforms = peerRows ? try PeerBaselines.rows(rows) : (0..<rows).map(Self.makePlatform)
        let county = platforms.first?.county ?? "130202"
        try BenchCity.makePKI(pki, counties: [county])
        print("sync-bench push: \(rows) platform inserts, \(batch) per batch, county file -> HTTPS (mTLS, libcurl) -> city file")
        let figures = try await Self.measureInserts(platforms, batch: batch, folder: folder, pki: pki, county: county,
                                                    stages: breakdown || stagesOnly, network: !stagesOnly)
        guard let push = figures.push else { return }
        print("bare batched SQLite upsert  \(String(format: "%10.0f", figures.bare)) rows/s   1.00x")
        print("the city's writes alone     \(String(format: "%10.0f", figures.cityWrites)) rows/s   \(String(format: "%.2f", figures.cityWrites / figures.bare))x (its schema, versions, applied records; no sync)")
        print("  of which the rows alone   \(String(format: "%10.0f", figures.cityRows)) rows/s   \(String(format: "%.2f", figures.cityRows / figures.bare))x")
        print("  the rows, lighter table   \(String(format: "%10.0f", figures.lighterRows)) rows/s   \(String(format: "%.2f", figures.lighterRows / figures.bare))x (the city's keys and indexes; no CHECKs, no triggers)")
        print("end-to-end push over HTTPS  \(String(format: "%10.0f", push)) rows/s   \(String(format: "%.2f", push / figures.bare))x")
        print("request body per change     \(String(format: "%10.0f", figures.deflatedBytesPerChange)) bytes deflated (\(String(format: "%.0f", figures.bytesPerChange)) as JSON)")
        if let cpu = figures.cpuPerRow {
            print("CPU per row, county and city \(String(format: "%9.1f", cpu * 1_000_000)) µs (\(String(format: "%.1f", cpu * push)) cores busy)")
        }
    }

    /// What `measureInserts` measured.
    struct InsertFigures {
        /// End-to-end push, rows per second (nil when only the stages were timed).
        var push: Double?
        /// Bare batched upsert of the same rows, rows per second.
        var bare: Double
        /// The city's own writes of the same rows, rows per second: rows, versions and applied
        /// records, as a push of new rows writes them, with no sync work (`cityWrites`). The most
        /// the push could reach with this storage.
        var cityWrites: Double
        /// The same with the rows alone, into the city's table (constraints, indexes, triggers).
        var cityRows: Double
        /// The rows alone into a table with the city's keys and indexes, no CHECKs, no triggers.
        var lighterRows: Double
        /// Request body bytes per change (JSON, before TLS).
        var bytesPerChange: Double
        /// The same bodies deflated, as a county sends them to a city that reads deflate.
        var deflatedBytesPerChange: Double
        /// CPU time of the push (county and city, both in this process) per row, in seconds.
        var cpuPerRow: Double?
    }

    /// Enters `platforms` at a county (not timed), then pushes them to the real aggregator over
    /// HTTPS, timed from the first stamp to the last answer; beside it, the same rows upserted
    /// into a bare table in the same batches. With `stages`, each stage is also timed without the
    /// network on a copy of the county file.
    static func measureInserts(_ platforms: [Platform], batch: Int, folder: URL, pki: String, county code: String,
                               stages: Bool = false, network: Bool = true) async throws -> InsertFigures {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let rows = platforms.count
        let county = try CountyDatabase.create(at: folder.appendingPathComponent("county.db").path, county: code)
        for chunk in stride(from: 0, to: rows, by: 5_000) {
            try county.addPlatforms(Array(platforms[chunk..<min(chunk + 5_000, rows)]))
        }
        // The baseline: the same rows upserted into a city-like table, in the same batches.
        let bare = try bareUpsert(platforms, batch: batch, path: folder.appendingPathComponent("bare.db").path)
        let cityWrites = try Self.cityWrites(platforms, batch: batch, path: folder.appendingPathComponent("city-writes.db").path, storage: .cityBookkeeping)
        let cityRows = try Self.cityWrites(platforms, batch: batch, path: folder.appendingPathComponent("city-rows.db").path, storage: .cityTable)
        let lighterRows = try Self.cityWrites(platforms, batch: batch, path: folder.appendingPathComponent("lighter-rows.db").path, storage: .lighterTable)

        // The bytes the push sends, from a copy of the county file (reading batches stamps them).
        let copy = folder.appendingPathComponent("county-copy.db").path
        try await county.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO '\(copy)'") }
        let county2 = try CountyDatabase.open(at: copy)
        var bytes = 0, deflated = 0
        var sent: Int64 = 0
        while let request = try county2.nextPushBatch(after: sent, limit: batch) {
            let body = JSONText.pushRequestBytes(request)
            bytes += body.count
            deflated += Deflate.compress(body).count
            sent = request.lastSeq
        }
        if stages {
            try timeStages(copy: folder.appendingPathComponent("county-stages.db").path, from: county, batch: batch, county: code,
                           city: folder.appendingPathComponent("city-direct.db").path)
        }
        guard network else { return InsertFigures(push: nil, bare: bare, cityWrites: cityWrites, cityRows: cityRows, lighterRows: lighterRows, bytesPerChange: Double(bytes) / Double(rows), deflatedBytesPerChange: Double(deflated) / Double(rows)) }

        // The aggregator, in this process, on a free port.
        let configuration = BenchCity.configuration(database: folder.appendingPathComponent("city.db").path, pki: pki)
        let (server, port) = try await BenchCity.start(configuration)
        let transport = try BenchCity.transport(port: port, pki: pki, county: code)
        var logger = Logger(label: "sync-bench")
        logger.logLevel = .warning
        let client = SyncClient(database: county, transport: transport, logger: logger, batchSize: batch)
        let cpuBefore = Self.cpuSeconds()
        let start = ContinuousClock.now
        let report = try await client.pushPending()
        let seconds = (ContinuousClock.now - start).seconds
        let cpu = Self.cpuSeconds() - cpuBefore
        server.cancel()
        guard report.pushed == rows else { throw ValidationError("pushed \(report.pushed) of \(rows)") }
        let city = try CityDatabase.open(at: configuration.databasePath)
        guard try city.platforms().count == rows else { throw ValidationError("the city has a different number of rows") }
        return InsertFigures(push: Double(rows) / seconds, bare: bare, cityWrites: cityWrites, cityRows: cityRows, lighterRows: lighterRows, bytesPerChange: Double(bytes) / Double(rows),
                             deflatedBytesPerChange: Double(deflated) / Double(rows), cpuPerRow: cpu / Double(rows))
    }

    /// CPU time this process has used (user and system, all threads), in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Each stage of the push without the network, on a copy of `county`, into a new city file.
    static func timeStages(copy: String, from county: CountyDatabase, batch: Int, county code: String, city cityPath: String) throws {
        try county.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO '\(copy)'") }
        let county2 = try CountyDatabase.open(at: copy)
        let city2 = try CityDatabase.create(at: cityPath)
        var stamp = Duration.zero, read = Duration.zero, encode = Duration.zero, decode = Duration.zero, apply = Duration.zero, ack = Duration.zero
        let clock = ContinuousClock()
        var decodedBatches: [PushRequest] = []
        var t = clock.now
        try county2.stamp()
        stamp = clock.now - t
        while true {
            t = clock.now
            guard let request = try county2.nextPushBatch(limit: batch) else { break }
            read += clock.now - t; t = clock.now
            let body = JSONText.pushRequestBytes(request)
            encode += clock.now - t; t = clock.now
            let decoded = try FastJSON.decode(PushRequest.self, from: body)
            decodedBatches.append(decoded)
            decode += clock.now - t; t = clock.now
            let answer = try city2.applyPush(county: code, decoded)
            apply += clock.now - t; t = clock.now
            try county2.acknowledge(request, answer)
            ack += clock.now - t
        }
        // The receive decision alone, pure, on the same changes (no database).
        let decideStart = clock.now
        let receiver = Receiver(side: .city, authority: .standard, counties: .tangshan, policy: .tangshan2022)
        for change in decodedBatches.flatMap(\.changes) {
            let received = ReceivedChange(table: change.table, rowId: change.rowId, op: .insert, version: change.version, values: change.values, bases: change.bases)
            _ = try receiver.receive(received, into: RowState(values: nil, versions: RowVersions(), tombstone: nil), county: code, lookups: NoLookups())
        }
        let decide = clock.now - decideStart
        for (name, value) in [("stamp", stamp), ("read batches", read), ("encode JSON", encode), ("decode JSON", decode), ("apply at city", apply),
                              ("  of which the pure decision", decide), ("acknowledge", ack)] {
            print("  \(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(String(format: "%7.2f", value.seconds)) s")
        }
    }

    struct NoLookups: ReceiveLookups {
        func platform(id: String) throws -> Platform? { nil }
        func awards(ofPlatform id: String) throws -> [Award] { [] }
        func awards(basisRef: String) throws -> [(award: Award, platform: Platform)] { [] }
        func registration(creditCode: String, category: PlatformCategory, excluding id: String) throws -> (id: String, county: String)? { nil }
    }

    static func makePlatform(_ index: Int) -> Platform {
        let prefix = "9113020000" + String(format: "%07d", index)
        return Platform(
            county: "130202", name: "平台 \(index)", category: .keyLab, level: .municipal,
            hostOrg: "依托单位 \(index % 97)", creditCode: prefix + String(CreditCode.checkCharacter(for: prefix)!),
            industry: "钢铁冶金", contact: "联系人 \(index % 13)", remarks: "bench")
    }

    /// What `cityWrites` writes the rows into.
    enum CityStorage {
        /// The city's table (its constraints, indexes and triggers), each row's versions and each
        /// change's applied record: what a push of new rows writes today.
        case cityBookkeeping
        /// The rows alone, into the city's table.
        case cityTable
        /// The rows alone, into a table with the city's keys and indexes but no CHECK constraint
        /// and no trigger: what lighter storage on the sync's path would leave.
        case lighterTable
    }

    /// Rows per second of the city's own writes of `platforms` into a new city file (`storage`),
    /// in the statements a push of new rows runs (`ChangeApplier.applyNewRows`: each statement
    /// takes a batch as a JSON array), with capture off as during a push. Nothing is decided,
    /// checked or sent: no push of new rows into that storage can be faster. The JSON is made
    /// before the clock starts.
    static func cityWrites(_ platforms: [Platform], batch: Int, path: String, storage: CityStorage) throws -> Double {
        let city = try CityDatabase.create(at: path)
        if storage == .lighterTable {
            // The same keys and indexes, made again on a table with no CHECK constraint and no trigger.
            try city.pool.write { db in
                let indexes = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'platform' AND sql IS NOT NULL")
                try db.execute(sql: "DROP TABLE platform")
                try db.execute(sql: "CREATE TABLE platform (id TEXT PRIMARY KEY NOT NULL, \(SyncedTable.platform.columns.map { "\($0) TEXT" }.joined(separator: ", ")), UNIQUE (county, id)) WITHOUT ROWID")
                for sql in indexes { try db.execute(sql: sql) }
            }
        }
        let columns = ["id"] + SyncedTable.platform.columns
        let version = RowVersions(row: ColumnVersion(hlc: HLCTimestamp(rawValue: 1 << 40), node: "county-130203-bench")).storageText
        let batches = stride(from: 0, to: platforms.count, by: batch).map { start in
            let slice = platforms[start..<min(start + batch, platforms.count)]
            var rows = JSONWriter(capacity: 600 * slice.count)
            var versions = JSONWriter(capacity: 120 * slice.count)
            var applied = JSONWriter(capacity: 40 * slice.count)
            rows.raw("[")
            versions.raw("[")
            applied.raw("[")
            for (index, p) in slice.enumerated() {
                if index > 0 {
                    rows.raw(",")
                    versions.raw(",")
                    applied.raw(",")
                }
                rows.raw("[")
                for (position, value) in p.sqlValues.enumerated() {
                    if position > 0 { rows.raw(",") }
                    rows.value(ColumnValue(value?.databaseValue ?? .null))
                }
                rows.raw("]")
                versions.raw("[")
                versions.string(p.id)
                versions.raw(",")
                versions.string(version)
                versions.raw("]")
                applied.raw("[")
                applied.integer(Int64(start + index + 1))
                applied.raw(",")
                applied.string(String(UInt64(start + index).multipliedReportingOverflow(by: 0x9E37_79B9_7F4A_7C15).partialValue, radix: 16))
                applied.raw("]")
            }
            rows.raw("]")
            versions.raw("]")
            applied.raw("]")
            return (rows.text, versions.text, applied.text)
        }
        let select = columns.indices.map { "value ->> \($0)" }.joined(separator: ", ")
        let start = ContinuousClock.now
        for (rows, versions, applied) in batches {
            try city.pool.write { db in
                try db.execute(sql: "UPDATE replica SET capture = 0 WHERE id = 1")
                try db.cachedStatement(sql: "INSERT INTO platform (\(columns.joined(separator: ", "))) SELECT \(select) FROM json_each(?)").execute(arguments: [rows])
                if storage == .cityBookkeeping {
                    try db.cachedStatement(sql: "INSERT OR REPLACE INTO row_version (tbl, row_id, versions) SELECT 'platform', value ->> 0, value ->> 1 FROM json_each(?)")
                        .execute(arguments: [versions])
                    try db.cachedStatement(sql: "INSERT OR REPLACE INTO applied_seq (node, seq, hash, applied_at) SELECT 'county-130203-bench', value ->> 0, value ->> 1, 0 FROM json_each(?)")
                        .execute(arguments: [applied])
                }
                try db.execute(sql: "UPDATE replica SET capture = 1 WHERE id = 1")
            }
        }
        return Double(platforms.count) / (ContinuousClock.now - start).seconds
    }

    /// Rows per second of `INSERT ... ON CONFLICT DO UPDATE` into the platform table, no triggers.
    static func bareUpsert(_ platforms: [Platform], batch: Int, path: String) throws -> Double {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let pool = try DatabasePool(path: path, configuration: config)
        let columns = ["id"] + SyncedTable.platform.columns
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE platform (id TEXT PRIMARY KEY NOT NULL, \(SyncedTable.platform.columns.map { "\($0) TEXT" }.joined(separator: ", "))) WITHOUT ROWID
                """)
        }
        let sql = "INSERT INTO platform (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", "))) "
            + "ON CONFLICT (id) DO UPDATE SET \(SyncedTable.platform.columns.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))"
        let start = ContinuousClock.now
        for chunk in stride(from: 0, to: platforms.count, by: batch) {
            try pool.write { db in
                let statement = try db.cachedStatement(sql: sql)
                for p in platforms[chunk..<min(chunk + batch, platforms.count)] {
                    // Listed here, not `Platform.sqlValues`: binding that array made this baseline
                    // about 13 % slower (`sync-bench push --rows 50000 --peer-rows`, three runs each).
                    try statement.execute(arguments: [
                        p.id, p.county, p.name, p.category.rawValue, p.level?.rawValue, p.subtype, p.hostOrg,
                        p.creditCode, p.industry, p.recognizedOn?.description, p.status.rawValue, p.evaluation, p.contact, p.remarks,
                    ])
                }
            }
        }
        return Double(platforms.count) / (ContinuousClock.now - start).seconds
    }
}
