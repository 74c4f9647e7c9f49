import ArgumentParser
import Foundation
import SyncCore
import SyncInterchange
import SyncStore

/// `syncctl import platforms`: all-or-nothing CSV import.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import records from a file.", subcommands: [Platforms.self])

    struct Platforms: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "platforms",
            abstract: "Import platforms from CSV, all or nothing.",
            discussion: """
                The header names the columns (English keys or Chinese headings). Rows with the id of an \
                existing platform update it; other rows are new platforms. One bad row rejects the whole \
                file, listing every bad row's line and reason. Excel on Chinese Windows saves GB18030: \
                pass --encoding gb18030.
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "utf-8 or gb18030.") var encoding = "utf-8"
        @OptionGroup var output: OutputOptions

        func run() throws {
            let db = try reporting { try database.open() }
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            let summary: ImportSummary
            do {
                summary = try reporting {
                    let text = try TextEncoding(parsing: encoding).decode(data)
                    let rows = try PlatformCSV.decode(text, county: db.county)
                    return try db.importPlatforms(rows.map { ($0.line, $0.result) })
                }
            } catch let error as CLIError {
                // Every refusal names the file it read (an empty one, a bad header, bad rows).
                throw CLIError("\(file): \(error.description)", status: error.status)
            }
            if output.json { return try printJSON(summary) }
            print("imported \(file): \(summary.inserted) new, \(summary.updated) updated, \(summary.unchanged) unchanged")
        }
    }
}

/// `syncctl export platforms`: CSV export that `import` reads back unchanged.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export records to a file.", subcommands: [Platforms.self, Awards.self])

    struct Awards: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "awards",
            abstract: "Export awards for the finance bureau (at the city), as CSV or .xlsx, to FILE or standard output.",
            discussion: """
                One row per award: county, platform, host organisation and credit code; category, level, the rule and \
                its clause; the basis and its reference; the amounts proposed, approved and disbursed with their \
                dates and operators. CSV is UTF-8 with a byte-order mark (Excel reads the Chinese right) or GB18030; \
                .xlsx opens in Excel, WPS and LibreOffice, amounts as numbers.
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The file to write (replaced atomically); standard output if omitted.") var file: String?
        @Option(help: "proposed, approved, rejected or disbursed.") var status: String?
        @Option(name: .customLong("fiscal-year"), help: "Only this fiscal year.") var fiscalYear: Int?
        @Option(help: "Only this county (its code).") var county: String?
        @Option(help: "csv or xlsx (default: from the file's extension, else csv).") var format: String?
        @Option(help: "For CSV: utf-8 (with a byte-order mark) or gb18030.") var encoding = "utf-8"

        func run() throws {
            let status = try self.status.map { text -> AwardStatus in
                guard let status = AwardStatus(rawValue: text) else {
                    throw CLIError("--status \(text): expected " + AwardStatus.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return status
            }
            let format = (self.format ?? (file.map { URL(fileURLWithPath: $0).pathExtension.lowercased() } == "xlsx" ? "xlsx" : "csv")).lowercased()
            guard ["csv", "xlsx"].contains(format) else { throw CLIError("--format \(format): expected csv or xlsx") }
            let city = try reporting { try database.openCity(for: "exporting awards for the finance bureau") }
            if let county, city.counties[county] == nil { throw CLIError("--county \(county): not one of the configured counties") }
            let lines = try reporting { try city.awardLines(status: status, fiscalYear: fiscalYear, county: county) }
            let data: Data
            do {
                data = format == "xlsx" ? try AwardSheet.xlsx(lines) : try AwardSheet.csv(lines, encoding: try TextEncoding(parsing: encoding))
            } catch let error as DomainError {
                throw CLIError(error.description)
            }
            if let file {
                do { try data.write(to: URL(fileURLWithPath: file), options: .atomic) } catch {
                    throw CLIError("cannot write \(file): \(error.localizedDescription)", status: .couldNot)
                }
                FileHandle.standardError.write(Data("exported \(lines.count) award\(lines.count == 1 ? "" : "s") to \(file)\n".utf8))
            } else {
                FileHandle.standardOutput.write(data)
            }
        }
    }

    struct Platforms: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "platforms", abstract: "Export platforms as CSV to FILE, or to standard output.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The CSV file to write (replaced atomically).") var file: String?
        @Option(help: "utf-8 or gb18030.") var encoding = "utf-8"

        func run() throws {
            let db = try reporting { try database.open() }
            let data = try reporting {
                try TextEncoding(parsing: encoding).encode(PlatformCSV.encode(try db.platforms()))
            }
            if let file {
                do { try data.write(to: URL(fileURLWithPath: file), options: .atomic) } catch {
                    throw CLIError("cannot write \(file): \(error.localizedDescription)")
                }
            } else {
                FileHandle.standardOutput.write(data)
            }
        }
    }
}
