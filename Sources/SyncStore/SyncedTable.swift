import GRDB
import SyncCore

/// A replicated table: its name and its data columns in a fixed order. The order is part of the
/// change-log format: bit `i` of a change's column mask is `columns[i]`.
public struct SyncedTable: Sendable, Hashable {
    public static func == (lhs: SyncedTable, rhs: SyncedTable) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The SQL table name.
    public let name: String
    /// The data columns, `id` excluded, in mask order.
    public let columns: [String]
    /// `SELECT id, <columns in table order> FROM <table> WHERE id = ?`.
    public let selectByIdSQL: String
    private let positions: [String: Int]
    /// Positions in `columns`, in the order of the columns' names (the order of a value map's keys).
    let sortedColumnIndices: [Int]

    /// Describes a table and its data columns in mask order.
    public init(name: String, columns: [String]) {
        self.name = name
        self.columns = columns
        self.selectByIdSQL = "SELECT id, \(columns.joined(separator: ", ")) FROM \(name) WHERE id = ?"
        self.positions = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
        self.sortedColumnIndices = columns.indices.sorted { columns[$0] < columns[$1] }
    }

    /// The position of a column in `columns` (in a `selectByIdSQL` row it is one more).
    public func position(of column: String) -> Int { positions[column]! }

    /// The mask with every column set (what an insert changes).
    public var allColumnsMask: Int64 { (1 << Int64(columns.count)) - 1 }

    /// The columns named by a change's mask, in table order.
    public func columns(in mask: Int64) -> [String] {
        columns.indices.filter { mask & (1 << Int64($0)) != 0 }.map { columns[$0] }
    }

    /// The mask for a set of column names; throws naming an unknown column.
    public func mask(for names: some Sequence<String>) throws(StoreError) -> Int64 {
        var mask: Int64 = 0
        for name in names {
            guard let index = columns.firstIndex(of: name) else {
                throw .invalidInput(DomainError.invalid(field: "column", value: name, rule: "not a column of \(self.name)"))
            }
            mask |= 1 << Int64(index)
        }
        return mask
    }

    /// Platforms: one row per registered platform or enterprise.
    public static let platform = SyncedTable(name: "platform", columns: ReplicatedSchema.platform.map(\.name))

    /// Awards: one row per proposed award.
    public static let award = SyncedTable(name: "award", columns: ReplicatedSchema.award.map(\.name))

    /// Every replicated table, parents before children.
    public static let all: [SyncedTable] = [.platform, .award]

    /// The table called `name`, if it is replicated.
    public static func named(_ name: String) -> SyncedTable? { all.first { $0.name == name } }
}

extension SyncedTable {
    /// SQL expression for the wall clock in milliseconds, evaluated inside the writing statement.
    static let wallClockMs = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"

    /// The capture triggers: every insert, update and delete appends to `change_log` inside the
    /// writing transaction, unless sync is applying remote writes (`replica.capture = 0`).
    ///
    /// The triggers record what only the write itself knows: the operation, which columns changed
    /// and the wall clock. Values and base versions are filled in by `stamp` before anything is
    /// sent or applied; see `CountyDatabase+ChangeLog.swift`. (Migration `v14-live-values`
    /// replaces those of update and delete with `freezingCaptureTriggersSQL`.)
    func captureTriggersSQL(role: NodeRole) -> [String] {
        let guardClause = "WHEN (SELECT capture FROM replica WHERE id = 1) = 1"
        return [
            """
            CREATE TRIGGER \(name)_capture_insert AFTER INSERT ON \(name)
            \(guardClause)
            BEGIN
              \(logInsertSQL(role))
              VALUES (\(countySQL(role, "NEW"))'\(name)', NEW.id, 'insert', \(allColumnsMask), \(Self.wallClockMs));
            END
            """,
            """
            CREATE TRIGGER \(name)_capture_update AFTER UPDATE ON \(name)
            \(guardClause)
            BEGIN
              \(logInsertSQL(role))
              SELECT \(countySQL(role, "NEW"))'\(name)', NEW.id, 'update', changed, \(Self.wallClockMs)
              FROM (SELECT \(changedMaskSQL) AS changed)
              WHERE changed <> 0;
            END
            """,
            """
            CREATE TRIGGER \(name)_capture_delete AFTER DELETE ON \(name)
            \(guardClause)
            BEGIN
              \(logInsertSQL(role))
              VALUES (\(countySQL(role, "OLD"))'\(name)', OLD.id, 'delete', 0, \(Self.wallClockMs));
            END
            """,
        ]
    }

    /// The capture triggers of update and delete from migration `v14-live-values` on: besides
    /// capturing (when capture is on), they freeze the values of the row's entries that still
    /// read them from the row (`"values" = 'null'`, left by a bulk stamp) as they were before
    /// this write, whoever writes and whether or not capture is on (a sync apply writes too).
    func freezingCaptureTriggersSQL(role: NodeRole) -> [String] {
        let freeze = """
              UPDATE change_log SET "values" = \(valuesJSONSQL(of: "OLD."))
              WHERE "values" = 'null' AND tbl = '\(name)' AND row_id = OLD.id;
            """
        return [
            """
            CREATE TRIGGER \(name)_capture_update AFTER UPDATE ON \(name)
            BEGIN
            \(freeze)
              \(logInsertSQL(role))
              SELECT \(countySQL(role, "NEW"))'\(name)', NEW.id, 'update', changed, \(Self.wallClockMs)
              FROM (SELECT \(changedMaskSQL) AS changed)
              WHERE changed <> 0 AND (SELECT capture FROM replica WHERE id = 1) = 1;
            END
            """,
            """
            CREATE TRIGGER \(name)_capture_delete AFTER DELETE ON \(name)
            BEGIN
            \(freeze)
              \(logInsertSQL(role))
              SELECT \(countySQL(role, "OLD"))'\(name)', OLD.id, 'delete', 0, \(Self.wallClockMs)
              WHERE (SELECT capture FROM replica WHERE id = 1) = 1;
            END
            """,
        ]
    }

    /// The insert a capture trigger makes into `change_log`. The city's log also names each
    /// row's county: it is the pull feed of that county.
    private func logInsertSQL(_ role: NodeRole) -> String {
        "INSERT INTO change_log (\(role == .city ? "county, " : "")tbl, row_id, op, columns, wall_ms)"
    }

    /// `row`'s county for `logInsertSQL`'s columns (none at a county).
    private func countySQL(_ role: NodeRole, _ row: String) -> String { role == .city ? "\(row).county, " : "" }

    /// The mask of the columns an update changed: bit `i` for `columns[i]`.
    private var changedMaskSQL: String {
        columns.enumerated()
            .map { "((OLD.\($0.element) IS NOT NEW.\($0.element)) << \($0.offset))" }
            .joined(separator: "\n      | ")
    }

    /// `json_object` of `row`'s columns with the keys sorted: a change's values as the change
    /// log keeps them (`JSONText.values`).
    func valuesJSONSQL(of row: String) -> String {
        "json_object(" + sortedColumnIndices.map { "'\(columns[$0])', \(row)\(columns[$0])" }.joined(separator: ", ") + ")"
    }

    /// For a query over `change_log AS c`: each table's row joined to the entries whose values
    /// are still in it (`"values" = 'null'`, left by a bulk stamp, or none, from an older
    /// release). Select `liveColumnsSQL` after the entry's own columns; `entryValues` reads them.
    static let liveJoinSQL = all.enumerated().map { index, table in
        #"LEFT JOIN \#(table.name) AS t\#(index) ON c.tbl = '\#(table.name)' AND (c."values" IS NULL OR c."values" = 'null') AND t\#(index).id = c.row_id"#
    }.joined(separator: " ")

    /// The columns of `liveJoinSQL`'s rows, table after table.
    static let liveColumnsSQL = all.enumerated().flatMap { index, table in table.columns.map { "t\(index).\($0)" } }.joined(separator: ", ")

    /// Where each table's columns start among `liveColumnsSQL`.
    private static let liveOffsets: [String: Int] = {
        var offsets: [String: Int] = [:]
        var offset = 0
        for table in all {
            offsets[table.name] = offset
            offset += table.columns.count
        }
        return offsets
    }()

    /// A change-log entry's values from a row of a query joined by `liveJoinSQL`: its frozen
    /// text (`frozen`), or the columns of `mask` of its row (`liveColumnsSQL` from `liveAt` on),
    /// none if the row is gone (a delete, or an insert whose row was deleted before its stamp).
    func entryValues(frozen: String?, row: Row, liveAt: Int, mask: Int64) throws -> [String: ColumnValue] {
        if let frozen, frozen != "null" { return try decodeValues(frozen) }
        let start = liveAt + Self.liveOffsets[name]!
        guard !row.hasNull(atIndex: start) else { return [:] }  // `county`, never null in a row
        var values: [String: ColumnValue] = [:]
        values.reserveCapacity(columns.count)
        for (index, column) in columns.enumerated() where mask & (1 << Int64(index)) != 0 {
            values[column] = ColumnValue(row[start + index] as DatabaseValue)
        }
        return values
    }

    /// Guards that keep a county replica to its own county and keep ids and counties immutable.
    var ownershipTriggersSQL: [String] {
        [
            """
            CREATE TRIGGER \(name)_own_county BEFORE INSERT ON \(name)
            WHEN NEW.county IS NOT (SELECT county FROM replica WHERE id = 1)
            BEGIN
              SELECT RAISE(ABORT, '\(name).county must be this replica''s county');
            END
            """,
            immutableKeyTriggerSQL,
        ]
    }

    /// A row's id and county cannot change, on either side.
    var immutableKeyTriggerSQL: String {
        """
        CREATE TRIGGER \(name)_immutable_key BEFORE UPDATE OF id, county ON \(name)
        WHEN NEW.id IS NOT OLD.id OR NEW.county IS NOT OLD.county
        BEGIN
          SELECT RAISE(ABORT, '\(name).id and \(name).county cannot change');
        END
        """
    }
}
