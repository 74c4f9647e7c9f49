import Foundation
import LocalCluster
import SyncCore
import SyncInterchange
import SyncStore
import Testing

/// The awards for the finance bureau, as it takes them away: `syncctl export awards` and the
/// console's download, opened by LibreOffice (another producer's reader, headless
/// `--convert-to csv`), with figures equal to `syncctl progress --json`.
@Suite("Awards for the finance bureau", .serialized)
struct FinanceExportTests {
    let plan = AwardPlanTests()

    /// LibreOffice's reading of `file` as CSV rows (UTF-8), or nil without LibreOffice.
    static func libreOffice(_ file: String, in folder: URL) throws -> [[String]]? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/libreoffice") else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_LIBREOFFICE"] == nil, "libreoffice-calc-nogui is not installed (Deploy/test.sh installs it)")
            return nil
        }
        let out = folder.appendingPathComponent("converted")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        // A profile of its own: a parallel run, or a user's LibreOffice, does not hold it.
        let profile = "file://" + folder.appendingPathComponent("lo-profile").path
        let result = try Cluster.capture("/usr/bin/libreoffice", ["-env:UserInstallation=\(profile)", "--headless", "--convert-to",
                                                                  "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", out.path, file])
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent + ".csv"
        guard let data = FileManager.default.contents(atPath: out.appendingPathComponent(name).path) else {
            Issue.record("LibreOffice did not convert \(file): \(result.stdout) \(result.stderr)")
            return nil
        }
        return try CSV.parse(try TextEncoding.utf8.decode(data)).map(\.fields)
    }

    /// Money by status from the exported rows, in fen: what `progress --json` sums.
    static func totals(_ rows: [[String]]) -> [String: Int64] {
        let header = rows[0]
        func column(_ prefix: String) -> Int { header.firstIndex { $0.hasPrefix(prefix) }! }
        let (status, proposed, approved, disbursed) = (column("状态"), column("申报金额"), column("批准金额"), column("拨付金额"))
        func fen(_ text: String) -> Int64 { (try? Fen(yuan: text.replacingOccurrences(of: ",", with: ""), field: "amount").rawValue) ?? 0 }
        var totals: [String: Int64] = ["proposedFen": 0, "approvedFen": 0, "disbursedFen": 0, "rejectedFen": 0]
        for row in rows.dropFirst() where row.count == header.count {
            switch row[status] {
            case "proposed": totals["proposedFen"]! += fen(row[proposed])
            case "approved": totals["approvedFen"]! += fen(row[approved])
            case "disbursed": totals["disbursedFen"]! += fen(row[disbursed])
            case "rejected": totals["rejectedFen"]! += fen(row[proposed])
            default: Issue.record("unknown status \(row[status])")
            }
        }
        return totals
    }

    @Test(.timeLimit(.minutes(3)))
    func theExportOpensInLibreOfficeWithTheProgressFigures() async throws {
        let setup = try await AwardPlanTests.setUp()
        defer { setup.cluster.cleanUp() }
        let cityDB = setup.cluster.cityDB
        // Awards in every status, in two counties, with text XML must escape and a basis with its source.
        let lab = try plan.add(setup, "130202", "唐山<焊接>&材料 重点实验室", "key_lab", "municipal", serial: 91)
        let alliance = try plan.add(setup, "130203", "唐山钢铁产业技术创新战略联盟", "industry_alliance", "national", serial: 92)
        let agency = try plan.add(setup, "130203", "路北技术转移中心", "tech_transfer_agency", "provincial", serial: 93)
        let labAward = try plan.propose(setup, "130202", lab, "80000").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let rejected = try plan.propose(setup, "130202", lab, "20000").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let large = try plan.propose(setup, "130203", alliance, "1000000").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let contract = try plan.propose(setup, "130203", agency, "150000", extra: ["--basis", "300000000", "--basis-ref", "1302032025000456"])
        #expect(contract.status == 0, "\(contract.stderr)")
        try setup.sync("130202")
        try setup.sync("130203")
        for platform in [lab, alliance, agency] { #expect(try setup.syncctl(["platform", "recognize", platform, "--db", cityDB]).status == 0) }
        #expect(try setup.syncctl(["award", "approve", labAward, "--db", cityDB, "--amount", "75000.50"]).status == 0)
        #expect(try setup.syncctl(["award", "disburse", labAward, "--db", cityDB]).status == 0)
        #expect(try setup.syncctl(["award", "reject", rejected, "--db", cityDB, "--reason", "重复申报"]).status == 0)
        #expect(try setup.syncctl(["award", "approve", large, "--db", cityDB]).status == 0)
        try setup.confirm(large)

        let folder = setup.cluster.dir
        let xlsx = folder.appendingPathComponent("awards.xlsx").path
        let exported = try setup.syncctl(["export", "awards", xlsx, "--db", cityDB])
        #expect(exported.status == 0 && exported.stderr.contains("exported 4 awards"), "\(exported.stderr)")
        let progress = try setup.syncctl(["progress", "--db", cityDB, "--format", "json"])
        let money = try #require((try JSONSerialization.jsonObject(with: Data(progress.stdout.utf8)) as? [String: Any])?["awards"] as? [String: Any])
        let expected = ["proposedFen", "approvedFen", "disbursedFen", "rejectedFen"].reduce(into: [String: Int64]()) { $0[$1] = (money[$1] as? NSNumber)?.int64Value }
        guard let rows = try Self.libreOffice(xlsx, in: folder) else { return }
        #expect(rows.count == 5, "a header and four awards: \(rows.count)")
        #expect(Self.totals(rows) == expected, "LibreOffice's figures \(Self.totals(rows)) = progress --json \(expected)")
        // The row of the paid award: escaped text comes back as typed; the steps carry their operators.
        let header = rows[0]
        let paid = try #require(rows.first { $0.first == labAward })
        func field(_ prefix: String) -> String { paid[header.firstIndex { $0.hasPrefix(prefix) }!] }
        #expect(field("平台名称") == "唐山<焊接>&材料 重点实验室")
        #expect(field("县区 County name") == "路南区" && field("方案条款") == "四(二)1" && field("类别").hasPrefix("重点实验室"))
        #expect(field("批准人") == CityDatabase.shellActor && field("拨付日期") == CityDatabase.today().description, "\(paid)")
        let confirmed = try #require(rows.first { $0.first == large })
        #expect(confirmed[header.firstIndex { $0.hasPrefix("批准人") }!].contains("confirmed by shell:nobody"), "\(confirmed)")
        let sourced = try #require(rows.first { $0[header.firstIndex { $0.hasPrefix("依据来源") }!] == "1302032025000456" })
        #expect(sourced[header.firstIndex { $0.hasPrefix("依据金额") }!].replacingOccurrences(of: ",", with: "") == "300000000.00" ||
                sourced[header.firstIndex { $0.hasPrefix("依据金额") }!].replacingOccurrences(of: ",", with: "") == "300000000", "\(sourced)")

        // CSV: UTF-8 with a byte-order mark, or GB18030, the same figures; filters choose rows.
        let csv = try setup.syncctl(["export", "awards", "--db", cityDB, "--format", "csv", "--status", "disbursed"])
        #expect(csv.stdout.hasPrefix("\u{FEFF}") && csv.stdout.contains(labAward) && !csv.stdout.contains(large), "\(csv.stdout.prefix(200))")
        let gbFile = folder.appendingPathComponent("awards-gb.csv").path
        #expect(try setup.syncctl(["export", "awards", gbFile, "--db", cityDB, "--encoding", "gb18030"]).status == 0)
        let gbRows = try CSV.parse(try TextEncoding.gb18030.decode(try Data(contentsOf: URL(fileURLWithPath: gbFile)))).map(\.fields)
        #expect(Self.totals(gbRows) == expected)
        let county = try setup.syncctl(["export", "awards", "--db", cityDB, "--county", "130203", "--format", "csv"])
        #expect(county.stdout.contains(large) && !county.stdout.contains(labAward))
        // The county sees the city's reason for a rejection where the clerk looks, not only in --json.
        try setup.sync("130202")
        let countyDB = setup.cluster.countyDBPath("130202")
        let shown = try setup.syncctl(["award", "show", rejected, "--db", countyDB])
        #expect(shown.status == 0 && shown.stdout.contains("rejected because") && shown.stdout.contains("重复申报"), "\(shown.stdout)\(shown.stderr)")
        let listed = try setup.syncctl(["award", "list", "--db", countyDB])
        #expect(listed.stdout.contains("rejected \(rejected): 重复申报") && listed.stdout.contains("1 disbursed (75,000.50 yuan)"), "\(listed.stdout)")
        // Bad input names what was wrong.
        let badStatus = try setup.syncctl(["export", "awards", "--db", cityDB, "--status", "paid"])
        #expect(badStatus.status != 0 && badStatus.stderr.contains("disbursed"), "\(badStatus.stderr)")
        let atCounty = try setup.syncctl(["export", "awards", "--db", setup.cluster.countyDBPath("130202")])
        #expect(atCounty.status != 0 && atCounty.stderr.contains("at the city"), "\(atCounty.stderr)")
    }

    /// One recognition document (认定文号) recognises one platform of its category: the same
    /// number again, however spelt, is refused naming the first platform; the export carries it.
    @Test(.timeLimit(.minutes(2)))
    func aRecognitionDocumentRecognisesOnePlatformOfItsCategory() async throws {
        let setup = try await AwardPlanTests.setUp()
        defer { setup.cluster.cleanUp() }
        let cityDB = setup.cluster.cityDB
        let first = try plan.add(setup, "130202", "唐山焊接重点实验室", "key_lab", "municipal", serial: 95)
        let second = try plan.add(setup, "130203", "唐山陶瓷重点实验室", "key_lab", "municipal", serial: 96)
        let centre = try plan.add(setup, "130203", "唐山陶瓷工程研究中心", "engineering_research_center", "municipal", serial: 97)
        let award = try plan.propose(setup, "130202", first, "100000").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try setup.sync("130202")
        try setup.sync("130203")
        #expect(try setup.syncctl(["platform", "recognize", first, "--db", cityDB, "--doc", "唐科字〔2025〕12号"]).status == 0)
        let again = try setup.syncctl(["platform", "recognize", second, "--db", cityDB, "--doc", " 唐科字〔２０２５〕12 号"])
        #expect(again.status != 0 && again.stderr.contains(first) && again.stderr.contains("one document recognises one platform"), "\(again.stderr)")
        #expect(try CityDatabase.open(at: cityDB).platform(id: second)?.status == .registered)
        // Another category's list may use the same number.
        #expect(try setup.syncctl(["platform", "recognize", centre, "--db", cityDB, "--doc", "唐科字〔2025〕12号"]).status == 0)
        let blank = try setup.syncctl(["platform", "recognize", second, "--db", cityDB, "--doc", "唐科字\u{200B}〔2025〕13号"])
        #expect(blank.status != 0 && blank.stderr.contains("doc"), "\(blank.stderr)")
        #expect(try setup.syncctl(["award", "approve", award, "--db", cityDB]).status == 0)
        let csv = try setup.syncctl(["export", "awards", "--db", cityDB, "--format", "csv"])
        #expect(csv.stdout.contains("唐科字〔2025〕12号"), "\(csv.stdout.prefix(600))")
        #expect(try CityDatabase.open(at: cityDB).decisions(rowId: first).contains { $0.detail.contains("by document 唐科字〔2025〕12号") })
    }

    /// The console's download is the same workbook.
    @Test(.timeLimit(.minutes(3)))
    func theConsoleDownloadsTheWorkbook() async throws {
        let (cluster, _, _, award) = try await ConsoleTests.setUp()
        defer { cluster.cleanUp() }
        #expect(try cluster.syncctl(["award", "approve", award.id, "--db", cluster.cityDB]).status == 0)
        let file = cluster.dir.appendingPathComponent("download.xlsx").path
        let download = try Cluster.capture("/usr/bin/curl", ["-s", "-o", file, "-w", "%{http_code} %{content_type}", "--cacert", cluster.pki.appendingPathComponent("ca.pem").path,
                                                              "--cert", cluster.pki.appendingPathComponent("operator-zhang.pem").path,
                                                              "--key", cluster.pki.appendingPathComponent("operator-zhang.key").path,
                                                              cluster.cityURL + "/console/awards/export?format=xlsx&status=approved"])
        #expect(download.stdout.hasPrefix("200 application/vnd.openxmlformats"), "\(download.stdout)")
        let bad = try ConsoleTests.request(cluster, "operator-zhang", "GET", "/console/awards/export?format=pdf")
        #expect(bad.status == 400, "\(bad.status)")
        guard let rows = try Self.libreOffice(file, in: cluster.dir) else { return }
        #expect(rows.count == 2 && rows[1].first == award.id, "\(rows)")
        #expect(rows[1][rows[0].firstIndex { $0.hasPrefix("批准金额") }!].replacingOccurrences(of: ",", with: "").hasPrefix("50000"), "\(rows[1])")
    }
}
