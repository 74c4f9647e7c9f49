import ArgumentParser
import SyncCore
import FaultHarness
import Foundation

/// `sync-faults`: tries to break a city and its counties on this machine and counts what survives.
@main
struct SyncFaults: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-faults",
        abstract: "Run seeded fault trials against real city-aggregator and county-syncd processes on loopback.",
        discussion: """
            Each trial makes concurrent county and city edits and county deletes while it kills processes, breaks \
            the link through a fault proxy (delays, drops, resets mid-body, black holes, outages, a slow link, \
            answers lost after the city committed), edits under skewed clocks, sends hostile pushes, and restores a \
            county or the city from an online backup; then it heals everything, waits for convergence, runs `syncctl verify` for every county and \
            checks that every change arrived exactly once, no value was lost and nothing deleted came back. The same seed replays the same \
            trials. Exit status 0 when nothing was lost or duplicated, 1 otherwise. Build everything first \
            (`swift build`): the binaries are taken from beside this one.
            """,
        version: CountySyncVersion.current)

    @Option(help: "quick (one trial led by each kind of fault, what CI runs) or long (200 trials of 60 steps).") var mode: Mode = .quick
    @Option(help: "Trials to run (overrides the mode's count).") var trials: Int?
    @Option(help: "Seed of every random choice (default: from the clock, printed).") var seed: UInt64?
    @Option(help: ArgumentHelp("Put the cluster's files here and keep them (default: a temporary folder, removed after a pass, kept after a failure).", valueName: "dir"))
    var dir: String?
    @Option(help: ArgumentHelp("Only these kinds of fault, comma-separated: \(FaultKind.allCases.map { "\($0)" }.joined(separator: ", ")).",
                               valueName: "kinds"))
    var faults: String?
    @Flag(help: "Print each trial's plan and result.") var verbose = false

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case quick, long
    }

    func validate() throws {
        if let trials, trials < 1 { throw ValidationError("--trials must be at least 1") }
        _ = try kinds()
    }

    func kinds() throws -> [FaultKind] {
        guard let faults else { return FaultKind.allCases }
        return try faults.split(separator: ",").map { name in
            guard let kind = FaultKind.allCases.first(where: { "\($0)" == name.trimmingCharacters(in: .whitespaces) }) else {
                throw ValidationError("--faults: unknown kind \(name); known: \(FaultKind.allCases.map { "\($0)" }.joined(separator: ", "))")
            }
            return kind
        }
    }

    func run() async throws {
        let seed = self.seed ?? UInt64(Date().timeIntervalSince1970 * 1000)
        var options: HarnessOptions = mode == .quick ? .quick(seed: seed) : .long(seed: seed)
        if let trials { options.trials = trials }
        options.kinds = try kinds()
        if let dir { options.directory = URL(fileURLWithPath: dir) }
        let verbose = self.verbose
        options.log = { line in
            if verbose { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        print("sync-faults --seed \(seed) --trials \(options.trials)" + (faults.map { " --faults \($0)" } ?? ""))
        let summary = try await FaultHarness(options).run()
        print(summary)
        if !summary.passed { throw ExitCode(1) }
    }
}
