import ArgumentParser

/// `syncctl`: the admin and data-entry command line for county and city replicas.
public struct Syncctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "syncctl",
        abstract: "Inspect County Sync replicas and enter platforms and awards.",
        discussion: """
            Works on a county replica whether or not county-syncd is running. Amounts are in yuan \
            with up to two decimals; --json prints objects with stable camelCase keys.
            """,
        subcommands: [
            InitCommand.self, PlatformCommand.self, AwardCommand.self, ImportCommand.self,
            ExportCommand.self, OutboxCommand.self, SyncCommand.self, StatusCommand.self, ConflictsCommand.self,
            ParkedCommand.self, VerifyCommand.self, ExplainCommand.self, ProgressCommand.self,
        ]
    )

    public init() {}
}
