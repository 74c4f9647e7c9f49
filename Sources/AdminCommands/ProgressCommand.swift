import ArgumentParser
import Foundation
import SyncCore
import SyncInterchange
import SyncStore

/// `syncctl progress`: the city's report on the plan's 2025 targets and its money.
struct ProgressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "progress",
        abstract: "Progress toward the plan's 2025 targets, by county, and the money (city database).",
        discussion: """
            For each target: the goal, the count of recognised platforms, the gap (还差), and where a \
            straight line from the plan's start (2022-06-09) to 2025-12-31 says the count should be \
            today. Flow targets (新建) count platforms recognised on or after the plan's start; stock \
            targets (达到) count every recognised platform. Then the county × target matrix, the \
            money by county, category and fiscal year with outliers flagged, and how many counties \
            have never synced. --format csv writes the matrix and the money by county for Excel \
            (UTF-8 with a byte-order mark, or --encoding gb18030).
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "text (default), json or csv.") var format: String?
    @Option(name: .customLong("as-of"), help: ArgumentHelp("The report's day (default: today at the city).", valueName: "YYYY-MM-DD"))
    var asOf: String?
    @Option(help: "For csv: utf-8 (with a byte-order mark) or gb18030.") var encoding = "utf-8"
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard [nil, "text", "json", "csv"].contains(format) else { throw ValidationError("--format: expected text, json or csv, not \(format!)") }
        if output.json, let format, format != "json" { throw ValidationError("--json and --format \(format) contradict each other") }
    }

    func run() throws {
        let city = try reporting { try database.openCity(for: "the progress report") }
        let date = try reporting { () throws(DomainError) -> CalendarDate in
            try asOf.map { text throws(DomainError) in try CalendarDate(text, field: "as-of") } ?? CityDatabase.today()
        }
        let report = try reporting { try city.progressReport(asOf: date) }
        switch output.json ? "json" : format ?? "text" {
        case "json": try printJSON(report)
        case "csv":
            let data = try reporting { try TextEncoding(parsing: encoding).encode(Self.csv(report)) }
            FileHandle.standardOutput.write((encoding.lowercased().hasPrefix("utf") ? Data([0xEF, 0xBB, 0xBF]) : Data()) + data)
        default: print(Self.text(report))
        }
    }

    /// The report for a person: Chinese labels with the English keys beside them.
    static func text(_ report: ProgressReport) -> String {
        var lines: [String] = []
        let missing = report.countiesNeverSynced.map { "\($0) \(report.countyNames[$0] ?? "")" }
        lines.append("截至 as of \(report.asOf); 规划期已过 \(String(format: "%.0f", report.elapsed * 100)) % of the plan's period (2022-06-09 to 2025-12-31)")
        lines.append(report.countiesNeverSynced.isEmpty
            ? "数据 data: all \(report.counties) counties have synced"
            : attention("数据不全 incomplete: \(report.countiesNeverSynced.count) of \(report.counties) counties have never synced: \(missing.joined(separator: ", "))"))
        lines.append("")
        var table = TextTable("目标 TARGET", "KEY", "类型 KIND", "目标数 GOAL", "已认定 COUNT", "还差 GAP", "应达 EXPECTED", "进度 PACE", "待认定 REGISTERED")
        for target in report.targets {
            let goal = target.targetMax.map { "\(target.target)-\($0)" } ?? String(target.target)
            let pace = target.onTrack ? "on track" : attention("behind by \(target.expected - target.count)")
            table.add((target.parent == nil ? "" : "  ") + target.chinese, target.key, target.kind == .flow ? "新建 flow" : "达到 stock", goal,
                      String(target.count), target.gap == 0 ? "0" : "还差 \(target.gap)", String(target.expected), pace, String(target.registered))
        }
        lines.append(table.render())
        let after = report.targets.filter { $0.parent == nil && $0.recognizedAfterPlan > 0 }
        if !after.isEmpty {
            lines.append("规划期后认定（不计入2025年目标） recognised after 2025-12-31, not counted: "
                + after.map { "\($0.key) \($0.recognizedAfterPlan)" }.joined(separator: ", "))
        }
        lines.append("")
        lines.append("登记簿外的目标（市局按年填报） targets the register cannot count (figures the city entered; syncctl figures):")
        var entered = TextTable("目标 TARGET", "KEY", "目标值 GOAL", "现值 STANDING", "年度 YEAR", "")
        for target in report.entered {
            let standing = target.value.map { "\($0) \(target.unit)" } ?? attention("not entered")
            entered.add(target.chinese, target.key, "\(target.goal) \(target.unit)", standing, target.year.map(String.init) ?? "-",
                        target.value == nil ? "" : target.reached ? "reached" : attention("还差 short of the goal"))
        }
        lines.append(entered.render())
        lines.append("")
        lines.append("按县区 by county (recognised platforms counting toward each target; a column per county, by its code's last digits):")
        let shown = report.targets.filter { $0.parent == nil }
        let codes = report.countyNames.keys.sorted()
        // Targets down, counties across: 18 narrow columns fit a terminal, where a column per
        // target was 275 characters wide.
        let short = codes.map { String($0.suffix(codes.allSatisfy { $0.hasPrefix("1302") } ? 2 : 4)) }
        let legend = zip(short, codes).map { "\($0) \(report.countyNames[$1] ?? "")" }
        for start in stride(from: 0, to: legend.count, by: 6) {
            lines.append("  " + legend[start..<min(start + 6, legend.count)].joined(separator: ", "))
        }
        var matrix = TextTable(["目标 TARGET"] + short + ["合计"])
        for target in shown {
            matrix.add([target.key] + codes.map { String(target.byCounty[$0] ?? 0) } + [String(target.count)])
        }
        lines.append(matrix.render())
        lines.append("")
        let money = report.awards
        func yuan(_ fen: Int64) -> String { Fen(rawValue: fen).grouped }
        lines.append("资金 money (yuan): 申报 proposed \(yuan(money.proposedFen)), 批准 approved \(yuan(money.approvedFen)), 拨付 disbursed \(yuan(money.disbursedFen)), 驳回 rejected \(yuan(money.rejectedFen))")
        for (title, rows) in [("按县区 by county", money.byCounty), ("按类别 by category", money.byCategory), ("按年度 by fiscal year", money.byFiscalYear)] {
            var table = TextTable(title, "PROPOSED", "APPROVED", "DISBURSED", "REJECTED")
            for key in rows.keys.sorted() {
                let row = rows[key]!
                let label = report.countyNames[key].map { "\(key) \($0)" } ?? key
                table.add(label, yuan(row.proposedFen), yuan(row.approvedFen), yuan(row.disbursedFen), yuan(row.rejectedFen))
            }
            lines.append(table.render())
        }
        lines.append(money.outliers.isEmpty ? "异常 outliers: none"
            : attention("异常 outliers: \(money.outliers.count)") + "\n" + money.outliers.map { "  \($0.awardId) \($0.county) \($0.category) \(yuan($0.amountFen)): \($0.reason)" }.joined(separator: "\n"))
        return lines.joined(separator: "\n")
    }

    /// The county × target matrix and the money by county, one row per county, then the totals.
    static func csv(_ report: ProgressReport) -> String {
        func yuan(_ fen: Int64) -> String { Fen(rawValue: fen).formatted }
        func money(_ totals: MoneyByStatus) -> [String] {
            [yuan(totals.proposedFen), yuan(totals.approvedFen), yuan(totals.disbursedFen), yuan(totals.rejectedFen)]
        }
        let targetHeaders: [String] = report.targets.map { "\($0.chinese) (\($0.key))" }
        let moneyHeaders = ["申报 proposed (yuan)", "批准 approved (yuan)", "拨付 disbursed (yuan)", "驳回 rejected (yuan)"]
        var rows: [[String]] = [["county", "name"] + targetHeaders + moneyHeaders]
        for code in report.countyNames.keys.sorted() {
            let counts: [String] = report.targets.map { String($0.byCounty[code] ?? 0) }
            rows.append([code, report.countyNames[code] ?? ""] + counts + money(report.awards.byCounty[code] ?? MoneyByStatus()))
        }
        var total = MoneyByStatus()
        total.proposedFen = report.awards.proposedFen
        total.approvedFen = report.awards.approvedFen
        total.disbursedFen = report.awards.disbursedFen
        total.rejectedFen = report.awards.rejectedFen
        let totals: [String] = report.targets.map { String($0.count) }
        let goals: [String] = report.targets.map { String($0.target) }
        rows.append(["total", "合计"] + totals + money(total))
        rows.append(["goal", "目标"] + goals + ["", "", "", ""])
        return CSV.format(rows)
    }
}
