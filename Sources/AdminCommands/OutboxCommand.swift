import ArgumentParser
import Foundation
import SyncCore
import SyncStore

/// `syncctl outbox`: the captured changes the city has not acknowledged.
struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "List captured local changes not yet acknowledged by the city.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Show at most this many changes.") var limit: Int?
    @OptionGroup var output: OutputOptions

    func run() throws {
        let entries = try reporting { try database.open().outbox(limit: limit) }
        if output.json { return try printJSON(entries) }
        var table = TextTable("SEQ", "TABLE", "ROW", "OP", "CLOCK", "COLUMNS")
        for entry in entries {
            table.add(String(entry.seq), entry.table, entry.rowId, entry.op.rawValue,
                      Self.timestamp(entry.hlc), entry.columns.joined(separator: ","))
        }
        print(table.render())
        print("\(entries.count) pending change\(entries.count == 1 ? "" : "s")")
    }

    static func timestamp(_ hlc: HLCTimestamp) -> String {
        let date = Date(timeIntervalSince1970: Double(hlc.physicalMs) / 1000)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date) + (hlc.logical > 0 ? "+\(hlc.logical)" : "")
    }
}
