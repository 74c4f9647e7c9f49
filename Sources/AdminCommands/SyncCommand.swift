import ArgumentParser
import CountyDaemon
import CurlTransport
import Logging
import SyncCore
import SyncProtocol
import SyncStore

/// `syncctl sync`: one push and pull with the city, without the daemon.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Push pending changes to the city and pull its changes once, without the daemon.",
        discussion: """
            Exit status 2 when the city cannot be reached. The city's address and the certificates default to the \
            daemon's configuration.

            Examples:
              syncctl sync
              syncctl sync --db county.db --city https://city.example:8443 \\
                --ca ca.pem --cert county.pem --key county.key
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var connection: CityConnectionOptions
    @OptionGroup var output: OutputOptions

    static var failed: String { Language.of() == .zh ? "同步失败：" : "sync failed: " }

    func run() async throws {
        let db = try reporting { try database.open() }
        // Beside a running daemon, two pushes of the same changes would race: refused, naming it.
        let lock = try reporting { try DaemonLock(database: database.db, holder: "syncctl sync") }
        defer { withExtendedLifetime(lock) {} }
        let transport = try connection.transport()
        let client = SyncClient(database: db, transport: transport, logger: Logger(label: "syncctl"))
        let report: SyncReport
        do {
            report = try await client.syncOnce()
        } catch let error as TransportError {
            // The city could not be reached, or answered an error: could not do it (2), as for
            // every command (README, "Exit codes").
            throw CLIError(Self.failed + error.text(Language.of()), status: .couldNot)
        } catch let error as StoreError {
            throw CLIError(Self.failed + error.text(Language.of()), status: error.exitStatus)
        } catch {
            throw CLIError(Self.failed + "\(error)")
        }
        if output.json { return try printJSON(report) }
        print("pushed \(report.pushed) (\(report.conflicts) conflicted, \(report.parked) parked), pulled \(report.pulled)")
    }
}
