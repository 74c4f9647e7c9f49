import Foundation
import Testing

@Suite struct ImportExportTests {
    static let header = "name,category,level,host_org,credit_code,industry,recognized_on\n"

    /// Writes `text` to `name` in the workspace, converted with the system `iconv` for GB18030.
    func write(_ text: String, to name: String, in ws: Workspace, gb18030: Bool = false) throws -> String {
        let path = ws.path(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        if gb18030 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/iconv")
            process.arguments = ["-f", "UTF-8", "-t", "GB18030", "-o", path + ".gb", path]
            try process.run()
            process.waitUntilExit()
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: path + ".gb", toPath: path)
        }
        return path
    }

    @Test func importsUtf8WithChineseHeadingsAndValues() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let file = try write("\u{FEFF}名称,类别,级别,依托单位,统一社会信用代码,行业\r\n"
            + "唐山陶瓷重点实验室,重点实验室,省级,唐山陶瓷集团,\(creditCode(1)),新材料\r\n"
            + "\"机器人创新中心, 二期\",tech_innovation_center,municipal,某机器人公司,\(creditCode(2)),机器人\r\n",
            to: "utf8.csv", in: ws)
        let result = try ws.syncctl("import", "platforms", file)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("2 new"))
        let platforms = try #require(try ws.syncctl("platform", "list", "--json").json() as? [[String: Any]])
        #expect(Set(platforms.compactMap { $0["name"] as? String }) == ["唐山陶瓷重点实验室", "机器人创新中心, 二期"])
        #expect(platforms.first { $0["name"] as? String == "唐山陶瓷重点实验室" }?["level"] as? String == "provincial")
    }

    @Test func importsGb18030AsExcelOnChineseWindowsWritesIt() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let text = Self.header + "迁安钢铁新材料中试基地,pilot_base,municipal,河钢集团,\(creditCode(5)),钢铁新材料,\r\n"
        let file = try write(text, to: "gb.csv", in: ws, gb18030: true)
        // Told it is UTF-8, the import refuses and names the way out; by default it finds GB18030.
        let asUtf8 = try ws.syncctl("import", "platforms", file, "--encoding", "utf-8")
        #expect(asUtf8.status != 0)
        #expect(asUtf8.stderr.contains("--encoding gb18030"))
        let result = try ws.syncctl("import", "platforms", file)
        #expect(result.status == 0, "\(result.stderr)")
        let platforms = try #require(try ws.syncctl("platform", "list", "--json").json() as? [[String: Any]])
        #expect(platforms.first?["name"] as? String == "迁安钢铁新材料中试基地")
        #expect(platforms.first?["hostOrg"] as? String == "河钢集团")
        #expect(platforms.first?["recognizedOn"] is NSNull)
    }

    /// A recognition date is the city's: a sheet that sets one is refused whole, naming the
    /// column, instead of being accepted and refused later by the city.
    @Test func aSheetSettingTheCitysRecognitionDateIsRefused() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let file = try write(Self.header + "迁安钢铁新材料中试基地,pilot_base,municipal,河钢集团,\(creditCode(5)),钢铁新材料,2023-03-15\r\n",
                             to: "dated.csv", in: ws)
        let result = try ws.syncctl("import", "platforms", file)
        #expect(result.status != 0 && result.stderr.contains("recognized_on"), "\(result.stderr)")
        let platforms = try #require(try ws.syncctl("platform", "list", "--json").json() as? [[String: Any]])
        #expect(platforms.isEmpty, "nothing was imported")
    }

    /// Every refusal of a sheet names the file it read: an empty one, a bad header, bad rows.
    @Test func everyRefusalNamesTheFile() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        for (name, text, expected) in [("empty.csv", "", "the file is empty"), ("header.csv", "名字,类别\n", "unknown column"),
                                       ("rows.csv", Self.header + "坏类别,laboratory,municipal,某单位,\(creditCode(2)),焊接,\n", "1 bad row")] {
            let file = try write(text, to: name, in: ws)
            let result = try ws.syncctl("import", "platforms", file)
            #expect(result.status == 1 && result.stderr.contains("\(file): ") && result.stderr.contains(expected), "\(name): \(result.stderr)")
        }
    }

    @Test func aBadFileChangesNothingAndNamesEveryBadLine() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        _ = try ws.addKeyLab(serial: 9)
        let file = try write(Self.header
            + "好的实验室,key_lab,municipal,某单位,\(creditCode(1)),焊接,\n"
            + "坏类别,laboratory,municipal,某单位,\(creditCode(2)),焊接,\n"
            + "好的二,key_lab,national,某单位,\(creditCode(3)),焊接,\n"
            + "坏代码,key_lab,municipal,某单位,91130200MA0C12345Y,焊接,\n"
            + "坏级别,pilot_base,national,某单位,\(creditCode(4)),焊接,2023-02-30\n",
            to: "bad.csv", in: ws)
        let before = try ws.counts()
        let result = try ws.syncctl("import", "platforms", file)
        #expect(result.status != 0)
        #expect(result.stderr.contains("3 bad rows"))
        #expect(result.stderr.contains("line 3: category"))
        #expect(result.stderr.contains("line 5: credit-code"))
        #expect(result.stderr.contains("line 6:"))
        #expect(!result.stderr.contains("line 2:"))
        #expect(try ws.counts() == before)
    }

    @Test(arguments: ["utf-8", "gb18030"])
    func whatExportWritesImportReadsBackUnchanged(encoding: String) throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let lab = try ws.addKeyLab(name: "带\"引号\"和,逗号的实验室")
        #expect(try ws.syncctl("platform", "update", lab, "--remarks", "第一行\n第二行", "--contact", "张三 13800000000").status == 0)
        #expect(try ws.syncctl("platform", "add", "--name", "高企", "--category", "high_tech_enterprise", "--subtype", "imported",
                               "--host-org", "某科技公司", "--credit-code", creditCode(8), "--industry", "电子信息").status == 0)
        #expect(try ws.syncctl("platform", "add", "--name", "智慧农业场景", "--category", "application_scenario",
                               "--subtype", "smart_agriculture", "--host-org", "某农业公司", "--credit-code", creditCode(9),
                               "--industry", "现代农业").status == 0)
        let exported = ws.path("out.csv")
        #expect(try ws.syncctl("export", "platforms", exported, "--encoding", encoding).status == 0)

        let other = try Workspace()
        defer { other.cleanUp() }
        let imported = try other.syncctl("import", "platforms", exported, "--encoding", encoding)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("3 new"))
        let again = other.path("again.csv")
        #expect(try other.syncctl("export", "platforms", again, "--encoding", encoding).status == 0)
        let first = try Data(contentsOf: URL(fileURLWithPath: exported))
        #expect(first == (try Data(contentsOf: URL(fileURLWithPath: again))))
        #expect(try other.syncctl("platform", "list", "--json").stdout == (try ws.syncctl("platform", "list", "--json").stdout))
        // Re-importing the same file into the replica it came from changes nothing.
        let reimport = try ws.syncctl("import", "platforms", exported, "--encoding", encoding)
        #expect(reimport.stdout.contains("0 new, 0 updated, 3 unchanged"))
    }
}
