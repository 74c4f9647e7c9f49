import ArgumentParser
import Foundation
import SyncCore
import SyncStore

/// `syncctl award`: propose and inspect awards.
struct AwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "award",
        abstract: "Propose and inspect awards.",
        subcommands: [Propose.self, Update.self, Withdraw.self, List.self, Show.self, Approve.self, Reject.self, Disburse.self, Reverse.self])

    /// An award as `--json` prints it: money in fen (integers) and in yuan (text).
    struct Output: Encodable {
        let id, county, platformId: String
        let amountFen: Int64
        let amountYuan: String
        let basisFen: Int64?
        let basisRef: String?
        let fiscalYear: Int
        let status: String
        let approvedAmountFen: Int64?
        let approvedOn: String?
        let rejectReason: String?
        let remarks: String?

        init(_ award: Award) {
            id = award.id
            county = award.county
            platformId = award.platformId
            amountFen = award.amount.rawValue
            amountYuan = award.amount.formatted
            basisFen = award.basis?.rawValue
            basisRef = award.basisRef
            fiscalYear = award.fiscalYear
            status = award.status.rawValue
            approvedAmountFen = award.approvedAmount?.rawValue
            approvedOn = award.approvedOn?.description
            rejectReason = award.rejectReason
            remarks = award.remarks
        }
    }

    static var currentYear: Int { Calendar(identifier: .gregorian).component(.year, from: Date()) }

    /// The fiscal year given, or this year while it is one of the plan's; after the plan, say so.
    static func fiscalYear(_ given: Int?) throws -> Int {
        if let given { return given }
        guard Award.planFiscalYears.contains(currentYear) else {
            throw CLIError("give --fiscal-year: this year (\(currentYear)) is not one of the plan's fiscal years (\(Award.planFiscalYears.lowerBound) to \(Award.planFiscalYears.upperBound))")
        }
        return currentYear
    }

    struct Propose: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose an award for a platform; prints its new id.",
            discussion: """
                The amount must satisfy the plan's rule for the platform (see `syncctl platform show`).

                Examples:
                  syncctl award propose --platform 019af3c2-7b1e \\
                    --amount 10万 --fiscal-year 2025
                  syncctl award propose --platform 019af3c2-7b1e \\
                    --amount 300000 --basis 1000000 \\
                    --basis-ref 2024-130202-0173 --fiscal-year 2025
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The platform's id (or its first 8 or more characters).") var platform: String
        mutating func validate() throws { platform = try database.expand(platform, [.platform]) }
        @Option(parsing: .unconditional, help: ArgumentHelp("The proposed amount in yuan (100000, 1,250.50), or in 万元 with 万 (10万).", valueName: "yuan")) var amount: String
        @Option(parsing: .unconditional, help: ArgumentHelp("Equipment investment, contract value or provincial funding, for proportional and matching rules.", valueName: "yuan"))
        var basis: String?
        @Option(name: .customLong("basis-ref"), help: ArgumentHelp("Where the basis comes from, for proportional and matching rules: the registered technology contract's number, the equipment-investment project's number, or the grant's document number. One source pays at most what its rule allows, across all awards.", valueName: "number"))
        var basisRef: String?
        @Option(name: .customLong("fiscal-year"), help: "The fiscal year, 2022 to 2025 (default: this year, while the plan runs).") var fiscalYear: Int?
        @Option(help: "Free remarks.") var remarks: String?
        @Flag(name: .customLong("confirm-above-ceiling"), help: "Confirm that the platform's case-by-case or matching awards pass the ceiling (10,000,000 yuan).")
        var confirmAboveCeiling = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            let db = try reporting { try database.open() }
            let award = try reporting {
                try db.proposeAward(Award(
                    county: db.county, platformId: platform, amount: try parseYuan(amount, field: "amount")!,
                    basis: try parseYuan(basis, field: "basis"), fiscalYear: try AwardCommand.fiscalYear(fiscalYear),
                    remarks: remarks, basisRef: basisRef), confirmAboveCeiling: confirmAboveCeiling)
            }
            if output.json { try printJSON(Output(award)) } else { print(award.id) }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a proposed award (amount, basis and its source, fiscal year, remarks).")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The award's id (or its first 8 or more characters).") var id: String
        @Option(parsing: .unconditional, help: ArgumentHelp("The proposed amount in yuan (100000, 1,250.50), or in 万元 with 万 (10万).", valueName: "yuan")) var amount: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("The basis in yuan, or in 万元 with 万; empty to clear.", valueName: "yuan")) var basis: String?
        @Option(name: .customLong("basis-ref"), help: ArgumentHelp("The basis's source (contract, project or grant document number); empty to clear.", valueName: "number"))
        var basisRef: String?
        @Option(name: .customLong("fiscal-year"), help: "The fiscal year.") var fiscalYear: Int?
        @Option(help: "Free remarks.") var remarks: String?
        @Flag(name: .customLong("confirm-above-ceiling"), help: "Confirm that the platform's case-by-case or matching awards pass the ceiling (10,000,000 yuan).")
        var confirmAboveCeiling = false
        @OptionGroup var output: OutputOptions

        mutating func validate() throws {
            guard [amount, basis, basisRef, fiscalYear.map(String.init), remarks].contains(where: { $0 != nil }) else {
                throw ValidationError("nothing to change: give --amount, --basis, --basis-ref, --fiscal-year or --remarks")
            }
            id = try database.expand(id, [.award])
        }

        func run() throws {
            let db = try reporting { try database.open() }
            let amount = try parseYuan(self.amount, field: "amount")
            let basis = try basis.map { $0.isEmpty ? Fen?.none : try parseYuan($0, field: "basis") }
            let (fiscalYear, remarks, basisRef) = (self.fiscalYear, self.remarks, self.basisRef)
            let award = try reporting {
                try db.updateAward(id: id, confirmAboveCeiling: confirmAboveCeiling) { award in
                    if let amount { award.amount = amount }
                    if let basis { award.basis = basis }
                    if let basisRef { award.basisRef = basisRef.isEmpty ? nil : basisRef }
                    if let fiscalYear { award.fiscalYear = fiscalYear }
                    if let remarks { award.remarks = remarks }
                }
            }
            if output.json { try printJSON(Output(award)) } else { print("updated award \(award.id)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the replica's awards.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "Only the awards of this platform.") var platform: String?
        @OptionGroup var output: OutputOptions
        mutating func validate() throws { platform = try platform.map { try database.expand($0, [.platform]) } }

        func run() throws {
            let db = try reporting { try database.openAny(readOnly: true) }
            let awards = try reporting { try db.awards() }.filter { platform == nil || $0.platformId == platform }
            if output.json { return try printJSON(awards.map(Output.init)) }
            let names = Dictionary(try reporting { try db.platforms() }.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
            let zh = Language.of() == .zh
            var table = zh ? TextTable("编号", "县区", "平台", "金额（元）", "基数（元）", "基数来源", "年度", "状态", "批准金额（元）")
                : TextTable("ID", "COUNTY", "PLATFORM", "AMOUNT (YUAN)", "BASIS (YUAN)", "SOURCE", "YEAR", "STATUS", "APPROVED (YUAN)")
            for award in awards {
                table.add(award.id, award.county, names[award.platformId] ?? award.platformId, award.amount.grouped, award.basis?.grouped ?? "-",
                          award.basisRef ?? "-", String(award.fiscalYear), zh ? award.status.chineseName : award.status.rawValue,
                          award.approvedAmount?.grouped ?? "-")
            }
            print(table.render())
            print(Self.footer(awards))
            // The city's reasons, where the clerk looks (not only in --json).
            for award in awards where award.status == .rejected {
                print(zh ? "未通过 \(award.id)：\(award.rejectReason ?? "（未写理由）")" : "rejected \(award.id): \(award.rejectReason ?? "(no reason given)")")
            }
        }

        /// "3 awards: 1 proposed (100,000.00 yuan), 2 approved (…)": each status with its own
        /// total, at the approved amount once approved.
        static func footer(_ awards: [Award]) -> String {
            let parts = AwardStatus.allCases.compactMap { status -> String? in
                let these = awards.filter { $0.status == status }
                guard !these.isEmpty else { return nil }
                return "\(these.count) \(status.rawValue) (\(these.reduce(Fen.zero) { $0 + PlatformAwards.counted($1) }))"
            }
            return "\(awards.count) award\(awards.count == 1 ? "" : "s")" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
        }
    }

    struct Withdraw: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw this county's own proposal; at its county only.",
            discussion: """
                Only a proposed or rejected award: an approved or disbursed one is the city's \
                decision. The withdrawal syncs as a delete; if the city decided on the award \
                meanwhile, it refuses the delete, the award comes back as decided, and the \
                withdrawal shows in `syncctl parked`.
                """)

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The award's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.award]) }

        func run() throws {
            try reporting {
                try database.openCounty(for: "withdrawing a proposal", atTheCity: "the city rejects (syncctl award reject)").withdrawAward(id: id)
            }
            try report(output, id: id, "withdrew award \(id); the withdrawal syncs with the next push")
        }
    }

    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve an award, for the proposed amount or --amount; at the city only.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The award's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.award]) }
        @Option(parsing: .unconditional, help: ArgumentHelp("The approved amount in yuan, or in 万元 with 万 (default: the proposal).", valueName: "yuan")) var amount: String?
        @Option(name: .customLong("override-reason"), help: "Why a platform recognised before the plan's start (2022-06-09) still qualifies, why a 1:1 match is not exactly its basis, why a basis differs from the one approved before on the same source, or why an amount above the ceiling is right; kept with the award.")
        var overrideReason: String?
        @Flag(name: .customLong("confirm-above-ceiling"), help: "Confirm that a platform's case-by-case or matching awards may pass the ceiling (10,000,000 yuan); needs --override-reason.")
        var confirmAboveCeiling = false
        @Option(help: ArgumentHelp("The day of the approval (default: today; never after today).", valueName: "YYYY-MM-DD")) var on: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let amount = try parseYuan(self.amount, field: "amount")
            let date = try reporting { () throws(DomainError) -> CalendarDate in
                try on.map { text throws(DomainError) in try CalendarDate(text, field: "on") } ?? CityDatabase.today()
            }
            let award = try reporting {
                try database.openCity(for: "approval").approveAward(id: id, amount: amount, on: date, overrideReason: overrideReason,
                                                                   confirmAboveCeiling: confirmAboveCeiling)
            }
            if output.json { try printJSON(Output(award)) } else { print("approved award \(award.id): \(award.approvedAmount!)") }
        }
    }

    struct Disburse: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that an approved award was paid out; at the city only, once per award.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The award's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.award]) }
        @Option(help: ArgumentHelp("The day it was paid (default: today; never after today).", valueName: "YYYY-MM-DD")) var on: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let date = try reporting { () throws(DomainError) -> CalendarDate in
                try on.map { text throws(DomainError) in try CalendarDate(text, field: "on") } ?? CityDatabase.today()
            }
            let award = try reporting { try database.openCity(for: "disbursement").disburseAward(id: id, on: date) }
            if output.json { try printJSON(Output(award)) } else { print("disbursed award \(award.id): \(award.approvedAmount!) on \(date)") }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one award: its platform, amounts, status and the city's decision (a rejection's reason too).")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The award's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.award]) }
        @OptionGroup var output: OutputOptions

        func run() throws {
            let db = try reporting { try database.openAny(readOnly: true) }
            guard let award = try reporting({ try db.award(id: id) }) else { throw CLIError("no award \(id) in \(database.db)") }
            if output.json { return try printJSON(Output(award)) }
            let platform = try reporting { try db.platform(id: award.platformId) }
            var lines: [(String, String)] = [
                ("award", award.id),
                ("platform", "\(platform?.name ?? award.platformId) (\(award.platformId))"),
                ("county", award.county),
                ("fiscal year", String(award.fiscalYear)),
                ("proposed", award.amount.description),
                ("basis", award.basis.map { "\($0) (source \(award.basisRef ?? "not named"))" } ?? "-"),
                ("status", award.status.rawValue),
                ("approved", award.approvedAmount.map { "\($0) on \(award.approvedOn?.description ?? "?")" } ?? "-"),
            ]
            if award.status == .rejected {
                lines.append(("rejected because", award.rejectReason ?? "(no reason given)"))
            }
            if let remarks = award.remarks { lines.append(("remarks", remarks)) }
            let width = lines.map(\.0.count).max() ?? 0
            for (key, value) in lines { print("\(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)") }
        }
    }

    struct Reverse: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reverse (红冲) a payment recorded by mistake, with a reason; at the city only.",
            discussion: "The award is approved again and unpaid; the payment and its reversal both stay in the decision log.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The award's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.award]) }
        @Option(help: "Why the payment was wrong.") var reason: String
        @Option(help: ArgumentHelp("The day of the reversal (default: today; never after today).", valueName: "YYYY-MM-DD")) var on: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let date = try reporting { () throws(DomainError) -> CalendarDate in
                try on.map { text throws(DomainError) in try CalendarDate(text, field: "on") } ?? CityDatabase.today()
            }
            let award = try reporting { try database.openCity(for: "a reversal").reverseDisbursement(id: id, reason: reason, on: date) }
            if output.json { try printJSON(Output(award)) } else { print("reversed the payment of award \(award.id); it is approved and unpaid again") }
        }
    }

    struct Reject: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject an award with a reason; at the city only.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The award's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.award]) }
        @Option(help: "Why; the county sees it.") var reason: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let award = try reporting { try database.openCity(for: "rejection").rejectAward(id: id, reason: reason) }
            if output.json { try printJSON(Output(award)) } else { print("rejected award \(award.id)") }
        }
    }
}
