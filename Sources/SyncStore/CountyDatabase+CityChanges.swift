import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// A change the city made to one of this county's rows, as this replica received it: what the
/// county console's overview lists as the city's decisions.
public struct ReceivedCityChange: Sendable, Hashable {
    /// When this replica applied it (ms since 1970).
    public let appliedAtMs: Int64
    public let table: String
    public let rowId: String
    public let op: String
    /// The columns it wrote, with their values where the replica kept them.
    public let values: [String: ColumnValue]
    public let columns: [String]
    /// Who decided it at the city, where the city said.
    public let actor: String?
    /// How this replica took it: `applied`, `conflict`, `parked`…
    public let outcome: String
}

extension CountyDatabase {
    /// The city's changes this replica received last, newest first, at most `limit`.
    public func receivedCityChanges(limit: Int) throws -> [ReceivedCityChange] {
        try read("read the city's changes") { db in
            try Row.fetchAll(db, sql: """
                SELECT applied_at, tbl, row_id, op, columns, "values", actor, outcome FROM received
                WHERE node NOT LIKE 'county-%' ORDER BY id DESC LIMIT ?
                """, arguments: [limit]).map { row in
                let columns: String = row["columns"]
                let values: String? = row["values"]
                return ReceivedCityChange(appliedAtMs: row["applied_at"], table: row["tbl"], rowId: row["row_id"], op: row["op"],
                                          values: try values.map(decodeValues) ?? [:],
                                          columns: columns.isEmpty ? [] : columns.split(separator: ",").map(String.init),
                                          actor: row["actor"], outcome: row["outcome"])
            }
        }
    }
}
