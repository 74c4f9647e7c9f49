import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// Performance evaluation (绩效评价) through the real city: recorded with `syncctl platform
/// evaluate` and on the console, seen by the county, and the tech innovation park's award follows
/// it (plan 四(三)2, "按绩效评价结果给予不高于50万元"). Release 0.15.0 had nothing that wrote it.
@Suite("Performance evaluation", .serialized)
struct EvaluationTests {
    let plan = AwardPlanTests()

    @Test(.timeLimit(.minutes(2)))
    func aParksAwardFollowsItsEvaluationAndTheCountySeesIt() async throws {
        let setup = try await AwardPlanTests.setUp()
        defer { setup.cluster.cleanUp() }
        let cityDB = setup.cluster.cityDB
        let park = try plan.add(setup, "130202", "唐山高新区科技创新园区", "tech_innovation_park", "municipal", serial: 71)
        let award = try plan.propose(setup, "130202", park, "500000").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try setup.sync("130202")
        let early = try setup.syncctl(["platform", "evaluate", park, "--db", cityDB, "--year", "2024", "--result", "良好"])
        #expect(early.status != 0 && early.stderr.contains("recognised platform"), "a registered platform was evaluated: \(early.stderr)")
        #expect(try setup.syncctl(["platform", "recognize", park, "--db", cityDB]).status == 0)

        // No evaluation yet: no award.
        let unevaluated = try setup.syncctl(["award", "approve", award, "--db", cityDB])
        #expect(unevaluated.status != 0 && unevaluated.stderr.contains("performance evaluation"), "\(unevaluated.stderr)")
        // Bad input names what was wrong and records nothing.
        let badResult = try setup.syncctl(["platform", "evaluate", park, "--db", cityDB, "--year", "2024", "--result", "很好"])
        #expect(badResult.status != 0 && badResult.stderr.contains("不合格 (fail)"), "\(badResult.stderr)")
        let badYear = try setup.syncctl(["platform", "evaluate", park, "--db", cityDB, "--year", "2099", "--result", "良好"])
        #expect(badYear.status != 0 && badYear.stderr.contains("year"), "\(badYear.stderr)")
        #expect(try CityDatabase.open(at: cityDB).platform(id: park)?.evaluation == nil)

        // 不合格: no award.
        #expect(try setup.syncctl(["platform", "evaluate", park, "--db", cityDB, "--year", "2024", "--result", "不合格"]).status == 0)
        let failed = try setup.syncctl(["award", "approve", award, "--db", cityDB])
        #expect(failed.status != 0 && failed.stderr.contains("不合格"), "\(failed.stderr)")
        // A year's result changes only with a reason; then the award is approved.
        let unexplained = try setup.syncctl(["platform", "evaluate", park, "--db", cityDB, "--year", "2024", "--result", "good"])
        #expect(unexplained.status != 0 && unexplained.stderr.contains("--reason"), "\(unexplained.stderr)")
        #expect(try setup.syncctl(["platform", "evaluate", park, "--db", cityDB, "--year", "2024", "--result", "good",
                                   "--reason", "复核后更正：第三方评估报告页码错误"]).status == 0)
        #expect(try setup.syncctl(["award", "approve", award, "--db", cityDB]).status == 0)

        // The county sees the latest result, and the decision log keeps every one.
        try setup.sync("130202")
        #expect(try CountyDatabase.open(at: setup.cluster.countyDBPath("130202")).platform(id: park)?.evaluation == "2024 良好")
        let decisions = try CityDatabase.open(at: cityDB).decisions(rowId: park).filter { $0.action == "evaluate" }.map(\.detail)
        #expect(decisions.count == 2 && decisions.contains { $0.contains("不合格") } && decisions.contains { $0.contains("复核后更正") }, "\(decisions)")
    }

    /// The console's form records an evaluation with the operator's name.
    @Test(.timeLimit(.minutes(2)))
    func theConsoleRecordsAnEvaluation() async throws {
        let (cluster, county, platform, _) = try await ConsoleTests.setUp()
        defer { cluster.cleanUp() }
        let token = try ConsoleTests.token(cluster, record: platform.id)
        let sameOrigin = ["Origin": "https://127.0.0.1:\(cluster.cityPort)", "Sec-Fetch-Site": "same-origin"]
        let wrong = try ConsoleTests.request(cluster, "operator-zhang", "POST", "/console/platforms/\(platform.id)/evaluate", headers: sameOrigin,
                                             form: "year=2024&result=superb&token=\(token)")
        #expect(wrong.status == 400 && wrong.body.contains("不合格"), "\(wrong.status) \(wrong.body.prefix(300))")
        let done = try ConsoleTests.request(cluster, "operator-zhang", "POST", "/console/platforms/\(platform.id)/evaluate", headers: sameOrigin,
                                            form: "year=2024&result=excellent&token=\(token)")
        #expect(done.status == 303, "\(done.status) \(done.body.prefix(300))")
        let city = try CityDatabase.open(at: cluster.cityDB)
        #expect(try city.platform(id: platform.id)?.evaluation == "2024 优秀")
        #expect(try city.decisions(rowId: platform.id).contains { $0.action == "evaluate" && $0.actor == "operator-zhang" })
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        #expect(try county.platform(id: platform.id)?.evaluation == "2024 优秀")
    }
}
