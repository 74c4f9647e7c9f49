import SyncCore

/// One entry of a replica's change log: a write captured in its transaction, with the new value
/// of each changed column and the version each of those columns had before (its base).
public struct ChangeEntry: Sendable, Hashable, Codable {
    /// Per-node sequence number: strictly increasing, never reused.
    public let seq: Int64
    /// The county that owns the row.
    public let county: String
    /// The table written.
    public let table: String
    /// The id of the row written.
    public let rowId: String
    /// Insert, update or delete.
    public let op: ChangeOperation
    /// The changed columns, in table order.
    public let columns: [String]
    /// The clock reading of the write (its version is `(hlc, node)`).
    public let hlc: HLCTimestamp
    /// The new value of each changed column (empty for a delete, or for a write a later local
    /// delete of the same row superseded before it was sent).
    public let values: [String: ColumnValue]
    /// The version each changed column had before this write; absent for a column never written before.
    public let bases: [String: ColumnVersion]
    /// Who made the write (`ChangeActor`), when the writer said; nil for an unattributed write.
    public var actor: String? = nil
}
