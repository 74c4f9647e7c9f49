import ArgumentParser
import SyncCore
import SyncStore

/// `syncctl returns`: the city's changes a restore took that a county has not all given back,
/// and settling without them.
struct ReturnsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "returns", abstract: "List what counties must still give back after a restore of the city, or settle without it; at the city only.",
        discussion: """
            After city.db is restored from a backup, each county gives back the city's changes it \
            was handed after the backup. The aggregator knows which (served.db) and takes back what a \
            county gives only when nothing is missing, so a county cannot give back a recognition and \
            keep its revocation. When a change can never come back (the only node that held it is \
            gone), settle: what the county gave back is taken now and the rest is given up, in the \
            decision log; make the missing decisions again by hand.
            """,
        subcommands: [List.self, Settle.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each county with changes still missing: which, and how many it gave back.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let gaps = try reporting { try database.openCity(for: "listing returns").returnGaps() }
            if output.json { return try printJSON(gaps) }
            guard !gaps.isEmpty else { return print("no county owes the city changes lost to a restore") }
            var table = TextTable("COUNTY", "GIVEN BACK", "MISSING", "MISSING CHANGES")
            for gap in gaps {
                table.add(gap.county, String(gap.givenBack), gap.missing.isEmpty ? "0" : attention(String(gap.missing.count)), gap.missingSummary)
            }
            print(table.render())
        }
    }

    struct Settle: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take back what a county gave back now, giving up what it never will; kept in the decision log.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The county's code, e.g. 130202.") var county: String
        @Option(help: "Why (the node that held the missing changes was replaced).") var reason: String

        func run() throws {
            let (takenBack, givenUp) = try reporting { try database.openCity(for: "settling a return").settleReturns(county: county, reason: reason) }
            let lost = givenUp.isEmpty ? "nothing given up" : "given up \(givenUp.count): " + givenUp.map(\.summary).joined(separator: "; ")
            try report(output, id: county, "took back \(takenBack) change(s) county \(county) gave back; \(lost)")
        }
    }
}
