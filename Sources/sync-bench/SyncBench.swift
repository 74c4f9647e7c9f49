import ArgumentParser
import SyncCore

/// `sync-bench`: throughput figures measured side by side in one run (build with `-c release`).
@main
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
struct SyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-bench",
        abstract: "Measure County Sync throughput; every figure is compared with a baseline measured in the same run.",
        version: CountySyncVersion.current,
        subcommands: [ReportBench.self, LoadBench.self, CaptureBench.self, PushBench.self, EditsBench.self, FloodBench.self, ConsoleBench.self, HoldBench.self, DaemonConsoleBench.self])
}
