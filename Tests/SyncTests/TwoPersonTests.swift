import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Two people for large decisions, and roles from the city's roles file, through the real city:
/// `syncctl` at the server's shell (as `shell:root`, and as `shell:nobody` for the second
/// person) and the console (operators with their own certificates). Release 0.15.0 let one
/// operator approve and pay any amount alone.
@Suite("Two people for large decisions", .serialized)
struct TwoPersonTests {
    let plan = AwardPlanTests()

    @Test(.timeLimit(.minutes(2)))
    func aLargeApprovalAndPaymentWaitForASecondOperatorAtTheShell() async throws {
        let setup = try await AwardPlanTests.setUp()
        defer { setup.cluster.cleanUp() }
        let cityDB = setup.cluster.cityDB
        let alliance = try plan.add(setup, "130202", "唐山钢铁产业技术创新战略联盟", "industry_alliance", "national", serial: 81)
        let small = try plan.add(setup, "130202", "唐山市级联盟", "industry_alliance", "municipal", serial: 82)
        let large = try plan.propose(setup, "130202", alliance, "1000000").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let minor = try plan.propose(setup, "130202", small, "100000").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try setup.sync("130202")
        for platform in [alliance, small] { #expect(try setup.syncctl(["platform", "recognize", platform, "--db", cityDB]).status == 0) }

        // Under the threshold, one operator decides.
        #expect(try setup.syncctl(["award", "approve", minor, "--db", cityDB]).status == 0)
        #expect(try CityDatabase.open(at: cityDB).award(id: minor)?.status == .approved)

        // 1,000,000: kept as pending, nothing else changes.
        let first = try setup.syncctl(["award", "approve", large, "--db", cityDB])
        #expect(first.status == 0 && first.stdout.contains("second operator"), "\(first.stdout)\(first.stderr)")
        let city = try CityDatabase.open(at: cityDB)
        #expect(try city.award(id: large)?.status == .proposed)
        let pending = try #require(try city.pendingDecisions().first { $0.recordId == large })
        #expect(pending.proposedBy == CityDatabase.shellActor && pending.action == "approve")
        let again = try setup.syncctl(["award", "approve", large, "--db", cityDB])
        #expect(again.status != 0 && again.stderr.contains("already waits"), "\(again.stderr)")
        // The operator who made it cannot confirm it.
        let own = try setup.syncctl(["pending", "confirm", String(pending.id), "--db", cityDB])
        #expect(own.status != 0 && own.stderr.contains("cannot confirm"), "\(own.stderr)")
        #expect(try city.award(id: large)?.status == .proposed)
        // A second operator does.
        let second = try setup.cluster.syncctlAsSecondOperator(["pending", "confirm", String(pending.id), "--db", cityDB])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try city.award(id: large)?.status == .approved)
        #expect(try city.decisions(rowId: large).contains { $0.action == "approve" && $0.detail.contains("confirmed by shell:nobody") })

        // The payment too; refused by the second operator, it is not made.
        let pay = try setup.syncctl(["award", "disburse", large, "--db", cityDB])
        #expect(pay.status == 0 && pay.stdout.contains("second operator"), "\(pay.stdout)\(pay.stderr)")
        let payment = try #require(try city.pendingDecisions().first { $0.recordId == large && $0.action == "disburse" })
        let blank = try setup.cluster.syncctlAsSecondOperator(["pending", "refuse", String(payment.id), "--db", cityDB, "--reason", " "])
        #expect(blank.status != 0 && blank.stderr.contains("reason"), "\(blank.stderr)")
        let refused = try setup.cluster.syncctlAsSecondOperator(["pending", "refuse", String(payment.id), "--db", cityDB, "--reason", "拨付凭证未到"])
        #expect(refused.status == 0, "\(refused.stderr)")
        #expect(try city.award(id: large)?.status == .approved)
        let listed = try setup.syncctl(["pending", "--all", "--db", cityDB, "--json"])
        let states = (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])?.compactMap { $0["state"] as? String }
        #expect(states?.sorted() == ["confirmed", "refused"], "\(listed.stdout)")
        #expect(try city.verifyDecisions().brokenAt == nil)

        // A roles file decides who may: the shell's user as a viewer decides nothing, and the
        // threshold comes from it.
        let roles = setup.cluster.dir.appendingPathComponent("roles.conf").path
        try "second-person-from-yuan = 50000\n\(CityDatabase.shellActor) = viewer\nshell:nobody = approver payer\n".write(toFile: roles, atomically: true, encoding: .utf8)
        let viewer = try setup.syncctl(["award", "disburse", large, "--db", cityDB, "--roles", roles])
        #expect(viewer.status != 0 && viewer.stderr.contains("payer role") && viewer.stderr.contains("viewer"), "\(viewer.stderr)")
        let broken = setup.cluster.dir.appendingPathComponent("broken.conf").path
        try "operator-zhang = boss\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let unreadable = try setup.syncctl(["pending", "--db", cityDB, "--roles", broken])
        #expect(unreadable.status == 2 && unreadable.stderr.contains("broken.conf:1") && unreadable.stderr.contains("unknown role boss"), "\(unreadable.stderr)")
    }

    /// Operators on the console: a large approval waits; its own operator cannot confirm it;
    /// another can; roles come from the roles file and are read again on SIGHUP.
    @Test(.timeLimit(.minutes(2)))
    func consoleOperatorsDecideByTheirRolesAndTwoConfirmALargeDecision() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let roles = cluster.dir.appendingPathComponent("roles.conf")
        try "second-person-from-yuan = 10000\noperator-zhang = approver\noperator-li = approver payer\n".write(to: roles, atomically: true, encoding: .utf8)
        try await cluster.startCity(["--console-refresh-seconds", "0", "--roles-file", roles.path])
        let pki = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        for name in ["zhang", "li", "wang"] {
            let made = try Cluster.capture("/bin/bash", [pki, "operator", cluster.pki.path, name], environment: ["P12_PASSWORD": "test"])
            #expect(made.status == 0, "\(made.stderr)")
        }
        let county = try cluster.makeCounty("130202")
        let platform = try county.addPlatform(makePlatforms("130202", count: 1)[0])
        let award = try county.proposeAward(Award(county: "130202", platformId: platform.id, amount: .yuan(50_000), fiscalYear: 2025))
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        try CityDatabase.open(at: cluster.cityDB).recognizePlatform(id: platform.id)
        let sameOrigin = ["Origin": "https://127.0.0.1:\(cluster.cityPort)", "Sec-Fetch-Site": "same-origin"]
        func post(_ name: String, _ path: String, _ form: String, page: String) throws -> ConsoleTests.Answer {
            let answer = try ConsoleTests.request(cluster, "operator-\(name)", "GET", page)
            let token = answer.body.range(of: #"name="token" value=""#).map { String(answer.body[$0.upperBound...].prefix(64)) } ?? ""
            return try ConsoleTests.request(cluster, "operator-\(name)", "POST", path, headers: sameOrigin, form: form + "&token=\(token)")
        }
        let city = try CityDatabase.open(at: cluster.cityDB)

        // Not in the roles file: views only.
        let stranger = try post("wang", "/console/awards/\(award.id)/approve", "amount=50000", page: "/console/records/\(award.id)")
        #expect(stranger.status == 409 && stranger.body.contains("approver role"), "\(stranger.status) \(stranger.body.prefix(400))")
        // Zhang approves 50,000 (the file's threshold is 10,000): it waits.
        let approved = try post("zhang", "/console/awards/\(award.id)/approve", "amount=50000", page: "/console/records/\(award.id)")
        #expect(approved.status == 303 && approved.headers["location"]?.contains("done=pending") == true, "\(approved.status) \(approved.headers)")
        #expect(try city.award(id: award.id)?.status == .proposed)
        let pending = try #require(try city.pendingDecisions().first { $0.recordId == award.id })
        let ownPage = try ConsoleTests.request(cluster, "operator-zhang", "GET", "/console/decisions")
        #expect(ownPage.body.contains("pending-\(pending.id)") && !ownPage.body.contains("/console/pending/\(pending.id)/confirm"), "no confirm button for its own operator")
        let own = try post("zhang", "/console/pending/\(pending.id)/confirm", "", page: "/console/records/\(award.id)")
        #expect(own.status == 409 && own.body.contains("cannot confirm"), "\(own.status) \(own.body.prefix(400))")
        let confirmed = try post("li", "/console/pending/\(pending.id)/confirm", "", page: "/console/decisions")
        #expect(confirmed.status == 303, "\(confirmed.status) \(confirmed.body.prefix(400))")
        #expect(try city.award(id: award.id)?.status == .approved)

        // Payments are the payer's: zhang is not one; li's payment waits for a second payer.
        let zhangPays = try post("zhang", "/console/awards/\(award.id)/disburse", "confirm_amount=50000", page: "/console/awards/\(award.id)/disburse")
        #expect(zhangPays.status == 409 && zhangPays.body.contains("payer role"), "\(zhangPays.status) \(zhangPays.body.prefix(400))")
        let liPays = try post("li", "/console/awards/\(award.id)/disburse", "confirm_amount=50000", page: "/console/awards/\(award.id)/disburse")
        #expect(liPays.status == 303 && liPays.headers["location"]?.contains("done=pending") == true, "\(liPays.status)")
        let payment = try #require(try city.pendingDecisions().first { $0.recordId == award.id && $0.action == "disburse" })
        let notPayer = try post("zhang", "/console/pending/\(payment.id)/confirm", "", page: "/console/decisions")
        #expect(notPayer.status == 409 && notPayer.body.contains("payer role"), "\(notPayer.status)")

        // Wang becomes a payer: the roles file is read again on SIGHUP, and he confirms.
        try "second-person-from-yuan = 10000\noperator-zhang = approver\noperator-li = approver payer\noperator-wang = payer\n"
            .write(to: roles, atomically: true, encoding: .utf8)
        let pid = try #require(cluster.city?.process.processIdentifier)
        kill(pid, SIGHUP)
        try await eventually("the aggregator reads its roles again", timeout: .seconds(10)) {
            cluster.logTail("city.log", lines: 20).contains("roles read again")
        }
        let wangConfirms = try post("wang", "/console/pending/\(payment.id)/confirm", "", page: "/console/decisions")
        #expect(wangConfirms.status == 303, "\(wangConfirms.status) \(wangConfirms.body.prefix(400))")
        #expect(try city.award(id: award.id)?.status == .disbursed)
        #expect(try city.decisions(rowId: award.id).contains { $0.action == "disburse" && $0.actor == "operator-li" && $0.detail.contains("confirmed by operator-wang") })
        #expect(cluster.city?.isRunning == true, "SIGHUP does not stop the aggregator")
        // Each console decision, and each refusal, is a log line with the operator, the record,
        // the outcome and the peer.
        let log = cluster.logTail("city.log", lines: 400)
        #expect(log.contains("console decision") && log.contains("sync.operator=operator-wang") && log.contains("sync.outcome=confirmed")
                && log.contains("sync.peer=127.0.0.1"), "a confirmation is logged")
        #expect(log.contains("console decision refused") && log.contains("sync.status=409") && log.contains("approver role"), "a refusal is logged")
    }

    /// A roles file that does not read stops the aggregator at start with the configuration exit status.
    @Test(.timeLimit(.minutes(1)))
    func anUnreadableRolesFileStopsTheAggregator() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let roles = cluster.dir.appendingPathComponent("roles.conf")
        try "operator-zhang approver\n".write(to: roles, atomically: true, encoding: .utf8)
        let binary = Cluster.binaries.appendingPathComponent("city-aggregator").path
        let result = try Cluster.capture(binary, ["--db", cluster.cityDB, "--listen", "127.0.0.1:0", "--cert", cluster.pki.appendingPathComponent("server.pem").path,
                                                  "--key", cluster.pki.appendingPathComponent("server.key").path,
                                                  "--client-ca", cluster.pki.appendingPathComponent("ca.pem").path, "--roles-file", roles.path])
        #expect(result.status == 78 && result.stderr.contains("roles-file") && result.stderr.contains("line 1"), "\(result.status) \(result.stderr)")
    }
}
