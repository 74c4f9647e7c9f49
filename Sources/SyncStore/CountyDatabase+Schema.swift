import GRDB

extension CountyDatabase {
    /// The schema the migrations produced, as `Schemas/county.sql` holds it: every table, index and
    /// trigger in creation order, each statement ended by `;` and a blank line. SQLite's internal
    /// tables and GRDB's migration bookkeeping are left out.
    public func schemaSQL() throws -> String {
        try read("read schema") { db in
            try String.fetchAll(db, sql: """
                SELECT sql FROM sqlite_master
                WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
                ORDER BY rowid
                """)
            .map { $0 + ";\n" }
            .joined(separator: "\n")
        }
    }
}
