import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// The plan's money through the real city: counties propose with `syncctl` and sync over mutual
/// TLS, the city decides with `syncctl`. Proposals that only a county bypassing its own checks
/// can make (an older release, the `sqlite3` shell) are written with the shell, so the city's own
/// checks are what is tested.
@Suite("The plan's money at the city", .serialized)
struct AwardPlanTests {
    struct Setup {
        let cluster: Cluster
        func syncctl(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) { try cluster.syncctl(arguments) }
        func sync(_ code: String) throws {
            let result = try cluster.syncctl(["sync"] + cluster.connection(code))
            #expect(result.status == 0, "sync \(code): \(result.stderr)")
        }
        /// A proposal written with the `sqlite3` shell, past the county's own checks.
        /// With a basis, its source is `basisRef`, or one of its own.
        func rawProposal(_ code: String, platform: String, yuan: Int64, basis: Int64? = nil, basisRef: String? = nil) throws -> String {
            let id = RecordID.generate()
            let ref = basis == nil ? "NULL" : "'\(basisRef ?? "RAW-\(id.suffix(12).uppercased())")'"
            let sql = "INSERT INTO award (id, county, platform_id, amount_fen, basis_fen, basis_ref, fiscal_year) VALUES ('\(id)', '\(code)', '\(platform)', \(yuan * 100), \(basis.map { String($0 * 100) } ?? "NULL"), \(ref), 2025)"
            let result = try Cluster.capture("/usr/bin/sqlite3", [cluster.countyDBPath(code), sql])
            #expect(result.status == 0, "\(result.stderr)")
            return id
        }
        func parked(_ id: String) throws -> ParkedRecord? { try CityDatabase.open(at: cluster.cityDB).parked().first { $0.rowId == id } }
        /// A second operator confirms the decision pending on `record` (a large amount, an override).
        func confirm(_ record: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try cluster.confirmPending(record)
            #expect(result.status == 0, "confirming \(record): \(result.stderr)", sourceLocation: sourceLocation)
        }
    }

    static func setUp() async throws -> Setup {
        let cluster = try Cluster()
        try await cluster.startCity()
        _ = try cluster.makeCounty("130202")
        _ = try cluster.makeCounty("130203")
        return Setup(cluster: cluster)
    }

    func add(_ setup: Setup, _ code: String, _ name: String, _ category: String, _ level: String, serial: Int, extra: [String] = []) throws -> String {
        let result = try setup.syncctl(["platform", "add", "--db", setup.cluster.countyDBPath(code), "--name", name, "--category", category,
                                        "--level", level, "--host-org", "依托单位", "--credit-code", creditCode(serial), "--industry", "钢铁冶金"] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func propose(_ setup: Setup, _ code: String, _ platform: String, _ yuan: String, extra: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
        try setup.syncctl(["award", "propose", "--db", setup.cluster.countyDBPath(code), "--platform", platform, "--amount", yuan, "--fiscal-year", "2025"] + extra)
    }

    /// Totals per platform and one-time awards, at the county's entry and at the city.
    @Test(.timeLimit(.minutes(2)))
    func aPlatformsAwardsStayWithinTheRulesMaximum() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let base = try add(setup, "130202", "唐山钢铁中试基地", "pilot_base", "municipal", serial: 1)
        let lab = try add(setup, "130202", "唐山焊接重点实验室", "key_lab", "municipal", serial: 2)
        let imported = try add(setup, "130202", "引进高新技术企业", "high_tech_enterprise", "", serial: 3, extra: ["--subtype", "imported"])

        #expect(try propose(setup, "130202", base, "10000000", extra: ["--basis", "40000000", "--basis-ref", "REF-1"]).status == 0)
        let second = try propose(setup, "130202", base, "10000000", extra: ["--basis", "50000000", "--basis-ref", "REF-2"])
        #expect(second.status != 0 && second.stderr.contains("cap of 10,000,000.00"), "the county refuses at entry: \(second.stderr)")
        #expect(try propose(setup, "130202", lab, "100000").status == 0)
        #expect(try propose(setup, "130202", imported, "500000").status == 0)
        let again = try propose(setup, "130202", imported, "500000")
        #expect(again.status != 0 && again.stderr.contains("once per platform"), "\(again.stderr)")

        // Past the county's checks, the city refuses them and keeps them parked with the reason.
        let rawBase = try setup.rawProposal("130202", platform: base, yuan: 10_000_000, basis: 50_000_000)
        let rawLab = [try setup.rawProposal("130202", platform: lab, yuan: 100_000), try setup.rawProposal("130202", platform: lab, yuan: 50_000)]
        let rawImported = try setup.rawProposal("130202", platform: imported, yuan: 500_000)
        try setup.sync("130202")
        for id in [rawBase, rawImported] + rawLab {
            let parked = try #require(try setup.parked(id), "award \(id) is parked at the city")
            #expect(parked.reason == "platform_award_limit", "\(parked.reason): \(parked.message)")
        }
        let city = try CityDatabase.open(at: setup.cluster.cityDB)
        #expect(try city.awards().count == 3, "only the three proposals within the plan are at the city")
        // The approved amount counts: the city approves 60,000 of the lab's 100,000, leaving 40,000.
        for platform in [base, lab, imported] { #expect(try setup.syncctl(["platform", "recognize", platform, "--db", setup.cluster.cityDB]).status == 0) }
        let labAward = try #require(try city.awards().first { $0.platformId == lab })
        #expect(try setup.syncctl(["award", "approve", labAward.id, "--db", setup.cluster.cityDB, "--amount", "60000"]).status == 0)
        try setup.sync("130202")
        #expect(try propose(setup, "130202", lab, "40001").status != 0)
        #expect(try propose(setup, "130202", lab, "40000").status == 0)
        try setup.sync("130202")
        #expect(try city.awards().filter { $0.platformId == lab }.count == 2)
    }

    /// Recognition fixes the level; approval needs a recognised platform, recognised since the plan began.
    @Test(.timeLimit(.minutes(2)))
    func approvalFollowsRecognitionAndItsLevel() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let db = setup.cluster.countyDBPath("130202")
        let lab = try add(setup, "130202", "市级重点实验室", "key_lab", "municipal", serial: 11)
        let old = try add(setup, "130202", "老牌工程研究中心", "engineering_research_center", "provincial", serial: 12)
        let revoked = try add(setup, "130202", "退出的重点实验室", "key_lab", "municipal", serial: 13)
        let awards = try [lab, old, revoked].map { platform in
            try propose(setup, "130202", platform, "90000").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try setup.sync("130202")
        let cityDB = setup.cluster.cityDB

        let unrecognized = try setup.syncctl(["award", "approve", awards[0], "--db", cityDB])
        #expect(unrecognized.status != 0 && unrecognized.stderr.contains("registered"), "\(unrecognized.stderr)")
        for platform in [lab, revoked] { #expect(try setup.syncctl(["platform", "recognize", platform, "--db", cityDB]).status == 0) }
        // A recognition dated before the plan is the city's record of an earlier one: it needs a reason.
        let early = try setup.syncctl(["platform", "recognize", old, "--db", cityDB, "--on", "2021-11-20"])
        #expect(early.status != 0 && early.stderr.contains("--override-reason"), "\(early.stderr)")
        #expect(try setup.syncctl(["platform", "recognize", old, "--db", cityDB, "--on", "2021-11-20", "--override-reason", "2021年省级认定，市局备案"]).status == 0)
        try setup.confirm(old)
        #expect(try setup.syncctl(["platform", "revoke", revoked, "--db", cityDB]).status == 0)
        let afterRevocation = try setup.syncctl(["award", "approve", awards[2], "--db", cityDB])
        #expect(afterRevocation.status != 0 && afterRevocation.stderr.contains("revoked"), "\(afterRevocation.stderr)")
        let beforePlan = try setup.syncctl(["award", "approve", awards[1], "--db", cityDB])
        #expect(beforePlan.status != 0 && beforePlan.stderr.contains("2022-06-09"), "\(beforePlan.stderr)")
        let overridden = try setup.syncctl(["award", "approve", awards[1], "--db", cityDB, "--override-reason", "2022年6月后重新认定，市局会议纪要第12号"])
        #expect(overridden.status == 0, "\(overridden.stderr)")
        try setup.confirm(awards[1])
        #expect(try CityDatabase.open(at: cityDB).awardDecisions(id: awards[1])["recognized_before_plan"]?.note == "2022年6月后重新认定，市局会议纪要第12号")

        // The county cannot raise the recognised lab's level to raise its cap: refused at entry,
        // and parked at the city when written past the county's checks.
        try setup.sync("130202")
        let raised = try setup.syncctl(["platform", "update", lab, "--db", db, "--level", "national"])
        #expect(raised.status != 0 && raised.stderr.contains("level is the city's"), "\(raised.stderr)")
        #expect(try Cluster.capture("/usr/bin/sqlite3", [db, "UPDATE platform SET level = 'national' WHERE id = '\(lab)'"]).status == 0)
        try setup.sync("130202")
        #expect(try setup.parked(lab)?.reason == "recognized_platform")
        #expect(try CityDatabase.open(at: cityDB).platform(id: lab)?.level == .municipal)
        try setup.sync("130202")
        #expect(try CountyDatabase.open(at: db).platform(id: lab)?.level == .municipal, "the city's level comes back to the county")

        // The city decides the level; open awards are checked again under it.
        let big = try propose(setup, "130202", lab, "10000")
        #expect(big.status == 0, "\(big.stderr)")
        try setup.sync("130202")
        // As a municipal alliance its award would be exactly 100,000: the open 90,000 and 10,000 no longer fit.
        let lowered = try setup.syncctl(["platform", "reclassify", lab, "--db", cityDB, "--level", "municipal", "--category", "industry_alliance"])
        #expect(lowered.status != 0 && lowered.stderr.contains("open awards no longer fit"), "\(lowered.stderr)")
        let national = try setup.syncctl(["platform", "reclassify", lab, "--db", cityDB, "--level", "national"])
        #expect(national.status == 0, "\(national.stderr)")
        try setup.sync("130202")
        #expect(try CountyDatabase.open(at: db).platform(id: lab)?.level == .national)
    }

    /// Input that is wrong however the plan is read: refused with a message naming it.
    @Test(.timeLimit(.minutes(2)))
    func badInputIsRefusedByNameAtEntryAndAtTheCity() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let db = setup.cluster.countyDBPath("130202")
        let lab = try add(setup, "130202", "市级重点实验室", "key_lab", "municipal", serial: 31)
        let negative = try propose(setup, "130202", lab, "-100")
        #expect(negative.status != 0 && negative.stderr.contains("cannot be negative"), "\(negative.stderr)")
        let outside = try propose(setup, "130202", lab, "100", extra: ["--fiscal-year", "2026"])
        #expect(outside.status != 0 && outside.stderr.contains("2022 to 2025"), "\(outside.stderr)")
        let zeros = try setup.syncctl(["platform", "add", "--db", db, "--name", "占位企业", "--category", "tech_sme",
                                       "--host-org", "某单位", "--credit-code", "000000000000000000", "--industry", "新材料"])
        #expect(zeros.status != 0 && zeros.stderr.contains("placeholder"), "\(zeros.stderr)")
        for (name, problem) in [("坏\u{FFFD}名", "invalid UTF-8"), ("实验室\u{202E}txt.exe", "bidirectional"), ("名\u{1B}[2J称", "control character")] {
            let result = try setup.syncctl(["platform", "update", lab, "--db", db, "--name", name])
            #expect(result.status != 0 && result.stderr.contains(problem), "\(problem): \(result.stderr)")
        }
        // Past the county's checks, a fiscal year outside the plan is parked at the city.
        let id = RecordID.generate()
        let sql = "INSERT INTO award (id, county, platform_id, amount_fen, fiscal_year) VALUES ('\(id)', '130202', '\(lab)', 1000000, 2026)"
        #expect(try Cluster.capture("/usr/bin/sqlite3", [db, sql]).status == 0)
        try setup.sync("130202")
        #expect(try setup.parked(id)?.message.contains("2022 to 2025") == true)

        // A 1:1 match is exactly its basis unless the city records why not.
        let partner = try add(setup, "130202", "院士合作单位", "academician_partner", "provincial", serial: 32)
        let match = try propose(setup, "130202", partner, "300000", extra: ["--basis", "500000", "--basis-ref", "REF-3"])
        #expect(match.status == 0, "\(match.stderr)")
        try setup.sync("130202")
        let award = match.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try setup.syncctl(["platform", "recognize", partner, "--db", setup.cluster.cityDB]).status == 0)
        let inexact = try setup.syncctl(["award", "approve", award, "--db", setup.cluster.cityDB])
        #expect(inexact.status != 0 && inexact.stderr.contains("exactly 500,000.00"), "\(inexact.stderr)")
        #expect(try setup.syncctl(["award", "approve", award, "--db", setup.cluster.cityDB, "--override-reason", "省级资助分两年拨付，本年度配套30万"]).status == 0)
        try setup.confirm(award)
        #expect(try CityDatabase.open(at: setup.cluster.cityDB).awardDecisions(id: award)["match_adjusted"] != nil)
    }

    /// Case-by-case ceilings, one enterprise per credit code, disbursements.
    @Test(.timeLimit(.minutes(2)))
    func ceilingsDuplicatesAndDisbursements() async throws {
        let setup = try await Self.setUp()
        defer { setup.cluster.cleanUp() }
        let cityDB = setup.cluster.cityDB
        let institution = try add(setup, "130202", "新型研发机构", "new_rd_institution", "provincial", serial: 21)
        let typo = try propose(setup, "130202", institution, "99999999999")
        #expect(typo.status != 0 && typo.stderr.contains("--confirm-above-ceiling"), "\(typo.stderr)")
        let confirmed = try propose(setup, "130202", institution, "12000000", extra: ["--confirm-above-ceiling"])
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        let awardId = confirmed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        // The same enterprise registered in two counties: the later one is parked at the city for
        // its decision, and stays at its county, waiting; the message names neither the other
        // county nor its platform (a county registering public credit codes first learns nothing).
        let first = try add(setup, "130202", "唐山某高新企业", "high_tech_enterprise", "", serial: 22)
        try setup.sync("130202")
        let result = try setup.syncctl(["platform", "add", "--db", setup.cluster.countyDBPath("130203"), "--name", "唐山某高新企业(重复)",
                                        "--category", "high_tech_enterprise", "--host-org", "依托单位", "--credit-code", creditCode(22), "--industry", "钢铁冶金"])
        let later = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try setup.sync("130203")
        let parked = try #require(try setup.parked(later))
        #expect(parked.reason == "duplicate_enterprise" && parked.message.contains("another county"), "\(parked.message)")
        #expect(!parked.message.contains(first) && !parked.message.contains("130202"), "\(parked.message)")
        try setup.sync("130203")
        #expect(try CountyDatabase.open(at: setup.cluster.countyDBPath("130203")).platform(id: later) != nil, "the later registration stays at its county")

        #expect(try setup.syncctl(["platform", "recognize", institution, "--db", cityDB]).status == 0)
        let unconfirmed = try setup.syncctl(["award", "approve", awardId, "--db", cityDB])
        #expect(unconfirmed.status != 0 && unconfirmed.stderr.contains("--confirm-above-ceiling"), "\(unconfirmed.stderr)")
        let noReason = try setup.syncctl(["award", "approve", awardId, "--db", cityDB, "--confirm-above-ceiling"])
        #expect(noReason.status != 0 && noReason.stderr.contains("--override-reason"), "\(noReason.stderr)")
        let approvedAbove = try setup.syncctl(["award", "approve", awardId, "--db", cityDB, "--confirm-above-ceiling", "--override-reason", "省级标准，市政府常务会议第3次"])
        #expect(approvedAbove.status == 0, "\(approvedAbove.stderr)")
        try setup.confirm(awardId)
        #expect(try CityDatabase.open(at: cityDB).awardDecisions(id: awardId)["above_ceiling"]?.note?.contains("省级标准") == true)

        let atCounty = try setup.syncctl(["award", "disburse", awardId, "--db", setup.cluster.countyDBPath("130202")])
        #expect(atCounty.status != 0 && atCounty.stderr.contains("at the city"), "\(atCounty.stderr)")
        let early = try setup.syncctl(["award", "disburse", awardId, "--db", cityDB, "--on", "2025-09-01"])
        #expect(early.status != 0 && early.stderr.contains("on or after its approval"), "\(early.stderr)")
        let today = CityDatabase.today().description
        let paid = try setup.syncctl(["award", "disburse", awardId, "--db", cityDB, "--on", today])
        #expect(paid.status == 0, "\(paid.stderr)")
        try setup.confirm(awardId)
        let twice = try setup.syncctl(["award", "disburse", awardId, "--db", cityDB])
        #expect(twice.status != 0 && twice.stderr.contains("already disbursed"), "\(twice.stderr)")
        #expect(try CityDatabase.open(at: cityDB).awardDecisions(id: awardId)["disbursed"]?.on == today)
        try setup.sync("130202")
        #expect(try CountyDatabase.open(at: setup.cluster.countyDBPath("130202")).award(id: awardId)?.status == .disbursed)
    }
}

/// The second money review's doors, each through `syncctl` and the real aggregator: a match with no
/// ceiling, one-time awards given again, the subtype and credit code after recognition, a
/// downgrade after payment, payments to a revoked platform or dated ahead, the county's
/// recognition date, a silent change of it, and an outlier list that flagged every case-by-case award.
@Suite("The plan's money: the second review", .serialized)
struct MoneyDoorsTests {
    let plan = AwardPlanTests()

    @Test(.timeLimit(.minutes(3)))
    func everyDoorFoundOpenIsClosed() async throws {
        let setup = try await AwardPlanTests.setUp()
        defer { setup.cluster.cleanUp() }
        let cityDB = setup.cluster.cityDB
        let countyDB = setup.cluster.countyDBPath("130202")
        let city = { try CityDatabase.open(at: cityDB) }
        let partner = try plan.add(setup, "130202", "省级院士合作重点单位", "academician_partner", "provincial", serial: 31)
        let institution = try plan.add(setup, "130202", "唐山新型研发机构", "new_rd_institution", "provincial", serial: 32)
        let alliance = try plan.add(setup, "130202", "唐山产业技术创新战略联盟", "industry_alliance", "national", serial: 33)
        let enterprise = try plan.add(setup, "130202", "唐山新认定高企", "high_tech_enterprise", "", serial: 34, extra: ["--subtype", "new"])
        let other = try plan.add(setup, "130202", "唐山另一高企", "high_tech_enterprise", "", serial: 35, extra: ["--subtype", "new"])
        let revoked = try plan.add(setup, "130202", "将退出的重点实验室", "key_lab", "municipal", serial: 36)

        // 1. A 1:1 match of a typed basis: 999,999,999,999 yuan is refused without a confirmation.
        let huge = try plan.propose(setup, "130202", partner, "999999999999", extra: ["--basis", "999999999999", "--basis-ref", "REF-4"])
        #expect(huge.status != 0 && huge.stderr.contains("--confirm-above-ceiling"), "\(huge.stderr)")
        let match = try plan.propose(setup, "130202", partner, "500000", extra: ["--basis", "500000", "--basis-ref", "REF-5"])
        #expect(match.status == 0, "\(match.stderr)")
        // Every other door to the same amount holds the same line: an update, and a sheet that
        // names the award (which confirms nothing).
        let matchId = match.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let raised = try setup.syncctl(["award", "update", matchId, "--db", countyDB, "--amount", "999999999999", "--basis", "999999999999"])
        #expect(raised.status != 0 && raised.stderr.contains("--confirm-above-ceiling"), "\(raised.stderr)")
        let sheet = setup.cluster.dir.appendingPathComponent("raise.csv").path
        try Data("奖补编号,平台编号,金额（万元）,依据金额（万元）,依据来源,年度\n\(matchId),\(partner),99999999,99999999,REF-5,2025\n".utf8)
            .write(to: URL(fileURLWithPath: sheet))
        let raisedBySheet = try setup.syncctl(["import", "awards", sheet, "--db", countyDB])
        #expect(raisedBySheet.status != 0 && raisedBySheet.stderr.contains("--confirm-above-ceiling"), "\(raisedBySheet.stderr)")
        #expect(try CountyDatabase.open(at: countyDB).award(id: matchId)?.amount == .yuan(500_000), "neither door changed the amount")
        // A sheet's new row is a proposal like a typed one: above the ceiling it is refused, since a sheet confirms nothing.
        try Data("平台编号,金额（万元）,依据金额（万元）,依据来源,年度\n\(partner),99999999,99999999,REF-6,2025\n".utf8).write(to: URL(fileURLWithPath: sheet))
        let newBySheet = try setup.syncctl(["import", "awards", sheet, "--db", countyDB])
        #expect(newBySheet.status != 0 && newBySheet.stderr.contains("--confirm-above-ceiling"), "\(newBySheet.stderr)")
        // Past the county's checks (the sqlite3 shell), the city still holds the line at approval.
        let rawHuge = try setup.rawProposal("130202", platform: partner, yuan: 999_999_999_999, basis: 999_999_999_999)
        // 6. 一次性: a new R&D institution's second award.
        let first = try plan.propose(setup, "130202", institution, "3000000")
        #expect(first.status == 0, "\(first.stderr)")
        let again = try plan.propose(setup, "130202", institution, "3000000")
        #expect(again.status != 0 && again.stderr.contains("一次性"), "\(again.stderr)")
        let rawAgain = try setup.rawProposal("130202", platform: institution, yuan: 2_000_000)
        let paidAlliance = try #require(plan.propose(setup, "130202", alliance, "1000000").stdout.split(separator: "\n").first.map(String.init))
        let revokedAward = try #require(plan.propose(setup, "130202", revoked, "50000").stdout.split(separator: "\n").first.map(String.init))
        try setup.sync("130202")
        #expect(try setup.parked(rawAgain)?.reason == "platform_award_limit", "the city refuses the second one-time award too")

        for platform in [partner, institution, alliance, enterprise, other, revoked] {
            let recognized = try setup.syncctl(["platform", "recognize", platform, "--db", cityDB])
            #expect(recognized.status == 0, "\(recognized.stderr)")
        }
        let rawApproval = try setup.syncctl(["award", "approve", rawHuge, "--db", cityDB])
        #expect(rawApproval.status != 0 && rawApproval.stderr.contains("--confirm-above-ceiling"), "\(rawApproval.stderr)")
        let outliers = try city().progressReport().awards.outliers
        #expect(outliers.contains { $0.awardId == rawHuge }, "the outlier list shows the huge match: \(outliers)")
        // 10. A case-by-case award under the ceiling is no outlier.
        let institutionAward = try #require(try city().awards().first { $0.platformId == institution && $0.amount == .yuan(3_000_000) }).id
        #expect(!outliers.contains { $0.awardId == institutionAward }, "a 3,000,000 case-by-case award is allowed by its rule: \(outliers)")

        // 11. No payment to a revoked platform, nor one dated ahead.
        #expect(try setup.syncctl(["award", "approve", revokedAward, "--db", cityDB]).status == 0)
        #expect(try setup.syncctl(["platform", "revoke", revoked, "--db", cityDB]).status == 0)
        let toRevoked = try setup.syncctl(["award", "disburse", revokedAward, "--db", cityDB])
        #expect(toRevoked.status != 0 && toRevoked.stderr.contains("revoked"), "\(toRevoked.stderr)")
        #expect(try setup.syncctl(["award", "approve", paidAlliance, "--db", cityDB]).status == 0)
        try setup.confirm(paidAlliance)
        let ahead = try setup.syncctl(["award", "disburse", paidAlliance, "--db", cityDB, "--on", "2099-01-01"])
        #expect(ahead.status != 0 && ahead.stderr.contains("after today"), "\(ahead.stderr)")
        let approvalAhead = try setup.syncctl(["award", "approve", institutionAward, "--db", cityDB, "--on", "2099-01-01"])
        #expect(approvalAhead.status != 0 && approvalAhead.stderr.contains("after today"), "\(approvalAhead.stderr)")
        #expect(try setup.syncctl(["award", "disburse", paidAlliance, "--db", cityDB]).status == 0)
        try setup.confirm(paidAlliance)

        // 12. Downgraded after payment: the national alliance paid 1,000,000 gets no municipal 100,000.
        #expect(try setup.syncctl(["platform", "reclassify", alliance, "--db", cityDB, "--level", "municipal"]).status == 0)
        try setup.sync("130202")
        let downgraded = try plan.propose(setup, "130202", alliance, "100000")
        #expect(downgraded.status != 0 && downgraded.stderr.contains("given once"), "\(downgraded.stderr)")
        // Past the county's checks, the city refuses it too.
        let rawDowngraded = try setup.rawProposal("130202", platform: alliance, yuan: 100_000)
        try setup.sync("130202")
        #expect(try setup.parked(rawDowngraded)?.reason == "platform_award_limit")

        // 4. The subtype locks at recognition: "new" does not become "imported" for 500,000 more.
        let imported = try setup.syncctl(["platform", "update", enterprise, "--db", countyDB, "--subtype", "imported"])
        #expect(imported.status != 0 && imported.stderr.contains("subtype"), "\(imported.stderr)")
        #expect(try Cluster.capture("/usr/bin/sqlite3", [countyDB, "UPDATE platform SET subtype = 'imported' WHERE id = '\(enterprise)'"]).status == 0)
        try setup.sync("130202")
        #expect(try setup.parked(enterprise)?.reason == "recognized_platform")
        #expect(try city().platform(id: enterprise)?.subtype == "new")

        // 3. One enterprise per credit code on every change: a registered enterprise moved onto
        // another's credit code, or a tech SME made a high-tech enterprise of a code already one.
        let sme = try plan.add(setup, "130202", "唐山科技型中小企业", "tech_sme", "", serial: 34)
        try setup.sync("130202")
        #expect(try setup.parked(sme) == nil, "a tech SME and a high-tech enterprise of one code are two registrations")
        #expect(try Cluster.capture("/usr/bin/sqlite3", [countyDB, "UPDATE platform SET category = 'high_tech_enterprise', subtype = 'new' WHERE id = '\(sme)'"]).status == 0)
        try setup.sync("130202")
        let duplicate = try setup.parked(sme)
        #expect(duplicate?.reason == "duplicate_enterprise", "\(String(describing: duplicate))")
        #expect(try city().platform(id: sme)?.category == .techSME)

        // 8. The county cannot set a recognition date; the city's recognition sets its own.
        let dated = try setup.syncctl(["platform", "add", "--db", countyDB, "--name", "带日期的平台", "--category", "key_lab", "--level", "municipal",
                                       "--host-org", "依托单位", "--credit-code", creditCode(37), "--industry", "钢铁冶金", "--recognized-on", "2023-01-01"])
        #expect(dated.status != 0, "the county's CLI takes no recognition date")
        let shellRow = RecordID.generate()
        let insert = """
            INSERT INTO platform (id, county, name, category, level, host_org, credit_code, industry, recognized_on)
            VALUES ('\(shellRow)', '130202', '外壳写入的平台', 'key_lab', 'municipal', '依托单位', '\(creditCode(38))', '钢铁冶金', '2099-12-31')
            """
        #expect(try Cluster.capture("/usr/bin/sqlite3", [countyDB, insert]).status == 0)
        try setup.sync("130202")
        let cityOwned = try setup.parked(shellRow)
        #expect(cityOwned?.reason == "city_owned_column", "\(String(describing: cityOwned))")
        // A recognition dated ahead is refused, for a platform the city holds (the shell's row it does not).
        let future = try setup.syncctl(["platform", "recognize", sme, "--db", cityDB, "--on", "2099-12-31"])
        #expect(future.status != 0 && future.stderr.contains("after today"), "\(future.stderr)")
        #expect(try city().platform(id: sme)?.status == .registered)
        #expect(try city().platform(id: partner)?.recognizedOn == CityDatabase.today())

        // 9. A recognition date changes only as a decision with a reason, and the log keeps it.
        let silently = try setup.syncctl(["platform", "redate", partner, "--db", cityDB, "--on", "2023-05-01", "--reason", " "])
        #expect(silently.status != 0 && silently.stderr.contains("reason"), "\(silently.stderr)")
        let redated = try setup.syncctl(["platform", "redate", partner, "--db", cityDB, "--on", "2023-05-01", "--reason", "认定文件日期为2023年5月1日"])
        #expect(redated.status == 0, "\(redated.stderr)")
        #expect(try city().platform(id: partner)?.recognizedOn?.description == "2023-05-01")
        let log = try city().decisions(limit: 50).map { "\($0.action) \($0.rowId) \($0.detail)" }
        #expect(log.contains { $0.hasPrefix("redate \(partner)") && $0.contains("→ 2023-05-01") && $0.contains("认定文件日期") }, "\(log)")

        // A long text written at the city is held to the limit every county accepts (release
        // 0.15.0 took a 9,000-byte rejection reason, and that county's pulls stopped for good).
        let long = try setup.syncctl(["award", "reject", rawHuge, "--db", cityDB, "--reason", String(repeating: "理由", count: 1_500)])
        #expect(long.status != 0 && long.stderr.contains("4096"), "\(long.stderr)")
        let longest = String(repeating: "由", count: 1_365)
        #expect(try setup.syncctl(["award", "reject", rawHuge, "--db", cityDB, "--reason", longest]).status == 0)
        try setup.sync("130202")
        #expect(try CountyDatabase.open(at: countyDB).award(id: rawHuge)?.rejectReason == longest, "the county pulls the longest reason")
    }

    /// Finding 2: one platform registered twice (in two counties, or twice in one) is recognised,
    /// and so paid, only once, unless an operator confirms they are two platforms.
    @Test(.timeLimit(.minutes(2)))
    func aPlatformRegisteredTwiceIsRecognisedOnceUnlessConfirmedDistinct() async throws {
        let setup = try await AwardPlanTests.setUp()
        defer { setup.cluster.cleanUp() }
        let cityDB = setup.cluster.cityDB
        let first = try plan.add(setup, "130202", "河北省院士工作站（唐山陶瓷）", "academician_workstation", "provincial", serial: 71)
        let second = try plan.add(setup, "130203", "河北省院士工作站(唐山陶瓷)", "academician_workstation", "provincial", serial: 71)
        // The same key lab typed twice in one county, the name with full-width brackets and a space:
        // the clerk is warned at entry.
        let lab = try plan.add(setup, "130202", "唐山（焊接）重点实验室", "key_lab", "provincial", serial: 72)
        let again = try setup.syncctl(["platform", "add", "--db", setup.cluster.countyDBPath("130202"), "--name", "唐山(焊接) 重点实验室",
                                       "--category", "key_lab", "--level", "provincial", "--host-org", "依托单位", "--credit-code", creditCode(73),
                                       "--industry", "钢铁冶金"])
        #expect(again.status == 0 && again.stderr.contains(lab), "\(again.stderr)")
        let labTwin = again.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try setup.sync("130202")
        try setup.sync("130203")

        #expect(try setup.syncctl(["platform", "recognize", first, "--db", cityDB]).status == 0)
        let twice = try setup.syncctl(["platform", "recognize", second, "--db", cityDB])
        #expect(twice.status != 0 && twice.stderr.contains(first) && twice.stderr.contains("--confirm-distinct"), "\(twice.stderr)")
        #expect(try setup.syncctl(["platform", "recognize", lab, "--db", cityDB]).status == 0)
        let unconfirmed = try setup.syncctl(["platform", "recognize", labTwin, "--db", cityDB])
        #expect(unconfirmed.status != 0 && unconfirmed.stderr.contains(lab), "\(unconfirmed.stderr)")
        let confirmed = try setup.syncctl(["platform", "recognize", labTwin, "--db", cityDB, "--confirm-distinct", "两个实验室：焊接材料与焊接工艺，认定文件不同"])
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        try setup.confirm(labTwin)
        let log = try CityDatabase.open(at: cityDB).decisions(rowId: labTwin).map(\.detail)
        #expect(log.contains { $0.contains("confirmed distinct from \(lab)") && $0.contains("认定文件不同") }, "\(log)")
        // Nothing was paid for the second workstation: it is not recognised.
        #expect(try CityDatabase.open(at: cityDB).platform(id: second)?.status == .registered)
    }
}
