/// One column of an incoming change: its new value, its version and the version it was based on.
public struct IncomingColumn: Sendable, Hashable {
    /// The new value.
    public let value: ColumnValue
    /// The version of the write.
    public let version: ColumnVersion
    /// The version the writer had before (nil if it had none).
    public let base: ColumnVersion?

    /// Creates an incoming column.
    public init(value: ColumnValue, version: ColumnVersion, base: ColumnVersion?) {
        self.value = value
        self.version = version
        self.base = base
    }
}

/// What the receiver holds for one column.
public struct CurrentColumn: Sendable, Hashable {
    /// The value now.
    public let value: ColumnValue
    /// Its version, nil if it was never versioned.
    public let version: ColumnVersion?

    /// Creates a current column.
    public init(value: ColumnValue, version: ColumnVersion?) {
        self.value = value
        self.version = version
    }
}

/// The rule that decided a column.
public enum MergeRule: String, Sendable, Hashable, Codable {
    /// The writer had the receiver's version as its base: no conflict.
    case fastForward = "fast_forward"
    /// The receiver already had this exact version (a re-delivery).
    case duplicate
    /// Concurrent edits of a city-owned column: the city's value wins.
    case cityAuthority = "city_authority"
    /// Concurrent edits of a county-owned column: the county's value wins.
    case countyAuthority = "county_authority"
    /// Concurrent edits of a shared column: the later (hybrid clock, node) wins.
    case lastWriterWins = "last_writer_wins"
}

/// The decision for one column of an incoming change.
public struct ColumnDecision: Sendable, Hashable {
    /// The column.
    public let column: String
    /// Whether the incoming value is written.
    public let takeIncoming: Bool
    /// The rule that decided.
    public let rule: MergeRule
    /// True when the edits were concurrent and the values differed: the loser must be kept.
    public let isConflict: Bool
}

/// The merge rules, pure and shared by county and city, so that both sides decide every column the
/// same way whatever the order of delivery.
///
/// For each column of an incoming change:
/// 1. the receiver has no version, or the change's base equals the receiver's version: fast-forward;
/// 2. the receiver already has the change's version: a duplicate, nothing to do;
/// 3. otherwise the edits were concurrent: column authority decides (a city-owned column goes to
///    the city's write, a county-owned one to the county's), and for shared columns, or two writes
///    by the same side, the greater (hybrid clock, node) wins. If the values differ, the loser is a
///    conflict to keep.
///
/// ```swift
/// let decision = MergeRules.decide(table: "platform", column: "name",
///     incoming: IncomingColumn(value: .text("B"), version: county, base: v0),
///     current: CurrentColumn(value: .text("C"), version: city), authority: .standard)
/// // concurrent shared column: last writer wins; isConflict == true
/// ```
public enum MergeRules {
    /// Decides one column.
    public static func decide(
        table: String, column: String, incoming: IncomingColumn, current: CurrentColumn?, authority: AuthorityTable
    ) -> ColumnDecision {
        guard let current, let currentVersion = current.version else {
            return ColumnDecision(column: column, takeIncoming: true, rule: .fastForward, isConflict: false)
        }
        if currentVersion == incoming.version {
            return ColumnDecision(column: column, takeIncoming: false, rule: .duplicate, isConflict: false)
        }
        if incoming.base == currentVersion {
            return ColumnDecision(column: column, takeIncoming: true, rule: .fastForward, isConflict: false)
        }
        let incomingRole = NodeRole(node: incoming.version.node)
        let currentRole = NodeRole(node: currentVersion.node)
        let rule: MergeRule
        let takeIncoming: Bool
        switch authority.authority(table, column) {
        case .city where incomingRole != currentRole:
            rule = .cityAuthority
            takeIncoming = incomingRole == .city
        case .county where incomingRole != currentRole:
            rule = .countyAuthority
            takeIncoming = incomingRole == .county
        default:
            rule = .lastWriterWins
            takeIncoming = incoming.version > currentVersion
        }
        return ColumnDecision(column: column, takeIncoming: takeIncoming, rule: rule, isConflict: incoming.value != current.value)
    }
}
