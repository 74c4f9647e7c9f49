import CSQLite

/// SQLite's process-wide settings, made once before the first connection opens (`makePool`).
///
/// Memory statistics are off: SQLite otherwise takes one process-wide mutex on every allocation
/// and free, which both sides make several times per row they write. Nothing here reads them
/// (no `sqlite3_memory_used`, no soft heap limit).
enum SQLiteSettings {
    private static let applied: Bool = csqlite_memory_statistics_off() == SQLITE_OK

    /// Applies the settings if SQLite has not started yet; after that they cannot change, and
    /// SQLite keeps its defaults.
    @discardableResult
    static func applyOnce() -> Bool { applied }
}
