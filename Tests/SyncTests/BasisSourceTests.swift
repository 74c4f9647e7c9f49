import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// One source of a basis pays once, within what its rule allows, through the real city: counties
/// propose with `syncctl` and sync over mutual TLS, the city decides with `syncctl`. Release 0.15.0
/// paid two 300,000 awards on one 1,000,000 equipment investment, three 150,000 awards on one
/// 300,000,000 contract (the plan allows 200,000 on it), and matched one 500,000 grant twice.
@Suite("One source of a basis pays once", .serialized)
struct BasisSourceTests {
    let plan = AwardPlanTests()

    /// Registers, syncs and recognises a platform of `category` in county `code`; its id.
    func recognised(_ setup: AwardPlanTests.Setup, _ code: String, _ name: String, _ category: String, _ level: String, serial: Int) throws -> String {
        let id = try plan.add(setup, code, name, category, level, serial: serial)
        try setup.sync(code)
        let result = try setup.syncctl(["platform", "recognize", id, "--db", setup.cluster.cityDB])
        #expect(result.status == 0, "\(result.stderr)")
        return id
    }

    /// Proposes at county `code` with a basis and its source; the new award's id.
    func propose(_ setup: AwardPlanTests.Setup, _ code: String, _ platform: String, _ yuan: String, basis: String, ref: String) throws -> String {
        let result = try plan.propose(setup, code, platform, yuan, extra: ["--basis", basis, "--basis-ref", ref])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func approve(_ setup: AwardPlanTests.Setup, _ award: String, _ extra: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
        try setup.syncctl(["award", "approve", award, "--db", setup.cluster.cityDB] + extra)
    }

    /// Two counties' pilot bases on one equipment investment, and one grant matched by two
    /// academician partners: each county alone is within the rule; the city approves what the
    /// source allows and refuses the rest, naming the source and the award that took it.
    @Test(.timeLimit(.minutes(2)))
    func claimsFromTwoCountiesOnOneSourceMeetAtApproval() async throws {
        let setup = try await AwardPlanTests.setUp()
        defer { setup.cluster.cleanUp() }
        let baseA = try recognised(setup, "130202", "路南中试基地", "pilot_base", "municipal", serial: 41)
        let baseB = try recognised(setup, "130203", "路北中试基地", "pilot_base", "municipal", serial: 42)
        // The same project, spelt as each clerk typed it.
        let first = try propose(setup, "130202", baseA, "300000", basis: "1000000", ref: "唐发改投资〔2025〕17号")
        let second = try propose(setup, "130203", baseB, "300000", basis: "1000000", ref: " 唐发改投资〔２０２５〕17号 ")
        try setup.sync("130202")
        try setup.sync("130203")
        #expect(try approve(setup, first).status == 0)
        let refused = try approve(setup, second)
        #expect(refused.status != 0, "a second 300,000 on one 1,000,000 investment was approved")
        #expect(refused.stderr.contains("唐发改投资〔2025〕17号") && refused.stderr.contains(first) && refused.stderr.contains("at most 0.00 yuan remains"),
                "\(refused.stderr)")

        // One 500,000 grant matched 1:1 by two partners: one match in all.
        let partnerA = try recognised(setup, "130202", "院士合作单位甲", "academician_partner", "provincial", serial: 43)
        let partnerB = try recognised(setup, "130203", "院士合作单位乙", "academician_partner", "provincial", serial: 44)
        let matchA = try propose(setup, "130202", partnerA, "500000", basis: "500000", ref: "冀科资〔2025〕5号")
        let matchB = try propose(setup, "130203", partnerB, "500000", basis: "500000", ref: "冀科资〔2025〕5号")
        try setup.sync("130202")
        try setup.sync("130203")
        #expect(try approve(setup, matchA).status == 0)
        let twice = try approve(setup, matchB)
        #expect(twice.status != 0 && twice.stderr.contains("冀科资〔2025〕5号"), "one grant was matched twice: \(twice.stderr)")

        // A basis other than the one approved on the source is the city's decision, with its
        // reason kept: the grant was raised to 800,000, so 300,000 more is within the match. (The
        // county states the new basis once its first proposal is rejected: at entry, a county's
        // awards on one source state one basis.)
        let reject = try setup.syncctl(["award", "reject", matchB, "--db", setup.cluster.cityDB, "--reason", "同一资助已配套"])
        #expect(reject.status == 0, "\(reject.stderr)")
        try setup.sync("130203")
        let raised = try propose(setup, "130203", partnerB, "300000", basis: "800000", ref: "冀科资〔2025〕5号")
        try setup.sync("130203")
        let unexplained = try approve(setup, raised, ["--override-reason", ""])
        #expect(unexplained.status != 0)
        let differs = try approve(setup, raised)
        #expect(differs.status != 0 && differs.stderr.contains("--override-reason"), "\(differs.stderr)")
        let explained = try approve(setup, raised, ["--override-reason", "省科技厅追加资助至80万元，见冀科资〔2025〕5号补充通知"])
        #expect(explained.status == 0, "\(explained.stderr)")
        try setup.confirm(raised)
        let decisions = try CityDatabase.open(at: setup.cluster.cityDB).awardDecisions(id: raised)
        #expect(decisions["basis_differs"]?.note?.contains("追加资助") == true, "\(decisions)")
        #expect(try approve(setup, matchB, ["--override-reason", "按追加后的资助额配套"]).status != 0, "800,000 matched by 1,300,000")

        // What the city approved is what the source allowed: 300,000 on the investment, 800,000 on the grant.
        let approved = try CityDatabase.open(at: setup.cluster.cityDB).awards().filter { $0.status == .approved }
        #expect(Set(approved.map(\.id)) == [first, matchA, raised])
    }

    /// Within one county: three 150,000 awards on one 300,000,000 contract are refused at entry
    /// past 200,000; written past the county's checks (the `sqlite3` shell), the city parks them,
    /// and parks a reference written other than in its one form, or missing.
    @Test(.timeLimit(.minutes(2)))
    func oneCountysAwardsOnOneContractStayWithinItsCap() async throws {
        let setup = try await AwardPlanTests.setUp()
        defer { setup.cluster.cleanUp() }
        let agency = try recognised(setup, "130202", "路南技术转移中心", "tech_transfer_agency", "provincial", serial: 51)
        let other = try recognised(setup, "130202", "路南技术市场", "tech_transfer_agency", "provincial", serial: 52)
        let first = try propose(setup, "130202", agency, "150000", basis: "300000000", ref: "1302022025000123")
        let again = try plan.propose(setup, "130202", other, "150000", extra: ["--basis", "300000000", "--basis-ref", "1302022025000123"])
        #expect(again.status != 0 && again.stderr.contains("at most 50,000.00 yuan remains"), "\(again.stderr)")
        let rest = try propose(setup, "130202", other, "50000", basis: "300000000", ref: "1302022025000123")

        let raw = try setup.rawProposal("130202", platform: other, yuan: 150_000, basis: 300_000_000, basisRef: "1302022025000123")
        let spaced = try setup.rawProposal("130202", platform: other, yuan: 1_000, basis: 1_000_000, basisRef: "ht 9")
        let missing = RecordID.generate()
        let sql = "INSERT INTO award (id, county, platform_id, amount_fen, basis_fen, fiscal_year) VALUES ('\(missing)', '130202', '\(other)', 100000, 100000000, 2025)"
        #expect(try Cluster.capture("/usr/bin/sqlite3", [setup.cluster.countyDBPath("130202"), sql]).status == 0)
        try setup.sync("130202")
        #expect(try setup.parked(raw)?.message.contains("1302022025000123") == true)
        #expect(try setup.parked(spaced)?.message.contains("HT9") == true)
        #expect(try setup.parked(missing)?.message.contains("--basis-ref") == true)
        #expect(try setup.parked(first) == nil && setup.parked(rest) == nil)
        #expect(try approve(setup, first).status == 0)
        #expect(try approve(setup, rest).status == 0)
        let total = try CityDatabase.open(at: setup.cluster.cityDB).awards().filter { $0.basisRef == "1302022025000123" && $0.status == .approved }
            .reduce(Fen.zero) { $0 + PlatformAwards.counted($1) }
        #expect(total == .yuan(200_000))
    }
}
