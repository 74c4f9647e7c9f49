import Foundation
import SyncCore
import SyncProtocol
import Testing
@testable import SyncStore

/// A fresh directory under the system temp folder, removed by the caller with `cleanUp()`.
struct TempDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("county-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func cleanUp() { try? FileManager.default.removeItem(at: url) }
}

/// A valid credit code whose 17-character prefix ends in `serial`.
func makeCreditCode(_ serial: Int = 1) -> String {
    let prefix = "9113020000000" + String(format: "%04d", serial % 10_000)
    return prefix + String(CreditCode.checkCharacter(for: prefix)!)
}

/// A valid municipal key lab of `county`.
func makePlatform(county: String = "130202", name: String = "唐山焊接重点实验室", serial: Int = 1) -> Platform {
    Platform(county: county, name: name, category: .keyLab, level: .municipal, hostOrg: "唐山焊接研究所",
             creditCode: makeCreditCode(serial), industry: "焊接")
}

/// A new county replica in `dir`.
func makeCounty(_ dir: TempDirectory, county: String = "130202", name: String = "county.db") throws -> CountyDatabase {
    try CountyDatabase.create(at: dir.path(name), county: county, node: "county-\(county)-test")
}

/// A county replica and the city, in a fresh directory, joined without the network: the city's
/// side of the protocol as the aggregator calls it. Remove with `dir.cleanUp()`.
struct SyncPair {
    let dir: TempDirectory
    let county: CountyDatabase
    let city: CityDatabase

    init(cityLimits: SyncLimits = SyncLimits()) throws {
        dir = try TempDirectory()
        county = try makeCounty(dir)
        city = try CityDatabase.create(at: dir.path("city.db"), node: "city-test", limits: cityLimits)
    }

    /// One push of up to `limit` changes, acknowledged; returns the city's answer.
    @discardableResult
    func push(limit: Int = 100) throws -> PushResponse {
        let batch = try #require(try county.nextPushBatch(limit: limit))
        let answer = try city.applyPush(county: "130202", batch)
        try county.acknowledge(batch, answer)
        return answer
    }

    /// Applies the city's feed after the county's cursor.
    func pull() throws {
        try county.applyPull(try city.pullFeed(county: "130202", after: try county.syncPosition().pulledSeq, limit: 1000))
    }
}

/// Runs the `sqlite3` shell on `path` with `sql` on its standard input, stopping at the first
/// error (`-bail`); returns its exit status and output.
@discardableResult
func sqliteShell(_ path: String, _ sql: String) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = ["-bail", path]
    let input = Pipe(), out = Pipe(), err = Pipe()
    process.standardInput = input
    process.standardOutput = out
    process.standardError = err
    try process.run()
    input.fileHandleForWriting.write(Data(sql.utf8))
    try input.fileHandleForWriting.close()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let error = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
}
