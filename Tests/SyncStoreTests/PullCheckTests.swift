import Foundation
import GRDB
import SyncCore
import SyncProtocol
import Testing
@testable import SyncStore

/// A county checks what it pulls with the same check the city runs on pushes. A page with a
/// clock reading ahead is refused whole (the county measures its offset and reads it again); any
/// other entry it must refuse is parked, and the rest of the page applies, so one bad entry of the
/// city's never stops that county's pulls (release 0.15.0 refused the page for good).
@Suite struct PullCheckTests {
    func cityChange(seq: Int64, rowId: String, values: [String: ColumnValue], hlc: Int64? = nil) -> WireChange {
        WireChange(seq: seq, table: "platform", rowId: rowId, op: "update",
                   hlc: hlc ?? HLCTimestamp(physicalMs: CountyDatabase.wallClockMs(), logical: 0).rawValue,
                   node: "city-test", values: values, bases: [:])
    }

    @Test func aPageWithAClockAheadIsRefusedWholeAndAppliesNothing() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let platform = try county.addPlatform(makePlatform())
        let later = HLCTimestamp(physicalMs: CountyDatabase.wallClockMs() + 1_000, logical: 0).rawValue
        let good = cityChange(seq: 1, rowId: platform.id, values: ["remarks": .text("from the city")], hlc: later)
        let year2099 = HLCTimestamp(physicalMs: 4_070_908_800_000, logical: 0).rawValue
        #expect {
            try county.applyPull(PullResponse(changes: [good, cityChange(seq: 2, rowId: platform.id, values: ["name": .text("2099")], hlc: year2099)],
                                              cursor: 2, more: false))
        } throws: { error in
            guard case StoreError.badBatch(let found, let message) = error else { return false }
            return found == .clockAhead && message.contains("change 2")
        }
        #expect(try county.platform(id: platform.id)?.remarks == platform.remarks, "nothing of the page was applied")
        #expect(try county.syncPosition().pulledSeq == 0)
        let hlc = try county.pool.read { try Int64.fetchOne($0, sql: "SELECT hlc FROM replica") }
        #expect((hlc ?? 0) >> 16 < CountyDatabase.wallClockMs() + 60_000, "the county's clock was not moved")
    }

    @Test func anEntryItMustRefuseIsParkedAndThePullGoesOn() throws {
        let bad: [(values: [String: ColumnValue], code: String)] = [
            (["county": .text("130203")], "forbidden_county"),
            (["level": .integer(3)], "malformed_change"),
            (["remarks": .text(String(repeating: "长", count: 3_000))], "malformed_change"),
        ]
        for (values, code) in bad {
            let dir = try TempDirectory()
            defer { dir.cleanUp() }
            let county = try makeCounty(dir)
            let platform = try county.addPlatform(makePlatform())
            let later = HLCTimestamp(physicalMs: CountyDatabase.wallClockMs() + 1_000, logical: 0).rawValue
            let refused = cityChange(seq: 1, rowId: platform.id, values: values, hlc: later)
            let good = cityChange(seq: 2, rowId: platform.id, values: ["contact": .text("李工")], hlc: later + 1)
            let outcomes = try county.applyPull(PullResponse(changes: [refused, good], cursor: 2, more: false))
            #expect(outcomes.first?.outcome == .parked && outcomes.last?.outcome != .parked, "\(code): \(outcomes)")
            #expect(outcomes.first?.message?.contains("change 1, values.") == true, "\(code): \(outcomes.first?.message ?? "")")
            let held = try county.platform(id: platform.id)
            #expect(held?.contact == "李工" && held?.level == platform.level && held?.remarks == platform.remarks, "\(code)")
            #expect(try county.syncPosition().pulledSeq == 2, "\(code): the pull went past it")
            #expect(try county.parked().contains { $0.rowId == platform.id }, "\(code): kept where the admin sees it")
        }
    }

    @Test func aBadSnapshotRowIsRefused() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let platform = makePlatform(serial: 9)
        var values: [String: ColumnValue] = [:]
        for column in SyncedTable.platform.columns { values[column] = .null }
        values.merge(["county": .text("130202"), "name": .text(platform.name), "category": .text("key_lab"), "level": .text("municipal"),
                      "host_org": .text("某单位"), "credit_code": .text(platform.creditCode), "industry": .text("新材料"),
                      "status": .text("registered")]) { $1 }
        let version = ColumnVersion(hlc: HLCTimestamp(physicalMs: CountyDatabase.wallClockMs(), logical: 0), node: "city-test")
        let versions = Dictionary(uniqueKeysWithValues: SyncedTable.platform.columns.map { ($0, version) })
        let wrong = SnapshotRow(table: "platform", rowId: platform.id, values: values.merging(["status": .text("owned")]) { $1 }, versions: versions)
        #expect(throws: StoreError.self) { try county.applySnapshot([wrong]) }
        #expect(try county.platforms().isEmpty)
        try county.applySnapshot([SnapshotRow(table: "platform", rowId: platform.id, values: values, versions: versions)])
        #expect(try county.platforms().map(\.id) == [platform.id])
    }
}
