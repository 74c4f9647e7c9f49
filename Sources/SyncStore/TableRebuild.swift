import GRDB

/// Changing a table's constraints, which SQLite's `ALTER TABLE` cannot do: the table is made
/// again under its new definition, as SQLite's documentation prescribes ("making other kinds of
/// table schema changes"): create the new table, copy the rows, drop the old one, rename the new
/// one, and create the old one's indexes and triggers again, all inside the migration's
/// transaction (with foreign keys off, as the migrator runs it). An AUTOINCREMENT table keeps its
/// sequence, which may be past its last row once old rows were compacted away.
enum TableRebuild {
    /// Makes each of `tables` again with the definition `transform` returns for its current one.
    /// Every trigger of the schema is dropped first and made again last: renaming a table makes
    /// SQLite check every trigger, and one naming a table not yet made again would fail it.
    static func rebuild(_ db: Database, tables: [String], transform: (String) -> String) throws {
        let triggers = try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name")
        for trigger in triggers { try db.execute(sql: "DROP TRIGGER \"\(trigger["name"] as String)\"") }
        for table in tables { try rebuild(db, table: table, transform: transform) }
        for trigger in triggers { try db.execute(sql: trigger["sql"]) }
    }

    /// Makes `table` (which no trigger names) again with its indexes.
    private static func rebuild(_ db: Database, table: String, transform: (String) -> String) throws {
        guard let definition = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", arguments: [table]) else {
            throw StoreError.notAllowed("no table \(table) to rebuild")
        }
        let rebuilt = transform(definition)
        guard rebuilt != definition else { return }
        // SQLite writes the name of a renamed table quoted: `CREATE TABLE "platform" (`.
        guard let body = ["CREATE TABLE \(table) (", "CREATE TABLE \"\(table)\" ("].first(where: rebuilt.hasPrefix).map({ rebuilt.dropFirst($0.count) }) else {
            throw StoreError.notAllowed("the definition of \(table) does not start with CREATE TABLE \(table)")
        }
        // Indexes made by SQLite for UNIQUE and PRIMARY KEY constraints have no SQL and come back with the table.
        let indexes = try String.fetchAll(db, sql: """
            SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type = 'index' AND sql IS NOT NULL ORDER BY name
            """, arguments: [table])
        let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table])
        let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table])
            .map { "\"\($0)\"" }.joined(separator: ", ")
        let staging = "\(table)_rebuilt"
        try db.execute(sql: "CREATE TABLE \(staging) (" + body)
        try db.execute(sql: "INSERT INTO \(staging) (\(columns)) SELECT \(columns) FROM \(table)")
        try db.execute(sql: "DROP TABLE \(table)")
        try db.execute(sql: "ALTER TABLE \(staging) RENAME TO \(table)")
        for sql in indexes { try db.execute(sql: sql) }
        if let sequence {
            try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name = ?", arguments: [table])
            try db.execute(sql: "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", arguments: [table, sequence])
        }
    }

    /// `definition` with every `column IN ('a', 'b', ...)` written as `(column = 'a' OR column = 'b' ...)`.
    ///
    /// The same constraint, far cheaper: SQLite builds a table for an `IN` list each time it
    /// checks a row. `sync-bench capture` inserts into the platform table alone both ways: with
    /// the lists, at about half the rate. Only lists of plain literals are rewritten.
    static func comparisonsForInLists(_ definition: String) -> String {
        let pattern = /(\w+) IN \(((?:'[^'(),]*'|-?\d+)(?:, (?:'[^'(),]*'|-?\d+))*)\)/
        return definition.replacing(pattern) { match in
            let column = match.output.1
            let items = match.output.2.split(separator: ", ")
            return "(" + items.map { "\(column) = \($0)" }.joined(separator: " OR ") + ")"
        }
    }
}
