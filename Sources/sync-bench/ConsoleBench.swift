import ArgumentParser
import CityServer
import CurlTransport
import Foundation
import GRDB
import SyncCore
import SyncProtocol
import SyncStore

/// How fast the city console's pages load on a county-sized city (18 counties, 5,000 platforms,
/// their awards), fetched with the operator's certificate over mutual TLS from the real
/// aggregator; each beside `/healthz` on the same connection, the cost of TLS and HTTP alone.
struct ConsoleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "City console page load times on a county-sized city, beside /healthz measured in the same run.")

    @Option(help: "Platforms at the city, spread over the 18 counties.") var platforms = 5_000
    @Option(help: "Loads timed per page.") var loads = 30

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-console-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pki = folder.appendingPathComponent("pki").path
        let codes = CountyRegistry.tangshan.counties.map(\.code)
        try BenchCity.makePKI(pki, counties: [])
        try BenchCity.runPKI(["operator", pki, "bench"], environment: ["P12_PASSWORD": "bench"])

        let cityPath = folder.appendingPathComponent("city.db").path
        let city = try CityDatabase.create(at: cityPath, counties: .tangshan)
        let (platformCount, awardCount) = try fill(city, codes: codes, folder: folder)
        let (server, port) = try await BenchCity.start(BenchCity.configuration(database: cityPath, pki: pki))
        defer { server.cancel() }
        let client = try CurlTransport(TransportConfiguration(
            baseURL: "https://127.0.0.1:\(port)", caFile: "\(pki)/ca.pem", certFile: "\(pki)/operator-bench.pem", keyFile: "\(pki)/operator-bench.key"))

        let anAward = try city.awards()[0].id
        let aPlatform = try city.platformPage(text: "", status: "", county: "", limit: 1, offset: 0).page[0].id
        // (name, path, a write to the city before each load: the page is rendered anew each time)
        let pages: [(String, String, Bool)] = [
            ("/healthz (TLS + HTTP floor, operator refused)", "/healthz", false),
            ("counties", "/console", false), ("county 130202", "/console/counties/130202", false),
            ("progress (charts), unchanged data", "/console/progress", false), ("progress, after a write each time", "/console/progress", true),
            ("awards, unchanged data", "/console/awards", false), ("awards, after a write each time", "/console/awards", true),
            ("decisions", "/console/decisions", false), ("platforms (a page of 200)", "/console/platforms", false),
            ("platforms, page 50", "/console/platforms?page=50", false),
            ("platform search", "/console/platforms?q=%E5%B9%B3%E5%8F%B0%2012", false), ("award record", "/console/records/\(anAward)", false),
        ]
        print("sync-bench console: \(platformCount) platforms and \(awardCount) awards over \(codes.count) counties at the city;")
        print("each page fetched \(loads) times with the operator's certificate (libcurl, mutual TLS, keep-alive), debug or release as built.")
        print("page                                            p50 ms    p99 ms     KB   p50 / floor p50")
        var floor = 1.0
        for (name, path, rewrite) in pages {
            var times: [Double] = []
            var bytes = 0
            for attempt in 0...loads {
                if rewrite { try city.updatePlatform(id: aPlatform) { $0.remarks = "bench \(attempt)" } }
                let start = ContinuousClock.now
                let (status, body) = try await client.request(method: "GET", path: path)
                let elapsed = (ContinuousClock.now - start).seconds * 1_000
                guard status == 200 || path == "/healthz" else { throw BenchError("\(path) answered \(status)") }
                if attempt > 0 { times.append(elapsed) }  // the first load warms the connection
                bytes = body.count
            }
            times.sort()
            let p50 = times[times.count / 2], p99 = times[min(times.count - 1, Int(Double(times.count) * 0.99))]
            if path == "/healthz" { floor = p50 }
            print(name.padding(toLength: 46, withPad: " ", startingAt: 0)
                  + String(format: "%8.1f  %8.1f  %5d   %6.1fx", p50, p99, bytes / 1024, p50 / floor))
        }
    }

    /// The city's rows as 18 counties would push them: platforms spread over the counties, two
    /// in three recognised, an award for every other one, some approved, rejected and disbursed.
    func fill(_ city: CityDatabase, codes: [String], folder: URL) throws -> (Int, Int) {
        var awards = 0
        for (index, code) in codes.enumerated() {
            let county = try CountyDatabase.create(at: folder.appendingPathComponent("\(code).db").path, county: code)
            let share = platforms / codes.count + (index < platforms % codes.count ? 1 : 0)
            let rows = (0..<share).map { serial -> Platform in
                var platform = PushBench.makePlatform(index * 100_000 + serial)
                platform.county = code
                platform.name = "平台 \(code)-\(serial)"
                return platform
            }
            try county.addPlatforms(rows)
            for platform in rows where platform.name.hasSuffix("0") || platform.name.hasSuffix("5") {
                _ = try county.proposeAward(Award(county: code, platformId: platform.id, amount: .yuan(50_000), fiscalYear: 2024 + serialParity(platform)))
                awards += 1
            }
            while let batch = try county.nextPushBatch(limit: 2_000) {
                try county.acknowledge(batch, try city.applyPush(county: code, batch))
            }
            // Recognised as the city would have, in one transaction: a recognition through the
            // API checks the city for likely duplicates, which at 25,000 rows makes the fill, not
            // the pages, what the bench would time.
            try city.pool.write { db in
                for (serial, platform) in rows.enumerated() where serial % 3 != 2 {
                    try db.execute(sql: "UPDATE platform SET status = 'recognized', recognized_on = ? WHERE id = ?",
                                   arguments: [String(format: "2023-%02d-15", serial % 12 + 1), platform.id])
                }
            }
        }
        for (serial, award) in try city.awards().enumerated() {
            switch serial % 4 {
            case 0: if (try? city.approveAward(id: award.id)) != nil, serial % 8 == 0 { _ = try? city.disburseAward(id: award.id) }
            case 1: _ = try? city.rejectAward(id: award.id, reason: "材料不全")
            default: break
            }
        }
        return (try city.platforms().count, awards)
    }

    private func serialParity(_ platform: Platform) -> Int { platform.name.hasSuffix("0") ? 0 : 1 }
}
