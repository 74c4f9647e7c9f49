import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// `syncctl status`, `conflicts`, `parked`, `verify`, `explain` and `progress` against databases
/// produced by real syncs over TLS.
@Suite("Admin CLI", .serialized)
struct AdminCLITests {
    /// The flags that reach the city as county `code`.
    func cityFlags(_ cluster: Cluster, _ code: String) throws -> [String] {
        let (cert, key) = try cluster.certificate(code)
        return ["--city", cluster.cityURL, "--ca", cluster.pki.appendingPathComponent("ca.pem").path, "--cert", cert, "--key", key]
    }

    func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    @Test(.timeLimit(.minutes(2)))
    func statusAndCheckForAHealthyALaggingAndABrokenCounty() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 3))
        #expect(try cluster.syncctl(["sync", "--db", county.path] + cityFlags(cluster, "130202")).status == 0)

        let healthy = try cluster.syncctl(["status", "--db", county.path, "--check"])
        #expect(healthy.status == 0 && healthy.stdout.hasPrefix("OK"), "\(healthy.stdout)")
        let human = try cluster.syncctl(["status", "--db", county.path])
        #expect(human.stdout.contains("county replica") && human.stdout.contains("130202 路南区") && human.stdout.contains("daemon         not running"))
        let status = try #require(try json(cluster.syncctl(["status", "--db", county.path, "--json"]).stdout) as? [String: Any])
        #expect(status["role"] as? String == "county" && status["pending"] as? Int == 0 && status["daemonRunning"] as? Bool == false)
        #expect(status["node"] as? String == county.replica.node)

        // Lagging: changes wait (over the threshold of 2).
        try county.addPlatforms(makePlatforms("130202", count: 3, offset: 10))
        let lagging = try cluster.syncctl(["status", "--db", county.path, "--check", "--max-pending", "2"])
        #expect(lagging.status == 1 && lagging.stdout.hasPrefix("BEHIND"), "\(lagging.stdout)")

        // Broken: the last sync failed (the city is down), or there is no database.
        cluster.stopCity()
        let unreachable = try cluster.syncctl(["sync", "--db", county.path] + cityFlags(cluster, "130202"))
        #expect(unreachable.status == 2, "an unreachable city is could not do it (2): \(unreachable.stderr)")
        let broken = try cluster.syncctl(["status", "--db", county.path, "--check"])
        #expect(broken.status == 2 && broken.stdout.contains("last sync failed"), "\(broken.stdout)")
        let missing = try cluster.syncctl(["status", "--db", cluster.dir.appendingPathComponent("none.db").path, "--check"])
        #expect(missing.status == 2)

        // The daemon's lock shows it running; a second daemon on the same replica is refused.
        try await cluster.startCity()
        try cluster.startDaemon("130202")
        try await eventually("the daemon drains the backlog") { try county.pendingCount() == 0 && county.syncPosition().lastError == nil }
        let running = try #require(try json(cluster.syncctl(["status", "--db", county.path, "--json"]).stdout) as? [String: Any])
        #expect(running["daemonRunning"] as? Bool == true)
        let second = try Cluster.capture(Cluster.binaries.appendingPathComponent("county-syncd").path,
                                         ["--db", county.path] + cityFlags(cluster, "130202"))
        #expect(second.status != 0 && second.stderr.contains("already being synced"), "\(second.stderr)")
        // So is a one-shot sync beside the daemon (issue 10 #10): the two would push the same changes at once.
        let beside = try cluster.syncctl(["sync", "--db", county.path] + cityFlags(cluster, "130202"))
        #expect(beside.status != 0 && beside.stderr.contains("already being synced") && beside.stderr.contains("stop the daemon"), "\(beside.stderr)")

        // At the city: every configured county, with this one in contact.
        let cityStatus = try #require(try json(cluster.syncctl(["status", "--db", cluster.cityDB, "--json"]).stdout) as? [[String: Any]])
        #expect(cityStatus.count == 18)
        let mine = try #require(cityStatus.first { $0["county"] as? String == "130202" })
        #expect(mine["platforms"] as? Int == 6 && mine["lastContactAt"] != nil)
        let cityHuman = try cluster.syncctl(["status", "--db", cluster.cityDB])
        #expect(cityHuman.stdout.contains("LAST CONTACT") && cityHuman.stdout.contains("never seen"))
    }

    @Test(.timeLimit(.minutes(2)))
    func verifyIsEqualAfterSyncAndNamesTheTableAndRowChangedBehindTheDaemonsBack() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let platforms = makePlatforms("130202", count: 40)
        try county.addPlatforms(platforms)
        try county.proposeAward(Award(county: "130202", platformId: platforms[0].id, amount: .yuan(50_000), fiscalYear: 2025))
        #expect(try cluster.syncctl(["sync", "--db", county.path] + cityFlags(cluster, "130202")).status == 0)

        let equal = try cluster.syncctl(["verify", "--db", county.path] + cityFlags(cluster, "130202"))
        #expect(equal.status == 0, "\(equal.stdout)\(equal.stderr)")
        #expect(equal.stdout.contains("platform: equal (40 rows)") && equal.stdout.contains("award: equal (1 rows)"))

        // Someone edits the city's copy with capture off: nothing will ever sync it.
        let target = platforms[7].id
        _ = try Cluster.capture("/usr/bin/sqlite3", [cluster.cityDB,
            "UPDATE replica SET capture = 0; UPDATE platform SET name = '被改' WHERE id = '\(target)'; UPDATE replica SET capture = 1;"])
        let different = try cluster.syncctl(["verify", "--db", county.path, "--json"] + cityFlags(cluster, "130202"))
        #expect(different.status == 1)
        let result = try #require(try json(different.stdout) as? [String: Any])
        let tables = try #require(result["tables"] as? [[String: Any]])
        let platformResult = try #require(tables.first { $0["table"] as? String == "platform" })
        #expect(platformResult["equal"] as? Bool == false)
        #expect(platformResult["differingRows"] as? [String] == [target])
        #expect(tables.first { $0["table"] as? String == "award" }?["equal"] as? Bool == true)
        let status = try #require(try json(cluster.syncctl(["status", "--db", county.path, "--json"]).stdout) as? [String: Any])
        #expect((status["lastVerifyResult"] as? String)?.contains("different: platform") == true)
    }

    @Test(.timeLimit(.minutes(2)))
    func resolvingAConflictSyncsToTheOtherSideAndExplainShowsTheWholeHistory() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let platform = try county.addPlatform(makePlatforms("130202", count: 1)[0])
        let flags = try cityFlags(cluster, "130202")
        #expect(try cluster.syncctl(["sync", "--db", county.path] + flags).status == 0)
        let city = try CityDatabase.open(at: cluster.cityDB)
        try county.updatePlatform(id: platform.id) { $0.contact = "县里联系人" }
        // The city's write comes later on the clock than the county's, so its version is the newer.
        let countyWrote = CountyDatabase.wallClockMs()
        try await eventually("the clock to pass the county's write") { CountyDatabase.wallClockMs() > countyWrote + 1 }
        try city.updatePlatform(id: platform.id) { $0.contact = "市里联系人" }
        #expect(try cluster.syncctl(["sync", "--db", county.path] + flags).status == 0)

        let listed = try #require(try json(cluster.syncctl(["conflicts", "--db", county.path, "--json"]).stdout) as? [[String: Any]])
        #expect(listed.count == 1)
        let id = try #require(listed.first?["id"] as? Int)
        let cityListed = try cluster.syncctl(["conflicts", "--db", cluster.cityDB, "--county", "130202"])
        #expect(cityListed.stdout.contains("县里联系人") && cityListed.stdout.contains("1 open conflict"))

        // The county keeps its own value: a new change that reaches the city.
        let resolved = try cluster.syncctl(["conflicts", "resolve", String(id), "--db", county.path, "--keep", "local"])
        #expect(resolved.status == 0, "\(resolved.stderr)")
        #expect(try cluster.syncctl(["sync", "--db", county.path] + flags).status == 0)
        #expect(try city.platform(id: platform.id)?.contact == "县里联系人")
        #expect(try county.conflicts().isEmpty)
        #expect(try cityMatches(county, city))

        // The city recognises the platform later: the county's history shows it all.
        try city.recognizePlatform(id: platform.id)
        #expect(try cluster.syncctl(["sync", "--db", county.path] + flags).status == 0)
        let history = try cluster.syncctl(["explain", platform.id, "--db", county.path])
        #expect(history.status == 0)
        for expected in ["insert platform", "acknowledged by the city", "update platform (contact)", "city edit", "conflict", "contact: kept", "resolved"] {
            #expect(history.stdout.contains(expected), "explain lacks \"\(expected)\":\n\(history.stdout)")
        }
        let unknown = try cluster.syncctl(["explain", RecordID.generate(), "--db", county.path])
        #expect(unknown.status != 0 && unknown.stderr.contains("no record"))
    }

    /// On a county machine configured as the README says, `sync`, `status` and `verify` need no
    /// flags: the daemon's configuration names the replica, the city and the certificates. What
    /// it lacks is named, with the file.
    @Test(.timeLimit(.minutes(2)))
    func commandsTakeWhatTheyLeaveOutFromTheDaemonsConfiguration() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let platform = try county.addPlatform(makePlatforms("130202", count: 1)[0])
        let (cert, key) = try cluster.certificate("130202")
        let config = cluster.dir.appendingPathComponent("county-syncd.conf").path
        try Data("""
            # as Deploy/config/county-syncd.conf
            db = "\(county.path)"
            city = "\(cluster.cityURL)"
            ca = "\(cluster.pki.appendingPathComponent("ca.pem").path)"
            cert = "\(cert)"
            key = "\(key)"
            pull-interval = 10
            log-level = "info"

            """.utf8).write(to: URL(fileURLWithPath: config))
        let syncctl = Cluster.binaries.appendingPathComponent("syncctl").path
        func run(_ arguments: [String], config path: String = config) throws -> (status: Int32, stdout: String, stderr: String) {
            try Cluster.capture(syncctl, arguments, environment: ["COUNTY_SYNC_CONFIG": path])
        }
        let synced = try run(["sync"])
        #expect(synced.status == 0, "\(synced.stderr)")
        #expect(try CityDatabase.open(at: cluster.cityDB).platform(id: platform.id) != nil)
        let status = try run(["status", "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect((try json(status.stdout) as? [String: Any])?["county"] as? String == "130202")
        #expect(try run(["verify"]).status == 0)
        // A flag given wins over the file.
        let elsewhere = try run(["status", "--db", cluster.dir.appendingPathComponent("none.db").path])
        #expect(elsewhere.status != 0 && elsewhere.stderr.contains("none.db"), "\(elsewhere.stderr)")

        let partial = cluster.dir.appendingPathComponent("partial.conf").path
        try Data("city = \"\(cluster.cityURL)\"\n".utf8).write(to: URL(fileURLWithPath: partial))
        let noDatabase = try run(["status"], config: partial)
        #expect(noDatabase.status == 64 && noDatabase.stderr.contains("--db") && noDatabase.stderr.contains(partial), "\(noDatabase.stderr)")
        let noKey = try run(["sync", "--db", county.path], config: partial)
        #expect(noKey.status == 64 && noKey.stderr.contains("--ca"), "\(noKey.stderr)")
        let unreadable = try run(["status"], config: cluster.dir.appendingPathComponent("missing.conf").path)
        #expect(unreadable.status == 64 && unreadable.stderr.contains("COUNTY_SYNC_CONFIG") && unreadable.stderr.contains("missing.conf"), "\(unreadable.stderr)")
    }

    /// The city's resolution closes the county's copy of the conflict on the next sync, whether
    /// it kept its own value (nothing in the row changes) or the county's, and the clerk can no
    /// longer keep the other value over it.
    @Test(.timeLimit(.minutes(2)))
    func aConflictTheCityResolvesIsClosedAtTheCountyAfterOneSync() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let platforms = try makePlatforms("130202", count: 2).map { try county.addPlatform($0) }
        let flags = try cityFlags(cluster, "130202")
        #expect(try cluster.syncctl(["sync", "--db", county.path] + flags).status == 0)
        let city = try CityDatabase.open(at: cluster.cityDB)
        for platform in platforms { try county.updatePlatform(id: platform.id) { $0.contact = "县里联系人" } }
        for platform in platforms { try city.updatePlatform(id: platform.id) { $0.contact = "市里联系人" } }
        #expect(try cluster.syncctl(["sync", "--db", county.path] + flags).status == 0)
        let atCounty = try county.conflicts()
        let atCity = try city.conflicts()
        #expect(atCounty.count == 2 && atCity.count == 2, "county \(atCounty), city \(atCity)")
        // The city keeps its value on the first platform and the county's on the second.
        for conflict in atCity {
            let cityWon = conflict.winnerVersion?.node == "city"
            let keepCity = conflict.rowId == platforms[0].id
            let result = try cluster.syncctl(["conflicts", "resolve", String(conflict.id), "--db", cluster.cityDB,
                                              "--keep", keepCity == cityWon ? (cityWon ? "local" : "remote") : (cityWon ? "remote" : "local")])
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(try city.conflicts().isEmpty)
        #expect(try county.conflicts().count == 2, "the county closed its conflicts before it heard from the city")

        #expect(try cluster.syncctl(["sync", "--db", county.path] + flags).status == 0)
        #expect(try county.conflicts().isEmpty)
        #expect(try county.platform(id: platforms[0].id)?.contact == "市里联系人")
        #expect(try county.platform(id: platforms[1].id)?.contact == "县里联系人")
        #expect(try cityMatches(county, city))
        for conflict in atCounty {
            let reopened = try cluster.syncctl(["conflicts", "resolve", String(conflict.id), "--db", county.path, "--keep", "remote"])
            #expect(reopened.status != 0 && reopened.stderr.contains("already resolved"), "\(reopened.stderr)")
        }
        let history = try cluster.syncctl(["explain", platforms[0].id, "--db", county.path])
        #expect(history.stdout.contains("resolved by the city"), "\(history.stdout)")
    }

    /// Who did what, both ways over the real aggregator: a clerk's entries at the county reach
    /// the city with her name, and an operator's decisions at the city reach the county with his.
    @Test(.timeLimit(.minutes(2)))
    func whoMadeEachChangeIsKeptAndShownOnBothSides() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let flags = try cityFlags(cluster, "130202")
        let clerk = ["SUDO_USER": "wangli"], cityOperator = ["SUDO_USER": "zhaomin"]
        let add = try cluster.syncctl(["platform", "add", "--db", county.path, "--name", "唐山市焊接技术重点实验室", "--category", "重点实验室",
                                       "--level", "市级", "--host-org", "唐山开元焊接研究所", "--credit-code", "91130202MA0A00011Y",
                                       "--industry", "焊接"], environment: clerk)
        #expect(add.status == 0, "\(add.stderr)")
        let platform = add.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // A write made without anyone named (as the library, or a 0.15 county, makes it) syncs as before, unattributed.
        let unnamed = try county.addPlatform(try makePlatforms("130202", count: 1)[0])
        #expect(try cluster.syncctl(["sync", "--db", county.path] + flags).status == 0)

        let city = try CityDatabase.open(at: cluster.cityDB)
        #expect(try city.platform(id: platform) != nil && city.platform(id: unnamed.id) != nil)
        let atCity = try city.history(of: platform)
        #expect(atCity.contains { $0.kind == "county_edit" && $0.actor == "shell:wangli" && $0.detail.contains("by shell:wangli") }, "\(atCity)")
        #expect(try city.history(of: unnamed.id).allSatisfy { $0.actor == nil })

        let recognize = try cluster.syncctl(["platform", "recognize", platform, "--db", cluster.cityDB], environment: cityOperator)
        #expect(recognize.status == 0, "\(recognize.stderr)")
        let decided = try city.history(of: platform)
        #expect(decided.contains { $0.kind == "city_edit" && $0.actor == "shell:zhaomin" }, "\(decided)")
        #expect(decided.contains { $0.kind == "decision" && $0.actor == "shell:zhaomin" }, "\(decided)")

        #expect(try cluster.syncctl(["sync", "--db", county.path] + flags).status == 0)
        #expect(try county.platform(id: platform)?.status == .recognized)
        let explain = try cluster.syncctl(["explain", platform, "--db", county.path, "--json"])
        #expect(explain.status == 0, "\(explain.stderr)")
        let events = try #require(try json(explain.stdout) as? [[String: Any]])
        #expect(events.contains { $0["kind"] as? String == "local_edit" && $0["actor"] as? String == "shell:wangli" }, "\(events)")
        #expect(events.contains { $0["kind"] as? String == "city_edit" && $0["actor"] as? String == "shell:zhaomin"
            && ($0["detail"] as? String)?.contains("status recognized") == true }, "\(events)")
        let table = try cluster.syncctl(["explain", platform, "--db", county.path])
        #expect(table.stdout.contains("by shell:wangli") && table.stdout.contains("by shell:zhaomin"), "\(table.stdout)")
        // The county's own change log, as sqlite3 reads it: the clerk's entry, not the unnamed one.
        let kept = try Cluster.capture("/usr/bin/sqlite3", [county.path, "SELECT row_id || '=' || ifnull(actor, '-') FROM change_log ORDER BY seq"])
        #expect(kept.stdout.split(separator: "\n").map(String.init) == ["\(platform)=shell:wangli", "\(unnamed.id)=-"], "\(kept.stdout)")
    }

    @Test(.timeLimit(.minutes(2)))
    func parkedChangesAreListedAndCanBeDiscardedOrRetried() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let lab = try county.addPlatform(makePlatforms("130202", count: 1)[0])
        let award = try county.proposeAward(Award(county: "130202", platformId: lab.id, amount: .yuan(50_000), fiscalYear: 2025))
        let flags = try cityFlags(cluster, "130202")
        #expect(try cluster.syncctl(["sync", "--db", county.path] + flags).status == 0)
        try CityDatabase.open(at: cluster.cityDB).recognizePlatform(id: lab.id)
        try CityDatabase.open(at: cluster.cityDB).approveAward(id: award.id)
        _ = try Cluster.capture("/usr/bin/sqlite3", [county.path, "UPDATE award SET remarks = '追加说明' WHERE id = '\(award.id)'"])
        #expect(try cluster.syncctl(["sync", "--db", county.path] + flags).status == 0)

        let parked = try cluster.syncctl(["parked", "--db", county.path])
        #expect(parked.stdout.contains("award_approved") && parked.stdout.contains("remarks=追加说明"), "\(parked.stdout)")
        let items = try #require(try json(cluster.syncctl(["parked", "--db", county.path, "--json"]).stdout) as? [[String: Any]])
        let id = try #require(items.first?["id"] as? Int)
        // At the city the change is judged again against today's rows: the award is still approved.
        let atCity = try cluster.syncctl(["parked", "retry", "1", "--db", cluster.cityDB])
        #expect(atCity.status == 1 && atCity.stderr.contains("still refused: award_approved"), "\(atCity.stderr)")
        #expect(try CityDatabase.open(at: cluster.cityDB).parked().count == 1, "a refused retry changes nothing")
        #expect(try cluster.syncctl(["parked", "discard", String(id), "--db", county.path]).status == 0)
        #expect(try county.parked().isEmpty)
        #expect(try cluster.syncctl(["parked", "discard", String(id), "--db", county.path]).status != 0, "already discarded")
    }

    @Test(.timeLimit(.minutes(2)))
    func progressFiguresMatchCountsMadeInSQLAndMetricsAreExposed() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        for code in ["130202", "130209"] {
            let county = try cluster.makeCounty(code)
            let platforms = makePlatforms(code, count: 10, offset: code == "130202" ? 0 : 100)
            try county.addPlatforms(platforms)
            for platform in platforms.prefix(4) where platform.category == .keyLab {
                try county.proposeAward(Award(county: code, platformId: platform.id, amount: .yuan(30_000), fiscalYear: 2025))
            }
            #expect(try cluster.syncctl(["sync", "--db", county.path] + cityFlags(cluster, code)).status == 0)
        }
        let city = try CityDatabase.open(at: cluster.cityDB)
        // Recognised while the plan ran: a recognition after 2025-12-31 counts toward no 2025 target.
        for platform in try city.platforms().prefix(7) { try city.recognizePlatform(id: platform.id, on: try CalendarDate("2025-06-01")) }
        if let award = try city.awards().first(where: { award in try city.platform(id: award.platformId)?.status == .recognized }) {
            try city.approveAward(id: award.id, amount: .yuan(20_000))
        }

        let report = try #require(try json(cluster.syncctl(["progress", "--db", cluster.cityDB, "--json"]).stdout) as? [String: Any])
        let targets = try #require(report["targets"] as? [[String: Any]])
        func sql(_ query: String) throws -> Int { Int(try Cluster.capture("/usr/bin/sqlite3", [cluster.cityDB, query]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
        let keyLabs = try #require(targets.first { $0["key"] as? String == "key_labs" })
        #expect(keyLabs["count"] as? Int == (try sql("SELECT count(*) FROM platform WHERE category = 'key_lab' AND status = 'recognized'")))
        let alliances = try #require(targets.first { $0["key"] as? String == "industry_alliances" })
        #expect(alliances["count"] as? Int == (try sql("SELECT count(*) FROM platform WHERE category = 'industry_alliance' AND status = 'recognized'")))
        #expect(alliances["registered"] as? Int == (try sql("SELECT count(*) FROM platform WHERE category = 'industry_alliance' AND status = 'registered'")))
        let awards = try #require(report["awards"] as? [String: Any])
        #expect(awards["proposedFen"] as? Int == (try sql("SELECT sum(amount_fen) FROM award WHERE status = 'proposed'")))
        #expect(awards["approvedFen"] as? Int == 2_000_000)
        #expect(try cluster.syncctl(["progress", "--db", cluster.countyDBPath("130202")]).stderr.contains("done at the city"))

        let (cert, key) = try cluster.certificate("130202")
        let metrics = try await cluster.transport(cert: cert, key: key).request(method: "GET", path: "/metrics")
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(metrics.status == 200)
        #expect(text.contains("sync_push_total 2"), "\(text)")
        #expect(text.contains(#"sync_changes_total{outcome="applied"}"#))
        #expect(text.contains(#"sync_county_last_contact_seconds{county="130209"}"#))
        #expect(text.contains(#"sync_request_duration_seconds_count{route="/v1/push"}"#))
    }
}

/// Every option's help, in every command of the three binaries, says its default once: where
/// the option has a default value, the parser prints "(default: …)" and the text must not say it
/// again (release 0.15.0 printed "(default 1000) (default: 1000)").
@Suite("Help texts")
struct HelpTextTests {
    /// `Deploy/install-syncctl.sh` installs the binary, completions bash and zsh load, and a manual
    /// page that man renders with every command in it.
    @Test func theInstallScriptPutsCompletionsAndAManualPageInPlace() throws {
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("install-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: staging) }
        let script = Cluster.packageRoot.appendingPathComponent("Deploy/install-syncctl.sh").path
        let installed = try Cluster.capture("/bin/bash", [script, Cluster.binaries.appendingPathComponent("syncctl").path],
                                            environment: ["DESTDIR": staging.path])
        #expect(installed.status == 0, "\(installed.stderr)")
        let share = staging.appendingPathComponent("usr/local/share").path
        #expect(FileManager.default.isExecutableFile(atPath: staging.appendingPathComponent("usr/local/bin/syncctl").path))
        let bash = try Cluster.capture("/bin/bash", ["-c", "source \(share)/bash-completion/completions/syncctl && complete -p syncctl"])
        #expect(bash.status == 0 && bash.stdout.contains("syncctl"), "\(bash.stdout) \(bash.stderr)")
        let zsh = try String(contentsOfFile: "\(share)/zsh/site-functions/_syncctl", encoding: .utf8)
        #expect(zsh.hasPrefix("#compdef syncctl"))
        let fish = try String(contentsOfFile: "\(share)/fish/vendor_completions.d/syncctl.fish", encoding: .utf8)
        #expect(fish.contains("import"))
        let page = try String(contentsOfFile: "\(share)/man/man1/syncctl.1", encoding: .utf8)
        #expect(page.hasPrefix(".TH SYNCCTL 1"))
        for command in ["syncctl platform add", "syncctl import platforms", "syncctl award propose", "syncctl sync", "syncctl manual"] {
            #expect(page.contains(".SS \"\(command)\""), "the manual lacks \(command)")
        }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/man") {
            let shown = try Cluster.capture("/usr/bin/man", ["-l", "\(share)/man/man1/syncctl.1"], environment: ["MANWIDTH": "120", "MANPAGER": "cat", "PAGER": "cat"])
            #expect(shown.status == 0 && shown.stdout.contains("syncctl import platforms") && shown.stdout.contains("--dry-run"), "\(shown.stderr)")
        }
    }

    @Test func noOptionSaysItsDefaultTwice() throws {
        for binary in ["syncctl", "city-aggregator", "county-syncd"] {
            let dump = try Cluster.capture(Cluster.binaries.appendingPathComponent(binary).path, ["--experimental-dump-help"])
            #expect(dump.status == 0, "\(binary): \(dump.stderr)")
            let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
            var commands = [(name: binary, command: try #require(root["command"] as? [String: Any]))]
            var options = 0
            while let (name, command) = commands.popLast() {
                for argument in command["arguments"] as? [[String: Any]] ?? [] {
                    options += 1
                    let help = argument["abstract"] as? String ?? ""
                    if argument["defaultValue"] != nil {
                        #expect(!help.contains("(default"), "\(name) \(argument["valueName"] ?? ""): \(help)")
                    }
                }
                for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                    commands.append((name: "\(name) \(sub["commandName"] as? String ?? "")", command: sub))
                }
            }
            #expect(options > 10, "\(binary) has its options in the dump")
            // Every syncctl command that reports or acts takes --json (the exports and the manual write documents).
            if binary == "syncctl" {
                var leaves = [(name: "syncctl", command: try #require(root["command"] as? [String: Any]))]
                var checked = 0
                while let (name, command) = leaves.popLast() {
                    let subcommands = command["subcommands"] as? [[String: Any]] ?? []
                    for sub in subcommands { leaves.append((name: "\(name) \(sub["commandName"] as? String ?? "")", command: sub)) }
                    guard subcommands.isEmpty, !name.hasPrefix("syncctl export"), name != "syncctl manual", !name.hasSuffix(" help") else { continue }
                    let names = (command["arguments"] as? [[String: Any]] ?? []).flatMap { ($0["names"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
                    #expect(names.contains("json"), "\(name) has no --json")
                    checked += 1
                }
                #expect(checked > 25)
            }
        }
    }
}
