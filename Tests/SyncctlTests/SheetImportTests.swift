import Foundation
import LocalCluster
import SyncCore
@testable import SyncInterchange
import Testing

/// Sheets as county offices save them (Excel and WPS on Chinese Windows, openpyxl, LibreOffice),
/// imported through the real `syncctl` into a real replica, then imported again: the second
/// import changes nothing.
@Suite struct SheetImportTests {
    /// A workspace holding one platform the city recognised on 2021-11-20 (as a pull applies it:
    /// not captured as the county's change), and the platform's id.
    func workspaceWithARecognisedLab() throws -> (Workspace, String) {
        let ws = try Workspace()
        let lab = try ws.addKeyLab(name: "唐山陶瓷重点实验室", serial: 11)
        let sql = "UPDATE replica SET capture = 0 WHERE id = 1; "
            + "UPDATE platform SET status = 'recognized', recognized_on = '2021-11-20' WHERE id = '\(lab)'; "
            + "UPDATE replica SET capture = 1 WHERE id = 1;"
        let result = try Cluster.capture("/usr/bin/sqlite3", [ws.db, sql])
        guard result.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: ["reason": result.stderr]) }
        return (ws, lab)
    }

    /// The rows every sheet below holds, in the sheet's own columns: 序号 first, the recognised lab
    /// without its id (found by credit code, category and name) with its date as Excel shows it,
    /// then two new platforms, one with its level in the category.
    static let rows: [[String]] = [
        ["序号", "名称", "类别", "级别", "依托单位", "统一社会信用代码", "行业", "认定日期", "", ""],
        ["1", "唐山陶瓷重点实验室", "重点实验室", "市级", "唐山焊接研究所", creditCode(11), "焊接", "2021/11/20"],
        [],
        ["2", "唐山高新区科技企业孵化器", "省级孵化器", "", "唐山高新投资公司", creditCode(12), "科技服务", ""],
        ["3", "迁安钢铁新材料中试基地", "科技成果中试基地（平台）", "市级", "河钢集团", creditCode(13), "钢铁新材料", ""],
    ]

    /// Imports `file`, then imports it again, and checks what each line did both times.
    func importTwice(_ file: String, in ws: Workspace, lab: String, extra: [String] = []) throws {
        let first = try ws.syncctl(["import", "platforms", file, "--json"] + extra)
        #expect(first.status == 0, "\(first.stderr)")
        let summary = try #require(try first.json() as? [String: Any])
        let lines = try #require(summary["lines"] as? [[String: Any]])
        #expect(lines.map { $0["outcome"] as? String } == ["unchanged", "new", "new"], "\(lines)")
        #expect(lines.first?["id"] as? String == lab)
        let platforms = try #require(try ws.syncctl("platform", "list", "--json").json() as? [[String: Any]])
        #expect(platforms.count == 3)
        let incubator = try #require(platforms.first { $0["name"] as? String == "唐山高新区科技企业孵化器" })
        #expect(incubator["category"] as? String == "incubator" && incubator["level"] as? String == "provincial")
        #expect(platforms.first { $0["id"] as? String == lab }?["status"] as? String == "recognized")
        let counts = try ws.counts()

        let again = try ws.syncctl(["import", "platforms", file] + extra)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("0 new, 0 updated, 3 unchanged"), "\(again.stdout)")
        #expect(try ws.counts() == counts, "a second import of the same file wrote something")
    }

    /// Excel's "CSV" on Chinese Windows: GB18030, CRLF, found without --encoding.
    @Test func aGb18030SheetWithCrlfSerialNumbersAndABlankRowImportsOnce() throws {
        let (ws, lab) = try workspaceWithARecognisedLab()
        defer { ws.cleanUp() }
        let text = Self.rows.map { $0.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        let file = ws.path("平台.csv")
        try TextEncoding.gb18030.encode(text).write(to: URL(fileURLWithPath: file))
        try importTwice(file, in: ws, lab: lab)
    }

    /// Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated.
    @Test func aUtf16TabSeparatedSheetImportsOnce() throws {
        let (ws, lab) = try workspaceWithARecognisedLab()
        defer { ws.cleanUp() }
        let text = Self.rows.map { $0.joined(separator: "\t") }.joined(separator: "\r\n") + "\r\n"
        let file = ws.path("平台.txt")
        try TextEncoding.utf16.encode(text).write(to: URL(fileURLWithPath: file))
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)).starts(with: [0xFF, 0xFE]))
        try importTwice(file, in: ws, lab: lab)
    }

    /// A Python with openpyxl: the private environment `Deploy/test.sh` makes, or the system's.
    static func python() -> String? {
        let onPath = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
        let candidates = [Cluster.packageRoot.appendingPathComponent(".build/python/bin/python3").path] + onPath
        return candidates.first { path in
            FileManager.default.isExecutableFile(atPath: path) && (try? Cluster.capture(path, ["-c", "import openpyxl"]).status) == 0
        }
    }

    /// A workbook openpyxl writes: the date a real date cell, the header with an empty trailing
    /// cell, a blank row; and one whose credit code is a number cell, refused with the way out.
    @Test func anXlsxFromOpenpyxlImportsOnce() throws {
        guard let python = Self.python() else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_OPENPYXL"] == nil, "openpyxl (pip) is missing; Deploy/test.sh installs it")
            return
        }
        let (ws, lab) = try workspaceWithARecognisedLab()
        defer { ws.cleanUp() }
        let file = ws.path("平台.xlsx")
        let numeric = ws.path("数字代码.xlsx")
        let script = """
            import datetime, json, sys
            from openpyxl import Workbook
            rows = json.loads(sys.argv[1])
            book = Workbook()
            sheet = book.active
            sheet.title = "平台"
            for index, row in enumerate(rows, start=1):
                for column, value in enumerate(row, start=1):
                    if value == "2021/11/20":
                        cell = sheet.cell(row=index, column=column, value=datetime.date(2021, 11, 20))
                        cell.number_format = "yyyy/m/d"
                    elif value != "":
                        sheet.cell(row=index, column=column, value=value)
            book.save(sys.argv[2])
            sheet.cell(row=4, column=6, value=int(rows[3][5][:17]))
            book.save(sys.argv[3])
            """
        let rows = String(decoding: try JSONSerialization.data(withJSONObject: Self.rows), as: UTF8.self)
        let made = try Cluster.capture(python, ["-c", script, rows, file, numeric])
        #expect(made.status == 0, "\(made.stderr)")
        try importTwice(file, in: ws, lab: lab)

        let refused = try ws.syncctl("import", "platforms", numeric)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("line 4") && refused.stderr.contains("设置单元格格式"), "\(refused.stderr)")
    }

    /// The platforms' workbook: openpyxl reads the Chinese headings and every credit code as text,
    /// and importing it elsewhere gives the same platforms, then again changes nothing.
    @Test func theExportedWorkbookReadsInOpenpyxlAndImportsBackUnchanged() throws {
        let (ws, lab) = try workspaceWithARecognisedLab()
        defer { ws.cleanUp() }
        _ = try ws.addKeyLab(name: "唐山（陶瓷）二号实验室", serial: 12)
        let file = ws.path("平台.xlsx")
        #expect(try ws.syncctl("export", "platforms", file).status == 0)
        if let python = Self.python() {
            let read = try Cluster.capture(python, ["-c", """
                import json, sys
                from openpyxl import load_workbook
                sheet = load_workbook(sys.argv[1]).active
                print(json.dumps([[cell.value for cell in row] for row in sheet.iter_rows()], ensure_ascii=False))
                """, file])
            #expect(read.status == 0, "\(read.stderr)")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [[Any]])
            #expect(rows.first?.compactMap { $0 as? String }.prefix(3) == ["编号", "县区代码", "名称"])
            let codes = rows.dropFirst().compactMap { $0[7] as? String }
            #expect(Set(codes) == [creditCode(11), creditCode(12)], "credit codes as openpyxl reads them: \(rows)")
            #expect(rows.dropFirst().contains { $0[0] as? String == lab && $0[9] as? String == "2021-11-20" })
        } else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_OPENPYXL"] == nil, "openpyxl (pip) is missing; Deploy/test.sh installs it")
        }
        #expect(try ws.syncctl("import", "platforms", file).stdout.contains("0 new, 0 updated, 2 unchanged"))
        // Another replica takes the registered platform; the recognised one is the city's to send.
        let other = try Workspace()
        defer { other.cleanUp() }
        let refused = try other.syncctl("import", "platforms", file)
        #expect(refused.status != 0 && refused.stderr.contains("status"), "\(refused.stderr)")
        #expect(try ws.syncctl("platform", "delete", lab).status != 0, "a recognised platform is not the county's to delete")
        let registeredOnly = ws.path("registered.xlsx")
        let fresh = try Workspace()
        defer { fresh.cleanUp() }
        _ = try fresh.addKeyLab(name: "唐山（陶瓷）二号实验室", serial: 12)
        #expect(try fresh.syncctl("export", "platforms", registeredOnly).status == 0)
        let imported = try other.syncctl("import", "platforms", registeredOnly)
        #expect(imported.status == 0 && imported.stdout.contains("1 new"), "\(imported.stderr)")
        #expect(try other.syncctl("platform", "list", "--json").stdout == (try fresh.syncctl("platform", "list", "--json").stdout))
    }

    /// LibreOffice's own .xlsx (headless `--convert-to xlsx` of a CSV), with the credit codes
    /// kept as text and the dates read as dates, as Calc does when a clerk opens the CSV.
    @Test func anXlsxFromLibreOfficeImportsOnce() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/libreoffice") else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_LIBREOFFICE"] == nil, "libreoffice-calc-nogui is not installed (Deploy/test.sh installs it)")
            return
        }
        let (ws, lab) = try workspaceWithARecognisedLab()
        defer { ws.cleanUp() }
        let csv = ws.path("sheet.csv")
        try Data(Self.rows.map { $0.joined(separator: ",") }.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: csv))
        let profile = "file://" + ws.path("lo-profile")
        // Comma, double quote, UTF-8 (76), from line 1; column 6 (the credit code) as text (2).
        let converted = try Cluster.capture("/usr/bin/libreoffice", ["-env:UserInstallation=\(profile)", "--headless",
                                                                     "--infilter=CSV:44,34,76,1,6/2", "--convert-to", "xlsx", "--outdir", ws.url.path, csv])
        let file = ws.path("sheet.xlsx")
        #expect(FileManager.default.fileExists(atPath: file), "LibreOffice did not convert: \(converted.stdout) \(converted.stderr)")
        try importTwice(file, in: ws, lab: lab)
    }

    /// What the county cannot set, what Excel mangled, and a row pasted twice: each named by
    /// its line, and nothing written.
    @Test func sheetsTheCountyCannotImportAreRefusedByLine() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let header = "序号,名称,类别,级别,依托单位,统一社会信用代码,行业,状态\r\n"
        let cases: [(String, String)] = [
            ("1,某重点实验室,重点实验室,市级,某研究所,\(creditCode(21)),焊接,recognized\r\n", "status"),
            ("1,某重点实验室,重点实验室,市级,某研究所,9.11302E+17,焊接,\r\n", "scientific notation"),
            ("1,某重点实验室,重点实验室,省级,某研究所,\(creditCode(21)),焊接,\r\n2,某重点实验室,重点实验室,市级,某研究所,\(creditCode(21)),焊接,\r\n",
             "line 2 again"),
            ("1,某孵化器,孵化器,,某公司,\(creditCode(22)),科技服务,\r\n", "needs a level"),
        ]
        for (rows, expected) in cases {
            let file = ws.path("bad.csv")
            try Data((header + rows).utf8).write(to: URL(fileURLWithPath: file))
            let result = try ws.syncctl("import", "platforms", file)
            #expect(result.status != 0 && result.stderr.contains(expected), "\(expected): \(result.stderr)")
            #expect(try ws.counts() == [0, 0, 0])
        }
        // In a clerk's locale the lines are named in Chinese.
        let file = ws.path("bad.csv")
        try Data((header + "1,某重点实验室,重点实验室,市级,某研究所,911302000000000018,焊接,\r\n").utf8).write(to: URL(fileURLWithPath: file))
        let chinese = try ws.syncctl(["import", "platforms", file], locale: "zh_CN.UTF-8")
        #expect(chinese.stderr.contains("第 2 行：统一社会信用代码“911302000000000018”不符合要求：校验码应为"), "\(chinese.stderr)")
        // The same row pasted twice is one platform.
        let twice = ws.path("twice.csv")
        let row = "某重点实验室,重点实验室,市级,某研究所,\(creditCode(21)),焊接,\r\n"
        try Data((header + "1," + row + "2," + row).utf8).write(to: URL(fileURLWithPath: twice))
        let dry = try ws.syncctl("import", "platforms", twice, "--dry-run")
        #expect(dry.status == 0 && dry.stdout.contains("1 new, 0 updated, 1 unchanged") && dry.stdout.contains("repeats line 2"), "\(dry.stdout) \(dry.stderr)")
        #expect(try ws.counts() == [0, 0, 0], "a dry run wrote")
        #expect(try ws.syncctl("import", "platforms", twice).status == 0)
        #expect(try ws.counts()[0] == 1)
    }

    /// A workbook whose sheet unpacks past 64 MiB (a ZIP bomb: 65 MiB of spaces deflate to
    /// kilobytes), and a damaged one, are refused naming why, and nothing is written.
    @Test func aWorkbookPastItsBoundOrDamagedIsRefused() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let bomb = ws.path("bomb.xlsx")
        let made = try Cluster.capture("/usr/bin/python3", ["-c", """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("xl/workbook.xml", '<workbook xmlns:r="r"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>')
                z.writestr("xl/_rels/workbook.xml.rels", '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>')
                z.writestr("xl/worksheets/sheet1.xml", "<worksheet>" + " " * (65 << 20) + "</worksheet>")
            """, bomb])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: bomb)).count < 1 << 20)
        let refused = try ws.syncctl("import", "platforms", bomb)
        #expect(refused.status != 0 && refused.stderr.contains("64 MiB"), "\(refused.stderr)")
        let damaged = ws.path("damaged.xlsx")
        try Data([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0x41, count: 100)).write(to: URL(fileURLWithPath: damaged))
        let broken = try ws.syncctl("import", "platforms", damaged)
        #expect(broken.status != 0 && broken.stderr.contains("damaged"), "\(broken.stderr)")
        #expect(try ws.counts() == [0, 0, 0])
    }

    /// The readings a sheet's cells get, one by one.
    @Test func cellsAsSpreadsheetsWriteThem() throws {
        for text in ["2021-11-20", "2021/11/20", "2021.11.20", "2021年11月20日", "2021/11/20 0:00:00"] {
            #expect(try CalendarDate(sheet: text).description == "2021-11-20", "\(text)")
        }
        #expect(try CalendarDate(sheet: "2023/5/1").description == "2023-05-01")
        #expect(throws: DomainError.self) { try CalendarDate(sheet: "2021/2/30") }
        #expect(throws: DomainError.self) { try CalendarDate(sheet: "20/11/2021") }
        #expect(Sheet(records: []).date(serial: "44520")?.description == "2021-11-20")
        #expect(Sheet(records: [], date1904: true).date(serial: "43058")?.description == "2021-11-20")
        #expect(try PlatformSheet.category("省级重点实验室") == (.keyLab, .provincial))
        #expect(try PlatformSheet.category("重点实验室（国家级）") == (.keyLab, .national))
        #expect(try PlatformSheet.category("孵化器") == (.incubator, nil))
        #expect(try PlatformSheet.category("省科技型中小企业") == (.techSME, nil))
        #expect(throws: DomainError.self) { try PlatformSheet.creditCode(.number("911302000000000000")) }
        #expect(TextEncoding.detect(Data([0xFF, 0xFE, 0x41, 0x00])) == .utf16)
        #expect(TextEncoding.detect(Data("名称".utf8)) == .utf8)
        #expect(TextEncoding.detect(try TextEncoding.gb18030.encode("名称")) == .gb18030)
    }
}
