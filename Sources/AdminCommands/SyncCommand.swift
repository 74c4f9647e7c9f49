import ArgumentParser
import CountyDaemon
import CurlTransport
import Logging
import SyncStore

/// `syncctl sync`: one push and pull with the city, without the daemon.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Push pending changes to the city and pull its changes once, without the daemon.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: ArgumentHelp("The aggregator's URL, e.g. https://city.example:8443.", valueName: "url")) var city: String
    @Option(help: ArgumentHelp("PEM file of the city CA.", valueName: "pem")) var ca: String
    @Option(help: ArgumentHelp("PEM file of this county's certificate.", valueName: "pem")) var cert: String
    @Option(help: ArgumentHelp("PEM file of its private key.", valueName: "pem")) var key: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let db = try reporting { try database.open() }
        let transport: CurlTransport
        do {
            transport = try CurlTransport(TransportConfiguration(baseURL: city, caFile: ca, certFile: cert, keyFile: key))
        } catch {
            throw CLIError("\(error)")
        }
        let client = SyncClient(database: db, transport: transport, logger: Logger(label: "syncctl"))
        let report: SyncReport
        do {
            report = try await client.syncOnce()
        } catch {
            throw CLIError("sync failed: \(error)")
        }
        if output.json { return try printJSON(report) }
        print("pushed \(report.pushed) (\(report.conflicts) conflicted, \(report.parked) parked), pulled \(report.pulled)")
    }
}
