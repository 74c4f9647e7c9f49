import Foundation
import SyncCore
import Testing

@Suite struct DataEntryTests {
    @Test func initRefusesAnExistingFileAndAnUnknownCounty() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let again = try Syncctl.run(["init", "--db", ws.db, "--county", "130202"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already exists"))
        let unknown = try Syncctl.run(["init", "--db", ws.path("x.db"), "--county", "110101"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("county \"110101\""))
        #expect(!FileManager.default.fileExists(atPath: ws.path("x.db")))
    }

    @Test func addPrintsTheNewIdAndJsonHasStableCamelCaseKeys() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let id = try ws.addKeyLab()
        #expect(RecordID.isValid(id))
        let shown = try #require(try ws.syncctl("platform", "show", id, "--json").json() as? [String: Any])
        #expect(shown["id"] as? String == id)
        #expect(shown["county"] as? String == "130202")
        #expect(shown["hostOrg"] as? String == "唐山焊接研究所")
        #expect(shown["creditCode"] as? String == creditCode(1))
        #expect(shown["category"] as? String == "key_lab")
        #expect(shown["level"] as? String == "municipal")
        #expect(shown["status"] as? String == "registered")

        let json = try ws.syncctl("platform", "add", "--name", "孵化器", "--category", "科技企业孵化器", "--level", "省级",
                                  "--host-org", "某公司", "--credit-code", creditCode(2), "--industry", "电子信息",
                                  "--json")
        let added = try #require(try json.json() as? [String: Any])
        #expect(added["category"] as? String == "incubator")
        #expect(added["level"] as? String == "provincial")
        #expect(added["recognizedOn"] is NSNull, "the recognition date is the city's")
    }

    @Test func updateChangesOnlyTheGivenFields() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let id = try ws.addKeyLab()
        let updated = try ws.syncctl("platform", "update", id, "--name", "唐山市焊接技术重点实验室", "--contact", "李工")
        #expect(updated.status == 0, "\(updated.stderr)")
        let shown = try #require(try ws.syncctl("platform", "show", id, "--json").json() as? [String: Any])
        #expect(shown["name"] as? String == "唐山市焊接技术重点实验室")
        #expect(shown["contact"] as? String == "李工")
        #expect(shown["industry"] as? String == "焊接")
        let list = try ws.syncctl("platform", "list")
        #expect(list.stdout.contains("唐山市焊接技术重点实验室"))
        #expect(list.stdout.contains("1 platform"))
        let outbox = try #require(try ws.syncctl("outbox", "--json").json() as? [[String: Any]])
        #expect(outbox.map { $0["op"] as? String } == ["insert", "update"])
        #expect(outbox[1]["columns"] as? [String] == ["name", "contact"])
    }

    @Test(arguments: [
        (["--category", "laboratory", "--level", "municipal"], "category"),
        (["--category", "tech_innovation_park", "--level", "provincial"], "level"),
        (["--category", "star_innovation_space", "--level", "municipal"], "level"),
        (["--category", "postdoc_station", "--level", "national"], "level"),
        (["--category", "key_lab"], "level"),
    ])
    func badPlatformsAreRefusedNamingTheFieldAndWriteNothing(fields: [String], named field: String) throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let result = try Syncctl.run(["platform", "add", "--db", ws.db, "--name", "x", "--host-org", "h",
                                      "--credit-code", creditCode(1), "--industry", "i"] + fields)
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(field) \""), "\(result.stderr)")
        #expect(try ws.counts() == [0, 0, 0])
    }

    @Test func anInvalidCreditCodeNamesTheCheckCharacter() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        var code = creditCode(1)
        let last = code.removeLast()
        code.append(last == "0" ? "1" : "0")
        let result = try ws.syncctl("platform", "add", "--name", "x", "--category", "key_lab", "--level", "national",
                                    "--host-org", "h", "--credit-code", code, "--industry", "i")
        #expect(result.status != 0)
        #expect(result.stderr.contains("credit-code"))
        #expect(result.stderr.contains("check character should be \"\(last)\""))
        let forbidden = try ws.syncctl("platform", "add", "--name", "x", "--category", "key_lab", "--level", "national",
                                       "--host-org", "h", "--credit-code", "91130200MA0C1234OX", "--industry", "i")
        #expect(forbidden.stderr.contains("\"O\" is not allowed"))
        #expect(try ws.counts() == [0, 0, 0])
    }

    @Test func awardsFollowThePlansRules() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let lab = try ws.addKeyLab()
        let overCap = try ws.syncctl("award", "propose", "--platform", lab, "--amount", "100000.01", "--fiscal-year", "2025")
        #expect(overCap.status != 0)
        #expect(overCap.stderr.contains("amount"))
        #expect(overCap.stderr.contains("up to 100,000.00 yuan"))

        let alliance = try ws.syncctl("platform", "add", "--name", "钢铁产业技术创新战略联盟", "--category", "industry_alliance",
                                      "--level", "provincial", "--host-org", "唐钢", "--credit-code", creditCode(3), "--industry", "钢铁冶金").line
        let notFixed = try ws.syncctl("award", "propose", "--platform", alliance, "--amount", "150000", "--fiscal-year", "2025")
        #expect(notFixed.status != 0)
        #expect(notFixed.stderr.contains("exactly 200,000.00 yuan"))

        let unknown = try ws.syncctl("award", "propose", "--platform", RecordID.generate(), "--amount", "100000", "--fiscal-year", "2025")
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("platform"))
        #expect(unknown.stderr.contains("not found"))

        let badAmount = try ws.syncctl("award", "propose", "--platform", lab, "--amount", "12.345", "--fiscal-year", "2025")
        #expect(badAmount.stderr.contains("at most two decimals"))
        #expect(try ws.counts() == [2, 0, 2])

        let fixed = try ws.syncctl("award", "propose", "--platform", alliance, "--amount", "200,000", "--fiscal-year", "2025", "--json")
        let award = try #require(try fixed.json() as? [String: Any])
        #expect(award["amountFen"] as? Int == 20_000_000)
        #expect(award["fiscalYear"] as? Int == 2025)
        #expect(award["county"] as? String == "130202")
        #expect(award["status"] as? String == "proposed")

        let id = try ws.syncctl("award", "propose", "--platform", lab, "--amount", "50000", "--fiscal-year", "2025").line
        #expect(try ws.syncctl("award", "update", id, "--amount", "100001").status != 0)
        #expect(try ws.syncctl("award", "update", id, "--amount", "99999.50").status == 0)
        let awards = try #require(try ws.syncctl("award", "list", "--json").json() as? [[String: Any]])
        #expect(awards.first { $0["id"] as? String == id }?["amountFen"] as? Int == 9_999_950)
    }

    @Test func proportionalAwardsNeedTheirBasis() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let base = try ws.syncctl("platform", "add", "--name", "中试基地", "--category", "pilot_base", "--level", "municipal",
                                  "--host-org", "h", "--credit-code", creditCode(4), "--industry", "新材料").line
        let noBasis = try ws.syncctl("award", "propose", "--platform", base, "--amount", "300000", "--fiscal-year", "2025")
        #expect(noBasis.stderr.contains("basis"))
        let above = try ws.syncctl("award", "propose", "--platform", base, "--amount", "300000.01", "--basis", "1000000", "--fiscal-year", "2025")
        #expect(above.stderr.contains("above the maximum 300,000.00 yuan"))
        let noSource = try ws.syncctl("award", "propose", "--platform", base, "--amount", "300000", "--basis", "1000000", "--fiscal-year", "2025")
        #expect(noSource.status != 0 && noSource.stderr.contains("--basis-ref"), "\(noSource.stderr)")
        let ok = try ws.syncctl("award", "propose", "--platform", base, "--amount", "300000", "--basis", "1000000",
                                "--basis-ref", "tz 2025-017", "--fiscal-year", "2025")
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try ws.counts() == [1, 1, 2])
        // A second award on the same investment project, however it is spelt: 30 % of it was given.
        let base2 = try ws.syncctl("platform", "add", "--name", "中试基地二", "--category", "pilot_base", "--level", "municipal",
                                   "--host-org", "h", "--credit-code", creditCode(5), "--industry", "新材料").line
        let twice = try ws.syncctl("award", "propose", "--platform", base2, "--amount", "300000", "--basis", "1000000",
                                   "--basis-ref", "ＴＺ２０２５－０１７", "--fiscal-year", "2025")
        #expect(twice.status != 0 && twice.stderr.contains("TZ2025-017") && twice.stderr.contains("at most 0.00 yuan remains"), "\(twice.stderr)")
        let otherBasis = try ws.syncctl("award", "propose", "--platform", base2, "--amount", "1000", "--basis", "2000000",
                                        "--basis-ref", "TZ2025-017", "--fiscal-year", "2025")
        #expect(otherBasis.status != 0 && otherBasis.stderr.contains("was stated as 1,000,000.00 yuan"), "\(otherBasis.stderr)")
        #expect(try ws.counts() == [2, 1, 3])
        let listed = try ws.syncctl("award", "list")
        #expect(listed.stdout.contains("TZ2025-017") && listed.stdout.contains("1 award: 1 proposed (300,000.00 yuan)"), "\(listed.stdout)")
    }

    @Test func commandsOnAMissingDatabaseFailWithOneClearLine() throws {
        let result = try Syncctl.run(["platform", "list", "--db", "/nonexistent/county.db"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no database at /nonexistent/county.db"))
    }

    /// 万元 as clerks say amounts: `10万` is 100,000 yuan; a bare `10` is refused with the
    /// question whether 万元 was meant, at every amount option; `10元` says yuan.
    @Test func amountsIn万元AreReadAndABareSmallNumberIsQuestioned() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let lab = try ws.addKeyLab()
        let before = try ws.counts()
        for arguments in [["award", "propose", "--platform", lab, "--amount", "10", "--fiscal-year", "2025"],
                          ["award", "propose", "--platform", lab, "--amount", "８", "--fiscal-year", "2025"]] {
            let bare = try ws.syncctl(arguments)
            #expect(bare.status != 0 && bare.stderr.contains("万元") && bare.stderr.contains("万 ("), "\(bare.stderr)")
        }
        #expect(try ws.counts() == before)
        let inWan = try #require(try ws.syncctl("award", "propose", "--platform", lab, "--amount", "9.5万", "--fiscal-year", "2025", "--json")
            .json() as? [String: Any])
        #expect(inWan["amountFen"] as? Int == 9_500_000)
        let id = try #require(inWan["id"] as? String)
        #expect(try ws.syncctl("award", "update", id, "--amount", "50").stderr.contains("50万"))
        #expect(try ws.syncctl("award", "update", id, "--amount", "50元").status == 0)
        let shown = try ws.syncctl("award", "show", id, "--json").json() as? [String: Any]
        #expect(shown?["amountFen"] as? Int == 5_000)
        #expect(try ws.syncctl("award", "update", id, "--amount", "10万元").status == 0)
        #expect(try ws.syncctl("award", "update", id, "--amount", "1.2345678万").stderr.contains("six decimals"))
    }

    /// Ids by a unique prefix of 8 or more characters, as git takes commits, wherever a command
    /// takes an id; a prefix of several is refused naming them, a shorter one is not looked up.
    @Test func idsAreTakenByAUniquePrefixOfEightOrMoreCharacters() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let first = try ws.addKeyLab(name: "第一实验室", serial: 1)
        let second = try ws.addKeyLab(name: "第二实验室", serial: 2)
        // Time-ordered ids made a moment apart share their first characters.
        let shared = zip(first, second).prefix { $0 == $1 }.count
        let unique = String(first.prefix(max(8, shared + 1)))
        let shown = try ws.syncctl("platform", "show", unique, "--json")
        let shownId = (try shown.json() as? [String: Any])?["id"] as? String
        #expect(shown.status == 0 && shownId == first, "\(shown.stderr)")
        #expect(try ws.syncctl("platform", "update", unique, "--contact", "王工").status == 0)
        let award = try ws.syncctl("award", "propose", "--platform", unique, "--amount", "50000", "--fiscal-year", "2025")
        #expect(award.status == 0, "\(award.stderr)")
        #expect(try ws.syncctl("award", "show", String(award.line.prefix(30))).status == 0)
        #expect(try ws.syncctl("explain", unique).stdout.contains("insert platform"))
        // Their first 12 hex digits are the millisecond they were made: made a moment apart, at least 8 agree.
        #expect(shared >= 8, "\(first) and \(second)")
        let ambiguous = try ws.syncctl("platform", "show", String(first.prefix(max(8, min(shared, 35)))))
        #expect(ambiguous.status != 0 && ambiguous.stderr.contains("give more") && ambiguous.stderr.contains(first), "\(ambiguous.stderr)")
        let short = try ws.syncctl("platform", "show", String(first.prefix(7)))
        #expect(short.status != 0 && short.stderr.contains("not found"), "\(short.stderr)")
    }

    /// A clerk's locale gets the refusal in Chinese, field by its Chinese heading; the English
    /// message under LANG=C is word for word what it was.
    @Test func refusalsSpeakTheClerksLanguage() throws {
        let ws = try Workspace()
        defer { ws.cleanUp() }
        let wrongCode = ["platform", "add", "--name", "某实验室", "--category", "key_lab", "--level", "municipal", "--host-org", "某所",
                         "--credit-code", "911302000000000018", "--industry", "焊接"]
        let chinese = try ws.syncctl(wrongCode, locale: "zh_CN.UTF-8")
        #expect(chinese.status == 1 && chinese.stderr == "错误: 统一社会信用代码“911302000000000018”不符合要求：校验码应为“4”，不是“8”，请核对代码（GB 32100-2015）\n",
                "\(chinese.stderr)")
        let english = try ws.syncctl(wrongCode)
        #expect(english.stderr == "Error: credit-code \"911302000000000018\" is invalid: check character should be \"4\", not \"8\" (GB 32100-2015)\n",
                "\(english.stderr)")
        let noLevel = try ws.syncctl(["platform", "add", "--name", "某实验室", "--category", "重点实验室", "--host-org", "某所",
                                      "--credit-code", creditCode(1), "--industry", "焊接"], locale: "zh_CN.UTF-8")
        #expect(noLevel.stderr.contains("级别") && noLevel.stderr.contains("重点实验室须填级别：国家级或省级或市级"), "\(noLevel.stderr)")
        let amount = try ws.syncctl(["award", "propose", "--platform", try ws.addKeyLab(), "--amount", "10"], locale: "zh_CN.UTF-8")
        #expect(amount.stderr.contains("金额“10”不符合要求：金额不足 100 元：如指万元请写 10万"), "\(amount.stderr)")
        #expect(try ws.counts()[0] == 1)
        let table = try ws.syncctl(["platform", "list"], locale: "zh_CN.UTF-8").stdout
        #expect(table.contains("类别") && table.contains("重点实验室") && table.contains("市级") && table.contains("已登记"), "\(table)")
        #expect(try ws.syncctl(["platform", "list"]).stdout.contains("key_lab"))
    }
}
