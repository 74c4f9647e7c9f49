import ArgumentParser
import SyncCore
import SyncStore

/// `syncctl conflicts`: open conflicts, and resolving one.
struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts", abstract: "List open conflicts, or resolve one.",
        subcommands: [List.self, Resolve.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List open conflicts: row, column, both values, base, rule, when.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "At the city: only this county's.") var county: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let conflicts = try reporting { try database.openAny(readOnly: true).conflicts() }.filter { county == nil || $0.county == county }
            if output.json { return try printJSON(conflicts) }
            var table = TextTable("ID", "COUNTY", "TABLE", "ROW", "COLUMN", "KEPT", "LOST", "BASE", "RULE", "WHEN")
            for conflict in conflicts {
                table.add(String(conflict.id), conflict.county, conflict.table, conflict.rowId, conflict.column,
                          "\(conflict.winnerValue.cell) (\(conflict.winnerVersion?.node ?? "?"))",
                          "\(conflict.loserValue.cell) (\(conflict.loserVersion?.node ?? "?"))",
                          conflict.baseVersion.map { ago($0.hlc.physicalMs) } ?? "none", conflict.rule, ago(conflict.decidedAtMs))
            }
            print(table.render())
            print("\(conflicts.count) open conflict\(conflicts.count == 1 ? "" : "s")")
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve a conflict by keeping this side's value (local) or the other side's (remote).",
            discussion: """
                Keeping a value the row does not hold writes it as a new change, which syncs like any edit. At the \
                city the decision goes to the county either way, and closes the county's copy of the conflict on its \
                next sync; a county cannot resolve it again.

                Example:
                  syncctl conflicts resolve 12 --keep remote
                """)

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The conflict's id (from `syncctl conflicts`).") var id: Int64
        @Option(help: "local or remote.") var keep: String

        func validate() throws {
            guard KeepSide(rawValue: keep) != nil else { throw ValidationError("--keep must be local or remote, not \(keep)") }
        }

        func run() throws {
            let conflict = try reporting { try database.openAny().resolveConflict(id: id, keep: KeepSide(rawValue: keep)!) }
            try report(output, id: String(id), "resolved conflict \(id) on \(conflict.table).\(conflict.column) of \(conflict.rowId), keeping the \(keep) value")
        }
    }
}

/// `syncctl parked`: changes the city refused, and what to do with them.
struct ParkedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parked", abstract: "List changes the city refused, or retry or discard one.",
        subcommands: [List.self, Retry.self, Discard.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List parked changes with the reason.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "At the city: only this county's.") var county: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let parked = try reporting { try database.openAny(readOnly: true).parked() }.filter { county == nil || $0.county == county }
            if output.json { return try printJSON(parked) }
            var table = TextTable("ID", "COUNTY", "SEQ", "TABLE", "ROW", "OP", "VALUES", "REASON", "WHEN")
            for item in parked {
                let values = item.values.keys.sorted().map { "\($0)=\(item.values[$0]!.cell)" }.joined(separator: " ")
                table.add(String(item.id), item.county, String(item.seq), item.table, item.rowId, item.op,
                          String(values.prefix(60)), "\(item.reason): \(item.message)", ago(item.parkedAtMs))
            }
            print(table.render())
            print("\(parked.count) parked change\(parked.count == 1 ? "" : "s")")
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Try a parked change again.",
            discussion: """
                At a county: its values are written again as a new local change, which the city judges again. \
                At the city: the change is applied again as the county sent it, against the city's rows as they \
                are now; if a rule still refuses it, nothing changes and the reason is printed.
                """)

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The parked change's id.") var id: Int64

        func run() throws {
            let replica = try reporting { try database.openAny() }
            switch replica {
            case let city as CityDatabase:
                try reporting { try city.retryParked(id: id) }
                try report(output, id: String(id), "parked change \(id) applied at the city; the county gets it with its next pull")
            case let county as CountyDatabase:
                try reporting { try county.retryParked(id: id) }
                try report(output, id: String(id), "parked change \(id) written again as a new change; it syncs with the next push")
            default:
                throw CLIError("\(database.db) is neither a county replica nor the city database")
            }
        }
    }

    struct Discard: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a parked change discarded; it stays on record.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The parked change's id.") var id: Int64

        func run() throws {
            try reporting { try database.openAny().discardParked(id: id) }
            try report(output, id: String(id), "parked change \(id) discarded")
        }
    }
}

/// `syncctl explain`: one record's history.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show a record's history: local edits and their acknowledgement, city edits pulled, conflicts, parked changes.")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The platform's or award's id (or its first 8 or more characters).") var id: String
    mutating func validate() throws { id = try database.expand(id, [.platform, .award]) }
    @OptionGroup var output: OutputOptions

    func run() throws {
        let replica = try reporting { try database.openAny() }
        let exists = try reporting { try replica.platform(id: id) != nil || replica.award(id: id) != nil }
        let events = try reporting { () throws -> [HistoryEvent] in
            switch replica {
            case let county as CountyDatabase: return try county.history(of: id)
            case let city as CityDatabase: return try city.history(of: id)
            default: return []
            }
        }
        guard exists || !events.isEmpty else { throw CLIError("no record \(id) in \(database.db)") }
        if output.json { return try printJSON(events) }
        var table = TextTable("WHEN", "WHAT", "DETAIL")
        for event in events { table.add(ago(event.atMs), event.kind.replacingOccurrences(of: "_", with: " "), event.detail) }
        print(table.render())
    }
}
