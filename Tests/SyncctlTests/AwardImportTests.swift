import Foundation
import LocalCluster
import SyncCore
@testable import SyncInterchange
import Testing

/// Award proposals from sheets as county offices make them, through the real `syncctl` into a
/// real replica: amounts in a 万元 column become yuan, a second import changes nothing, and
/// every refusal names its line and writes nothing.
@Suite struct AwardImportTests {
    /// A workspace with two municipal key labs (credit codes 1 and 2).
    func workspaceWithTwoLabs() throws -> (Workspace, [String]) {
        let ws = try Workspace()
        return (ws, [try ws.addKeyLab(name: "唐山焊接重点实验室", serial: 1), try ws.addKeyLab(name: "唐山陶瓷重点实验室", serial: 2)])
    }

    /// Each award's platform and amount in fen, as `award list --json` gives them.
    func amounts(_ ws: Workspace) throws -> [String: Int] {
        let awards = try #require(try ws.syncctl("award", "list", "--json").json() as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: awards.compactMap { award in
            (award["platformId"] as? String).map { ($0, award["amountFen"] as? Int ?? -1) }
        })
    }

    /// Excel's CSV on Chinese Windows (GB18030, CRLF) with 序号, a blank row and a 金额（万元）
    /// column: 10 is 100,000 yuan; the same file again changes nothing; a changed amount updates
    /// the proposal instead of proposing again.
    @Test func aSheetIn万元ImportsOnceAndAgainChangesNothing() throws {
        let (ws, labs) = try workspaceWithTwoLabs()
        defer { ws.cleanUp() }
        func sheet(_ second: String) throws -> String {
            let text = ["序号,统一社会信用代码,类别,金额（万元）,年度,备注", "1,\(creditCode(1)),重点实验室,10,2025,首批", "",
                        "2,\(creditCode(2)),市级重点实验室,\(second),2025年,"].joined(separator: "\r\n") + "\r\n"
            let file = ws.path("奖补.csv")
            try TextEncoding.gb18030.encode(text).write(to: URL(fileURLWithPath: file))
            return file
        }
        let file = try sheet("8.5")
        let dry = try ws.syncctl("import", "awards", file, "--dry-run")
        #expect(dry.status == 0 && dry.stdout.contains("2 new") && dry.stdout.contains("100,000.00 元"), "\(dry.stdout) \(dry.stderr)")
        #expect(try ws.counts()[1] == 0, "a dry run wrote")
        let first = try ws.syncctl("import", "awards", file, "--json")
        #expect(first.status == 0, "\(first.stderr)")
        let lines = try #require((try first.json() as? [String: Any])?["lines"] as? [[String: Any]])
        #expect(lines.map { $0["line"] as? Int } == [2, 4] && lines.allSatisfy { $0["outcome"] as? String == "new" }, "\(lines)")
        #expect(try amounts(ws) == [labs[0]: 10_000_000, labs[1]: 8_500_000])
        let counts = try ws.counts()

        let again = try ws.syncctl("import", "awards", file)
        #expect(again.status == 0 && again.stdout.contains("0 new, 0 updated, 2 unchanged"), "\(again.stdout) \(again.stderr)")
        #expect(try ws.counts() == counts, "a second import of the same file wrote something")

        let changed = try ws.syncctl("import", "awards", try sheet("9"))
        #expect(changed.status == 0 && changed.stdout.contains("0 new, 1 updated, 1 unchanged"), "\(changed.stdout) \(changed.stderr)")
        #expect(try amounts(ws) == [labs[0]: 10_000_000, labs[1]: 9_000_000])
    }

    /// openpyxl's workbook with number cells: 平台编号 by a 13-character prefix, 9.5 in a
    /// 万元 column, the year as a number.
    @Test func anXlsxFromOpenpyxlWithNumberCellsImportsOnce() throws {
        guard let python = SheetImportTests.python() else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_OPENPYXL"] == nil, "openpyxl (pip) is missing; Deploy/test.sh installs it")
            return
        }
        let (ws, labs) = try workspaceWithTwoLabs()
        defer { ws.cleanUp() }
        let file = ws.path("奖补.xlsx")
        let made = try Cluster.capture(python, ["-c", """
            import sys
            from openpyxl import Workbook
            book = Workbook()
            sheet = book.active
            sheet.append(["平台编号", "申报金额（万元）", "年度", "依据来源"])
            sheet.append([sys.argv[2], 9.5, 2025, None])
            book.save(sys.argv[1])
            """, file, String(labs[1].prefix(13))])
        #expect(made.status == 0, "\(made.stderr)")
        let first = try ws.syncctl("import", "awards", file)
        #expect(first.status == 0 && first.stdout.contains("1 new"), "\(first.stdout) \(first.stderr)")
        #expect(try amounts(ws) == [labs[1]: 9_500_000])
        #expect(try ws.syncctl("import", "awards", file).stdout.contains("0 new, 0 updated, 1 unchanged"))
    }

    /// What a sheet cannot do, each named by its line, nothing written: 10 in a 元 column (the
    /// 万 question), a city column filled in, a platform the county does not hold, two rows that
    /// fit the platform's rule alone but not together, and an ambiguous 编号 heading.
    @Test func sheetsThatCannotBeProposedAreRefusedByLine() throws {
        let (ws, _) = try workspaceWithTwoLabs()
        defer { ws.cleanUp() }
        let cases: [(text: String, expected: String)] = [
            ("统一社会信用代码,金额（元）,年度\n\(creditCode(1)),10,2025\n", "line 2: amount \"10\""),
            ("统一社会信用代码,申报金额(元) Proposed (yuan),年度,批准金额(元) Approved (yuan)\n\(creditCode(1)),50000,2025,50000\n", "the city's decision"),
            ("统一社会信用代码,金额,年度\n\(creditCode(9)),50000,2025\n", "no platform of this county"),
            ("统一社会信用代码,金额,年度,依据来源\n\(creditCode(1)),60000,2025,A-1\n\(creditCode(1)),60000,2025,A-2\n", "line 3"),
            ("编号,金额,年度\nx,50000,2025\n", "平台编号 or 奖补编号"),
        ]
        for (text, expected) in cases {
            let file = ws.path("bad.csv")
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            let result = try ws.syncctl("import", "awards", file)
            #expect(result.status != 0 && result.stderr.contains(expected), "\(expected): \(result.stderr)")
            #expect(try ws.counts() == [2, 0, 2], "\(expected): something was written")
        }
        // In a clerk's locale the 万 question is asked in Chinese.
        let file = ws.path("bad.csv")
        try Data("统一社会信用代码,金额（元）,年度\n\(creditCode(1)),10,2025\n".utf8).write(to: URL(fileURLWithPath: file))
        let chinese = try ws.syncctl(["import", "awards", file], locale: "zh_CN.UTF-8")
        #expect(chinese.stderr.contains("第 2 行") && chinese.stderr.contains("如指万元请写 10万"), "\(chinese.stderr)")
    }

    /// Headings as clerks and the finance export write them, with their units.
    @Test func headingsGiveTheirColumnAndUnit() {
        #expect(ProposalSheet.key(of: "金额（万元）")! == ("amount", .wan))
        #expect(ProposalSheet.key(of: "申报金额(元) Proposed (yuan)")! == ("amount", .yuan))
        #expect(ProposalSheet.key(of: "金额")! == ("amount", .yuan))
        #expect(ProposalSheet.key(of: "依据金额万元")! == ("basis", .wan))
        #expect(ProposalSheet.key(of: "年度 Fiscal year")! == ("fiscal_year", nil))
        #expect(ProposalSheet.key(of: "批准金额(元) Approved (yuan)")!.key == "city:批准金额")
        #expect(ProposalSheet.key(of: "平台名称 Platform")!.key == "")
        #expect(ProposalSheet.key(of: "金额（美元）") == nil)
    }
}
