import Foundation
import GRDB
import SyncCore
import SyncProtocol
import Synchronization
import Testing
@testable import SyncStore

/// The city's side of the protocol on real SQLite files, without the network.
@Suite struct CityDatabaseTests {
    func makeCity(_ dir: TempDirectory) throws -> CityDatabase {
        try CityDatabase.create(at: dir.path("city.db"), node: "city-test")
    }

    /// Only enterprises are looked up by credit code, and only they are in its index: a county's
    /// other platforms cost no write at a random place of it.
    @Test func onlyEnterprisesAreIndexedByCreditCodeAndTheirLookupUsesIt() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let city = try makeCity(dir)
        for category in PlatformCategory.allCases where category.isEnterprise {
            let plan = try city.pool.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT id, county FROM platform WHERE credit_code = ? AND category = '\(category.rawValue)' AND id <> ? ORDER BY id LIMIT 1",
                                 arguments: ["x", "y"]).map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains("\(category.rawValue)_by_credit_code") }, "\(plan)")
        }
        let indexes = try city.pool.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql LIKE '%credit_code%'")
        }
        #expect(indexes.count == 2 && indexes.allSatisfy { $0.contains("WHERE category = ") }, "\(indexes)")
    }

    @Test func aBatchIsAppliedOnceAndRedeliveryIsSkipped() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try makeCity(dir)
        try county.addPlatforms([makePlatform(serial: 1), makePlatform(serial: 2)])
        let batch = try #require(try county.nextPushBatch(limit: 10))
        let first = try city.applyPush(county: "130202", batch)
        #expect(first.highWater == 2)
        #expect(first.outcomes.map(\.outcome) == [.applied, .applied])
        let again = try city.applyPush(county: "130202", batch)
        #expect(again.highWater == 2)
        #expect(again.outcomes.isEmpty, "re-delivered changes are skipped")
        try county.acknowledge(batch, again)
        #expect(try county.pendingCount() == 0)
        #expect(try county.platforms() == city.platforms())
    }

    /// After a restore the county may send an insert again under its new node, for a row the
    /// city already holds. Its city-owned columns carry the values the city has: not a write of
    /// them, so nothing is parked.
    @Test func anInsertSentAgainUnderANewNodeIsNotParked() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try CountyDatabase.create(at: dir.path("county.db"), county: "130202", node: "county-130202-aaaa")
        let city = try makeCity(dir)
        try county.addPlatform(makePlatform())
        let batch = try #require(try county.nextPushBatch(limit: 10))
        _ = try city.applyPush(county: "130202", batch)
        let insert = batch.changes[0]
        let again = WireChange(seq: 1, table: insert.table, rowId: insert.rowId, op: insert.op, hlc: insert.hlc,
                               node: "county-130202-zzzz", values: insert.values, bases: insert.bases)
        let answer = try city.applyPush(county: "130202", PushRequest(node: "county-130202-zzzz", changes: [again]))
        #expect(answer.outcomes.map(\.outcome) != [.parked], "\(answer.outcomes)")
        #expect(try city.parked().isEmpty)
        #expect(try county.platforms() == city.platforms())
    }

    /// A batch larger than a slice is applied in several transactions; each moves the node's
    /// mark, so a batch cut short between slices is finished, not applied twice, by its retry.
    @Test func aLargeBatchIsAppliedInSlicesEachMovingTheMark() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        var limits = SyncLimits()
        limits.applySliceChanges = 7
        let city = try CityDatabase.create(at: dir.path("city.db"), node: "city-test", limits: limits)
        try county.addPlatforms((1...30).map { makePlatform(serial: $0) })
        let batch = try #require(try county.nextPushBatch(limit: 100))
        // A crash after the first two slices: the mark is at 14, and the first 14 rows are in.
        let firstTwo = PushRequest(node: batch.node, changes: Array(batch.changes.prefix(14)))
        #expect(try city.applyPush(county: "130202", firstTwo).highWater == 14)
        let answer = try city.applyPush(county: "130202", batch)
        #expect(answer.highWater == 30)
        #expect(answer.outcomes.map(\.seq) == Array(15...30), "only the changes after the mark are applied, each once")
        #expect(try county.platforms() == city.platforms())
        #expect(throws: StoreError.self) {
            var small = SyncLimits()
            small.maxBatchChanges = 10
            let strict = try CityDatabase.open(at: dir.path("city.db"), limits: small)
            _ = try strict.applyPush(county: "130202", batch)
        }
    }

    /// Each node is reported once, when the transaction that admitted it committed.
    @Test func aNodeIsReportedOnceWhenAdmitted() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let reported = Mutex<[String]>([])
        let city = try CityDatabase.create(at: dir.path("city.db"), node: "city-test",
                                           onNodeAdmitted: { admission in reported.withLock { $0.append("\(admission.route) \(admission.node)") } })
        try county.addPlatforms((1...3).map { makePlatform(serial: $0) })
        _ = try city.recordHeartbeat(county: "130202", try county.heartbeat())
        let batch = try #require(try county.nextPushBatch(limit: 100))
        _ = try city.applyPush(county: "130202", batch)
        _ = try city.recordHeartbeat(county: "130202", try county.heartbeat())
        #expect(reported.withLock { $0 } == ["heartbeat \(county.replica.node)"])
        let other = Heartbeat(node: "county-130202-second", pending: 0, oldestPendingAgeSeconds: 0, lastError: nil)
        _ = try city.recordHeartbeat(county: "130202", other)
        #expect(reported.withLock { $0 }.last == "heartbeat county-130202-second")
    }

    @Test func anEmptyBatchCannotMoveTheHighWaterMark() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try makeCity(dir)
        let forged = try JSONDecoder().decode(PushRequest.self, from: Data("""
            {"node":"\(county.replica.node)","firstSeq":1,"lastSeq":999,"changes":[],"checksum":"\(Checksum.of([]))"}
            """.utf8))
        #expect(throws: StoreError.self) { try city.applyPush(county: "130202", forged) }
        try county.addPlatform(makePlatform())
        let batch = try #require(try county.nextPushBatch(limit: 10))
        #expect(try city.applyPush(county: "130202", batch).outcomes.count == 1, "the real change is not skipped")
    }

    @Test func aGapInTheSequenceIsRefusedWhole() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try makeCity(dir)
        try county.addPlatforms([makePlatform(serial: 1), makePlatform(serial: 2), makePlatform(serial: 3)])
        let batch = try #require(try county.nextPushBatch(limit: 10))
        _ = try city.applyPush(county: "130202", PushRequest(node: batch.node, changes: [batch.changes[0]]))
        let tail = PushRequest(node: batch.node, changes: [batch.changes[2]])
        do {
            _ = try city.applyPush(county: "130202", tail)
            Issue.record("a batch starting after a gap was applied")
        } catch let StoreError.badBatch(code, _) {
            #expect(code == .sequenceGap)
        }
        #expect(try city.platforms().count == 1)
    }

    @Test func aReSentSeqWithOtherContentIsRefusedAsDiverged() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try makeCity(dir)
        try county.addPlatform(makePlatform(serial: 1))
        let batch = try #require(try county.nextPushBatch(limit: 10))
        _ = try city.applyPush(county: "130202", batch)
        var other = batch.changes[0]
        other = WireChange(seq: other.seq, table: other.table, rowId: RecordID.generate(), op: other.op, hlc: other.hlc,
                           node: other.node, values: other.values, bases: other.bases)
        do {
            _ = try city.applyPush(county: "130202", PushRequest(node: batch.node, changes: [other]))
            Issue.record("a different change under an applied seq was skipped as a re-delivery")
        } catch let StoreError.badBatch(code, _) {
            #expect(code == .replicaDiverged)
        }
        #expect(try city.applyPush(county: "130202", batch).outcomes.isEmpty, "the same change again is a harmless re-delivery")
    }

    @Test func anotherCountysRowsAreRefusedAndNothingIsWritten() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try makeCity(dir)
        try county.addPlatform(makePlatform())
        let batch = try #require(try county.nextPushBatch(limit: 10))
        #expect(throws: StoreError.self) { try city.applyPush(county: "130203", batch) }
        let renamed = PushRequest(node: "county-130203-x", changes: batch.changes.map {
            WireChange(seq: $0.seq, table: $0.table, rowId: $0.rowId, op: $0.op, hlc: $0.hlc, node: "county-130203-x", values: $0.values, bases: $0.bases)
        })
        #expect(throws: StoreError.self) { try city.applyPush(county: "130203", renamed) }
        #expect(try city.platforms().isEmpty)
        #expect(try sqliteShell(city.path, "SELECT count(*) FROM node_state WHERE high_water > 0").output == "0\n")
    }

    @Test func aCountyCannotWriteCityOwnedColumnsAndTheCityReassertsItsValue() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try makeCity(dir)
        let platform = try county.addPlatform(makePlatform())
        let first = try #require(try county.nextPushBatch(limit: 10))
        try county.acknowledge(first, try city.applyPush(county: "130202", first))
        // Someone at the county recognises the platform by hand: only the city may.
        try sqliteShell(county.path, "UPDATE platform SET status = 'recognized' WHERE id = '\(platform.id)'")
        let batch = try #require(try county.nextPushBatch(limit: 10))
        let answer = try city.applyPush(county: "130202", batch)
        #expect(answer.outcomes.first?.outcome == .parked)
        #expect(answer.outcomes.first?.reason == "city_owned_column")
        try county.acknowledge(batch, answer)
        #expect(try county.parked().map(\.reason) == ["city_owned_column"])

        let feed = try city.pullFeed(county: "130202", after: 0, limit: 10)
        #expect(feed.changes.count == 1)
        #expect(feed.changes.first?.values["status"] == .text("registered"))
        try county.applyPull(feed)
        #expect(try county.platform(id: platform.id)?.status == .registered)
        #expect(try county.platforms() == city.platforms())
        #expect(try county.pendingCount() == 0, "applying the city's feed is not captured as a local change")
    }

    @Test func invalidChangesAreParkedWithoutBlockingLaterOnes() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try makeCity(dir)
        let lab = try county.addPlatform(makePlatform(serial: 1))
        // An award above its cap, written past syncctl's checks.
        try sqliteShell(county.path, """
            INSERT INTO award (id, county, platform_id, amount_fen, fiscal_year) VALUES ('\(RecordID.generate())', '130202', '\(lab.id)', 99999999999, 2025);
            """)
        try county.addPlatform(makePlatform(serial: 2))
        let batch = try #require(try county.nextPushBatch(limit: 10))
        let answer = try city.applyPush(county: "130202", batch)
        #expect(answer.outcomes.map(\.outcome) == [.applied, .parked, .applied])
        #expect(answer.outcomes[1].reason == "invalid")
        #expect(answer.highWater == 3)
        try county.acknowledge(batch, answer)
        // The city removes the refused row from the county, which keeps it in its parked list.
        try county.applyPull(try city.pullFeed(county: "130202", after: 0, limit: 10))
        #expect(try county.awards().isEmpty)
        #expect(try county.parked().count == 1)
        #expect(try county.platforms() == city.platforms())
    }

    /// A parked change retried at the city is judged again against the city's rows as they are
    /// now: refused while the reason holds (nothing changes), applied once it is gone, and then
    /// fed back to the county whose replica dropped it; the operator is on record.
    @Test func aParkedChangeRetriedAtTheCityIsAppliedOnceItsReasonIsGoneAndReachesTheCounty() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try makeCity(dir)
        let lab = try county.addPlatform(makePlatform(serial: 1))
        let first = try county.proposeAward(Award(county: "130202", platformId: lab.id, amount: .yuan(100_000), fiscalYear: 2025))
        // A second award past syncctl's checks: over the municipal key lab's 100,000 in all.
        let second = RecordID.generate()
        try sqliteShell(county.path, """
            INSERT INTO award (id, county, platform_id, amount_fen, fiscal_year) VALUES ('\(second)', '130202', '\(lab.id)', 5000000, 2025);
            """)
        let batch = try #require(try county.nextPushBatch(limit: 10))
        let answer = try city.applyPush(county: "130202", batch)
        #expect(answer.outcomes.last?.reason == "platform_award_limit")
        try county.acknowledge(batch, answer)
        try county.applyPull(try city.pullFeed(county: "130202", after: 0, limit: 100))
        #expect(try county.award(id: second) == nil, "the county dropped the refused award")
        let parked = try #require(try city.parked().first)

        #expect(throws: StoreError.self) { try city.retryParked(id: parked.id, by: "operator-zhang") }
        #expect(try city.parked().count == 1 && city.award(id: second) == nil, "refused again: nothing changed")

        try city.recognizePlatform(id: lab.id)
        try city.rejectAward(id: first.id, reason: "重复申报")
        try city.retryParked(id: parked.id, by: "operator-zhang")
        #expect(try city.parked().isEmpty)
        #expect(try city.award(id: second)?.amount == .yuan(50_000))
        #expect(try city.decisions(rowId: second).first?.actor == "operator-zhang")
        try county.applyPull(try city.pullFeed(county: "130202", after: 0, limit: 100))
        #expect(try county.award(id: second)?.amount == .yuan(50_000), "the county has the award back")
        #expect(try county.awards() == city.awards())
    }

    /// The answer to a push with a parked change is lost after the city committed. The county
    /// sends the batch again, and must still learn the refusal and its reason (issue 10 #7).
    @Test func aRedeliveredChangeGetsTheOutcomeTheCityKeptForIt() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try makeCity(dir)
        let lab = try county.addPlatform(makePlatform(serial: 1))
        try sqliteShell(county.path, """
            INSERT INTO award (id, county, platform_id, amount_fen, fiscal_year) VALUES ('\(RecordID.generate())', '130202', '\(lab.id)', 99999999999, 2025);
            """)
        let batch = try #require(try county.nextPushBatch(limit: 10))
        let lost = try city.applyPush(county: "130202", batch)
        #expect(lost.outcomes.map(\.outcome) == [.applied, .parked])
        // The answer never arrives; the county sends the same batch again.
        let again = try city.applyPush(county: "130202", batch)
        #expect(again.highWater == 2)
        #expect(again.outcomes.map(\.seq) == [2] && again.outcomes.first?.outcome == .parked && again.outcomes.first?.reason == "invalid",
                "\(again.outcomes)")
        try county.acknowledge(batch, again)
        #expect(try county.parked().map(\.reason) == ["invalid"], "the county keeps the refusal with its reason")
        #expect(try city.parked().count == 1, "nothing was parked twice")
    }

    @Test func cityEditsReachTheFeedAsMadeAndApprovalsAreCheckedAgainstThePlan() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try makeCity(dir)
        let lab = try county.addPlatform(makePlatform())
        let award = try county.proposeAward(Award(county: "130202", platformId: lab.id, amount: .yuan(90_000), fiscalYear: 2025))
        let batch = try #require(try county.nextPushBatch(limit: 10))
        try county.acknowledge(batch, try city.applyPush(county: "130202", batch))

        #expect(throws: StoreError.self) { try city.approveAward(id: award.id, amount: .yuan(60_000)) }  // not recognised yet
        try city.recognizePlatform(id: lab.id, on: try CalendarDate("2025-06-01"))
        #expect(throws: StoreError.self) { try city.approveAward(id: award.id, amount: .yuan(100_001)) }
        try city.approveAward(id: award.id, amount: .yuan(60_000), on: try CalendarDate("2025-06-30"))
        #expect(throws: StoreError.self) { try city.updatePlatform(id: lab.id) { $0.level = .national } }
        try city.updatePlatform(id: lab.id) { $0.remarks = "市里备注" }

        let page = try city.pullFeed(county: "130202", after: 0, limit: 2)
        #expect(page.changes.count == 2 && page.more)
        try county.applyPull(page)
        let rest = try city.pullFeed(county: "130202", after: page.cursor, limit: 10)
        #expect(!rest.more)
        try county.applyPull(rest)
        #expect(try city.pullFeed(county: "130203", after: 0, limit: 10).changes.isEmpty, "a county sees only its own rows")

        let approved = try #require(try county.award(id: award.id))
        #expect(approved.status == .approved && approved.approvedAmount == .yuan(60_000))
        #expect(approved.approvedOn?.description == "2025-06-30")
        #expect(try county.platform(id: lab.id)?.status == .recognized)
        #expect(try county.platform(id: lab.id)?.remarks == "市里备注")
        #expect(try county.platforms() == city.platforms() && county.awards() == city.awards())
        #expect(try county.versions(table: .award, rowId: award.id)["status"]?.node == "city-test")
    }

    /// Rows written into the city's file by hand are captured, and the first pull stamps them in
    /// bulk, their values left in the rows: the feed carries each insert with the row's values,
    /// and after a city edit of a row the insert still carries them as they were, the edit coming
    /// after it.
    @Test func cityInsertsStampedInBulkAreFedAsMadeAfterAnEdit() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let city = try CityDatabase.create(at: dir.path("city.db"), node: "city-test")
        let platforms = (0..<3).map { makePlatform(name: "市级录入 \($0)", serial: $0) }
        try city.pool.write { db in
            for platform in platforms { try db.execute(sql: Platform.insertSQL, arguments: StatementArguments(platform.sqlValues)) }
        }
        let first = try city.pullFeed(county: "130202", after: 0, limit: 10)
        #expect(first.changes.map(\.op) == ["insert", "insert", "insert"])
        #expect(first.changes.map { $0.values["name"] } == platforms.map { .text($0.name) })
        #expect(try city.pool.read { db in try Int.fetchOne(db, sql: #"SELECT count(*) FROM change_log WHERE "values" = 'null'"#) } == 3,
                "the bulk stamp left the values in the rows")

        _ = try city.updatePlatform(id: platforms[1].id) { $0.name = "市级改名" }
        let again = try city.pullFeed(county: "130202", after: 0, limit: 10)
        #expect(again.changes.count == 4)
        #expect(Array(again.changes.prefix(3)).map { $0.values["name"] } == platforms.map { .text($0.name) }, "each insert as it was made")
        #expect(Array(again.changes.prefix(3)).allSatisfy { Set($0.values.keys) == Set(SyncedTable.platform.columns) })
        #expect(again.changes[3].op == "update" && again.changes[3].values["name"] == .text("市级改名"))
        #expect(Array(again.changes.prefix(3)).map(\.hlc) == first.changes.map(\.hlc))
    }
}
