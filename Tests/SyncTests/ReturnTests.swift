import CurlTransport
import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// `POST /v1/return` from a county holding sealed city changes, against the real aggregator over
/// mutual TLS: a seal proves the city once sent a change, nothing more. With no restore at all, a
/// replayed city change changes nothing (release 0.15.0 applied an old sealed delete over a
/// recognised platform and its award); a return the city refuses for good never stops the
/// county's pulls, and `status --check` names it.
@Suite("Returns of the city's changes", .serialized)
struct ReturnTests {
    struct Setup {
        let cluster: Cluster
        let countyDB: String
        var city: CityDatabase { get throws { try CityDatabase.open(at: cluster.cityDB) } }

        func sync(_ code: String = "130202") throws {
            let result = try cluster.syncctl(["sync"] + cluster.connection(code))
            #expect(result.status == 0, "sync \(code): \(result.stderr)")
        }

        func sqlite(_ sql: String, db: String? = nil) throws -> String {
            let result = try Cluster.capture("/usr/bin/sqlite3", [db ?? countyDB, sql])
            #expect(result.status == 0, "\(sql): \(result.stderr)")
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// The county's sealed copies of the city's changes to `rowId` of op `op`, as a
        /// compromised PC would read them from its replica.
        func sealed(_ rowId: String, op: String) throws -> [SealedChange] {
            _ = try sqlite("UPDATE received SET to_return = 1 WHERE row_id = '\(rowId)' AND op = '\(op)' AND seal IS NOT NULL")
            let county = try CountyDatabase.open(at: countyDB)
            return try county.changesToReturn(limit: 100).filter { $0.change.rowId == rowId }
        }
    }

    static func setUp() async throws -> Setup {
        let cluster = try Cluster()
        try await cluster.startCity()
        _ = try cluster.makeCounty("130202")
        _ = try cluster.makeCounty("130203")
        return Setup(cluster: cluster, countyDB: cluster.countyDBPath("130202"))
    }

    func add(_ setup: Setup, _ code: String, _ category: String, serial: Int) throws -> String {
        let result = try setup.cluster.syncctl(["platform", "add", "--db", setup.cluster.countyDBPath(code), "--name", "平台\(serial)", "--category", category,
                                                "--level", category == "key_lab" ? "municipal" : "", "--host-org", "依托单位",
                                                "--credit-code", creditCode(serial), "--industry", "钢铁冶金"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A key lab of 130202 the city recognised, its recognition pulled (and sealed) at the county.
    func recognisedLab(_ setup: Setup, serial: Int) throws -> String {
        let lab = try add(setup, "130202", "key_lab", serial: serial)
        try setup.sync()
        _ = try setup.city.recognizePlatform(id: lab)
        try setup.sync()
        return lab
    }

    @Test(.timeLimit(.minutes(3)))
    func aReplayedSealedChangeChangesNothingWithoutARestore() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        // A county insert the city refuses (it sets the city's recognition; written with the
        // shell): the city's feed deletes it there with a sealed delete.
        let twin = RecordID.generate()
        _ = try setup.sqlite("""
            INSERT INTO platform (id, county, name, category, subtype, host_org, credit_code, industry, status)
            VALUES ('\(twin)', '130202', '自称已认定的企业', 'high_tech_enterprise', 'new', '依托单位', '\(creditCode(41))', '钢铁冶金', 'recognized')
            """)
        try setup.sync()
        try setup.sync()
        #expect(try CountyDatabase.open(at: setup.countyDB).platform(id: twin) == nil, "the refused copy left the county")
        // The county writes the same id again as another enterprise, the city recognises it and
        // pays its award.
        _ = try setup.sqlite("""
            INSERT INTO platform (id, county, name, category, subtype, host_org, credit_code, industry)
            VALUES ('\(twin)', '130202', '同一编号的新企业', 'high_tech_enterprise', 'new', '依托单位', '\(creditCode(43))', '钢铁冶金')
            """)
        let award = RecordID.generate()
        _ = try setup.sqlite("INSERT INTO award (id, county, platform_id, amount_fen, fiscal_year) VALUES ('\(award)', '130202', '\(twin)', 20000000, 2025)")
        try setup.sync()
        _ = try setup.city.recognizePlatform(id: twin)
        _ = try setup.city.approveAward(id: award)
        _ = try setup.city.disburseAward(id: award)
        try setup.sync()

        // A compromised PC posts the old sealed delete, and the city's old recognition-free copy.
        let replay = try setup.sealed(twin, op: "delete")
        #expect(!replay.isEmpty, "the county holds the city's sealed delete")
        let (cert, key) = try setup.cluster.certificate("130202")
        let transport = try setup.cluster.transport(cert: cert, key: key)
        let node = try CountyDatabase.open(at: setup.countyDB).replica.node
        let answer = try await transport.returnChanges(ReturnRequest(node: node, changes: replay))
        #expect(answer.outcomes.allSatisfy { $0.outcome == .merged }, "the city still holds it: nothing to take back: \(answer.outcomes)")
        #expect(try setup.city.platform(id: twin)?.status == .recognized, "the recognised platform stands")
        #expect(try setup.city.award(id: award)?.status == .disbursed, "its paid award stands")
        // With a position claimed past the feed's end (the seal does not cover it), the same.
        let moved = replay.map { SealedChange(change: WireChange(seq: 9_000_000, table: $0.change.table, rowId: $0.change.rowId, op: $0.change.op,
                                                                   hlc: $0.change.hlc, node: $0.change.node, values: $0.change.values,
                                                                   bases: $0.change.bases), seal: $0.seal) }
        let again = try await transport.returnChanges(ReturnRequest(node: node, changes: moved))
        #expect(again.outcomes.allSatisfy { $0.outcome == .merged }, "\(again.outcomes)")
        #expect(try setup.city.award(id: award)?.status == .disbursed)
        try setup.sync()
        #expect(try CountyDatabase.open(at: setup.countyDB).platform(id: twin)?.status == .recognized, "and the county keeps it")

        // The same stale delete still stands in the county's feed, before the recognition: a new
        // replica of the county merges the snapshot and pulls on; the feed it replays must not
        // undo what the snapshot holds.
        let replacement = setup.cluster.dir.appendingPathComponent("replacement.db").path
        #expect(try setup.cluster.syncctl(["init", "--db", replacement, "--county", "130202"]).status == 0)
        let fresh = ["sync"] + (try setup.cluster.connection("130202", dbPath: replacement))
        for _ in 0..<2 { #expect(try setup.cluster.syncctl(fresh).status == 0) }
        let replica = try CountyDatabase.open(at: replacement)
        #expect(try replica.platform(id: twin)?.status == .recognized, "the new replica holds the recognised platform")
        #expect(try replica.award(id: award)?.status == .disbursed, "and its paid award")
        #expect(try setup.city.platform(id: twin)?.status == .recognized && setup.city.award(id: award)?.status == .disbursed,
                "the city's decisions stand")
    }

    @Test(.timeLimit(.minutes(3)))
    func aReturnRefusedForGoodNeverStopsPulling() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let lab = try recognisedLab(setup, serial: 51)
        // A sealed copy whose seal no longer matches (a city whose key was replaced): refused for good.
        _ = try setup.sqlite("UPDATE received SET to_return = 1, seal = 'AAAA' || substr(seal, 5) WHERE row_id = '\(lab)' AND seal IS NOT NULL")
        _ = try setup.city.revokePlatform(id: lab)
        try setup.sync()
        #expect(try CountyDatabase.open(at: setup.countyDB).platform(id: lab)?.status == .revoked, "the pull after the refused return went on")
        let check = try setup.cluster.syncctl(["status", "--check", "--db", setup.countyDB])
        #expect(check.status == 1 && check.stdout.contains("refused to take back") && check.stdout.contains(lab), "\(check.stdout) \(check.stderr)")
        #expect(try CountyDatabase.open(at: setup.countyDB).returningCount() == 0, "the refused changes are not offered again")
        let shown = try setup.cluster.syncctl(["status", "--db", setup.countyDB])
        #expect(shown.stdout.contains("refused to take back"), "\(shown.stdout)")
    }

    /// A restored city whose county withheld part of what the restore took: the recognition of
    /// `lab` and of `other`, then the revocation of `lab`, all pulled by the county after the
    /// backup. Returns the setup with the city restored and running again.
    func restoredAfterThreeDecisions(_ setup: Setup) async throws -> (lab: String, other: String) {
        let lab = try add(setup, "130202", "key_lab", serial: 71)
        let other = try add(setup, "130202", "key_lab", serial: 72)
        try setup.sync()
        let backup = setup.cluster.dir.appendingPathComponent("city-backup.db").path
        try Cluster.backUp(setup.cluster.cityDB, to: backup)
        _ = try setup.city.recognizePlatform(id: lab)
        _ = try setup.city.recognizePlatform(id: other)
        try setup.sync()
        _ = try setup.city.revokePlatform(id: lab)
        try setup.sync()
        #expect(try CountyDatabase.open(at: setup.countyDB).platform(id: lab)?.status == .revoked)
        setup.cluster.stopCity()
        try Cluster.restore(setup.cluster.cityDB, from: backup)
        try await setup.cluster.startCity()
        #expect(try setup.city.platform(id: lab)?.status != .recognized && setup.city.platform(id: other)?.status != .recognized,
                "the restore took the three decisions")
        return (lab, other)
    }

    /// Finding 7: after a city restore, a compromised county gives back the city's recognition
    /// of a platform and keeps its later revocation (0.15.0 ended "recognized"). The city knows
    /// what it handed out (`served.db`, outside `city.db`): what is given back is kept until
    /// nothing is missing, the operator sees what is missing, and the county's own sync, which
    /// gives back everything, leaves the city as it was before the restore.
    @Test(.timeLimit(.minutes(3)))
    func aCountyCannotGiveBackAChoiceOfWhatARestoreTook() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let (lab, other) = try await restoredAfterThreeDecisions(setup)

        let recognition = try setup.sealed(lab, op: "update").filter { $0.change.values["status"] == .text("recognized") }
        #expect(recognition.count == 1, "the county holds the sealed recognition")
        let (cert, key) = try setup.cluster.certificate("130202")
        let transport = try setup.cluster.transport(cert: cert, key: key)
        let node = try CountyDatabase.open(at: setup.countyDB).replica.node
        let answer = try await transport.returnChanges(ReturnRequest(node: node, changes: recognition))
        #expect(answer.outcomes.map(\.reason) == ["return_waiting"], "\(answer.outcomes)")
        #expect(answer.outcomes.first?.message?.contains(lab) == true, "the answer names what is missing: \(answer.outcomes)")
        #expect(try setup.city.platform(id: lab)?.status != .recognized, "the recognition alone is not taken back")

        // The operator sees which county owes what.
        let check = try setup.cluster.syncctl(["status", "--db", setup.cluster.cityDB, "--check"])
        #expect(check.status == 1 && check.stdout.contains("has not given back") && check.stdout.contains(lab), "\(check.stdout)")
        let listed = try setup.cluster.syncctl(["returns", "--db", setup.cluster.cityDB, "--json"])
        let gaps = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(gaps.map { $0["county"] as? String } == ["130202"] && gaps.first?["givenBack"] as? Int == 1, "\(listed.stdout)")
        let missing = gaps.first?["missing"] as? [[String: Any]] ?? []
        #expect(Set(missing.compactMap { $0["rowId"] as? String }) == [lab, other], "the revocation of lab and the recognition of other: \(listed.stdout)")
        #expect(missing.allSatisfy { ($0["servedAt"] as? String)?.hasSuffix("Z") == true }, "when each was handed out: \(listed.stdout)")

        // The county's own sync gives back all it holds: the whole gap, taken back in order.
        try setup.sync()
        #expect(try setup.city.platform(id: lab)?.status == .revoked, "the revocation came back after the recognition")
        #expect(try setup.city.platform(id: other)?.status == .recognized)
        #expect(try setup.city.returnGaps().isEmpty)
        #expect(try setup.cluster.syncctl(["status", "--db", setup.cluster.cityDB, "--check"]).status == 0)
        try setup.sync()
        #expect(try CountyDatabase.open(at: setup.countyDB).platform(id: lab)?.status == .revoked, "and the county agrees")
    }

    /// A gap no county can fill any more (the node that held the revocation is gone): the
    /// operator settles it, what was given back is taken back, the rest is given up in the
    /// decision log, and a later start of the aggregator does not find it missing again.
    @Test(.timeLimit(.minutes(3)))
    func anOperatorSettlesAGapNoCountyCanFill() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let (lab, other) = try await restoredAfterThreeDecisions(setup)
        _ = try setup.sqlite("DELETE FROM received WHERE row_id = '\(lab)' AND \"values\" LIKE '%revoked%'")
        try setup.sync()
        #expect(try setup.city.platform(id: other)?.status != .recognized, "kept while the revocation is missing")
        let refused = try setup.cluster.syncctl(["returns", "settle", "--db", setup.cluster.cityDB, "--county", "130202", "--reason", ""])
        #expect(refused.status != 0, "a settlement needs a reason")

        let settled = try setup.cluster.syncctl(["returns", "settle", "--db", setup.cluster.cityDB, "--county", "130202",
                                                 "--reason", "the PC that held it was replaced"])
        #expect(settled.status == 0 && settled.stdout.contains("given up 1") && settled.stdout.contains(lab), "\(settled.stdout)\(settled.stderr)")
        #expect(try setup.city.platform(id: other)?.status == .recognized && setup.city.platform(id: lab)?.status == .recognized,
                "what was given back is taken back; the revocation must be made again by hand")
        #expect(try setup.city.decisions(county: "130202").contains { $0.action == "settle_return" && $0.detail.contains("replaced") })
        setup.cluster.stopCity()
        try await setup.cluster.startCity()
        #expect(try setup.city.returnGaps().isEmpty, "the given-up change is not found missing again")
        try setup.sync()
        #expect(try setup.cluster.syncctl(["status", "--db", setup.cluster.cityDB, "--check"]).status == 0)
    }

    /// The missing revocation made again by hand at the city: nothing the county withholds can
    /// change the outcome any more, so what it gave back is taken back at its next contact,
    /// without a settlement, and the newer revocation stands.
    @Test(.timeLimit(.minutes(3)))
    func aDecisionMadeAgainClosesTheGap() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let (lab, other) = try await restoredAfterThreeDecisions(setup)
        _ = try setup.sqlite("DELETE FROM received WHERE row_id = '\(lab)' AND \"values\" LIKE '%revoked%'")
        try setup.sync()
        #expect(try setup.city.returnGaps().first?.missing.map(\.rowId) == [lab], "only the revocation is missing")
        _ = try setup.city.recognizePlatform(id: lab)
        _ = try setup.city.revokePlatform(id: lab)
        try setup.sync()
        #expect(try setup.city.returnGaps().isEmpty)
        #expect(try setup.city.platform(id: other)?.status == .recognized, "what the county gave back was taken back")
        #expect(try setup.city.platform(id: lab)?.status == .revoked, "the decision made again stands")
    }

    /// The city's feed key is part of its state: a city database that recorded its key refuses to
    /// start without it, or with another (status 78), naming the file, instead of making a new one.
    @Test(.timeLimit(.minutes(2)))
    func aCityThatHandedOutItsFeedRefusesToStartWithoutItsKey() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        _ = try recognisedLab(setup, serial: 61)
        setup.cluster.stopCity()
        let key = setup.cluster.dir.appendingPathComponent("feed.key").path
        #expect(FileManager.default.fileExists(atPath: key), "the city made its key beside its database")
        try FileManager.default.moveItem(atPath: key, toPath: key + ".away")
        let pki = setup.cluster.pki
        // (Under `timeout`, so an aggregator that starts anyway fails the test instead of hanging it.)
        func start() throws -> (status: Int32, stdout: String, stderr: String) {
            try Cluster.capture("/usr/bin/timeout", ["20", Cluster.binaries.appendingPathComponent("city-aggregator").path,
                "--db", setup.cluster.cityDB, "--listen", "127.0.0.1:0", "--cert", pki.appendingPathComponent("server.pem").path,
                "--key", pki.appendingPathComponent("server.key").path, "--client-ca", pki.appendingPathComponent("ca.pem").path,
            ])
        }
        let started = try start()
        #expect(started.status == 78, "exit status \(started.status): \(started.stderr)")
        #expect(started.stderr.contains("feed-key") && started.stderr.contains("feed.key"), "\(started.stderr)")
        #expect(!FileManager.default.fileExists(atPath: key), "no new key was made")
        // Nor with another key.
        try String(repeating: "ab", count: 32).appending("\n").write(toFile: key, atomically: true, encoding: .utf8)
        let other = try start()
        #expect(other.status == 78 && other.stderr.contains("is not the key"), "exit status \(other.status): \(other.stderr)")
        // With its key back, it starts.
        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.moveItem(atPath: key + ".away", toPath: key)
        try await setup.cluster.startCity()
        try setup.sync()
    }
}

/// Finding 14, over HTTPS: a text the county must refuse, written at the city past its own
/// checks (the sqlite3 shell; the CLI and the console now refuse it), is parked at the county,
/// and every later city decision still arrives (release 0.15.0 stopped that county's pulls for good).
@Suite("A city entry the county must refuse", .serialized)
struct RefusedFeedEntryTests {
    @Test(.timeLimit(.minutes(2)))
    func theCountyParksItAndPullsOn() async throws {
        let setup = try await ReturnTests.setUp()
        defer { setup.cluster.cleanUp() }
        let county = try CountyDatabase.open(at: setup.countyDB)
        try county.addPlatforms(makePlatforms("130202", count: 2))
        let ids = try county.platforms().map(\.id)
        try setup.sync()
        let long = String(repeating: "长", count: 3_000)
        _ = try setup.sqlite("UPDATE platform SET remarks = '\(long)' WHERE id = '\(ids[0])'", db: setup.cluster.cityDB)
        _ = try setup.city.recognizePlatform(id: ids[1])
        try setup.sync()
        let after = try CountyDatabase.open(at: setup.countyDB)
        #expect(try after.platform(id: ids[1])?.status == .recognized, "the later decision arrived")
        let parked = try after.parked()
        #expect(parked.contains { $0.rowId == ids[0] && $0.reason == "malformed_change" }, "\(parked)")
        let status = try setup.cluster.syncctl(["status", "--db", setup.countyDB])
        #expect(status.stdout.contains("1 refused by the city"), "the county's status names the parked entry: \(status.stdout)")
    }
}
