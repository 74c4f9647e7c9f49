import ArgumentParser
import SyncStore

/// `syncctl init`: creates a new county replica.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new county replica (--county) or city database (--city); refuses an existing file.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("The county's six-digit code (GB/T 2260), e.g. 130202.", valueName: "code"))
    var county: String?

    @Flag(help: "Create the city's database instead of a county replica.")
    var city = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if city && county != nil { throw ValidationError("give either --county or --city, not both") }
        if !city && county == nil { throw ValidationError("give --county CODE (or --city for the city database)") }
    }

    func run() throws {
        let replica = try reporting { () throws -> ReplicaInfo in
            if let county {
                return try CountyDatabase.create(at: database.db, county: county, counties: try database.registry()).replica
            }
            return try CityDatabase.create(at: database.db, counties: try database.registry()).replica
        }
        if output.json {
            try printJSON(replica)
        } else if let county {
            print("created county replica \(database.db) for \(county), node \(replica.node)")
            print("on first contact it takes the rows the city holds for \(county) (a replacement machine starts with the county's data)")
        } else {
            print("created city database \(database.db), node \(replica.node)")
        }
    }
}
