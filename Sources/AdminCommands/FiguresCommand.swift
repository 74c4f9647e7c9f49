import ArgumentParser
import Foundation
import SyncCore
import SyncStore

/// `syncctl figures`: the yearly figures of the 2025 targets the platform register cannot
/// count, entered at the city and shown by `syncctl progress`.
struct FiguresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figures",
        abstract: "List or enter the yearly figures of the targets the register cannot count (at the city).",
        discussion: "Targets: " + EnteredTarget.tangshan2025.map { "\($0.key) (\($0.chinese), \($0.goal) \($0.unit), \($0.reading == .latest ? "latest year" : "years added up"))" }
            .joined(separator: "; ") + ".",
        subcommands: [List.self, Set.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the figures entered.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        struct Output: Encodable {
            let key: String
            let year: Int
            let value: String
        }

        func run() throws {
            let city = try reporting { try database.openCity(for: "the targets' figures") }
            let figures = try reporting { try city.enteredFigures() }
            if output.json { return try printJSON(figures.map { Output(key: $0.key, year: $0.year, value: "\($0.value)") }) }
            if figures.isEmpty { return print("no figure entered yet (syncctl figures set TARGET --year Y --value V)") }
            var table = TextTable("目标 TARGET", "KEY", "YEAR", "VALUE")
            for figure in figures {
                let target = try? EnteredTarget.named(figure.key)
                table.add(target?.chinese ?? "", figure.key, String(figure.year), "\(figure.value) \(target?.unit ?? "")")
            }
            print(table.render())
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enter (or correct) a target's figure for a year; the decision log keeps it.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The target's key or Chinese name.") var target: String
        @Option(help: "The year, 2022 to this year.") var year: Int
        @Option(help: "The figure, in the target's unit (亿元 for turnover, % for the share).") var value: String

        func run() throws {
            try reporting { try database.openCity(for: "entering a target's figure").enterFigure(key: target, year: year, value: value) }
            try report(output, id: "\(target)/\(year)", "entered \(target) \(year): \(value)")
        }
    }
}
