import ArgumentParser

/// `sync-bench`: throughput figures measured side by side in one run (build with `-c release`).
struct SyncBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-bench",
        abstract: "Measure County Sync throughput; every figure is compared with a baseline measured in the same run.",
        subcommands: [CaptureBench.self])
}
