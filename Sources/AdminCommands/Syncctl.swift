import Foundation
import ArgumentParser
import SyncCore
import CurlTransport
import SyncProtocol

/// `syncctl`: the admin and data-entry command line for county and city replicas.
public struct Syncctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "syncctl",
        abstract: "Inspect County Sync replicas and enter platforms and awards.",
        discussion: """
            Works on a county replica whether or not county-syncd is running. Amounts are in yuan \
            with up to two decimals, or in 万元 with 万 (10万); --json prints objects with stable \
            camelCase keys. --db, and the city's address and certificates, default to the service's \
            configuration (/etc/county-sync/county-syncd.conf, or COUNTY_SYNC_CONFIG); ids may be \
            given by a unique prefix of 8 or more characters.
            """,
        version: CountySyncVersion.current,
        subcommands: [
            InitCommand.self, PlatformCommand.self, AwardCommand.self, ImportCommand.self,
            ExportCommand.self, OutboxCommand.self, SyncCommand.self, StatusCommand.self, ConflictsCommand.self,
            ParkedCommand.self, VerifyCommand.self, ExplainCommand.self, ProgressCommand.self, NodesCommand.self, ReturnsCommand.self, PendingCommand.self, FiguresCommand.self,
            ManualCommand.self,
        ]
    )

    public init() {}

    /// Parses the command line and runs the command; an error is one line on standard error and
    /// the exit status of `ExitStatus`.
    public static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("\(Language.of() == .zh ? "错误" : "Error"): \(error.description)\n".utf8))
            Foundation.exit(error.status.rawValue)
        } catch let error as TransportError {
            FileHandle.standardError.write(Data("Error: could not reach the city: \(error)\n".utf8))
            Foundation.exit(ExitStatus.couldNot.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
