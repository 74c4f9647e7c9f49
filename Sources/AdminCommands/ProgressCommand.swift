import ArgumentParser
import Foundation
import SyncCore
import SyncStore

/// `syncctl progress`: the city's report on the plan's 2025 targets.
struct ProgressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "progress",
        abstract: "Progress toward the plan's 2025 targets, by county, and award totals (city database).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    struct Report: Encodable {
        let targets: [TargetProgress]
        let awards: AwardTotals
    }

    func run() throws {
        let city = try reporting { try database.openCity(for: "the progress report") }
        let report = try reporting { Report(targets: try city.progress(), awards: try city.awardTotals()) }
        if output.json { return try printJSON(report) }
        var table = TextTable("TARGET", "GOAL", "RECOGNISED", "SHARE", "REGISTERED", "BY COUNTY")
        for target in report.targets {
            let goal = target.targetMax.map { "\(target.target)-\($0)" } ?? String(target.target)
            let counties = target.byCounty.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
            table.add(target.description, goal, String(target.count), String(format: "%.0f %%", target.share * 100),
                      String(target.registered), counties)
        }
        print(table.render())
        print()
        print("awards: \(Fen(rawValue: report.awards.proposedFen)) proposed, \(Fen(rawValue: report.awards.approvedFen)) approved, \(Fen(rawValue: report.awards.disbursedFen)) disbursed")
    }
}
