import ArgumentParser
import Foundation
import SyncCore
import SyncStore

/// `syncctl pending`: decisions waiting for a second operator at the city, and their
/// confirmation or refusal by one.
struct PendingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pending",
        abstract: "List decisions waiting for a second operator; confirm or refuse one (at the city).",
        discussion: """
            An approval or payment of at least the roles file's second-person-from-yuan (1,000,000 by default), \
            and any decision with an override, is kept as pending when its first operator makes it. Another \
            operator confirms it (it is then made, checked again) or refuses it with a reason. syncctl acts as \
            shell:USER; the operator who made a decision cannot confirm it.
            """,
        subcommands: [List.self, Confirm.self, Refuse.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the pending decisions (with --all, every one kept).")

        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Every decision kept, confirmed and refused ones too.") var all = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            let city = try reporting { try database.openCity(for: "listing pending decisions") }
            let pending = try reporting { try city.pendingDecisions(all: all) }
            if output.json { return try printJSON(pending) }
            if pending.isEmpty { return print(all ? "no decision was kept for a second operator" : "no decision waits for a second operator") }
            var table = TextTable("ID", "STATE", "ACTION", "RECORD", "COUNTY", "BY", "WHAT")
            for decision in pending {
                table.add(String(decision.id), decision.state, decision.action, decision.recordId, decision.county, decision.proposedBy, decision.summary)
            }
            print(table.render())
        }
    }

    struct Confirm: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Confirm another operator's pending decision: it is made now, checked again.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The pending decision's number.") var id: Int64

        func run() throws {
            let summary = try reporting { try database.openCity(for: "confirming a decision").confirmPending(id: id, by: CityDatabase.shellActor) }
            try report(output, id: String(id), "confirmed pending decision \(id): \(summary)")
        }
    }

    struct Refuse: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse another operator's pending decision, with a reason; nothing else changes.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The pending decision's number.") var id: Int64
        @Option(help: "Why.") var reason: String

        func run() throws {
            try reporting { try database.openCity(for: "refusing a decision").refusePending(id: id, reason: reason, by: CityDatabase.shellActor) }
            try report(output, id: String(id), "refused pending decision \(id)")
        }
    }
}
