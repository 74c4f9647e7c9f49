import ArgumentParser
import Foundation
import SyncCore
import SyncInterchange
import SyncStore

/// `syncctl import platforms`: all-or-nothing CSV import.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import records from a file.", subcommands: [Platforms.self, Awards.self])

    struct Awards: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "awards",
            abstract: "Propose awards from a sheet (CSV or .xlsx), all or nothing; at the county.",
            discussion: """
                One proposal per row. The header names the columns, in Chinese or by English key: the platform \
                (平台编号, or 统一社会信用代码 with 类别 where an enterprise has several platforms), 申报金额, \
                年度, and optionally 依据金额, 依据来源, 备注 and 奖补编号. A money column's heading gives its \
                unit: 金额（万元） is read in 万元 and converted to 元 (10 → 100,000 元), 金额（元） or plain 金额 \
                in 元, where a bare number under 100 is refused with the question whether 万元 was meant; a cell \
                may say its own unit (10万, 100000元). Files as Excel and WPS save them read as they are (as for \
                `import platforms`).

                Each row is checked as `award propose` checks a typed proposal, against the replica and the \
                rows before it. A row names its award by 奖补编号, or else by platform, fiscal year and basis \
                source: a proposal already here is updated (while the city has not decided it) or left \
                unchanged, never proposed twice, so importing the same file again changes nothing. The \
                city's columns of the finance export (状态, 批准金额, 拨付金额, ...) must be blank, and a \
                sheet confirms no award above the ceiling. One bad row rejects the whole file, listing every \
                bad row's line and reason.

                Examples:
                  syncctl import awards 奖补申报.xlsx --dry-run
                  syncctl import awards proposals.csv --json
                """)

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var sheet: SheetOptions

        func run() throws {
            let db = try reporting { try database.open() }
            let summary = try sheet.importing { read in
                let rows = try ProposalSheet.decode(read)
                return try db.importAwards(rows.map { ImportedAward(line: $0.line, result: $0.result) }, dryRun: sheet.dryRun)
            }
            try sheet.report(summary, noun: "awards")
        }
    }

    struct Platforms: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "platforms",
            abstract: "Import platforms from a sheet (CSV or .xlsx), all or nothing.",
            discussion: """
                The header names the columns: the Chinese headings `export platforms` writes (名称, 类别, 级别, \
                依托单位, 统一社会信用代码, 行业, ...) or English keys. A file as Excel or WPS saves it reads as it is: \
                .xlsx, or CSV in GB18030, UTF-8 or UTF-16 ("Unicode text", tab-separated), found from the bytes; a \
                序号 column, blank rows and empty trailing headings are ignored; dates may be 2021/11/20 or \
                2021年11月20日; a category may carry its level (省级重点实验室).

                A row names its platform by 编号 (id), or else by credit code, category and name: a platform \
                already here is updated or left unchanged, never registered twice, so importing the same file \
                again changes nothing. The city's columns (状态, 认定日期, 评价结果) may be left blank or repeat \
                what the city decided; a sheet cannot change them. One bad row rejects the whole file, listing \
                every bad row's line and reason.

                Examples:
                  syncctl import platforms 平台.xlsx --dry-run
                  syncctl import platforms platforms.csv --json
                """)

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var sheet: SheetOptions

        func run() throws {
            let db = try reporting { try database.open() }
            let summary = try sheet.importing { read in
                let rows = try PlatformSheet.decode(read, county: db.county)
                return try db.importPlatforms(rows.map { ImportedRow(line: $0.line, namesId: $0.namesId, cityColumnsGiven: $0.cityColumnsGiven, result: $0.result) },
                                              dryRun: sheet.dryRun)
            }
            try sheet.report(summary, noun: "platforms")
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
            commandName: "platforms", abstract: "Export platforms as CSV or .xlsx to FILE, or as CSV to standard output.",
            discussion: """
                Chinese headings (编号, 名称, 类别, ...), which `import platforms` reads back unchanged. In the workbook \
                every cell is text, so credit codes keep their 18 characters.

                Examples:
                  syncctl export platforms 平台.xlsx
                  syncctl export platforms platforms.csv --encoding gb18030
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The file to write (replaced atomically).") var file: String?
        @Option(help: "csv or xlsx (default: from the file's extension, else csv).") var format: String?
        @Option(help: "For CSV: utf-8, gb18030 or utf-16.") var encoding = "utf-8"

        func run() throws {
            let format = (self.format ?? (file.map { URL(fileURLWithPath: $0).pathExtension.lowercased() } == "xlsx" ? "xlsx" : "csv")).lowercased()
            guard ["csv", "xlsx"].contains(format) else { throw CLIError("--format \(format): expected csv or xlsx") }
            let db = try reporting { try database.open() }
            let data = try reporting {
                let platforms = try db.platforms()
                return format == "xlsx" ? try PlatformSheet.xlsx(platforms) : try TextEncoding(parsing: encoding).encode(PlatformSheet.encode(platforms))
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

/// What every `import` takes: the sheet, its encoding, whether to write, and how to report.
struct SheetOptions: ParsableArguments {
    @Argument(help: "The sheet: .xlsx, or CSV.") var file: String
    @Option(help: "For CSV: auto, utf-8, gb18030 or utf-16 (auto: found from the file's bytes).") var encoding = "auto"
    @Flag(name: .customLong("dry-run"), help: "Show what each line would do; write nothing.") var dryRun = false
    @OptionGroup var output: OutputOptions

    /// Reads `file` as a sheet and imports it with `body`; every refusal names the file.
    func importing(_ body: (Sheet) throws -> ImportSummary) throws -> ImportSummary {
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
        do {
            return try reporting {
                try body(try Sheet.read(data, encoding: encoding.lowercased() == "auto" ? nil : try TextEncoding(parsing: encoding)))
            }
        } catch let error as CLIError {
            // Every refusal names the file it read (an empty one, a bad header, bad rows).
            throw CLIError("\(file): \(error.description)", status: error.status)
        }
    }

    /// Prints what each line did, and the counts.
    func report(_ summary: ImportSummary, noun: String) throws {
        if output.json { return try printJSON(summary) }
        var table = TextTable("行 LINE", "结果 OUTCOME", "编号 ID", "名称 NAME")
        for line in summary.lines {
            let outcome = switch line.outcome {
            case .new: noun == "awards" ? "新申报 new" : "新登记 new"
            case .updated: "已更新 updated"
            case .unchanged: "无变化 unchanged"
            case .repeated: "同第\(line.sameAs ?? 0)行 repeats line \(line.sameAs ?? 0)"
            }
            table.add(String(line.line), outcome, line.id, line.name)
        }
        print(table.render())
        let dryRun = summary.dryRun
        print("\(dryRun ? "would import" : "imported") \(file): \(summary.inserted) new, \(summary.updated) updated, \(summary.unchanged) unchanged\(dryRun ? " (dry run: nothing written)" : "")")
    }
}
