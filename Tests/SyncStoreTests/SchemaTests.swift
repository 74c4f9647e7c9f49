import Foundation
import Testing
@testable import SyncStore

@Suite struct SchemaTests {
    static let schemaFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Schemas/county.sql")

    @Test func migrationsProduceExactlyTheSchemaFile() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let produced = try makeCounty(dir).schemaSQL()
        let header = "-- County replica schema, as the migrations in Sources/SyncStore produce it.\n-- Checked by SchemaTests; regenerate with UPDATE_SCHEMAS=1 swift test --filter SchemaTests.\n\n"
        if ProcessInfo.processInfo.environment["UPDATE_SCHEMAS"] == "1" {
            try (header + produced).write(to: Self.schemaFile, atomically: true, encoding: .utf8)
        }
        let file = try String(contentsOf: Self.schemaFile, encoding: .utf8)
        #expect(file == header + produced)
    }

    @Test func schemaFileCreatesAWorkingReplicaInTheShell() throws {
        // The file is real SQL: the sqlite3 shell builds a database from it whose triggers capture writes.
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let path = dir.path("from-file.db")
        let sql = try String(contentsOf: Self.schemaFile, encoding: .utf8)
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
