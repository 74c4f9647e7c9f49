import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// The city console over real TLS with real certificates: who may open it, the CSRF defence on
/// every decision, escaping, and that a decision made there is the CLI's own and reaches the
/// county with the operator's name on record. The browser tests (`Tests/Browser`) drive the
/// same pages in Chromium.
@Suite("Console", .serialized)
struct ConsoleTests {
    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: String
    }

    /// One request with curl (libcurl), as the certificate's holder: `-i` so the headers are read too.
    static func request(_ cluster: Cluster, _ name: String, _ method: String = "GET", _ path: String,
                        headers: [String: String] = [:], form: String? = nil) throws -> Answer {
        var arguments = ["-s", "-i", "-X", method, "--cacert", cluster.pki.appendingPathComponent("ca.pem").path,
                         "--cert", cluster.pki.appendingPathComponent("\(name).pem").path,
                         "--key", cluster.pki.appendingPathComponent("\(name).key").path]
        for (key, value) in headers { arguments += ["-H", "\(key): \(value)"] }
        if let form { arguments += ["--data-raw", form] }
        let result = try Cluster.capture("/usr/bin/curl", arguments + [cluster.cityURL + path])
        let parts = result.stdout.components(separatedBy: "\r\n\r\n")
        let head = parts.first?.components(separatedBy: "\r\n") ?? []
        let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: fields, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// A city with one county that has synced a platform (recognised) and a proposed award.
    static func setUp(platformName: String = "唐山市焊接技术重点实验室") async throws -> (cluster: Cluster, county: CountyDatabase, platform: Platform, award: Award) {
        let cluster = try Cluster()
        try await cluster.startCity(["--console-refresh-seconds", "0"])
        let pki = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        let made = try Cluster.capture("/bin/bash", [pki, "operator", cluster.pki.path, "zhang"], environment: ["P12_PASSWORD": "test"])
        #expect(made.status == 0, "\(made.stderr)")
        _ = try Cluster.run("/bin/bash", [pki, "monitor", cluster.pki.path, "prometheus"])
        let county = try cluster.makeCounty("130202")
        var platform = makePlatforms("130202", count: 1)[0]
        platform.name = platformName
        platform = try county.addPlatform(platform)
        let award = try county.proposeAward(Award(county: "130202", platformId: platform.id, amount: .yuan(50_000), fiscalYear: 2025))
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        try CityDatabase.open(at: cluster.cityDB).recognizePlatform(id: platform.id)
        return (cluster, county, platform, award)
    }

    /// The form token of the operator's pages.
    static func token(_ cluster: Cluster, record: String) throws -> String {
        try token(cluster, page: "/console/records/\(record)")
    }

    /// The form token, as a page with a form carries it.
    static func token(_ cluster: Cluster, page path: String) throws -> String {
        let page = try request(cluster, "operator-zhang", "GET", path)
        guard let range = page.body.range(of: #"name="token" value=""#) else { return "" }
        return String(page.body[range.upperBound...].prefix(64))
    }

    @Test(.timeLimit(.minutes(2)))
    func onlyAnOperatorCertificateOpensTheConsoleAndEveryPageIsLockedDown() async throws {
        let (cluster, _, platform, award) = try await Self.setUp()
        defer { cluster.cleanUp() }
        for path in ["/console", "/console/progress", "/console/awards", "/console/decisions", "/console/platforms",
                     "/console/counties/130202", "/console/records/\(platform.id)", "/console/records/\(award.id)"] {
            let page = try Self.request(cluster, "operator-zhang", "GET", path)
            #expect(page.status == 200, "\(path): \(page.status)")
            #expect(page.headers["content-type"] == "text/html; charset=utf-8", "\(path)")
            let policy = page.headers["content-security-policy"] ?? ""
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "\(path): \(policy)")
            #expect(page.headers["x-frame-options"] == "DENY" && page.headers["cache-control"] == "no-store", "\(path)")
            #expect(!page.body.contains("<script>") && page.body.contains(#"<script src="/console/static/console.js" defer></script>"#), "\(path): no inline script")
            for other in ["county-130202", "monitor-prometheus"] {
                let refused = try Self.request(cluster, other, "GET", path)
                #expect(refused.status == 403 && refused.body.contains("role_not_allowed"), "\(other) \(path): \(refused.status)")
                // A readable page for the person at the browser, not a JSON body.
                #expect(refused.headers["content-type"] == "text/html; charset=utf-8" && refused.body.contains("无法访问城市控制台")
                        && !refused.body.contains(#"{"code""#), "\(other) \(path): \(refused.body.prefix(300))")
            }
        }
        let missing = try Self.request(cluster, "operator-zhang", "GET", "/console/records/0190d5a4-0000-7000-8000-000000000000")
        #expect(missing.status == 404 && missing.body.contains("no platform or award"))
        // The operator has nothing of the county API.
        let pull = try Self.request(cluster, "operator-zhang", "GET", "/v1/pull?after=0")
        #expect(pull.status == 403 && pull.body.contains("role_not_allowed"))
    }

    /// The progress and awards pages are rendered once per write to the city's data, not per
    /// open tab and refresh, and never show what was before a write: one made by another process
    /// (syncctl at the shell, a county's push) shows on the next load.
    @Test(.timeLimit(.minutes(2)))
    func pagesRenderedOncePerWriteShowEveryWrite() async throws {
        let (cluster, county, _, award) = try await Self.setUp()
        defer { cluster.cleanUp() }
        func awardRow() throws -> String {
            let body = try Self.request(cluster, "operator-zhang", "GET", "/console/awards").body
            guard let start = body.range(of: award.id) else { return "" }
            return String(body[start.lowerBound...].prefix(1_500))
        }
        #expect(try awardRow().contains("申报 proposed"))
        #expect(try awardRow().contains("申报 proposed"), "unchanged while nothing is written")
        #expect(try cluster.syncctl(["award", "approve", award.id, "--db", cluster.cityDB]).status == 0)
        #expect(try awardRow().contains("批准 approved"), "the shell's approval shows on the next load")
        let before = try Self.request(cluster, "operator-zhang", "GET", "/console/progress").body
        var lab = makePlatforms("130202", count: 1, offset: 77)[0]
        lab.name = "唐山市新建重点实验室"
        lab = try county.addPlatform(lab)
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        #expect(try cluster.syncctl(["platform", "recognize", lab.id, "--db", cluster.cityDB]).status == 0)
        let after = try Self.request(cluster, "operator-zhang", "GET", "/console/progress").body
        #expect(before != after, "a recognition changes the progress page")
    }

    /// The platforms page shows a page at a time, chosen in SQL, with its filters and its page in
    /// the URL (release 0.15.0 showed the first 200 of N and no way to the rest).
    @Test(.timeLimit(.minutes(2)))
    func thePlatformsPageIsPagedWithItsFiltersInTheURL() async throws {
        let (cluster, county, _, _) = try await Self.setUp()
        defer { cluster.cleanUp() }
        try county.addPlatforms(makePlatforms("130202", count: 204, offset: 1_000))
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        func rows(_ body: String) -> Int { body.components(separatedBy: "<tr data-platform=").count - 1 }
        let first = try Self.request(cluster, "operator-zhang", "GET", "/console/platforms?county=130202").body
        #expect(rows(first) == 200 && first.contains("205 个 matching of 205") && first.contains("page 1 of 2"), "\(first.prefix(1_500))")
        #expect(first.contains(#"href="/console/platforms?county=130202&amp;page=2" rel="next""#), "the next page keeps the filter")
        let second = try Self.request(cluster, "operator-zhang", "GET", "/console/platforms?county=130202&page=2").body
        #expect(rows(second) == 5 && second.contains("page 2 of 2") && second.contains(#"rel="prev""#) && !second.contains(#"rel="next""#))
        // Pages past the end show the last; a page that is no number, the first.
        #expect(rows(try Self.request(cluster, "operator-zhang", "GET", "/console/platforms?page=999").body) == 5)
        #expect(rows(try Self.request(cluster, "operator-zhang", "GET", "/console/platforms?page=x%27").body) == 200)
        // A search narrows in SQL too: one credit code, one row.
        let code = makePlatforms("130202", count: 1, offset: 1_100)[0].creditCode
        let found = try Self.request(cluster, "operator-zhang", "GET", "/console/platforms?q=\(code)").body
        #expect(rows(found) == 1 && found.contains("1 个 matching of 205"), "\(found.prefix(1_200))")
    }

    /// Entry refuses bidirectional overrides and invisible characters, but a raw write at the city
    /// may still hold one: every place a person reads the name shows a visible mark instead (the
    /// console's pages, the CLI's tables, the finance bureau's sheet), so "实验室" with U+202E in it
    /// cannot display reversed, nor a zero-width space hide.
    @Test(.timeLimit(.minutes(2)))
    func controlsFromARawWriteAreShownAsMarks() async throws {
        let (cluster, _, platform, _) = try await Self.setUp()
        defer { cluster.cleanUp() }
        let sneaky = "唐山\u{202E}室验实\u{200B}重点"
        let update = try Cluster.capture("/usr/bin/sqlite3", [cluster.cityDB, "UPDATE platform SET name = '\(sneaky)' WHERE id = '\(platform.id)'"])
        #expect(update.status == 0, "\(update.stderr)")
        for path in ["/console/platforms", "/console/records/\(platform.id)", "/console/awards"] {
            let page = try Self.request(cluster, "operator-zhang", "GET", path).body
            #expect(page.contains("唐山⟦U+202E⟧室验实⟦U+200B⟧重点") && !page.contains("\u{202E}") && !page.contains("\u{200B}"), "\(path)")
        }
        let list = try cluster.syncctl(["platform", "list", "--db", cluster.cityDB])
        #expect(list.stdout.contains("⟦U+202E⟧") && !list.stdout.contains("\u{202E}"), "\(list.stdout)")
        let export = try cluster.syncctl(["export", "awards", "--db", cluster.cityDB, "--format", "csv"])
        #expect(export.stdout.contains("唐山⟦U+202E⟧室验实⟦U+200B⟧重点") && !export.stdout.contains("\u{202E}"), "\(export.stdout.prefix(600))")
    }

    /// A payment is recorded on its own page with the amount typed (release 0.15.0 put the
    /// 登记拨付 button right under 批准: a double click recorded a payment for today).
    @Test(.timeLimit(.minutes(2)))
    func aPaymentIsRecordedOnlyOnItsOwnPageWithTheAmountTyped() async throws {
        let (cluster, _, platform, award) = try await Self.setUp()
        defer { cluster.cleanUp() }
        let token = try Self.token(cluster, record: award.id)
        let host = "127.0.0.1:\(cluster.cityPort)"
        let sameOrigin = ["Origin": "https://\(host)", "Sec-Fetch-Site": "same-origin"]
        let approved = try Self.request(cluster, "operator-zhang", "POST", "/console/awards/\(award.id)/approve", headers: sameOrigin,
                                        form: "amount=50000&token=\(token)")
        #expect(approved.status == 303)
        // The record page no longer holds a payment form, only a link to the confirmation page.
        let record = try Self.request(cluster, "operator-zhang", "GET", "/console/records/\(award.id)")
        #expect(!record.body.contains("/disburse\" class=\"action\" id=\"disburse-form\""), "no payment form where the approve button was")
        #expect(record.body.contains("href=\"/console/awards/\(award.id)/disburse\""))
        let confirm = try Self.request(cluster, "operator-zhang", "GET", "/console/awards/\(award.id)/disburse")
        #expect(confirm.status == 200 && confirm.body.contains("50,000.00") && confirm.body.contains(platform.name), "\(confirm.status)")
        let path = "/console/awards/\(award.id)/disburse"
        // A second click of the old form (no amount), or a wrong amount, records nothing.
        for form in ["on=\(CityDatabase.today())&token=\(token)", "on=\(CityDatabase.today())&confirm_amount=5000&token=\(token)"] {
            let refused = try Self.request(cluster, "operator-zhang", "POST", path, headers: sameOrigin, form: form)
            #expect(refused.status == 400 && refused.body.contains("nothing was recorded"), "\(form): \(refused.status)")
            #expect(try CityDatabase.open(at: cluster.cityDB).award(id: award.id)?.status == .approved)
        }
        let paid = try Self.request(cluster, "operator-zhang", "POST", path, headers: sameOrigin,
                                    form: "on=\(CityDatabase.today())&confirm_amount=50%2C000.00&token=\(token)")
        #expect(paid.status == 303, "\(paid.status) \(paid.body.suffix(300))")
        #expect(try CityDatabase.open(at: cluster.cityDB).award(id: award.id)?.status == .disbursed)
        let again = try Self.request(cluster, "operator-zhang", "GET", "/console/awards/\(award.id)/disburse")
        #expect(again.status == 409 && again.body.contains("only an approved award is paid"), "\(again.status)")
    }

    @Test(.timeLimit(.minutes(2)))
    func aDecisionNeedsTheTokenAndTheSameOriginAndThenIsTheCLIsOwnWithTheOperatorOnRecord() async throws {
        let (cluster, county, _, award) = try await Self.setUp()
        defer { cluster.cleanUp() }
        let token = try Self.token(cluster, record: award.id)
        #expect(token.count == 64)
        let path = "/console/awards/\(award.id)/approve"
        let host = "127.0.0.1:\(cluster.cityPort)"
        let refusals: [(String, [String: String], String)] = [
            ("no token", [:], "amount=50000"),
            ("a wrong token", [:], "amount=50000&token=" + String(repeating: "0", count: 64)),
            ("another site, with the token", ["Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"], "amount=50000&token=\(token)"),
            ("another origin, with the token", ["Origin": "https://127.0.0.1:1"], "amount=50000&token=\(token)"),
            ("same site but not same origin", ["Sec-Fetch-Site": "same-site"], "amount=50000&token=\(token)"),
        ]
        for (what, headers, form) in refusals {
            let answer = try Self.request(cluster, "operator-zhang", "POST", path, headers: headers, form: form)
            #expect(answer.status == 403 && answer.body.contains("refused"), "\(what): \(answer.status)")
        }
        // A county certificate may not decide, token or not.
        let byCounty = try Self.request(cluster, "county-130202", "POST", path, form: "amount=50000&token=\(token)")
        #expect(byCounty.status == 403)
        #expect(try CityDatabase.open(at: cluster.cityDB).award(id: award.id)?.status == .proposed, "nothing changed")

        // A rule the CLI enforces is enforced here, with its message: above the 1:1 ceiling of 100,000 yuan.
        let tooMuch = try Self.request(cluster, "operator-zhang", "POST", path, headers: ["Origin": "https://\(host)", "Sec-Fetch-Site": "same-origin"],
                                       form: "amount=100001&token=\(token)")
        #expect(tooMuch.status == 400 && tooMuch.body.contains("amount"), "\(tooMuch.status) \(tooMuch.body.suffix(400))")
        #expect(try CityDatabase.open(at: cluster.cityDB).award(id: award.id)?.status == .proposed, "nothing changed")

        // 10 typed for 10万: refused, asking in both languages.
        let tooLittle = try Self.request(cluster, "operator-zhang", "POST", path, headers: ["Origin": "https://\(host)", "Sec-Fetch-Site": "same-origin"],
                                         form: "amount=10&token=\(token)")
        #expect(tooLittle.status == 400 && tooLittle.body.contains("金额不足 100 元") && tooLittle.body.contains("less than 100 yuan"),
                "\(tooLittle.status) \(tooLittle.body.suffix(600))")
        #expect(try CityDatabase.open(at: cluster.cityDB).award(id: award.id)?.status == .proposed, "nothing changed")

        let approved = try Self.request(cluster, "operator-zhang", "POST", path, headers: ["Origin": "https://\(host)", "Sec-Fetch-Site": "same-origin"],
                                        form: "amount=60000&reason=&token=\(token)")
        #expect(approved.status == 303 && approved.headers["location"]?.hasPrefix("/console/records/\(award.id)?done=") == true, "\(approved.status)")
        let city = try CityDatabase.open(at: cluster.cityDB)
        #expect(try city.award(id: award.id)?.approvedAmount == .yuan(60_000))
        let decision = try #require(try city.decisions(rowId: award.id).first)
        #expect(decision.actor == "operator-zhang" && decision.action == "approve" && decision.detail.contains("60,000.00"))
        let cityExplain = try cluster.syncctl(["explain", award.id, "--db", cluster.cityDB])
        #expect(cityExplain.stdout.contains("by operator-zhang"), "\(cityExplain.stdout)")
        // The same decision made with syncctl names the shell's user.
        let rejectable = try county.proposeAward(Award(county: "130202", platformId: award.platformId, amount: .yuan(10_000), fiscalYear: 2024))
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        #expect(try cluster.syncctl(["award", "reject", rejectable.id, "--reason", "材料不全", "--db", cluster.cityDB]).status == 0)
        #expect(try city.decisions(rowId: rejectable.id).first?.actor.hasPrefix("shell:") == true)

        // The approval reaches the county replica and shows in its explain.
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        #expect(try county.award(id: award.id)?.status == .approved && county.award(id: award.id)?.approvedAmount == .yuan(60_000))
        let countyExplain = try cluster.syncctl(["explain", award.id, "--db", county.path])
        #expect(countyExplain.stdout.contains("city edit"), "\(countyExplain.stdout)")
        // Who approved it travels with the change: the county's history names the operator, and
        // the console's history page has a column saying who made each step.
        #expect(try county.history(of: award.id).contains { $0.kind == "city_edit" && $0.actor == "operator-zhang" })
        let page = try Self.request(cluster, "operator-zhang", "GET", "/console/records/\(award.id)")
        #expect(page.body.contains("经办人 Who") && page.body.contains("<td class=\"actor\">operator-zhang</td>"), "\(page.body.suffix(1500))")
        // The rejection's reason, where the clerk looks: the history, the list and the award.
        let rejectedExplain = try cluster.syncctl(["explain", rejectable.id, "--db", county.path])
        #expect(rejectedExplain.stdout.contains("status rejected; the city's reason: 材料不全"), "\(rejectedExplain.stdout)")
        #expect(try cluster.syncctl(["award", "list", "--db", county.path]).stdout.contains("rejected \(rejectable.id): 材料不全"))
        #expect(try cluster.syncctl(["award", "show", rejectable.id, "--db", county.path]).stdout.contains("材料不全"))
    }

    @Test(.timeLimit(.minutes(2)))
    func aPlatformNamedLikeAScriptRendersAsText() async throws {
        let (cluster, _, platform, _) = try await Self.setUp(platformName: "<script>alert(1)</script>\"'&")
        defer { cluster.cleanUp() }
        for path in ["/console/platforms", "/console/records/\(platform.id)", "/console/awards"] {
            let page = try Self.request(cluster, "operator-zhang", "GET", path)
            #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"), "\(path)")
            #expect(!page.body.contains("<script>alert"), "\(path)")
        }
        // A confirmation is a code with a fixed text: a link cannot make the console say anything else.
        let spoofed = try Self.request(cluster, "operator-zhang", "GET", "/console/records/\(platform.id)?done=%E5%B7%B2%E6%89%B9%E5%87%86%20forged")
        #expect(spoofed.status == 200 && !spoofed.body.contains("forged") && !spoofed.body.contains(#"class="done""#))
        let real = try Self.request(cluster, "operator-zhang", "GET", "/console/records/\(platform.id)?done=approved")
        #expect(real.body.contains(#"class="done""#) && real.body.contains("已批准 approved"))
    }

    @Test(.timeLimit(.minutes(2)))
    func parkedChangesAreRetriedOrDiscardedFromTheConsoleAsTheOperator() async throws {
        let (cluster, county, _, award) = try await Self.setUp()
        defer { cluster.cleanUp() }
        let city = try CityDatabase.open(at: cluster.cityDB)
        try city.approveAward(id: award.id)
        // The county edits an approved award: the city parks it.
        _ = try Cluster.capture("/usr/bin/sqlite3", [county.path, "UPDATE award SET remarks = '追加说明' WHERE id = '\(award.id)'"])
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        let parked = try #require(try city.parked().first)
        let page = try Self.request(cluster, "operator-zhang", "GET", "/console/decisions")
        #expect(page.body.contains("award_approved") && page.body.contains("追加说明"))
        let token = try Self.token(cluster, page: "/console/decisions")
        let retry = try Self.request(cluster, "operator-zhang", "POST", "/console/parked/\(parked.id)/retry", form: "token=\(token)")
        #expect(retry.status == 409 && retry.body.contains("still refused: award_approved"), "\(retry.status)")
        let discard = try Self.request(cluster, "operator-zhang", "POST", "/console/parked/\(parked.id)/discard", form: "token=\(token)")
        #expect(discard.status == 303)
        #expect(try city.parked().isEmpty)
        #expect(try city.decisions(rowId: award.id).contains { $0.action == "discard_parked" && $0.actor == "operator-zhang" })
    }
}

extension ConsoleTests {
    @Test(.timeLimit(.minutes(2)))
    func aConflictIsResolvedFromTheConsoleKeepingTheCountysValue() async throws {
        let (cluster, county, platform, _) = try await Self.setUp()
        defer { cluster.cleanUp() }
        let city = try CityDatabase.open(at: cluster.cityDB)
        // The city and the county change the same shared column before either hears of the other.
        try city.updatePlatform(id: platform.id) { $0.contact = "市局 王" }
        _ = try Cluster.capture("/usr/bin/sqlite3", [county.path, "UPDATE platform SET contact = '县区 李' WHERE id = '\(platform.id)'"])
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        let conflict = try #require(try city.conflicts().first { $0.column == "contact" })
        let page = try Self.request(cluster, "operator-zhang", "GET", "/console/decisions")
        #expect(page.body.contains("conflict-\(conflict.id)") && page.body.contains("县区 李") && page.body.contains("市局 王"))
        let token = try Self.token(cluster, record: platform.id)
        let bad = try Self.request(cluster, "operator-zhang", "POST", "/console/conflicts/\(conflict.id)/resolve", form: "keep=both&token=\(token)")
        #expect(bad.status == 400 && bad.body.contains("keep must be local"))
        let resolved = try Self.request(cluster, "operator-zhang", "POST", "/console/conflicts/\(conflict.id)/resolve", form: "keep=remote&token=\(token)")
        #expect(resolved.status == 303, "\(resolved.status) \(resolved.body.suffix(300))")
        #expect(try city.conflicts().isEmpty && city.platform(id: platform.id)?.contact == "县区 李")
        #expect(try city.decisions(rowId: platform.id).first { $0.action == "resolve_conflict" }?.actor == "operator-zhang")
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        #expect(try county.platform(id: platform.id)?.contact == "县区 李")
    }
}

/// The console in Chromium, driven by Playwright with the operator's client certificate
/// (`Tests/Browser/console_browser_test.py`): the pages against `syncctl`'s figures, an approval
/// reaching the county, refused certificates, a forged cross-site POST, a hostile platform name,
/// and a page following a county's push. Screenshots land in `.build/console-screenshots`.
@Suite("Console in a browser", .serialized)
struct ConsoleBrowserTests {
    /// A Python that has Playwright: the private environment `Deploy/test.sh` makes, or the system's.
    static func python() -> String? {
        let candidates = [Cluster.packageRoot.appendingPathComponent(".build/python/bin/python3").path, "/usr/bin/python3", "/usr/local/bin/python3"]
        return candidates.first { path in
            FileManager.default.isExecutableFile(atPath: path) && (try? Cluster.capture(path, ["-c", "import playwright"]).status) == 0
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func theConsoleWorksInChromiumAsTheClerksUseIt() throws {
        guard let python = Self.python(), FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_BROWSER"] == nil,
                    "Playwright (pip) or Chromium (/usr/bin/chromium) is missing; Deploy/test.sh installs both")
            return
        }
        try Self.run(python, "console_browser_test.py", passed: "all console browser checks passed")
    }

    /// Runs a browser script of `Tests/Browser` on the built binaries; its checks must all pass.
    static func run(_ python: String, _ script: String, passed: String) throws {
        let path = Cluster.packageRoot.appendingPathComponent("Tests/Browser/\(script)").path
        let result = try Cluster.capture(python, [path, Cluster.binaries.path])
        #expect(result.status == 0, "the browser checks failed:\n\(result.stdout.suffix(6_000))\n\(result.stderr.suffix(3_000))")
        #expect(result.stdout.contains(passed), "\(result.stdout.suffix(2_000))")
        #expect(!result.stdout.contains("FAIL "), "\(result.stdout.suffix(4_000))")
    }
}
