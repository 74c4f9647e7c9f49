import CountyDaemon
import FaultHarness
import Foundation
import GRDB
import LocalCluster
import Logging
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// The whole receive path under random schedules: the real `SyncClient`, a real county replica
/// and a real city database (SQLite files), joined by `InMemoryTransport`. Each schedule mixes
/// inserts, edits on both sides, county deletes, recognitions, pushes whose answers are lost
/// after the city committed (so changes are delivered again), pulls, restores of the county and
/// of the city from earlier backups, and a city clock hours off the county's; then it drains
/// both directions and checks:
/// - both sides hold the same rows, with the same values;
/// - every value written and no longer present was knowingly replaced, is a recorded loser (a
///   conflict or a parked change, on either side), or belonged to a row deleted on purpose;
/// - nothing deleted comes back: a row whose delete the city applied is gone on both sides, and a
///   deleted row still present is one whose delete the city refused and recorded.
///
/// `COUNTY_SYNC_SCHEDULES` sets how many schedules run (1,000 by default; more in a long run).
@Suite("Receive path under random schedules")
struct ReceivePathPropertyTests {
    static let schedules = Int(ProcessInfo.processInfo.environment["COUNTY_SYNC_SCHEDULES"] ?? "") ?? 1_000
    static let shards = 8

    /// `COUNTY_SYNC_SEED=N` replays one schedule alone.
    static let only = ProcessInfo.processInfo.environment["COUNTY_SYNC_SEED"].flatMap(Int.init)

    @Test(arguments: 0..<shards)
    func randomSchedulesConvergeAndLoseNothing(shard: Int) async throws {
        let seeds = Self.only.map { $0 % Self.shards == shard ? [$0] : [] } ?? Array(stride(from: shard, to: Self.schedules, by: Self.shards))
        for seed in seeds {
            var schedule = Schedule(seed: UInt64(seed))
            do {
                try await schedule.run()
            } catch {
                Issue.record("seed \(seed): \(error): \(schedule.steps.joined(separator: "; "))")
            }
        }
    }
}

/// One random schedule over a fresh county and city.
struct Schedule {
    let seed: UInt64
    var random: SeededGenerator
    var ledger = Ledger()
    var serial = 0
    var written = 0
    /// Rows the county deleted on purpose.
    var deleted: Set<String> = []
    var steps: [String] = []
    /// County writes and deletes since the last backup: those the city never received are lost by
    /// a restore on the county's own machine (they never left it), not by the protocol.
    var sinceBackup: [(cell: Cell, value: String)] = []
    var deletedSinceBackup: Set<String> = []
    var lostToRestore: Set<String> = []
    /// City edits since the city's last backup: those no county pulled are lost by a restore on
    /// the city's own machine (they never left it); the others come back from the county.
    var cityEditsSinceBackup: [(cell: Cell, value: String)] = []

    init(seed: UInt64) {
        self.seed = seed
        random = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 1)
    }

    static let columns = ["name", "remarks", "contact"]

    mutating func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("schedule-\(seed)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if ProcessInfo.processInfo.environment["COUNTY_SYNC_KEEP"] == nil { try? FileManager.default.removeItem(at: dir) } else { print("kept \(dir.path)") } }
        let cityPath = dir.appendingPathComponent("city.db").path
        let seal = FeedSeal.random()
        var city = try CityDatabase.create(at: cityPath, node: "city-\(seed)", feedSeal: seal)
        let path = dir.appendingPathComponent("county.db").path
        var county = try CountyDatabase.create(at: path, county: "130202")
        let transport = InMemoryTransport(city: city, county: "130202")
        // The city's clock is hours off the county's in some schedules.
        let skewHours = [0, 0, 0, 2, -2, 26, -26].randomElement(using: &random)!
        transport.setCityClockOffset(ms: Int64(skewHours) * 3_600_000)
        if skewHours != 0 { steps.append("city clock \(skewHours > 0 ? "+" : "")\(skewHours) h") }
        let cityBackup = dir.appendingPathComponent("city-backup.db").path
        var haveCityBackup = false
        var logger = Logger(label: "schedule")
        logger.logLevel = .critical
        var client = SyncClient(database: county, transport: transport, logger: logger, batchSize: 4, pullPage: 4)
        let backup = dir.appendingPathComponent("backup.db").path
        var haveBackup = false

        for _ in 0..<Int.random(in: 10...30, using: &random) {
            // The in-memory link never suspends: without a yield, eight shards of synchronous
            // SQLite work keep the cooperative pool's two threads from every other suite's tasks
            // for the whole run (the service test on a test clock then waited minutes for a turn).
            await Task.yield()
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<16:
                serial += 1
                var platform = makePlatforms("130202", count: 1, offset: serial)[0]
                platform.name = unique("n")
                platform.remarks = unique("r")
                platform.contact = unique("c")
                let stored = try county.addPlatform(platform)
                ledger.inserted(rowId: stored.id)
                for (column, value) in [("name", stored.name), ("remarks", stored.remarks!), ("contact", stored.contact!)] {
                    ledger.wrote(value, to: Cell(rowId: stored.id, column: column), by: "county", replacing: nil)
                    sinceBackup.append((Cell(rowId: stored.id, column: column), value))
                }
                steps.append("county insert \(stored.id.suffix(4))")
            case 16..<36:
                guard let row = try county.platforms().randomElement(using: &random) else { continue }
                let column = Self.columns.randomElement(using: &random)!
                let value = unique("k")
                let previous = try Self.value(of: column, in: county, rowId: row.id)
                try county.updatePlatform(id: row.id) { Self.set(column, value, in: &$0) }
                ledger.wrote(value, to: Cell(rowId: row.id, column: column), by: "county", replacing: previous)
                sinceBackup.append((Cell(rowId: row.id, column: column), value))
                steps.append("county edit \(row.id.suffix(4)).\(column)")
            case 36..<52:
                guard let row = try city.platforms().randomElement(using: &random) else { continue }
                let column = Self.columns.randomElement(using: &random)!
                let value = unique("y")
                let previous = try Self.value(of: column, in: city, rowId: row.id)
                _ = try city.updatePlatform(id: row.id) { Self.set(column, value, in: &$0) }
                ledger.wrote(value, to: Cell(rowId: row.id, column: column), by: "city", replacing: previous)
                cityEditsSinceBackup.append((Cell(rowId: row.id, column: column), value))
                steps.append("city edit \(row.id.suffix(4)).\(column)")
            case 52..<58:
                guard let row = try city.platforms().filter({ $0.status == .registered }).randomElement(using: &random) else { continue }
                _ = try city.recognizePlatform(id: row.id)
                steps.append("city recognize \(row.id.suffix(4))")
            case 58..<65:
                guard let row = try county.platforms().filter({ $0.status == .registered }).randomElement(using: &random) else { continue }
                // The deleter sees the row's values: they leave it knowingly, even if the city
                // refuses the delete and the row comes back as the city holds it.
                for column in Self.columns {
                    if let value = try Self.value(of: column, in: county, rowId: row.id) { ledger.replaced(value, in: Cell(rowId: row.id, column: column)) }
                }
                try county.deletePlatform(id: row.id)
                deleted.insert(row.id)
                deletedSinceBackup.insert(row.id)
                steps.append("county delete \(row.id.suffix(4))")
            case 65..<78:
                let lose = Bool.random(using: &random)
                if lose { transport.loseNextAnswers(1) }
                _ = try? await client.pushPending(maxBatches: Int.random(in: 1...3, using: &random))
                steps.append(lose ? "push, answer lost" : "push")
            case 78..<86:
                if Int.random(in: 0..<4, using: &random) == 0 { transport.loseNextAnswers(1) }
                _ = try? await client.pullAll()
                steps.append("pull")
            case 91..<100:
                if !haveCityBackup || Bool.random(using: &random) {
                    try Cluster.backUp(cityPath, to: cityBackup)
                    haveCityBackup = true
                    cityEditsSinceBackup = []
                    steps.append("city backup")
                } else {
                    // A city edit since the backup that the county does not hold never left the
                    // city's machine: the restore takes it (a value the county replaced since
                    // is in the ledger as replaced anyway).
                    for (cell, value) in cityEditsSinceBackup where try Self.value(of: cell.column, in: county, rowId: cell.rowId) != value {
                        lostToRestore.insert(value)
                    }
                    cityEditsSinceBackup = []
                    // The same for county values and deletes that only the city still held (the
                    // county itself was restored from a backup since): they existed on no other disk.
                    let frozen = try await county.pool.read { try String.fetchAll($0, sql: #"SELECT "values" FROM change_log WHERE "values" IS NOT NULL"#) }.joined()
                    for row in try city.platforms() {
                        for column in Self.columns {
                            guard let value = try Self.value(of: column, in: city, rowId: row.id),
                                  try Self.value(of: column, in: county, rowId: row.id) != value, !frozen.contains("\"\(value)\"") else { continue }
                            lostToRestore.insert(value)
                        }
                    }
                    for row in try city.tombstonedRowIds() where deleted.contains(row) {
                        if try county.platform(id: row) != nil { deleted.remove(row) }
                    }
                    try city.pool.close()
                    try Cluster.restore(cityPath, from: cityBackup)
                    city = try CityDatabase.open(at: cityPath, feedSeal: seal)
                    transport.replaceCity(city)
                    steps.append("city restored from backup")
                }
            default:
                if !haveBackup || Bool.random(using: &random) {
                    try Cluster.backUp(path, to: backup)
                    haveBackup = true
                    sinceBackup = []
                    deletedSinceBackup = []
                    steps.append("county backup")
                } else {
                    let tombstoned = try city.tombstonedRowIds()
                    for (cell, value) in sinceBackup where try Self.value(of: cell.column, in: city, rowId: cell.rowId) != value {
                        lostToRestore.insert(value)
                    }
                    for row in deletedSinceBackup where !tombstoned.contains(row) { deleted.remove(row) }
                    sinceBackup = []
                    deletedSinceBackup = []
                    try county.pool.close()
                    try Cluster.restore(path, from: backup)
                    county = try CountyDatabase.open(at: path)
                    client = SyncClient(database: county, transport: transport, logger: logger, batchSize: 4, pullPage: 4)
                    steps.append("county restored from backup")
                }
            }
        }
        // Drain both ways; a sync that fails (an answer lost just before) is simply run again.
        for _ in 0..<6 { _ = try? await client.syncOnce() }
        _ = try await client.syncOnce()
        try check(county: county, city: city)
    }

    mutating func unique(_ prefix: String) -> String {
        written += 1
        return "\(prefix)\(seed)-\(written)"
    }

    static func set(_ column: String, _ value: String, in platform: inout Platform) {
        switch column {
        case "name": platform.name = value
        case "remarks": platform.remarks = value
        default: platform.contact = value
        }
    }

    static func value(of column: String, in replica: some ReplicaDatabase, rowId: String) throws -> String? {
        guard let platform = try replica.platform(id: rowId) else { return nil }
        switch column {
        case "name": return platform.name
        case "remarks": return platform.remarks
        default: return platform.contact
        }
    }

    func check(county: CountyDatabase, city: CityDatabase) throws {
        let context = "seed \(seed): " + steps.joined(separator: "; ")
        let cityRows = Dictionary(uniqueKeysWithValues: try city.platforms().map { ($0.id, $0) })
        let (here, there) = (try county.platforms(), try city.platforms())
        let differing = Set(here.map(\.id) + there.map(\.id)).filter { id in here.first { $0.id == id } != there.first { $0.id == id } }
        #expect(here == there, "both sides hold the same rows; differing: \(differing.map { id in "\(id): county \(here.first { $0.id == id }.map { "\($0.name)/\($0.remarks ?? "")/\($0.contact ?? "")/\($0.status)" } ?? "none"), city \(there.first { $0.id == id }.map { "\($0.name)/\($0.remarks ?? "")/\($0.contact ?? "")/\($0.status)" } ?? "none")" }): \(context)")
        #expect(try county.pendingCount() == 0, "nothing left to push: \(context)")

        // Recorded losers: conflicts and parked changes, on either side.
        var losers: [Cell: Set<String>] = [:]
        for conflict in try county.conflicts() + city.conflicts() {
            if case .text(let value) = conflict.loserValue { losers[Cell(rowId: conflict.rowId, column: conflict.column), default: []].insert(value) }
        }
        var parkedDeletes: Set<String> = []
        for parked in try county.parked() + city.parked() {
            if parked.op == "delete" { parkedDeletes.insert(parked.rowId) }
            for (column, value) in parked.values {
                if case .text(let text) = value { losers[Cell(rowId: parked.rowId, column: column), default: []].insert(text) }
            }
        }
        let lost = ledger.lostValues(final: { cell in
            try? Self.value(of: cell.column, in: city, rowId: cell.rowId)
        }, losers: { cell in losers[cell] ?? [] })
            .filter { !(deleted.contains($0.cell.rowId) && cityRows[$0.cell.rowId] == nil) }   // an intended delete
            .filter { !lostToRestore.contains($0.value) }   // never left the county before its restore
        #expect(lost.isEmpty, "lost values \(lost.prefix(5).map { "\($0.cell)=\($0.value) by \($0.writer)" }): \(context)")

        // Nothing deleted comes back, unless its delete was refused and recorded.
        let tombstoned = try city.tombstonedRowIds()
        for row in deleted {
            if tombstoned.contains(row) {
                let atCounty = try county.platform(id: row)
                #expect(cityRows[row] == nil && atCounty == nil, "\(row) was deleted at the city but came back: \(context)")
            } else if cityRows[row] != nil {
                #expect(parkedDeletes.contains(row), "\(row) was deleted by the county, is present, and no refusal is recorded: \(context)")
            }
        }
    }
}
