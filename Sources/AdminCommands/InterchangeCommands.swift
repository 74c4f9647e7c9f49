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
        @Option(help: "utf-8 (default) or gb18030.") var encoding = "utf-8"
        @OptionGroup var output: OutputOptions

        func run() throws {
            let db = try reporting { try database.open() }
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            let summary = try reporting {
                let text = try TextEncoding(parsing: encoding).decode(data)
                let rows = try PlatformCSV.decode(text, county: db.county)
                return try db.importPlatforms(rows.map { ($0.line, $0.result) })
            }
            if output.json { return try printJSON(summary) }
            print("imported \(file): \(summary.inserted) new, \(summary.updated) updated, \(summary.unchanged) unchanged")
        }
    }
}

/// `syncctl export platforms`: CSV export that `import` reads back unchanged.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export records to a file.", subcommands: [Platforms.self])

    struct Platforms: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "platforms", abstract: "Export platforms as CSV to FILE, or to standard output.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The CSV file to write (replaced atomically).") var file: String?
        @Option(help: "utf-8 (default) or gb18030.") var encoding = "utf-8"

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
