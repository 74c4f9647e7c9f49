import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// The 2025 targets the platform register cannot count (200 亿元 turnover, 15.7 %, 100
/// commissioners, 110 leading enterprises, 3,000 trainees…): the city enters a figure per year
/// with `syncctl figures`, and `syncctl progress` and the console show them beside the counted
/// targets, as of the report's day.
@Suite("Targets the register cannot count", .serialized)
struct EnteredFiguresTests {
    @Test(.timeLimit(.minutes(2)))
    func figuresEnteredPerYearStandBesideTheCountedTargets() async throws {
        let (cluster, _, _, _) = try await ConsoleTests.setUp()
        defer { cluster.cleanUp() }
        let cityDB = cluster.cityDB
        func figures(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try cluster.syncctl(["figures"] + arguments + ["--db", cityDB])
        }
        for (target, year, value) in [("tech_contract_turnover", "2024", "185.5"), ("tech_contract_turnover", "2025", "205"),
                                      ("高新技术产业增加值占规模以上工业比重", "2025", "16.2"), ("trainees", "2023", "900"),
                                      ("trainees", "2024", "1,200"), ("trainees", "2025", "1000")] {
            let entered = try figures(["set", target, "--year", year, "--value", value])
            #expect(entered.status == 0, "\(target) \(year): \(entered.stderr)")
        }
        // A correction is a decision, with the figure it replaced.
        #expect(try figures(["set", "tech_contract_turnover", "--year", "2025", "--value", "210"]).status == 0)
        #expect(try CityDatabase.open(at: cityDB).decisions(rowId: "tech_contract_turnover").contains { $0.detail.contains("210") && $0.detail.contains("was 205") })
        // Bad input names what was wrong and enters nothing.
        for (arguments, problem) in [(["set", "high_tech_share", "--year", "2025", "--value", "120"], "at most 100"),
                                     (["set", "trainees", "--year", "2025", "--value", "many"], "trainees"),
                                     (["set", "trainees", "--year", "2099", "--value", "5"], "year"),
                                     (["set", "patents", "--year", "2025", "--value", "5"], "tech_contract_turnover")] {
            let refused = try figures(arguments)
            #expect(refused.status != 0 && refused.stderr.contains(problem), "\(arguments): \(refused.stderr)")
        }
        #expect(try CityDatabase.open(at: cityDB).enteredFigures().count == 6)

        func standing(asOf day: String) throws -> [String: [String: Any]] {
            let report = try cluster.syncctl(["progress", "--db", cityDB, "--format", "json", "--as-of", day])
            let entered = try #require((try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])?["entered"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: entered.map { ($0["key"] as! String, $0) })
        }
        // As of the end of 2024: the latest year's turnover, the years' trainees added up.
        let earlier = try standing(asOf: "2024-12-31")
        #expect(earlier["tech_contract_turnover"]?["value"] as? String == "185.5" && earlier["tech_contract_turnover"]?["reached"] as? Bool == false)
        #expect(earlier["trainees"]?["value"] as? String == "2100" && earlier["trainees"]?["reached"] as? Bool == false)
        #expect(earlier["high_tech_share"]?["value"] is NSNull, "no share entered by 2024: \(earlier["high_tech_share"] ?? [:])")
        let end = try standing(asOf: "2025-12-31")
        #expect(end["tech_contract_turnover"]?["value"] as? String == "210" && end["tech_contract_turnover"]?["reached"] as? Bool == true)
        #expect(end["trainees"]?["value"] as? String == "3100" && end["trainees"]?["reached"] as? Bool == true)
        #expect(end["high_tech_share"]?["value"] as? String == "16.2" && end["agri_commissioners"]?["value"] is NSNull)

        let text = try cluster.syncctl(["progress", "--db", cityDB, "--as-of", "2025-12-31"]).stdout
        #expect(text.contains("技术合同成交额") && text.contains("210 亿元") && text.contains("not entered"), "\(text)")
        // The county matrix fits a terminal: targets down, the 18 counties across (it was 275
        // characters wide); a CJK character takes two columns.
        func columns(_ line: Substring) -> Int { line.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x2E80 ? 2 : 1) } }
        let matrix = text.split(separator: "\n").drop { !$0.hasPrefix("按县区") }.prefix(30)
        #expect(!matrix.isEmpty && matrix.dropFirst().allSatisfy { columns($0) <= 120 }, "\(matrix.map { columns($0) })")
        let page = try ConsoleTests.request(cluster, "operator-zhang", "GET", "/console/progress")
        #expect(page.body.contains(#"data-target="trainees""#) && page.body.contains("3100 人次"), "the console's progress page shows the figures")
    }
}
