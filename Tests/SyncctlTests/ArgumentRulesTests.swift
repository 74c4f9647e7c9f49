import ArgumentParser
@testable import AdminCommands
import Testing

/// The command line's own rules, parsed as `syncctl` parses them (`parseAsRoot`), without a
/// process or a database: what each command requires, refuses and reads into its options.
@Suite struct ArgumentRulesTests {
    /// The message ArgumentParser gives for `arguments`, or nil when they parse.
    func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try AdminCommands.Syncctl.parseAsRoot(arguments)
            return nil
        } catch {
            return AdminCommands.Syncctl.message(for: error)
        }
    }

    @Test func eachCommandRefusesWhatItCannotTakeByName() {
        let cases: [(arguments: [String], says: String)] = [
            (["platform", "add", "--db", "c.db", "--name", "某实验室"], "missing --category, --host-org, --credit-code, --industry"),
            (["award", "update", "0190a1b2-93c0-7b2d-9e41-c7d85a62f039", "--db", "c.db"], "nothing to change"),
            (["import", "awards", "--db", "c.db"], "Missing expected argument '<file>'"),
            (["import", "platforms", "p.csv", "--db", "c.db", "--dry"], "Unknown option '--dry'"),
            (["award", "propose", "--db", "c.db", "--platform", "0190a1b2-93c0-7b2d-9e41-c7d85a62f039"], "Missing expected argument '--amount <yuan>'"),
        ]
        for (arguments, says) in cases {
            let message = refusal(arguments)
            #expect(message?.contains(says) == true, "\(arguments.joined(separator: " ")): \(message ?? "parsed")")
        }
    }

    @Test func anImportReadsItsSheetOptions() throws {
        let parsed = try AdminCommands.Syncctl.parseAsRoot(["import", "awards", "奖补.csv", "--db", "c.db", "--dry-run", "--json", "--encoding", "gb18030"])
        let command = try #require(parsed as? ImportCommand.Awards)
        #expect(command.sheet.file == "奖补.csv" && command.sheet.dryRun && command.sheet.output.json && command.sheet.encoding == "gb18030")
        let plain = try #require(try AdminCommands.Syncctl.parseAsRoot(["import", "platforms", "p.xlsx", "--db", "c.db"]) as? ImportCommand.Platforms)
        #expect(!plain.sheet.dryRun && plain.sheet.encoding == "auto" && !plain.sheet.output.json)
    }

    @Test func anAwardUpdateTakesTheCeilingConfirmation() throws {
        let id = "0190a1b2-93c0-7b2d-9e41-c7d85a62f039"
        let confirmed = try #require(try AdminCommands.Syncctl.parseAsRoot(["award", "update", id, "--db", "c.db", "--amount", "12000000", "--confirm-above-ceiling"])
            as? AwardCommand.Update)
        #expect(confirmed.confirmAboveCeiling && confirmed.amount == "12000000")
        let plain = try #require(try AdminCommands.Syncctl.parseAsRoot(["award", "update", id, "--db", "c.db", "--remarks", "补充材料"]) as? AwardCommand.Update)
        #expect(!plain.confirmAboveCeiling)
    }
}
