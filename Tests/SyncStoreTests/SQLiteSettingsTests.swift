import CSQLite
import Testing
@testable import SyncStore

@Suite struct SQLiteSettingsTests {
    /// Once a replica is open, SQLite counts no memory (its statistics take a process-wide lock
    /// on every allocation) unless it had started before the settings could be made, as when
    /// another suite of this process opened a database of its own first.
    @Test func memoryStatisticsAreOffWhenSetBeforeSQLiteStarts() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        try county.addPlatforms((1...20).map { makePlatform(serial: $0) })
        let applied = SQLiteSettings.applyOnce()
        #expect(applied == (sqlite3_memory_used() == 0), "settings applied: \(applied); memory counted: \(sqlite3_memory_used())")
    }
}
