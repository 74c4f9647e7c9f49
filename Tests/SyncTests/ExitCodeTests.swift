import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// `syncctl`'s exit statuses mean the same in every command: 0 done (equal, healthy), 1 a problem
/// found or input refused, 2 could not check or could not do it, 64 a wrong command line.
@Suite("Exit codes", .serialized)
struct ExitCodeTests {
    @Test(.timeLimit(.minutes(2)))
    func verifySaysWhetherRowsDifferOrItCouldNotCheck() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 3))
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        #expect(try cluster.syncctl(["verify"] + cluster.connection("130202")).status == 0, "equal")
        try county.addPlatform(makePlatforms("130202", count: 1, offset: 50)[0])
        let differ = try cluster.syncctl(["verify"] + cluster.connection("130202"))
        #expect(differ.status == 1, "rows differ: \(differ.stdout) \(differ.stderr)")
        cluster.stopCity()
        let unreachable = try cluster.syncctl(["verify"] + cluster.connection("130202"))
        #expect(unreachable.status == 2 && unreachable.stderr.contains("could not"), "the city is down: \(unreachable.status) \(unreachable.stderr)")
        let missing = try cluster.syncctl(["verify"] + cluster.connection("130202", dbPath: cluster.dir.appendingPathComponent("none.db").path))
        #expect(missing.status == 2, "no database: \(missing.stderr)")
    }

    /// The city's refusal, and a city out of reach, said in the catalogue's Chinese under a
    /// Chinese locale (the city's `messageZh`), with the English particulars kept after it; the
    /// exit status is the same in both languages.
    @Test(.timeLimit(.minutes(2)))
    func aSyncThatFailsSaysWhyInChineseUnderAChineseLocale() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 2))
        let chinese = ["LANG": "zh_CN.UTF-8"]
        // A replica of 130202 syncing with 130203's certificate: the city refuses, naming why.
        let (cert, key) = try cluster.certificate("130203")
        let wrongCounty = ["sync", "--db", county.path, "--city", cluster.cityURL, "--ca", cluster.pki.appendingPathComponent("ca.pem").path,
                           "--cert", cert, "--key", key]
        let refused = try cluster.syncctl(wrongCounty, environment: chinese)
        #expect(refused.status == 2 && refused.stderr.contains("同步失败：") && refused.stderr.contains(ErrorCode.forbiddenCounty.zh)
                && refused.stderr.contains("forbidden_county"), "\(refused.status) \(refused.stderr)")
        let english = try cluster.syncctl(wrongCounty)
        #expect(english.status == 2 && english.stderr.contains("sync failed:") && !english.stderr.contains(ErrorCode.forbiddenCounty.zh), "\(english.stderr)")
        cluster.stopCity()
        let unreachable = try cluster.syncctl(["sync"] + cluster.connection("130202"), environment: chinese)
        #expect(unreachable.status == 2 && unreachable.stderr.contains("连接不上市里"), "\(unreachable.status) \(unreachable.stderr)")
    }

    @Test func theSameMeaningsInEveryCommand() throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let county = try cluster.makeCounty("130202")
        let lab = try county.addPlatform(makePlatforms("130202", count: 1)[0])
        let db = county.path
        let cases: [(arguments: [String], status: Int32)] = [
            (["status", "--db", db], 0),
            (["platform", "list", "--db", db], 0),
            (["award", "propose", "--db", db, "--platform", lab.id, "--amount", "100001", "--fiscal-year", "2025"], 1),
            (["award", "approve", "--db", db, RecordID.generate()], 1),
            (["platform", "show", "--db", cluster.dir.appendingPathComponent("none.db").path, lab.id], 2),
            (["status", "--db", cluster.dir.appendingPathComponent("none.db").path], 2),
            (["platform", "list", "--db", db, "--no-such-flag"], 64),
        ]
        for test in cases {
            let result = try cluster.syncctl(test.arguments)
            #expect(result.status == test.status, "\(test.arguments.joined(separator: " ")): \(result.status) \(result.stderr)")
            if result.status != 0 { #expect(result.stderr.hasPrefix("Error: "), "one clear line: \(result.stderr)") }
        }
    }
}
