import ArgumentParser
import Foundation
import SyncCore
import SyncStore

/// `syncctl platform`: register, update and inspect platforms.
struct PlatformCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "platform",
        abstract: "Register, update and inspect platforms.",
        subcommands: [Add.self, Update.self, Delete.self, List.self, Show.self, Recognize.self, Redate.self, Evaluate.self, Revoke.self, Reclassify.self])

    /// The editable fields of a platform, shared by `add` and `update`.
    struct Fields: ParsableArguments {
        @Option(help: "The platform's name.") var name: String?
        @Option(help: ArgumentHelp("Category key or Chinese name, e.g. key_lab or 重点实验室.", valueName: "category"))
        var category: String?
        @Option(help: ArgumentHelp("national, provincial or municipal (国家级/省级/市级); empty for none.", valueName: "level"))
        var level: String?
        @Option(help: ArgumentHelp("Scenario kind or enterprise origin (new, imported), where the category has one.", valueName: "subtype"))
        var subtype: String?
        @Option(name: .customLong("host-org"), help: "The host organisation (依托单位).") var hostOrg: String?
        @Option(name: .customLong("credit-code"), help: "The host's unified social credit code (18 characters).")
        var creditCode: String?
        @Option(help: "The industry field, e.g. 钢铁冶金.") var industry: String?
        @Option(help: "Contact person and telephone.") var contact: String?
        @Option(help: "Free remarks.") var remarks: String?

        /// Applies the given fields to `platform`; an empty string clears an optional field.
        func apply(to platform: inout Platform) throws(DomainError) {
            if let name { platform.name = name }
            if let category { platform.category = try PlatformCategory(parsing: category) }
            if let level { platform.level = level.isEmpty ? nil : try Level(parsing: level) }
            if let subtype { platform.subtype = subtype.isEmpty ? nil : subtype }
            if let hostOrg { platform.hostOrg = hostOrg }
            if let creditCode { platform.creditCode = creditCode }
            if let industry { platform.industry = industry }
            if let contact { platform.contact = contact }
            if let remarks { platform.remarks = remarks }
        }

        var isEmpty: Bool {
            [name, category, level, subtype, hostOrg, creditCode, industry, contact, remarks].allSatisfy { $0 == nil }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a platform; prints its new id.",
            discussion: """
                Needs --name, --category, --host-org, --credit-code and --industry; --level where the category has \
                levels. Category and level as keys or in Chinese.

                Examples:
                  syncctl platform add --name 唐山市焊接技术重点实验室 \\
                    --category 重点实验室 --level 市级 --host-org 唐山开元焊接研究所 \\
                    --credit-code 91130202MA0A00011Y --industry 焊接
                  syncctl platform add --name 某高新技术企业 \\
                    --category high_tech_enterprise --subtype imported \\
                    --host-org 某科技公司 --credit-code 91130200MA0B00022X \\
                    --industry 电子信息 --json
                """)

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var fields: Fields
        @OptionGroup var output: OutputOptions

        func validate() throws {
            let missing = [("--name", fields.name), ("--category", fields.category), ("--host-org", fields.hostOrg),
                           ("--credit-code", fields.creditCode), ("--industry", fields.industry)]
                .filter { $0.1 == nil }.map(\.0)
            guard missing.isEmpty else { throw ValidationError("missing \(missing.joined(separator: ", "))") }
        }

        func run() throws {
            let db = try reporting { try database.open() }
            let platform = try reporting { () throws -> Platform in
                var platform = Platform(county: db.county, name: "", category: .keyLab, level: nil, hostOrg: "", creditCode: "", industry: "")
                try fields.apply(to: &platform)
                return try db.addPlatform(platform)
            }
            // Registered all the same (it may be a second platform of one host), but said at once:
            // the city recognises it only once someone confirms they are two.
            for twin in (try? db.likelyDuplicates(of: platform)) ?? [] {
                let same = twin.creditCode == platform.creditCode ? "统一社会信用代码 credit code \(twin.creditCode)" : "名称 name \(twin.name)"
                FileHandle.standardError.write(Data("注意 warning: 可能与平台 \(twin.id)（\(twin.name)）重复 likely a duplicate of platform \(twin.id): the same category and \(same)\n".utf8))
            }
            if output.json { try printJSON(platform) } else { print(platform.id) }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change fields of a platform; unchanged fields stay as they are.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The platform's id (or its first 8 or more characters).") var id: String
        @OptionGroup var fields: Fields
        @OptionGroup var output: OutputOptions

        mutating func validate() throws {
            guard !fields.isEmpty else { throw ValidationError("nothing to change: give at least one field, e.g. --name") }
            id = try database.expand(id, [.platform])
        }

        func run() throws {
            let fields = self.fields
            let platform = try reporting { () throws -> Platform in
                switch try database.openAny() {
                case let city as CityDatabase: return try city.updatePlatform(id: id) { try fields.apply(to: &$0) }
                case let county as CountyDatabase: return try county.updatePlatform(id: id) { try fields.apply(to: &$0) }
                default: throw CLIError("\(database.db) is not a replica")
                }
            }
            if output.json { try printJSON(platform) } else { print("updated platform \(platform.id)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the replica's platforms.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let platforms = try reporting { try database.openAny(readOnly: true).platforms() }
            if output.json { return try printJSON(platforms) }
            // In a Chinese locale the table speaks the plan's words; JSON keeps the keys.
            let zh = Language.of() == .zh
            var table = zh ? TextTable("编号", "县区", "名称", "类别", "级别", "状态", "依托单位")
                : TextTable("ID", "COUNTY", "NAME", "CATEGORY", "LEVEL", "STATUS", "HOST ORGANISATION")
            for platform in platforms {
                table.add(platform.id, platform.county, platform.name, zh ? platform.category.chineseName : platform.category.rawValue,
                          (zh ? platform.level?.chineseName : platform.level?.rawValue) ?? "-",
                          zh ? platform.status.chineseName : platform.status.rawValue, platform.hostOrg)
            }
            print(table.render())
            print("\(platforms.count) platform\(platforms.count == 1 ? "" : "s")")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one platform with its award rule.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The platform's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.platform]) }
        @OptionGroup var output: OutputOptions

        func run() throws {
            let db = try reporting { try database.openAny(readOnly: true) }
            guard let platform = try reporting({ try db.platform(id: id) }) else {
                throw CLIError("platform \(id) not found in \(database.db)")
            }
            if output.json { return try printJSON(platform) }
            let rule = AwardPolicy.tangshan2022.rule(for: platform)
            let lines: [(String, String)] = [
                ("id", platform.id), ("county", platform.county), ("name", platform.name),
                ("category", "\(platform.category.rawValue) (\(platform.category.chineseName), plan \(platform.category.planSection))"),
                ("level", platform.level.map { "\($0.rawValue) (\($0.chineseName))" } ?? "-"),
                ("subtype", platform.subtype ?? "-"), ("host org", platform.hostOrg), ("credit code", platform.creditCode),
                ("industry", platform.industry), ("recognized on", platform.recognizedOn?.description ?? "-"),
                ("status", platform.status.rawValue), ("evaluation", platform.evaluation ?? "-"),
                ("contact", platform.contact ?? "-"), ("remarks", platform.remarks ?? "-"), ("award rule", rule.summary),
            ]
            let width = lines.map(\.0.count).max() ?? 0
            for (key, value) in lines { print("\(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)") }
        }
    }

    struct Recognize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recognise (认定) a platform; at the city only.",
            discussion: """
                The recognition date is the city's (--on, default today, never after today). A date \
                before the plan's start (2022-06-09), an earlier recognition the city records, needs \
                --override-reason; the decision log keeps it.
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The platform's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.platform]) }
        @Option(help: ArgumentHelp("The day of the recognition (default: today).", valueName: "YYYY-MM-DD")) var on: String?
        @Option(name: .customLong("override-reason"), help: "Why a recognition before the plan's start is recorded.") var overrideReason: String?
        @Option(help: ArgumentHelp("The recognition document's number (认定文号); one document recognises one platform of its category.", valueName: "number"))
        var doc: String?
        @Option(name: .customLong("confirm-distinct"), help: "Why this platform is not the one of its category with the same host credit code or name (a likely duplicate); kept in the decision log.")
        var confirmDistinct: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let date = try reporting { () throws(DomainError) -> CalendarDate in
                try on.map { text throws(DomainError) in try CalendarDate(text, field: "on") } ?? CityDatabase.today()
            }
            let platform = try reporting {
                try database.openCity(for: "recognition").recognizePlatform(id: id, on: date, overrideReason: overrideReason, distinctReason: confirmDistinct, document: doc)
            }
            if output.json { try printJSON(platform) } else { print("recognized platform \(platform.id) on \(date)") }
        }
    }

    struct Redate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a recognised platform's recognition date, with a reason; at the city only.",
            discussion: "The decision log keeps the date before and after, and the reason.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The platform's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.platform]) }
        @Option(help: ArgumentHelp("The recognition date (never after today).", valueName: "YYYY-MM-DD")) var on: String
        @Option(help: "Why the date changes.") var reason: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let date = try reporting { () throws(DomainError) -> CalendarDate in try CalendarDate(on, field: "on") }
            let platform = try reporting {
                try database.openCity(for: "changing a recognition date").redateRecognition(id: id, on: date, reason: reason)
            }
            if output.json { try printJSON(platform) } else { print("platform \(platform.id) was recognized on \(date)") }
        }
    }

    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a recognised platform's performance evaluation (绩效评价) for a year; at the city only.",
            discussion: """
                The platform's county sees the latest result (`2024 良好`). A tech innovation park's award is \
                approved only on an evaluation of a year up to the award's fiscal year that is not 不合格 \
                (plan 四(三)2). Changing a year's result needs --reason; the decision log keeps every result.
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The platform's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.platform]) }
        @Option(help: "The year evaluated (2022 to this year).") var year: Int
        @Option(help: "优秀 (excellent), 良好 (good), 合格 (pass) or 不合格 (fail).") var result: String
        @Option(help: "Why a year's result changes.") var reason: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let result = try reporting { () throws(DomainError) -> EvaluationResult in try EvaluationResult(parsing: self.result) }
            let platform = try reporting {
                try database.openCity(for: "a performance evaluation").evaluatePlatform(id: id, year: year, result: result, reason: reason)
            }
            if output.json { try printJSON(platform) } else { print("platform \(platform.id) evaluated \(Evaluation(year: year, result: result).text)") }
        }
    }

    struct Reclassify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a recognised platform's level (and category); at the city only.",
            discussion: """
                Once the city has recognised a platform, its level and category are the city's: a \
                county's change of them is parked until the city decides here. Open awards of the \
                platform are checked again under the new level; the change is refused, naming them, \
                if one no longer fits.
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The platform's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.platform]) }
        @Option(help: "The new level: national, provincial or municipal (empty: none).") var level: String
        @Option(help: "The new category, if it changes too.") var category: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let level = try reporting { () throws(DomainError) -> Level? in self.level.isEmpty ? nil : try Level(parsing: self.level) }
            let category = try reporting { () throws(DomainError) -> PlatformCategory? in try self.category.map { text throws(DomainError) in try PlatformCategory(parsing: text) } }
            let platform = try reporting { try database.openCity(for: "reclassification").reclassifyPlatform(id: id, level: level, category: category) }
            if output.json { try printJSON(platform) } else { print("platform \(platform.id) is now \(platform.category.rawValue) \(platform.level?.rawValue ?? "")") }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a platform registered by mistake; at its county only.",
            discussion: """
                Only a platform the city has not decided on: registered (not recognised or revoked) \
                and with no awards (withdraw them first). The delete syncs like any change and \
                carries what this replica saw: the city applies it, or, if it changed the platform \
                meanwhile, keeps the platform, sends it back, and the delete shows in `syncctl parked`. \
                Deletes made with the sqlite3 shell take the same path and are judged the same way.
                """)

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The platform's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.platform]) }

        func run() throws {
            try reporting {
                try database.openCounty(for: "deleting a platform", atTheCity: "the city revokes (syncctl platform revoke)").deletePlatform(id: id)
            }
            try report(output, id: id, "deleted platform \(id); the delete syncs with the next push")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke (有序退出) a platform; at the city only.",
                                                        discussion: "A report as of a day before the revocation still counts the platform as recognised.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The platform's id (or its first 8 or more characters).") var id: String
        mutating func validate() throws { id = try database.expand(id, [.platform]) }
        @Option(help: ArgumentHelp("The day of the revocation (default: today; never after today, nor before the recognition).", valueName: "YYYY-MM-DD"))
        var on: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let date = try reporting { () throws(DomainError) -> CalendarDate in
                try on.map { text throws(DomainError) in try CalendarDate(text, field: "on") } ?? CityDatabase.today()
            }
            let platform = try reporting { try database.openCity(for: "revocation").revokePlatform(id: id, on: date) }
            if output.json { try printJSON(platform) } else { print("revoked platform \(platform.id)") }
        }
    }
}
