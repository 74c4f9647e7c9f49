/// Who owns a column: the side whose value wins a concurrent edit, and who may write it at all.
public enum ColumnAuthority: String, Sendable, Hashable, Codable {
    /// Only the city writes it (recognition, evaluation, approvals); a county write is refused.
    case city
    /// The county's intake fields; the county wins a concurrent edit.
    case county
    /// Either side may edit it; the last writer wins by (hybrid clock, node).
    case shared
}

/// Column authority as data: which side owns each column of each replicated table.
///
/// The default (`standard`):
///
/// | table | city | county | shared (last writer wins) |
/// |---|---|---|---|
/// | platform | status (recognition, revocation), evaluation, recognized_on | county, category, level, subtype, credit_code | name, host_org, industry, contact, remarks |
/// | award | status, approved_amount_fen, approved_on, reject_reason | county, platform_id, amount_fen, basis_fen, basis_ref, fiscal_year | remarks |
public struct AuthorityTable: Sendable, Hashable {
    /// table → column → authority; a column not listed is shared.
    public var owners: [String: [String: ColumnAuthority]]

    /// Creates a table from explicit owners.
    public init(owners: [String: [String: ColumnAuthority]]) { self.owners = owners }

    /// The authority over `column` of `table`.
    public func authority(_ table: String, _ column: String) -> ColumnAuthority {
        owners[table]?[column] ?? .shared
    }

    /// The default split between city and counties (see the type's documentation).
    public static let standard = AuthorityTable(owners: [
        "platform": [
            "status": .city, "evaluation": .city, "recognized_on": .city,
            "county": .county, "category": .county, "level": .county, "subtype": .county, "credit_code": .county,
        ],
        "award": [
            "status": .city, "approved_amount_fen": .city, "approved_on": .city, "reject_reason": .city,
            "county": .county, "platform_id": .county, "amount_fen": .county, "basis_fen": .county, "basis_ref": .county, "fiscal_year": .county,
        ],
    ])
}

/// Whether a node id names the city (`city-…`) or a county (`county-CODE-…`).
public enum NodeRole: String, Sendable, Hashable, Codable {
    case city, county

    /// The role encoded in a node id.
    public init(node: String) { self = node.hasPrefix("city") ? .city : .county }
}
