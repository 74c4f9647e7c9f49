import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// A payment recorded by mistake is reversed (红冲) with a reason, never deleted: through
/// `syncctl` and the console of the real city, and seen by the county. Release 0.15.0 had no way
/// to undo a payment recorded by a double click.
@Suite("Reversing a payment", .serialized)
struct ReversalTests {
    @Test(.timeLimit(.minutes(2)))
    func aPaymentIsReversedWithAReasonAndKeptInTheLog() async throws {
        let (cluster, county, _, award) = try await ConsoleTests.setUp()
        defer { cluster.cleanUp() }
        let cityDB = cluster.cityDB
        func syncctl(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try cluster.syncctl(arguments + ["--db", cityDB])
        }
        #expect(try syncctl(["award", "approve", award.id]).status == 0)
        let unpaid = try syncctl(["award", "reverse", award.id, "--reason", "误登记"])
        #expect(unpaid.status != 0 && unpaid.stderr.contains("only a disbursed award"), "\(unpaid.stderr)")
        #expect(try syncctl(["award", "disburse", award.id]).status == 0)

        // Bad input changes nothing: no reason, a date ahead, a date before the payment.
        let blank = try syncctl(["award", "reverse", award.id, "--reason", "  "])
        #expect(blank.status != 0 && blank.stderr.contains("reason"), "\(blank.stderr)")
        let ahead = try syncctl(["award", "reverse", award.id, "--reason", "误登记", "--on", "2099-01-01"])
        #expect(ahead.status != 0 && ahead.stderr.contains("after today"), "\(ahead.stderr)")
        let before = try syncctl(["award", "reverse", award.id, "--reason", "误登记", "--on", "2022-06-09"])
        #expect(before.status != 0 && before.stderr.contains("on or after"), "\(before.stderr)")
        #expect(try CityDatabase.open(at: cityDB).award(id: award.id)?.status == .disbursed)

        let reversed = try syncctl(["award", "reverse", award.id, "--reason", "财政未实际拨付，系重复点击误登记"])
        #expect(reversed.status == 0, "\(reversed.stderr)")
        let city = try CityDatabase.open(at: cityDB)
        #expect(try city.award(id: award.id)?.status == .approved)
        #expect(try city.awardDecisions(id: award.id)["reversed"]?.note?.contains("重复点击") == true)
        let actions = try city.decisions(rowId: award.id).map(\.action)
        #expect(actions.contains("disburse") && actions.contains("reverse"), "the payment and its reversal are both kept: \(actions)")
        #expect(try city.verifyDecisions().brokenAt == nil)

        // The county sees the award approved and unpaid; it is paid again correctly.
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        #expect(try county.awards().first { $0.id == award.id }?.status == .approved)
        #expect(try syncctl(["award", "disburse", award.id]).status == 0)

        // On the console: the approved amount typed confirms it; a wrong one records nothing.
        let token = try ConsoleTests.token(cluster, record: award.id)
        let sameOrigin = ["Origin": "https://127.0.0.1:\(cluster.cityPort)", "Sec-Fetch-Site": "same-origin"]
        let wrong = try ConsoleTests.request(cluster, "operator-zhang", "POST", "/console/awards/\(award.id)/reverse", headers: sameOrigin,
                                             form: "reason=%E8%AF%AF&amount=5000&token=\(token)")
        #expect(wrong.status == 400, "\(wrong.status)")
        #expect(try city.award(id: award.id)?.status == .disbursed)
        let done = try ConsoleTests.request(cluster, "operator-zhang", "POST", "/console/awards/\(award.id)/reverse", headers: sameOrigin,
                                            form: "reason=%E8%AF%AF%E7%99%BB%E8%AE%B0&amount=50000&token=\(token)")
        #expect(done.status == 303, "\(done.status) \(done.body.prefix(300))")
        #expect(try city.award(id: award.id)?.status == .approved)
        #expect(try city.decisions(rowId: award.id).contains { $0.action == "reverse" && $0.actor == "operator-zhang" })
    }
}
