import Foundation
import GRDB
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// The city's decision log cannot be rewritten quietly: each entry chains the hash of the one
/// before, `syncctl verify --decisions` checks the chain at the city, and every pull carries the
/// head, so a county finds a history the city rewrote whole. Tampering is done as someone with
/// the city's database file would do it: the `sqlite3` shell, and a program that computes every
/// hash again.
@Suite("The decision log is a hash chain the counties check", .serialized)
struct DecisionChainTests {
    let plan = AwardPlanTests()

    func city(_ setup: AwardPlanTests.Setup, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try setup.syncctl(arguments + ["--db", setup.cluster.cityDB])
    }

    func county(_ setup: AwardPlanTests.Setup, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try setup.syncctl(arguments + ["--db", setup.cluster.countyDBPath("130202")])
    }

    /// Every entry's detail replaced, and every hash computed again from the first: a chain that
    /// holds, but not the one the counties saw.
    static func rewriteWhole(_ path: String, detail: (Int64, String) -> String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS decision_log_no_update")
            var previous = DecisionChain.genesis
            for row in try Row.fetchAll(db, sql: "SELECT * FROM decision_log ORDER BY id") {
                let id: Int64 = row["id"]
                let text = detail(id, row["detail"])
                previous = DecisionChain.hash(previous: previous, id: id, atMs: row["at_ms"], actor: row["actor"], action: row["action"],
                                              table: row["tbl"], rowId: row["row_id"], county: row["county"], detail: text)
                try db.execute(sql: "UPDATE decision_log SET detail = ?, hash = ? WHERE id = ?", arguments: [text, previous, id])
            }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func aTamperedEntryIsFoundAtTheCityAndAWholeRewriteByTheCounty() async throws {
        let setup = try await AwardPlanTests.setUp()
        defer { setup.cluster.cleanUp() }
        let lab = try plan.add(setup, "130202", "唐山焊接重点实验室", "key_lab", "municipal", serial: 61)
        let award = try plan.propose(setup, "130202", lab, "100000").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try setup.sync("130202")
        #expect(try city(setup, ["platform", "recognize", lab]).status == 0)
        #expect(try city(setup, ["award", "approve", award]).status == 0)
        #expect(try city(setup, ["award", "disburse", award]).status == 0)
        try setup.sync("130202")

        // The chain holds, and the county saw its head.
        let verified = try city(setup, ["verify", "--decisions"])
        #expect(verified.status == 0 && verified.stdout.contains("3 entries chained"), "\(verified.stdout)\(verified.stderr)")
        let seen = try CountyDatabase.open(at: setup.cluster.countyDBPath("130202")).decisionsSeen()
        #expect(seen == (try CityDatabase.open(at: setup.cluster.cityDB).verifyDecisions().head?.id))
        #expect(try county(setup, ["verify", "--decisions"]).status == 0)

        // The log is append-only for the shell.
        let shell = try Cluster.capture("/usr/bin/sqlite3", [setup.cluster.cityDB, "UPDATE decision_log SET detail = 'approved 1,000,000.00 yuan' WHERE id = 2"])
        #expect(shell.status != 0 && shell.stderr.contains("append-only"), "\(shell.stderr)")

        // One entry changed past the trigger: `verify --decisions` names it.
        let forged = try Cluster.capture("/usr/bin/sqlite3", [setup.cluster.cityDB,
            "DROP TRIGGER decision_log_no_update; UPDATE decision_log SET detail = 'approved 1,000,000.00 yuan on 2025-06-01' WHERE id = 2"])
        #expect(forged.status == 0, "\(forged.stderr)")
        let broken = try city(setup, ["verify", "--decisions"])
        #expect(broken.status == 1 && broken.stdout.contains("BROKEN at entry 2"), "\(broken.stdout)\(broken.stderr)")

        // Every hash computed again: the chain holds at the city, and the county finds it on its
        // next pull, says so in `status` and fails `status --check` until acknowledged.
        try Self.rewriteWhole(setup.cluster.cityDB) { id, detail in id == 2 ? "approved 1,000,000.00 yuan on 2025-06-01" : detail }
        #expect(try city(setup, ["verify", "--decisions"]).status == 0)
        try setup.sync("130202")
        let found = try county(setup, ["verify", "--decisions"])
        #expect(found.status == 1 && found.stdout.contains("was rewritten"), "\(found.stdout)\(found.stderr)")
        let check = try county(setup, ["status", "--check"])
        #expect(check.status != 0 && check.stdout.contains("decision log"), "\(check.stdout)")
        #expect(try county(setup, ["status"]).stdout.contains("1 finding(s)"))
        // Found once, however often it pulls.
        try setup.sync("130202")
        #expect(try CountyDatabase.open(at: setup.cluster.countyDBPath("130202")).decisionAlarms().count == 1)
        #expect(try county(setup, ["verify", "--decisions", "--acknowledge"]).status == 0)
        #expect(try county(setup, ["verify", "--decisions"]).status == 0)

        // Entries removed from the end (the county saw them): found too.
        let cut = try Cluster.capture("/usr/bin/sqlite3", [setup.cluster.cityDB, "DROP TRIGGER decision_log_no_delete; DELETE FROM decision_log WHERE id >= 2"])
        #expect(cut.status == 0, "\(cut.stderr)")
        try setup.sync("130202")
        let short = try county(setup, ["verify", "--decisions"])
        #expect(short.status == 1 && short.stdout.contains("no longer holds decision 3"), "\(short.stdout)\(short.stderr)")
    }
}
