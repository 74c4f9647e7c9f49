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

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-push-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pki = folder.appendingPathComponent("pki").path
        try BenchCity.makePKI(pki, counties: ["130202"])
        print("sync-bench push: \(rows) platform inserts, \(batch) per batch, county file -> HTTPS (mTLS, libcurl) -> city file")

        // The county: rows entered beforehand, not timed.
        let county = try CountyDatabase.create(at: folder.appendingPathComponent("county.db").path, county: "130202")
        let platforms = (0..<rows).map(Self.makePlatform)
        for chunk in stride(from: 0, to: rows, by: 5_000) {
            try county.addPlatforms(Array(platforms[chunk..<min(chunk + 5_000, rows)]))
        }

        // The baseline: the same rows upserted into a city-like table, in the same batches.
        let bare = try bareUpsert(platforms, path: folder.appendingPathComponent("bare.db").path)

        if breakdown {
            // The same work without the network, stage by stage, on a copy of the county file.
            let copy = folder.appendingPathComponent("county-copy.db").path
            try await county.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO '\(copy)'") }
            let county2 = try CountyDatabase.open(at: copy)
            let city2 = try CityDatabase.create(at: folder.appendingPathComponent("city-direct.db").path)
            var stamp = Duration.zero, read = Duration.zero, encode = Duration.zero, decode = Duration.zero, apply = Duration.zero, ack = Duration.zero
            let clock = ContinuousClock()
            var t = clock.now
            try county2.stamp()
            stamp = clock.now - t
            while true {
                t = clock.now
                guard let request = try county2.nextPushBatch(limit: batch) else { break }
                read += clock.now - t; t = clock.now
                let body = Data(JSONText.pushRequest(request).utf8)
                encode += clock.now - t; t = clock.now
                let decoded = try JSONDecoder().decode(PushRequest.self, from: body)
                decode += clock.now - t; t = clock.now
                let answer = try city2.applyPush(county: "130202", decoded)
                apply += clock.now - t; t = clock.now
                try county2.acknowledge(request, answer)
                ack += clock.now - t
            }
            for (name, value) in [("stamp", stamp), ("read batches", read), ("encode JSON", encode), ("decode JSON", decode), ("apply at city", apply), ("acknowledge", ack)] {
                print("  \(name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(String(format: "%7.2f", value.seconds)) s")
            }
        }

        // The aggregator, in this process, on a free port.
        let configuration = BenchCity.configuration(database: folder.appendingPathComponent("city.db").path, pki: pki)
        let (server, port) = try await BenchCity.start(configuration)
        let transport = try BenchCity.transport(port: port, pki: pki, county: "130202")
        var logger = Logger(label: "sync-bench")
        logger.logLevel = .warning
        let client = SyncClient(database: county, transport: transport, logger: logger, batchSize: batch)
        let start = ContinuousClock.now
        let report = try await client.pushPending()
        let seconds = (ContinuousClock.now - start).seconds
        server.cancel()
        guard report.pushed == rows else { throw ValidationError("pushed \(report.pushed) of \(rows)") }
        let city = try CityDatabase.open(at: configuration.databasePath)
        guard try city.platforms().count == rows else { throw ValidationError("the city has a different number of rows") }

        let pushRate = Double(rows) / seconds
        print("bare batched SQLite upsert  \(String(format: "%10.0f", bare)) rows/s   1.00x")
        print("end-to-end push over HTTPS  \(String(format: "%10.0f", pushRate)) rows/s   \(String(format: "%.2f", pushRate / bare))x")
    }

    static func makePlatform(_ index: Int) -> Platform {
        let prefix = "9113020000" + String(format: "%07d", index)
        return Platform(
            county: "130202", name: "平台 \(index)", category: .keyLab, level: .municipal,
            hostOrg: "依托单位 \(index % 97)", creditCode: prefix + String(CreditCode.checkCharacter(for: prefix)!),
            industry: "钢铁冶金", contact: "联系人 \(index % 13)", remarks: "bench")
    }

    /// Rows per second of `INSERT ... ON CONFLICT DO UPDATE` into the platform table, no triggers.
    func bareUpsert(_ platforms: [Platform], path: String) throws -> Double {
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
