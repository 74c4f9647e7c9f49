import GRDB
import SyncCore

extension Platform {
    /// The platform in row `row` (columns of the `platform` table).
    init(row: Row) throws {
        self.init(
            id: row["id"], county: row["county"], name: row["name"],
            category: try PlatformCategory(parsing: row["category"]),
            level: try (row["level"] as String?).map { try Level(parsing: $0) },
            subtype: row["subtype"], hostOrg: row["host_org"], creditCode: row["credit_code"],
            industry: row["industry"],
            recognizedOn: try (row["recognized_on"] as String?).map { try CalendarDate($0, field: "recognized_on") },
            status: PlatformStatus(rawValue: row["status"]) ?? .registered,
            evaluation: row["evaluation"], contact: row["contact"], remarks: row["remarks"])
    }

    /// Values for the `platform` columns in `SyncedTable.platform` order, `id` first.
    public var sqlValues: [(any DatabaseValueConvertible)?] {
        [id, county, name, category.rawValue, level?.rawValue, subtype, hostOrg, creditCode, industry,
         recognizedOn?.description, status.rawValue, evaluation, contact, remarks]
    }

    /// Inserts a platform; arguments: `sqlValues`.
    public static let insertSQL = "INSERT INTO platform (id, \(SyncedTable.platform.columns.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: SyncedTable.platform.columns.count)))"
    static let updateSQL = "UPDATE platform SET \(SyncedTable.platform.columns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?"
}

extension Award {
    /// The award in row `row` (columns of the `award` table).
    init(row: Row) throws {
        self.init(
            id: row["id"], county: row["county"], platformId: row["platform_id"],
            amount: Fen(rawValue: row["amount_fen"]), basis: (row["basis_fen"] as Int64?).map(Fen.init(rawValue:)),
            fiscalYear: row["fiscal_year"], status: AwardStatus(rawValue: row["status"]) ?? .proposed,
            approvedAmount: (row["approved_amount_fen"] as Int64?).map(Fen.init(rawValue:)),
            approvedOn: try (row["approved_on"] as String?).map { try CalendarDate($0, field: "approved_on") },
            rejectReason: row["reject_reason"], remarks: row["remarks"], basisRef: row["basis_ref"])
    }

    /// Values for the `award` columns in `SyncedTable.award` order, `id` first.
    var sqlValues: [(any DatabaseValueConvertible)?] {
        [id, county, platformId, amount.rawValue, basis?.rawValue, fiscalYear, status.rawValue,
         approvedAmount?.rawValue, approvedOn?.description, rejectReason, remarks, basisRef]
    }

    static let insertSQL = "INSERT INTO award (id, \(SyncedTable.award.columns.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: SyncedTable.award.columns.count)))"
    static let updateSQL = "UPDATE award SET \(SyncedTable.award.columns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?"
}

extension Platform {
    /// Arguments for `insertSQL`.
    var insertArguments: StatementArguments { StatementArguments(sqlValues) }
    /// Arguments for `updateSQL`: the columns, then the id.
    var updateArguments: StatementArguments { StatementArguments(Array(sqlValues.dropFirst()) + [id]) }
}

extension Award {
    /// Arguments for `insertSQL`.
    var insertArguments: StatementArguments { StatementArguments(sqlValues) }
    /// Arguments for `updateSQL`: the columns, then the id.
    var updateArguments: StatementArguments { StatementArguments(Array(sqlValues.dropFirst()) + [id]) }
}
