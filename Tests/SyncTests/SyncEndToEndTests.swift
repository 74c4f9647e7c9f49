import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// Real processes over real TLS on real SQLite files: the aggregator, county daemons and syncctl.
@Suite("Sync end to end", .serialized)
struct SyncEndToEndTests {
    @Test(.timeLimit(.minutes(3)))
    func threeCountiesWithHundredsOfRowsAllArriveAtTheCity() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        var counties: [CountyDatabase] = []
        for code in ["130202", "130209", "130283"] {
            let county = try cluster.makeCounty(code)
            let platforms = makePlatforms(code, count: 300)
            try county.addPlatforms(platforms)
            for platform in platforms.prefix(150) {
                let amount: Fen = platform.category == .keyLab ? .yuan(80_000) : .yuan(100_000)
                try county.proposeAward(Award(county: code, platformId: platform.id, amount: amount, fiscalYear: 2025))
            }
            counties.append(county)
            try cluster.startDaemon(code, batchSize: 200)
        }
        // A commit by another process (syncctl) is picked up by the running daemon too.
        let late = try cluster.syncctl(["platform", "add", "--db", cluster.countyDBPath("130209"), "--name", "迟到的平台",
                                        "--category", "makerspace", "--level", "provincial", "--host-org", "某公司",
                                        "--credit-code", creditCode(999_999), "--industry", "电子信息"])
        #expect(late.status == 0, "\(late.stderr)")

        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("every county's rows at the city", timeout: .seconds(90)) {
            try counties.allSatisfy { try cityMatches($0, city) && $0.pendingCount() == 0 }
        }
        #expect(try city.platforms().count == 901)
        #expect(try city.awards().count == 450)
        #expect(try city.parked().isEmpty)
        #expect(try city.conflicts().isEmpty)
    }

    @Test(.timeLimit(.minutes(3)))
    func cityApprovalsWinOverEditsMadeOfflineAndTheEditsAreParkedNotLost() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let platforms = makePlatforms("130202", count: 6).filter { $0.category == .keyLab }
        try county.addPlatforms(platforms)
        let awards = try platforms.map { try county.proposeAward(Award(county: "130202", platformId: $0.id, amount: .yuan(90_000), fiscalYear: 2025)) }
        try cluster.startDaemon("130202")
        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("the proposals at the city") { try cityMatches(county, city) }

        cluster.stopDaemon("130202")   // the county goes offline
        for platform in platforms { try city.recognizePlatform(id: platform.id) }
        for award in awards { try city.approveAward(id: award.id, amount: .yuan(70_000)) }
        for award in awards {
            let edit = try cluster.syncctl(["award", "update", award.id, "--db", county.path, "--amount", "95000", "--remarks", "县里修改"])
            #expect(edit.status == 0, "\(edit.stderr)")
        }
        try cluster.startDaemon("130202")   // back online

        try await eventually("county and city agree") {
            try cityMatches(county, city) && county.pendingCount() == 0
                && county.awards().allSatisfy { $0.status == .approved }
        }
        for award in try county.awards() {
            #expect(award.approvedAmount == .yuan(70_000))
            #expect(award.amount == .yuan(90_000), "the county's proposal stays as the city approved it")
        }
        let parkedAtCounty = try county.parked()
        #expect(parkedAtCounty.count == awards.count)
        #expect(parkedAtCounty.allSatisfy { $0.reason == "award_approved" })
        #expect(try city.parked().count == awards.count)
        // Nothing is lost: the county's edits are kept with the parked changes.
        let kept = try Cluster.capture("/usr/bin/sqlite3", [county.path, "SELECT count(*) FROM parked WHERE change LIKE '%9500000%' AND change LIKE '%县里修改%'"])
        #expect(kept.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(awards.count)")
    }

    @Test(.timeLimit(.minutes(2)))
    func concurrentEditsOfASharedColumnConvergeWithTheLoserOnBothSides() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let platform = try county.addPlatform(makePlatforms("130202", count: 1)[0])
        let (cert, key) = try cluster.certificate("130202")
        let sync = ["--db", county.path, "--city", cluster.cityURL, "--ca", cluster.pki.appendingPathComponent("ca.pem").path, "--cert", cert, "--key", key]
        #expect(try cluster.syncctl(["sync"] + sync).status == 0)

        let city = try CityDatabase.open(at: cluster.cityDB)
        try county.updatePlatform(id: platform.id) { $0.name = "县里的名字" }
        // The city's write comes later on the clock than the county's, so its version is the newer.
        let countyWrote = CountyDatabase.wallClockMs()
        try await eventually("the clock to pass the county's write") { CountyDatabase.wallClockMs() > countyWrote + 1 }
        try city.updatePlatform(id: platform.id) { $0.name = "市里的名字" }
        let result = try cluster.syncctl(["sync"] + sync)
        #expect(result.status == 0, "\(result.stderr)")

        #expect(try cityMatches(county, city))
        #expect(try county.platform(id: platform.id)?.name == "市里的名字", "the later write wins")
        for side in [try county.conflicts(), try city.conflicts()] {
            #expect(side.count == 1)
            #expect(side.first?.column == "name")
            #expect(side.first?.loserValue == .text("县里的名字"))
            #expect(side.first?.winnerValue == .text("市里的名字"))
            #expect(side.first?.rule == "last_writer_wins")
        }
    }

    @Test(.timeLimit(.minutes(4)))
    func killingTheDaemonAndTheAggregatorMidPushLosesAndDuplicatesNothing() async throws {
        let cluster = try Cluster()
        let proxy = try FaultProxy(upstream: { cluster.cityPort })
        defer { proxy.stop(); cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 10_000))
        let city = try CityDatabase.open(at: cluster.cityDB)
        func arrived() throws -> Int { try city.platforms().count }

        // Every chunk waits 40 ms on the link, so 400 batches of 25 take well over ten seconds
        // however fast both ends are, and the kills below land in the middle of the push.
        proxy.set(.delay, delayMs: 40)
        try cluster.startDaemon("130202", batchSize: 25, via: proxy.url)
        try await eventually("a first part of the push") { try arrived() > 300 }
        cluster.stopDaemon("130202", kill: true)
        let afterDaemonKill = try arrived()
        #expect(afterDaemonKill < 10_000, "the push was killed midway")

        try cluster.startDaemon("130202", batchSize: 25, via: proxy.url)
        try await eventually("more of the push") { try arrived() > afterDaemonKill + 300 }
        cluster.stopCity(kill: true)
        #expect(try arrived() < 10_000, "the aggregator was killed midway")
        proxy.set(.pass)
        try await cluster.startCity()

        try await eventually("everything at the city", timeout: .seconds(120)) { try county.pendingCount() == 0 }
        #expect(try cityMatches(county, city))
        #expect(try arrived() == 10_000)
        let position = try county.syncPosition()
        let marks = try Cluster.capture("/usr/bin/sqlite3", [cluster.cityDB, "SELECT high_water FROM node_state"])
        #expect(marks.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(position.lastSeq)")
        #expect(try city.parked().isEmpty, "a re-delivered insert would have been refused as a duplicate")
        #expect(try city.conflicts().isEmpty)
    }

    @Test(.timeLimit(.minutes(2)))
    func changesQueueWhileTheAggregatorIsDownThenDrain() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try cluster.startDaemon("130202")
        cluster.stopCity()

        try county.addPlatforms(makePlatforms("130202", count: 40))
        try await eventually("the daemon reports the failure") { try county.syncPosition().lastError != nil }
        #expect(try county.pendingCount() == 40)

        try await cluster.startCity()
        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("the queue drains") { try county.pendingCount() == 0 && cityMatches(county, city) }
        try await eventually("the error clears") { try county.syncPosition().lastError == nil }
    }

    @Test(.timeLimit(.minutes(2)), arguments: ["+2h", "-2h", "+1d", "-1d"])
    func aCountyClockHoursOrADayOffKeepsOrderingSaneAndLosesNothing(offset: String) async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let platform = try county.addPlatform(makePlatforms("130202", count: 1)[0])
        // The county's writes carry its skewed wall clock (the capture triggers read SQLite's
        // clock in the writing process, here syncctl under faketime); the daemon stamps them with
        // the hybrid clock from those readings.
        try cluster.startDaemon("130202")
        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("the platform at the city") { try cityMatches(county, city) }

        // The county edits (with its skewed clock), then the city edits after seeing it: the
        // city's later edit wins even when the county's clock ran ahead.
        let edit = try cluster.syncctl(["platform", "update", platform.id, "--db", county.path, "--remarks", "county \(offset)"], faketime: offset)
        #expect(edit.status == 0, "\(edit.stderr)")
        try await eventually("the county's edit at the city") { try city.platform(id: platform.id)?.remarks == "county \(offset)" }
        try city.updatePlatform(id: platform.id) { $0.remarks = "city after county" }
        try await eventually("the city's later edit at the county") { try county.platform(id: platform.id)?.remarks == "city after county" }

        // More rows entered with the skewed clock all arrive.
        for index in 0..<5 {
            let added = try cluster.syncctl(["platform", "add", "--db", county.path, "--name", "偏时平台 \(index)", "--category", "key_lab",
                                             "--level", "provincial", "--host-org", "某单位", "--credit-code", creditCode(500 + index),
                                             "--industry", "新材料"], faketime: offset)
            #expect(added.status == 0, "\(added.stderr)")
        }
        try await eventually("county and city agree") { try county.pendingCount() == 0 && cityMatches(county, city) }
        #expect(try city.conflicts().isEmpty)
    }
}
