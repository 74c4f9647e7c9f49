import ArgumentParser
import SyncStore

/// `syncctl init`: creates a new county replica.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new county replica; refuses an unknown county code or an existing file.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("The county's six-digit code (GB/T 2260), e.g. 130202.", valueName: "code"))
    var county: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let replica = try reporting {
            try CountyDatabase.create(at: database.db, county: county, counties: try database.registry()).replica
        }
        if output.json {
            try printJSON(replica)
        } else {
            print("created county replica \(database.db) for \(county), node \(replica.node)")
        }
    }
}
