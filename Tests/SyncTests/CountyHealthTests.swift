import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// One judgement of a county's health: `syncctl status --check` at the city fails, naming the
/// cause, where the console shows a county silent or with its clock off. Release 0.15.0 said
/// "OK" (exit 0) with a county silent for 7 h while the console called it silent.
@Suite("A county's health, judged once", .serialized)
struct CountyHealthTests {
    @Test(.timeLimit(.minutes(2)))
    func statusCheckAtTheCityFailsWhereTheConsoleShowsTrouble() async throws {
        let (cluster, _, _, _) = try await ConsoleTests.setUp()
        defer { cluster.cleanUp() }
        let cityDB = cluster.cityDB
        let healthy = try cluster.syncctl(["status", "--db", cityDB, "--check"])
        #expect(healthy.status == 0 && healthy.stdout.hasPrefix("OK"), "\(healthy.stdout)\(healthy.stderr)")

        // Silent for 7 hours: the console's "silent", and the check fails naming it.
        let sevenHoursAgo = CountyDatabase.wallClockMs() - 7 * 3_600_000
        #expect(try Cluster.capture("/usr/bin/sqlite3", [cityDB, "UPDATE node_state SET last_contact_at = \(sevenHoursAgo) WHERE county = '130202'"]).status == 0)
        let silent = try cluster.syncctl(["status", "--db", cityDB, "--check"])
        #expect(silent.status == 1 && silent.stdout.contains("130202") && silent.stdout.contains("silent for 7 h"), "\(silent.stdout)")
        #expect(try cluster.syncctl(["status", "--db", cityDB]).stdout.contains("silent for 7 h"))
        let page = try ConsoleTests.request(cluster, "operator-zhang", "GET", "/console")
        #expect(page.body.contains("失联 silent"), "the console says the same")

        // In contact again, but its clock a day ahead of the city's.
        #expect(try Cluster.capture("/usr/bin/sqlite3", [cityDB, "UPDATE node_state SET last_contact_at = \(CountyDatabase.wallClockMs()), clock_offset_ms = -86400000 WHERE county = '130202'"]).status == 0)
        let skewed = try cluster.syncctl(["status", "--db", cityDB, "--check"])
        #expect(skewed.status == 1 && skewed.stdout.contains("clock 86400 s ahead of the city's"), "\(skewed.stdout)")
        let console = try ConsoleTests.request(cluster, "operator-zhang", "GET", "/console")
        #expect(console.body.contains("clock 86400 s ahead"), "the console shows the clock too")
    }
}
