import Foundation
import Testing
@testable import SyncStore

@Suite struct SchemaTests {
    static let schemas = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Schemas")

    static func header(_ role: String) -> String {
        "-- \(role) schema, as the migrations in Sources/SyncStore produce it.\n"
            + "-- Checked by SchemaTests; regenerate with UPDATE_SCHEMAS=1 swift test --filter SchemaTests.\n\n"
    }

    /// Compares what the migrations produce with the file (or rewrites the file when asked to).
    func check(_ produced: String, file name: String, role: String) throws {
        let url = Self.schemas.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_SCHEMAS"] == "1" {
            try (Self.header(role) + produced).write(to: url, atomically: true, encoding: .utf8)
        }
        let file = try String(contentsOf: url, encoding: .utf8)
        #expect(file == Self.header(role) + produced, "\(name) differs from what the migrations produce")
    }

    @Test func countyMigrationsProduceExactlyCountySql() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        try check(try makeCounty(dir).schemaSQL(), file: "county.sql", role: "County replica")
    }

    @Test func cityMigrationsProduceExactlyCitySql() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        try check(try CityDatabase.create(at: dir.path("city.db")).schemaSQL(), file: "city.sql", role: "City database")
    }

    @Test func countySqlCreatesAWorkingReplicaInTheShell() throws {
        // The file is real SQL: the sqlite3 shell builds a database from it whose triggers capture writes.
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let path = dir.path("from-file.db")
        let sql = try String(contentsOf: Self.schemas.appendingPathComponent("county.sql"), encoding: .utf8)
        let created = try sqliteShell(path, sql)
        #expect(created.status == 0, "\(created.error)")
        let result = try sqliteShell(path, """
            INSERT INTO replica (id, role, county, node, created_at) VALUES (1, 'county', '130202', 'n', 'now');
            INSERT INTO platform (id, county, name, category, level, host_org, credit_code, industry)
              VALUES ('01234567-89ab-7def-8123-456789abcdef', '130202', 'x', 'key_lab', 'municipal', 'h', '911302000000000012', 'i');
            SELECT tbl || ' ' || op FROM change_log;
            """)
        #expect(result.output == "platform insert\n")
    }
}
