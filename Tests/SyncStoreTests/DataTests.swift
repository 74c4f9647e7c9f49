import Foundation
import SyncCore
import Testing
@testable import SyncStore

@Suite struct DataTests {
    @Test func createRefusesAnExistingFileAndAnUnknownCounty() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        _ = try makeCounty(dir)
        #expect(throws: StoreError.self) { try makeCounty(dir) }
        #expect(throws: StoreError.self) { try CountyDatabase.create(at: dir.path("other.db"), county: "999999") }
        #expect(!FileManager.default.fileExists(atPath: dir.path("other.db")))
    }

    @Test func theDatabaseFileIsPrivate() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        let mode = try FileManager.default.attributesOfItem(atPath: db.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func openRefusesAMissingFileAndAForeignDatabase() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        #expect(throws: StoreError.self) { try CountyDatabase.open(at: dir.path("missing.db")) }
        try sqliteShell(dir.path("foreign.db"), "CREATE TABLE t (x)")
        do {
            _ = try CountyDatabase.open(at: dir.path("foreign.db"))
            Issue.record("a database without a replica table opened")
        } catch let error as StoreError {
            #expect(error.description.contains("not a County Sync replica"))
        }
        // Nothing opened it for writing: a foreign file stays in its own journal mode.
        #expect(try sqliteShell(dir.path("foreign.db"), "PRAGMA journal_mode").output.trimmingCharacters(in: .whitespacesAndNewlines) == "delete")
    }

    /// Each reason a file cannot be opened is named: permission, not SQLite, not ours, the other role.
    @Test func openNamesWhyAFileCannotBeOpened() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        func message(_ path: String) -> String {
            do {
                _ = try CountyDatabase.open(at: path)
                return "opened"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(dir.path("missing.db")).contains("syncctl init"))
        try Data("this is a spreadsheet, not a database, and it is long enough to have a header".utf8).write(to: URL(fileURLWithPath: dir.path("junk.db")))
        #expect(message(dir.path("junk.db")).contains("not a SQLite database"), "\(message(dir.path("junk.db")))")
        _ = try CityDatabase.create(at: dir.path("city.db"))
        #expect(message(dir.path("city.db")).contains("is a city database"))
        if getuid() != 0 {  // root reads any file; as another user the permission checks apply
            let locked = try makeCounty(dir, name: "locked.db")
            try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: locked.path)
            #expect(message(locked.path).contains("permission denied"))
        }
    }

    @Test func proposalsAreCheckedAgainstThePlatformsRule() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        let lab = try db.addPlatform(makePlatform())
        #expect(throws: StoreError.self) {
            try db.proposeAward(Award(county: "130202", platformId: lab.id, amount: .yuan(100_001), fiscalYear: 2025))
        }
        #expect(throws: StoreError.self) {
            try db.proposeAward(Award(county: "130202", platformId: RecordID.generate(), amount: .yuan(1), fiscalYear: 2025))
        }
        let award = try db.proposeAward(Award(county: "130202", platformId: lab.id, amount: .yuan(80_000), fiscalYear: 2025))
        #expect(try db.awards() == [award])
        #expect(throws: StoreError.self) { try db.updateAward(id: award.id) { $0.amount = .yuan(200_000) } }
        try db.updateAward(id: award.id) { $0.amount = .yuan(100_000) }
        #expect(try db.award(id: award.id)?.amount == .yuan(100_000))
    }

    @Test func aCountyCannotChangeAnAwardTheCityApproved() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        let lab = try db.addPlatform(makePlatform())
        let award = try db.proposeAward(Award(county: "130202", platformId: lab.id, amount: .yuan(80_000), fiscalYear: 2025))
        try db.applyingSync { database in
            try database.execute(sql: "UPDATE award SET status = 'approved', approved_amount_fen = 5000000 WHERE id = ?", arguments: [award.id])
        }
        #expect(throws: StoreError.self) { try db.updateAward(id: award.id) { $0.amount = .yuan(90_000) } }
        #expect(throws: StoreError.self) { try db.updateAward(id: award.id) { $0.status = .approved } }
        #expect(try db.award(id: award.id)?.amount == .yuan(80_000))
    }

    @Test func importIsAllOrNothingAndListsEveryBadRow() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let db = try makeCounty(dir)
        let good = makePlatform(serial: 1)
        var badCode = makePlatform(serial: 2)
        badCode.creditCode = "91130200MA0C12345Y"
        let rows = [
            ImportedRow(line: 2, result: .success(good)),
            ImportedRow(line: 3, result: .success(badCode)),
            ImportedRow(line: 4, result: .failure(.invalid(field: "category", value: "lab", rule: "unknown category"))),
        ]
        do {
            try db.importPlatforms(rows)
            Issue.record("a file with bad rows was imported")
        } catch let StoreError.invalidRows(problems) {
            #expect(problems.map(\.line) == [3, 4])
            #expect(problems[0].reason.contains("credit-code"))
        }
        #expect(try db.platforms().isEmpty)
        #expect(try db.pendingCount() == 0)

        let summary = try db.importPlatforms([ImportedRow(line: 2, result: .success(good))])
        #expect(summary.inserted == 1 && summary.updated == 0 && summary.unchanged == 0)
        #expect(summary.lines == [ImportLine(line: 2, outcome: .new, id: good.id, name: good.name, sameAs: nil)])
        var renamed = good
        renamed.name = "改名"
        let again = try db.importPlatforms([ImportedRow(line: 2, result: .success(renamed))])
        #expect(again.inserted == 0 && again.updated == 1 && again.unchanged == 0)
        #expect(try db.pendingCount() == 2)
    }
}
