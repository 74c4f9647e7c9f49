import Foundation
import LocalCluster
import SyncCore
import SyncInterchange
import SyncStore
import Testing

/// The county console served by the real `county-syncd` over HTTPS with mutual TLS, driven with
/// curl and real certificates from `Deploy/pki.sh`: only this county's clerks get in, a form
/// names the wrong field and writes nothing, a registration is named after its clerk and reaches
/// the city, a cross-site request changes nothing, and hostile text is shown as text.
@Suite("County console", .serialized)
struct CountyConsoleTests {
    struct Console {
        let cluster: Cluster
        let port: Int
        let countyDB: String

        /// An answer of the console: status, headers and body, as `certificate` (a name in the
        /// PKI folder, e.g. `clerk-130202-wangli`), or with none.
        func request(_ path: String, as certificate: String?, form: [String: String]? = nil, upload: [String]? = nil, headers: [String] = [],
                     pathAsIs: Bool = false) throws -> (status: Int, location: String?, body: String) {
            let pki = cluster.pki.path
            var arguments = ["-s", "-D", "-", "--max-time", "20", "--cacert", "\(pki)/ca.pem", "--resolve", "fengrun-sync.local:\(port):127.0.0.1"]
            if pathAsIs { arguments.append("--path-as-is") }
            if let certificate { arguments += ["--cert", "\(pki)/\(certificate).pem", "--key", "\(pki)/\(certificate).key"] }
            for header in headers { arguments += ["-H", header] }
            if let form {
                for (name, value) in form.sorted(by: { $0.key < $1.key }) { arguments += ["--data-urlencode", "\(name)=\(value)"] }
            }
            for field in upload ?? [] { arguments += ["-F", field] }
            arguments.append("https://fengrun-sync.local:\(port)\(path)")
            let result = try Cluster.capture("/usr/bin/curl", arguments)
            guard result.status == 0 else { return (0, nil, result.stderr) }
            let parts = result.stdout.components(separatedBy: "\r\n\r\n")
            let head = parts.first ?? ""
            let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            let location = head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("location:") }
                .map { String($0.dropFirst("location:".count)).trimmingCharacters(in: .whitespaces) }
            return (status, location, parts.dropFirst().joined(separator: "\r\n\r\n"))
        }

        /// The form token a console page carries.
        func token(as certificate: String) throws -> String {
            let page = try request("/console/platforms/new", as: certificate).body
            guard let range = page.range(of: #"name="token" value=""#), let end = page[range.upperBound...].firstIndex(of: "\"") else { return "" }
            return String(page[range.upperBound..<end])
        }

        func sqlite(_ sql: String) throws -> String {
            try Cluster.capture("/usr/bin/sqlite3", [countyDB, sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    static func start() async throws -> Console {
        let cluster = try Cluster()
        try await cluster.startCity()
        _ = try cluster.makeCounty("130202")
        let script = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        let pki = cluster.pki.path
        for arguments in [["clerk", pki, "130202", "wangli"], ["clerk", pki, "130203", "zhao"], ["operator", pki, "zhang"],
                          ["county-server", pki, "130202", "fengrun-sync.local", "127.0.0.1"]] {
            let made = try Cluster.capture("/bin/bash", [script] + arguments, environment: ["P12_PASSWORD": "test"])
            #expect(made.status == 0, "\(arguments): \(made.stderr)")
        }
        let portFile = cluster.dir.appendingPathComponent("console.port").path
        try cluster.startDaemon("130202", extra: ["--console-listen", "0", "--console-cert", "\(pki)/county-server-130202.pem",
                                                  "--console-key", "\(pki)/county-server-130202.key", "--console-port-file", portFile])
        var port = 0
        try await eventually("the console writes its port", timeout: .seconds(30)) {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            return port > 0
        }
        return Console(cluster: cluster, port: port, countyDB: cluster.countyDBPath("130202"))
    }

    @Test(.timeLimit(.minutes(3)))
    func onlyThisCountysClerksGetInAndEveryoneElseIsToldWhy() async throws {
        let console = try await Self.start()
        defer { console.cluster.cleanUp() }
        let today = try console.request("/console", as: "clerk-130202-wangli")
        #expect(today.status == 200 && today.body.contains("概览 Today") && today.body.contains("录入员 wangli"), "\(today.status) \(today.body.prefix(300))")
        #expect(today.body.contains("id=\"pending\""), "the overview says what waits to be sent")
        for other in ["clerk-130203-zhao", "operator-zhang", "county-130202"] {
            let refused = try console.request("/console", as: other)
            #expect(refused.status == 403, "\(other): \(refused.status)")
            #expect(refused.body.contains("<html") && refused.body.contains("无权访问") && refused.body.contains("clerk-130202-"),
                    "\(other) gets a readable page, not JSON: \(refused.body.prefix(300))")
            let post = try console.request("/console/platforms", as: other, form: ["name": "x"])
            #expect(post.status == 403, "\(other) may not post: \(post.status)")
        }
        // The assets are served to any certificate the CA signed, by their exact paths only: no
        // other spelling of a page gets past the clerk check.
        #expect(try console.request("/console/static/console.css", as: "operator-zhang").status == 200)
        for spelling in ["/console/static/../platforms", "/console/static/%2e%2e/platforms", "/console/static//../../console",
                         "/console/static/console.css/../../platforms"] {
            let answer = try console.request(spelling, as: "clerk-130203-zhao", headers: [], pathAsIs: true)
            #expect(answer.status == 403 && !answer.body.contains("id=\"platforms\""), "\(spelling): \(answer.status)")
        }
        // No certificate: the handshake itself is refused.
        let anonymous = try console.request("/console", as: nil)
        #expect(anonymous.status == 0, "a browser without a clerk certificate gets no page: \(anonymous.status)")
    }

    @Test(.timeLimit(.minutes(3)))
    func aClerkRegistersByFormAfterTheFormNamesTheWrongField() async throws {
        let console = try await Self.start()
        defer { console.cluster.cleanUp() }
        let clerk = "clerk-130202-wangli"
        let token = try console.token(as: clerk)
        #expect(token.count == 64, "the form carries the clerk's token")
        var form = ["token": token, "name": "丰润区<script>alert(1)</script>焊接实验室", "category": "key_lab", "level": "municipal",
                    "host-org": "唐山开元焊接研究所", "credit-code": "91130202MA0A0001", "industry": "焊接"]
        let wrong = try console.request("/console/platforms", as: clerk, form: form)
        #expect(wrong.status == 422, "\(wrong.status)")
        #expect(wrong.body.contains("id=\"error-credit-code\""), "the message stands beside the credit code: \(wrong.body.prefix(2000))")
        #expect(wrong.body.contains("value=\"唐山开元焊接研究所\""), "what was typed is kept")
        #expect(try console.sqlite("SELECT count(*) FROM platform") == "0", "nothing was written")

        // A forged cross-site post, and one without the token: refused, nothing written.
        form["credit-code"] = "91130202MA0A00011Y"
        let crossSite = try console.request("/console/platforms", as: clerk, form: form, headers: ["Sec-Fetch-Site: cross-site"])
        #expect(crossSite.status == 403, "\(crossSite.status)")
        var tokenless = form
        tokenless["token"] = nil
        #expect(try console.request("/console/platforms", as: clerk, form: tokenless).status == 403)
        #expect(try console.sqlite("SELECT count(*) FROM platform") == "0")

        let registered = try console.request("/console/platforms", as: clerk, form: form)
        #expect(registered.status == 303, "\(registered.status) \(registered.body.prefix(500))")
        let id = registered.location.map { String($0.dropFirst("/console/records/".count)) } ?? ""
        #expect(RecordID.isValid(id), "the answer leads to the new record: \(registered.location ?? "-")")
        #expect(try console.sqlite("SELECT DISTINCT actor FROM change_log WHERE row_id = '\(id)'") == "clerk:wangli", "named after its clerk")
        let record = try console.request("/console/records/\(id)", as: clerk)
        #expect(record.status == 200 && record.body.contains("clerk:wangli"), "the history says who entered it")
        // Hostile text is shown as text, on the record and in the list.
        let list = try console.request("/console/platforms?q=91130202MA0A00011Y", as: clerk)
        #expect(list.body.contains("&lt;script&gt;") && !list.body.contains("<script>alert"), "\(list.body.prefix(1500))")
        #expect(!record.body.contains("<script>alert"))
        // The page and syncctl --json on the same replica agree.
        let listed = try console.cluster.syncctl(["platform", "list", "--db", console.countyDB, "--json"])
        let rows = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(rows.compactMap { $0["id"] as? String } == [id])
        #expect(list.body.contains("data-id=\"\(id)\""))

        // The daemon sends it to the city like any change.
        try await eventually("the registration reaches the city", timeout: .seconds(30)) {
            try CityDatabase.open(at: console.cluster.cityDB).platform(id: id) != nil
        }

        // Edit: the form holds the platform's own fields only, never the city's.
        let edit = try console.request("/console/platforms/\(id)/edit", as: clerk)
        #expect(edit.status == 200 && edit.body.contains("value=\"唐山开元焊接研究所\"") && !edit.body.contains("name=\"status\""), "\(edit.body.prefix(1500))")
        var changed = form
        changed["contact"] = "王丽 0315-1234567"
        changed["name"] = " "
        let empty = try console.request("/console/platforms/\(id)", as: clerk, form: changed)
        #expect(empty.status == 422 && empty.body.contains("id=\"error-name\""), "an empty name is named: \(empty.status)")
        #expect(try console.sqlite("SELECT ifnull(contact, '') FROM platform WHERE id = '\(id)'") == "", "and nothing was written")
        changed["name"] = "丰润区焊接实验室"
        let saved = try console.request("/console/platforms/\(id)", as: clerk, form: changed)
        #expect(try saved.status == 303 && console.sqlite("SELECT contact FROM platform WHERE id = '\(id)'") == "王丽 0315-1234567")
        // Delete: only with the confirmation ticked.
        let unticked = try console.request("/console/platforms/\(id)/delete", as: clerk, form: ["token": token])
        #expect(try unticked.status == 400 && console.sqlite("SELECT count(*) FROM platform") == "1", "\(unticked.status)")
        let deleted = try console.request("/console/platforms/\(id)/delete", as: clerk, form: ["token": token, "confirm": "yes"])
        #expect(try deleted.status == 303 && console.sqlite("SELECT count(*) FROM platform") == "0", "\(deleted.status) \(deleted.body.prefix(500))")
    }

    /// A municipal key lab registered at the county: its id.
    func keyLab(_ console: Console, serial: Int) throws -> String {
        let added = try console.cluster.syncctl(["platform", "add", "--db", console.countyDB, "--name", "丰润区重点实验室\(serial)", "--category", "key_lab",
                                                 "--level", "municipal", "--host-org", "依托单位", "--credit-code", creditCode(serial), "--industry", "焊接"])
        #expect(added.status == 0, "\(added.stderr)")
        return added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The money door of the console: the form shows the rule, its clause, the cap and what is
    /// left before anything is sent; an amount above what is left is refused beside the amount
    /// and writes nothing; a proposal is named after its clerk; a withdrawal takes it back.
    @Test(.timeLimit(.minutes(3)))
    func aClerkProposesAnAwardSeeingTheCapAndWhatIsLeft() async throws {
        let console = try await Self.start()
        defer { console.cluster.cleanUp() }
        let clerk = "clerk-130202-wangli"
        let lab = try keyLab(console, serial: 81)
        let page = try console.request("/console/records/\(lab)", as: clerk)
        #expect(page.status == 200)
        #expect(page.body.contains("id=\"award-rule\"") && page.body.contains("up to 100,000") && page.body.contains("plan "), "the rule and its clause")
        #expect(page.body.contains("本平台合计最高 100,000.00 元") && page.body.contains("还可申报 100,000.00 元"), "the cap and what is left: \(page.body.prefix(3000))")
        #expect(page.body.contains("data-wan=\"wan-amount\""), "the amount shows its 万元 while typing")
        let token = try console.token(as: clerk)
        var form = ["token": token, "platform": lab, "amount": "150000", "fiscal-year": "2025"]
        let above = try console.request("/console/awards", as: clerk, form: form)
        #expect(above.status == 422 && above.body.contains("id=\"error-amount\""), "\(above.status) \(above.body.prefix(2000))")
        #expect(try console.sqlite("SELECT count(*) FROM award") == "0", "nothing was written")

        form["amount"] = "60,000"
        let proposed = try console.request("/console/awards", as: clerk, form: form)
        #expect(proposed.status == 303, "\(proposed.status) \(proposed.body.prefix(1000))")
        let award = try console.sqlite("SELECT id FROM award")
        #expect(try console.sqlite("SELECT amount_fen FROM award") == "6000000")
        #expect(try console.sqlite("SELECT DISTINCT actor FROM change_log WHERE row_id = '\(award)'") == "clerk:wangli")
        let after = try console.request("/console/records/\(lab)", as: clerk)
        #expect(after.body.contains("还可申报 40,000.00 元") && after.body.contains("data-id=\"\(award)\""), "what is left went down")
        form["amount"] = "50000"
        let second = try console.request("/console/awards", as: clerk, form: form)
        #expect(second.status == 422 && second.body.contains("id=\"error-amount\""), "the platform's total would pass its cap")

        let withdrawn = try console.request("/console/awards/\(award)/withdraw", as: clerk, form: ["token": token])
        #expect(withdrawn.status == 303 && withdrawn.location == "/console/records/\(lab)", "\(withdrawn.status) \(withdrawn.body.prefix(500))")
        #expect(try console.sqlite("SELECT count(*) FROM award") == "0")
        let forged = try console.request("/console/awards", as: clerk, form: form, headers: ["Origin: https://evil.example"])
        #expect(try forged.status == 403 && console.sqlite("SELECT count(*) FROM award") == "0", "a form from another site proposes nothing")
    }

    /// 城市决定: the city's approval with its amount and its rejection with its reason arrive by
    /// the daemon's sync and are shown with who decided; a change the city refused is shown with
    /// what to do. The page agrees with `syncctl award list --json` on the same replica.
    @Test(.timeLimit(.minutes(3)))
    func theCitysDecisionsAreShownWithWhoAndWhy() async throws {
        let console = try await Self.start()
        defer { console.cluster.cleanUp() }
        let clerk = "clerk-130202-wangli"
        let first = try keyLab(console, serial: 91), second = try keyLab(console, serial: 92)
        var awards: [String] = []
        for lab in [first, second] {
            let proposed = try console.cluster.syncctl(["award", "propose", "--db", console.countyDB, "--platform", lab, "--amount", "8万", "--fiscal-year", "2025"])
            #expect(proposed.status == 0, "\(proposed.stderr)")
            awards.append(proposed.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // A write of a column the city owns, straight into the replica: the city refuses it.
        _ = try console.sqlite("UPDATE platform SET status = 'recognized' WHERE id = '\(second)'")
        let city = try CityDatabase.open(at: console.cluster.cityDB)
        try await eventually("the proposals reach the city", timeout: .seconds(30)) { try city.award(id: awards[1]) != nil }
        // As the city console decides: each change named after its operator.
        try ChangeActor.$current.withValue("operator-zhang") {
            _ = try city.recognizePlatform(id: first, by: "operator-zhang")
            _ = try city.approveAward(id: awards[0], amount: .yuan(70_000), by: "operator-zhang")
        }
        try ChangeActor.$current.withValue("operator-li") {
            _ = try city.rejectAward(id: awards[1], reason: "依据不足 <b>请补充</b>", by: "operator-li")
        }
        let county = try CountyDatabase.open(at: console.countyDB)
        try await eventually("the decisions reach the county", timeout: .seconds(30)) {
            try county.award(id: awards[1])?.status == .rejected && county.award(id: awards[0])?.status == .approved && !county.parked().isEmpty
        }
        let page = try console.request("/console/decisions", as: clerk)
        #expect(page.status == 200)
        #expect(page.body.contains("已批准 approved · 70,000.00 元") && page.body.contains("operator-zhang"), "\(page.body.prefix(4000))")
        #expect(page.body.contains("未通过 rejected · 理由 reason: 依据不足 &lt;b&gt;请补充&lt;/b&gt;") && page.body.contains("operator-li"))
        #expect(page.body.contains("data-reason=\"city_owned_column\"") && page.body.contains("这由市局决定"), "the refused change and what to do")
        let today = try console.request("/console", as: clerk)
        #expect(today.body.contains("已批准 approved") && today.body.contains("被市里退回"), "the overview says what the city decided and what needs the clerk")
        let listed = try console.cluster.syncctl(["award", "list", "--db", console.countyDB, "--json"])
        let rows = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        let statuses = Dictionary(uniqueKeysWithValues: rows.compactMap { row in (row["id"] as? String).map { ($0, row["status"] as? String ?? "") } })
        #expect(statuses[awards[0]] == "approved" && statuses[awards[1]] == "rejected", "\(listed.stdout.prefix(800))")
        // 奖补: every award with its amounts and status, as syncctl lists them.
        let list = try console.request("/console/awards", as: clerk)
        #expect(list.body.contains("共 \(rows.count) 笔"), "\(list.body.prefix(1500))")
        for row in rows {
            guard let id = row["id"] as? String, let approved = row["approvedAmountFen"] as? Int else { continue }
            #expect(list.body.contains("data-id=\"\(id)\"") && list.body.contains(">\(Fen(rawValue: Int64(approved)).grouped)</td>"), "award \(id) approved \(approved) fen")
        }
    }

    /// 导入: a GB18030 CSV as Excel saves it (CRLF, a 序号 column, a blank row) and an .xlsx
    /// LibreOffice made, uploaded, previewed line by line with nothing written, imported on
    /// confirmation named after the clerk, then the same files again: nothing changes. A sheet
    /// with a bad line is refused naming the line in Chinese, and writes nothing.
    @Test(.timeLimit(.minutes(3)))
    func aClerkImportsSheetsAfterAPreview() async throws {
        let console = try await Self.start()
        defer { console.cluster.cleanUp() }
        let clerk = "clerk-130202-wangli"
        let token = try console.token(as: clerk)
        let dir = console.cluster.dir
        let header = "序号,名称,类别,级别,依托单位,统一社会信用代码,行业\r\n"
        let csv = dir.appendingPathComponent("平台.csv").path
        try TextEncoding.gb18030.encode(header + "1,丰润区焊接重点实验室,重点实验室,市级,开元研究所,\(creditCode(101)),焊接\r\n\r\n"
                                        + "2,丰润区装备工程中心,技术创新中心,市级,装备公司,\(creditCode(102)),装备制造\r\n").write(to: URL(fileURLWithPath: csv))
        func upload(_ file: String, as name: String) throws -> (status: Int, location: String?, body: String) {
            try console.request("/console/import", as: clerk, upload: ["token=\(token)", "kind=platforms", "file=@\(file);filename=\(name)"])
        }
        func uploadID(_ page: String) -> String {
            guard let range = page.range(of: #"name="upload" value=""#), let end = page[range.upperBound...].firstIndex(of: "\"") else { return "" }
            return String(page[range.upperBound..<end])
        }
        let preview = try upload(csv, as: "平台.csv")
        #expect(preview.status == 200 && preview.body.contains("预览"), "\(preview.status) \(preview.body.prefix(2000))")
        #expect(preview.body.components(separatedBy: "新登记 new").count - 1 == 2, "each line as new: \(preview.body.prefix(3000))")
        #expect(try console.sqlite("SELECT count(*) FROM platform") == "0", "a preview writes nothing")
        let confirmed = try console.request("/console/import/confirm", as: clerk, form: ["token": token, "upload": uploadID(preview.body)])
        #expect(confirmed.status == 200 && confirmed.body.contains("已导入"), "\(confirmed.status) \(confirmed.body.prefix(2000))")
        #expect(try console.sqlite("SELECT count(*) FROM platform") == "2")
        #expect(try console.sqlite("SELECT DISTINCT actor FROM change_log") == "clerk:wangli")
        for id in try console.sqlite("SELECT id FROM platform").split(separator: "\n") {
            #expect(confirmed.body.contains("href=\"/console/records/\(id)\""), "each line shows its platform")
        }
        let again = try console.request("/console/import/confirm", as: clerk, form: ["token": token, "upload": uploadID(preview.body)])
        #expect(again.status == 409, "a confirmation is used once: \(again.status)")
        let same = try upload(csv, as: "平台.csv")
        #expect(same.body.components(separatedBy: "class=\"unchanged\"").count - 1 == 2 && !same.body.contains("import-confirm"), "the same file again changes nothing: \(same.body.prefix(3000))")

        // LibreOffice's .xlsx of another row, then the same file again.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/libreoffice") {
            let source = dir.appendingPathComponent("more.csv").path
            try Data((header + "1,丰润区中试基地,中试基地,市级,中试公司,\(creditCode(103)),新材料\r\n").utf8).write(to: URL(fileURLWithPath: source))
            let converted = try Cluster.capture("/usr/bin/libreoffice", ["-env:UserInstallation=file://\(dir.path)/lo-profile", "--headless",
                                                                         "--infilter=CSV:44,34,76,1,6/2", "--convert-to", "xlsx", "--outdir", dir.path, source])
            let xlsx = dir.appendingPathComponent("more.xlsx").path
            #expect(FileManager.default.fileExists(atPath: xlsx), "\(converted.stdout) \(converted.stderr)")
            let first = try upload(xlsx, as: "more.xlsx")
            #expect(first.body.contains("新登记 new"), "\(first.body.prefix(2000))")
            _ = try console.request("/console/import/confirm", as: clerk, form: ["token": token, "upload": uploadID(first.body)])
            #expect(try console.sqlite("SELECT count(*) FROM platform") == "3")
            #expect(try upload(xlsx, as: "more.xlsx").body.contains("无变化 unchanged"))
        } else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_LIBREOFFICE"] == nil, "libreoffice-calc-nogui is not installed")
        }

        // A bad line: named with its reason in Chinese; nothing written.
        let bad = dir.appendingPathComponent("bad.csv").path
        try TextEncoding.gb18030.encode(header + "1,丰润区另一实验室,重点实验室,市级,某所,91130202MA0A0001,焊接\r\n").write(to: URL(fileURLWithPath: bad))
        let refused = try upload(bad, as: "bad.csv")
        #expect(refused.body.contains("data-line=\"2\"") && refused.body.contains("退回 refused") && refused.body.contains("统一社会信用代码"),
                "\(refused.body.prefix(3000))")
        #expect(!refused.body.contains("import-confirm"))
        // A cross-site upload: refused before reading the sheet.
        let forged = try console.request("/console/import", as: clerk, upload: ["token=\(token)", "kind=platforms", "file=@\(bad)"],
                                         headers: ["Sec-Fetch-Site: cross-site"])
        #expect(forged.status == 403)
        #expect(try console.sqlite("SELECT count(*) FROM platform") == (FileManager.default.isExecutableFile(atPath: "/usr/bin/libreoffice") ? "3" : "2"))
    }
}

/// A clerk's day in Chromium, driven by Playwright with the clerk's certificate
/// (`Tests/Browser/county_console_browser_test.py`), against the console of a real county-syncd
/// syncing with a real city-aggregator. Screenshots land in `.build/county-console-screenshots`.
@Suite("County console in a browser", .serialized)
struct CountyConsoleBrowserTests {
    @Test(.timeLimit(.minutes(5)))
    func aClerksDayInChromium() throws {
        guard let python = ConsoleBrowserTests.python(), FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/libreoffice") else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_BROWSER"] == nil,
                    "Playwright (pip), Chromium or LibreOffice is missing; Deploy/test.sh installs them")
            return
        }
        try ConsoleBrowserTests.run(python, "county_console_browser_test.py", passed: "all county console browser checks passed")
    }
}
