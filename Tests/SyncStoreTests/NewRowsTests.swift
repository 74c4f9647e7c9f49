import Foundation
import GRDB
import SyncCore
import SyncProtocol
import Testing
@testable import SyncStore

/// The city's fast way for a slice of new rows decides the slice a part at a time beside the
/// writer, which inserts the parts before. Whatever a later part holds, the city must end where
/// the general way ends: every change decided by the same rules, nothing written twice, nothing
/// half-written. These batches are longer than a part, so the case in question is not in the first.
@Suite struct NewRowsTests {
    /// Changes in the batches below: three parts and a bit.
    static let rows = 3 * 128 + 20

    func enterprise(county: String = "130202", serial: Int) -> Platform {
        Platform(county: county, name: "唐山高新技术企业 \(serial)", category: .highTechEnterprise, level: nil,
                 hostOrg: "唐山某科技有限公司", creditCode: makeCreditCode(serial), industry: "装备制造")
    }

    /// What the general way gives: every change applied but the one at `refused`, which is parked
    /// for `reason`; each applied row is in the city once, with its versions and its applied record.
    func expectAllButOne(_ answer: PushResponse, refused: Int, reason: String, pair: SyncPair, batch: PushRequest) throws {
        #expect(answer.highWater == batch.lastSeq)
        #expect(answer.outcomes.count == batch.changes.count)
        for (offset, outcome) in answer.outcomes.enumerated() {
            if offset == refused {
                #expect(outcome.outcome == .parked && outcome.reason == reason, "change \(offset): \(outcome)")
            } else {
                #expect(outcome.outcome == .applied, "change \(offset): \(outcome)")
            }
        }
        let ids = Set(batch.changes.enumerated().filter { $0.offset != refused }.map(\.element.rowId))
        #expect(Set(try pair.city.platforms().filter { $0.county == "130202" }.map(\.id)) == ids)
        let (versions, applied) = try pair.city.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM row_version WHERE row_id IN (SELECT id FROM platform WHERE county = '130202')") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM applied_seq WHERE node = ?", arguments: [batch.node]) ?? 0)
        }
        #expect(versions == ids.count)
        #expect(applied == batch.changes.count)
    }

    /// An enterprise whose credit code another county registered first, in the third part: the
    /// writer looks the registration up (the deciding thread cannot), and the slice goes the
    /// general way, which parks that one change.
    @Test func anEnterpriseRegisteredElsewhereIsParkedFromALaterPart() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let other = try makeCounty(pair.dir, county: "130203", name: "other.db")
        try other.addPlatform(enterprise(county: "130203", serial: 9_001))
        let first = try #require(try other.nextPushBatch(limit: 10))
        #expect(try pair.city.applyPush(county: "130203", first).outcomes.map(\.outcome) == [.applied])

        let refused = 2 * 128 + 5
        try pair.county.addPlatforms((0..<Self.rows).map { $0 == refused ? enterprise(serial: 9_001) : makePlatform(serial: $0) })
        let batch = try #require(try pair.county.nextPushBatch(limit: 1_000))
        try expectAllButOne(try pair.city.applyPush(county: "130202", batch), refused: refused, reason: "duplicate_enterprise", pair: pair, batch: batch)
    }

    /// Two enterprises of one credit code in one slice, in different parts: the first is applied,
    /// the second parked, as the general way decides them in order.
    @Test func aCreditCodeTwiceInOneSliceParksTheSecond() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let (earlier, later) = (40, 3 * 128 + 2)
        try pair.county.addPlatforms((0..<Self.rows).map { $0 == earlier || $0 == later ? enterprise(serial: 9_002) : makePlatform(serial: $0) })
        let batch = try #require(try pair.county.nextPushBatch(limit: 1_000))
        try expectAllButOne(try pair.city.applyPush(county: "130202", batch), refused: later, reason: "duplicate_enterprise", pair: pair, batch: batch)
    }

    /// A row the rules refuse (a credit code with a wrong check character, written past syncctl)
    /// in the last part, after the writer inserted the parts before: those inserts are rolled
    /// back and the general way applies each row once, as new.
    @Test func aRefusedRowInTheLastPartRollsBackThePartsBefore() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        try pair.county.addPlatforms((0..<(Self.rows - 1)).map { makePlatform(serial: $0) })
        let good = makeCreditCode(9_003)
        let bad = String(good.dropLast()) + (good.last == "0" ? "1" : "0")
        try sqliteShell(pair.county.path, """
            INSERT INTO platform (id, county, name, category, level, host_org, credit_code, industry)
            VALUES ('\(RecordID.generate())', '130202', '唐山焊接重点实验室', 'key_lab', 'municipal', '唐山焊接研究所', '\(bad)', '焊接');
            """)
        let batch = try #require(try pair.county.nextPushBatch(limit: 1_000))
        #expect(batch.changes.count == Self.rows)
        try expectAllButOne(try pair.city.applyPush(county: "130202", batch), refused: Self.rows - 1, reason: "invalid", pair: pair, batch: batch)
    }
}
