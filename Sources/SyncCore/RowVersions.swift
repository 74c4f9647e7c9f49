/// The versions of every column of one row, stored compactly: an insert gives all columns one
/// version (`row`), later writes override single columns (`columns`).
///
/// ```swift
/// var versions = RowVersions()
/// versions.set(v1, columns: ["name", "level"], of: ["name", "level"])  // an insert: row = v1
/// versions.set(v2, columns: ["name"], of: ["name", "level"])           // an update of name
/// versions["name"]   // v2
/// versions["level"]  // v1
/// ```
public struct RowVersions: Sendable, Hashable {
    /// The version of every column not in `columns`.
    public var row: ColumnVersion?
    /// Columns written after the row's version.
    public var columns: [String: ColumnVersion]

    /// Versions from a row version and per-column overrides.
    public init(row: ColumnVersion? = nil, columns: [String: ColumnVersion] = [:]) {
        self.row = row
        self.columns = columns
    }

    /// The version of `column`, or nil if it was never written.
    public subscript(column: String) -> ColumnVersion? { columns[column] ?? row }

    /// Records that `written` columns (out of the table's `all`) now have `version`.
    public mutating func set(_ version: ColumnVersion, columns written: [String], of all: [String]) {
        if written.count >= all.count && (written == all || Set(written).isSuperset(of: all)) {
            row = version
            columns = [:]
        } else {
            for column in written { columns[column] = version }
        }
    }

    /// Every column's version, for the columns of `all` that have one.
    public func expanded(_ all: [String]) -> [String: ColumnVersion] {
        var result: [String: ColumnVersion] = [:]
        for column in all { result[column] = self[column] }
        return result
    }

    /// The storage form: `*` holds the row version.
    public var storage: [String: ColumnVersion] {
        var stored = columns
        stored["*"] = row
        return stored
    }

    /// Versions from their storage form.
    public init(storage: [String: ColumnVersion]) {
        var columns = storage
        self.row = columns.removeValue(forKey: "*")
        self.columns = columns
    }
}
