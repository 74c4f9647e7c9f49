import Foundation
import SyncCore
import SyncProtocol
import Testing
@testable import SyncStore

/// A change sent again is the change sent first: its values are frozen when it is stamped, so an
/// answer lost after the city committed, followed by more local edits, is not a restore.
@Suite struct RedeliveryTests {
    /// Issue 10 #1: push; the city commits but the answer is lost; the county edits a row of that
    /// batch during backoff; the retry must be accepted as a re-delivery, not refused as a
    /// diverged replica, and both sides must end equal with no conflict and no new node.
    @Test func aLostAnswerThenAnEditOfTheSameRowIsNotARestore() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let (county, city) = (pair.county, pair.city)
        let lab = try county.addPlatform(makePlatform(serial: 1))
        try county.updatePlatform(id: lab.id) { $0.contact = "李工" }
        let first = try #require(try county.nextPushBatch(limit: 10))
        _ = try city.applyPush(county: "130202", first)   // committed; the answer never arrives

        try county.updatePlatform(id: lab.id) { $0.contact = "王工" }
        let retry = try #require(try county.nextPushBatch(limit: 10))
        #expect(retry.node == first.node, "still the same node")
        #expect(Array(retry.changes.prefix(first.changes.count)) == first.changes, "the changes sent again are byte for byte the first ones")
        let answer = try city.applyPush(county: "130202", retry)
        #expect(answer.highWater == retry.lastSeq)
        try county.acknowledge(retry, answer)
        try county.applyPull(try city.pullFeed(county: "130202", after: 0, limit: 100))
        #expect(try city.platform(id: lab.id)?.contact == "王工" && county.platform(id: lab.id)?.contact == "王工")
        #expect(try city.conflicts().isEmpty && county.conflicts().isEmpty, "sequential edits are not concurrent ones")
        #expect(try county.platforms() == city.platforms())
    }

    /// An entry stamped by the release before values were frozen has none: it is read from the
    /// row, as that release did, so an upgrade in place sends what was pending.
    @Test func anEntryStampedWithoutFrozenValuesIsReadFromTheRow() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let lab = try county.addPlatform(makePlatform(serial: 1))
        try county.stamp()
        try sqliteShell(county.path, #"UPDATE change_log SET "values" = NULL"#)
        let batch = try #require(try county.nextPushBatch(limit: 10))
        #expect(batch.changes.first?.values["name"] == .text(lab.name))
    }
}

/// Writes that used to leave spurious parks or conflicts (issue 10 #10).
@Suite struct SpuriousOutcomeTests {
    /// An insert then a delete before a push: nothing is parked on either side.
    @Test func anInsertThenADeleteBeforeAPushParksNothing() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let (county, city) = (pair.county, pair.city)
        let kept = try county.addPlatform(makePlatform(serial: 1))
        let gone = try county.addPlatform(makePlatform(serial: 2))
        try sqliteShell(county.path, "DELETE FROM platform WHERE id = '\(gone.id)'")
        let batch = try #require(try county.nextPushBatch(limit: 10))
        let answer = try city.applyPush(county: "130202", batch)
        #expect(!answer.outcomes.contains { $0.outcome == .parked }, "\(answer.outcomes)")
        try county.acknowledge(batch, answer)
        #expect(try city.parked().isEmpty && county.parked().isEmpty)
        #expect(try city.platforms().map(\.id) == [kept.id])
    }

    /// A county's concurrent write of a city-owned column is parked, as the README says, and
    /// never recorded as a conflict.
    @Test func aCountyWriteOfACityOwnedColumnIsParkedNotAConflict() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let (county, city) = (pair.county, pair.city)
        let lab = try county.addPlatform(makePlatform(serial: 1))
        let first = try #require(try county.nextPushBatch(limit: 10))
        try county.acknowledge(first, try city.applyPush(county: "130202", first))
        try city.recognizePlatform(id: lab.id)
        // Before it hears of the recognition, someone at the county writes the status by hand.
        try sqliteShell(county.path, "UPDATE platform SET status = 'revoked' WHERE id = '\(lab.id)'")
        let batch = try #require(try county.nextPushBatch(limit: 10))
        let answer = try city.applyPush(county: "130202", batch)
        #expect(answer.outcomes.map(\.reason) == ["city_owned_column"], "\(answer.outcomes)")
        #expect(try city.conflicts().isEmpty, "not a conflict")
        #expect(try city.platform(id: lab.id)?.status == .recognized)
        try county.acknowledge(batch, answer)
        try county.applyPull(try city.pullFeed(county: "130202", after: 0, limit: 100))
        #expect(try county.platform(id: lab.id)?.status == .recognized)
        #expect(try county.conflicts().isEmpty)
    }

    /// An insert sent again after a county restore, for a row the city has since recognised,
    /// carries the old status: an echo, neither a conflict nor a park, and the city's value stands.
    @Test func anInsertSentAgainWithAnOlderCityColumnIsAnEcho() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let (county, city) = (pair.county, pair.city)
        let lab = try county.addPlatform(makePlatform(serial: 1))
        let batch = try #require(try county.nextPushBatch(limit: 10))
        _ = try city.applyPush(county: "130202", batch)
        try city.recognizePlatform(id: lab.id)
        // The same insert, as a restored replica sends it again under its new node.
        let again = PushRequest(node: "county-130202-restored", changes: batch.changes.map { change in
            WireChange(seq: change.seq, table: change.table, rowId: change.rowId, op: change.op, hlc: change.hlc,
                       node: "county-130202-restored", values: change.values, bases: change.bases)
        })
        let answer = try city.applyPush(county: "130202", again)
        #expect(!answer.outcomes.contains { $0.outcome == .parked || $0.outcome == .conflict }, "\(answer.outcomes)")
        #expect(try city.conflicts().isEmpty && city.parked().isEmpty)
        #expect(try city.platform(id: lab.id)?.status == .recognized)
    }
}

/// What the city puts back reaches the county parents first (issue 10 #5).
@Suite struct ReassertionOrderTests {
    /// A county deletes an approved award and its platform: the city refuses both and puts both
    /// back, and the county gets both back, though the award's delete came first.
    @Test func anApprovedAwardAndItsPlatformDeletedAtTheCountyBothComeBack() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let (county, city) = (pair.county, pair.city)
        let lab = try county.addPlatform(makePlatform(serial: 1))
        let award = try county.proposeAward(Award(county: "130202", platformId: lab.id, amount: .yuan(50_000), fiscalYear: 2025))
        let first = try #require(try county.nextPushBatch(limit: 10))
        try county.acknowledge(first, try city.applyPush(county: "130202", first))
        try city.recognizePlatform(id: lab.id)
        try city.approveAward(id: award.id)
        try county.applyPull(try city.pullFeed(county: "130202", after: 0, limit: 100))

        try sqliteShell(county.path, "DELETE FROM award WHERE id = '\(award.id)'; DELETE FROM platform WHERE id = '\(lab.id)';")
        let batch = try #require(try county.nextPushBatch(limit: 10))
        let answer = try city.applyPush(county: "130202", batch)
        #expect(answer.outcomes.map(\.reason) == ["award_approved", "recognized_platform"], "\(answer.outcomes)")
        try county.acknowledge(batch, answer)
        let cursor = try county.syncPosition().pulledSeq
        let outcomes = try county.applyPull(try city.pullFeed(county: "130202", after: cursor, limit: 100))
        #expect(!outcomes.contains { $0.outcome == .parked }, "\(outcomes)")
        #expect(try county.platform(id: lab.id)?.status == .recognized)
        #expect(try county.award(id: award.id)?.status == .approved)
        #expect(try county.platforms() == city.platforms() && county.awards() == city.awards())
    }

    /// A page whose award's platform is missing here and not in the page either: that award is
    /// parked, the rest of the page is applied, and the page commits.
    @Test func anAwardWhosePlatformNeverComesIsParkedAndThePageCommits() throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let lab = makePlatform(serial: 1)
        let orphan = RecordID.generate()
        let hlc = HLCTimestamp(physicalMs: CountyDatabase.wallClockMs(), logical: 0).rawValue
        let award = WireChange(seq: 1, table: "award", rowId: orphan, op: "insert", hlc: hlc, node: "city-test", values: [
            "county": .text("130202"), "platform_id": .text(RecordID.generate()), "amount_fen": .integer(5_000_000), "basis_fen": .null,
            "fiscal_year": .integer(2025), "status": .text("proposed"), "approved_amount_fen": .null, "approved_on": .null,
            "reject_reason": .null, "remarks": .null,
        ], bases: [:])
        var values: [String: ColumnValue] = [:]
        for (column, value) in zip(SyncedTable.platform.columns, Array(lab.sqlValues.dropFirst())) {
            values[column] = value.map { ColumnValue($0.databaseValue) } ?? .null
        }
        let platform = WireChange(seq: 2, table: "platform", rowId: lab.id, op: "insert", hlc: hlc + 1, node: "city-test", values: values, bases: [:])
        let outcomes = try county.applyPull(PullResponse(changes: [award, platform], cursor: 2, more: false))
        #expect(outcomes.map(\.outcome) == [.parked, .applied], "\(outcomes)")
        #expect(try county.award(id: orphan) == nil && county.platform(id: lab.id) != nil)
        #expect(try county.parked().map(\.reason) == ["missing_platform"])
        #expect(try county.syncPosition().pulledSeq == 2)
    }
}

/// A snapshot merge after a new epoch (issue 10 #2).
@Suite struct SnapshotMergeTests {
    /// The county deleted a row and has not pushed the delete: the city's snapshot must not bring
    /// it back, and once the delete is pushed both sides agree.
    @Test func aSnapshotDoesNotBringBackARowDeletedButNotYetPushed() throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let (county, city) = (pair.county, pair.city)
        let kept = try county.addPlatform(makePlatform(serial: 1))
        let gone = try county.addPlatform(makePlatform(serial: 2))
        let first = try #require(try county.nextPushBatch(limit: 10))
        try county.acknowledge(first, try city.applyPush(county: "130202", first))

        try county.beginNewEpoch()
        try sqliteShell(county.path, "DELETE FROM platform WHERE id = '\(gone.id)'")
        try county.applySnapshot(try city.snapshot(county: "130202", table: "platform", after: "", limit: 100).rows)
        #expect(try county.platform(id: gone.id) == nil, "the pending delete stands")
        #expect(try county.platform(id: kept.id) != nil)

        let batch = try #require(try county.nextPushBatch(limit: 10))
        try county.acknowledge(batch, try city.applyPush(county: "130202", batch))
        #expect(try county.platforms() == city.platforms())
    }
}

/// Whatever a county writes before a push reaches the city as a consistent state (issue 10 #6).
@Suite struct CausalOrderTests {
    /// Propose an award, then move it to a platform registered after the proposal, before any
    /// push: the award's insert names a platform whose insert comes later in the log. The city
    /// applies the platform first; nothing is parked, nothing deleted at the county.
    @Test(arguments: [10, 2, 1])
    func anAwardMovedToALaterPlatformIsNotRefused(batch: Int) throws {
        let pair = try SyncPair()
        defer { pair.dir.cleanUp() }
        let (county, city) = (pair.county, pair.city)
        let first = try county.addPlatform(makePlatform(serial: 1))
        let award = try county.proposeAward(Award(county: "130202", platformId: first.id, amount: .yuan(50_000), fiscalYear: 2025))
        let later = try county.addPlatform(makePlatform(serial: 2))
        try sqliteShell(county.path, "UPDATE award SET platform_id = '\(later.id)' WHERE id = '\(award.id)'")
        var outcomes: [ChangeOutcome] = []
        while let request = try county.nextPushBatch(limit: batch) {
            let answer = try city.applyPush(county: "130202", request)
            outcomes += answer.outcomes
            try county.acknowledge(request, answer)
        }
        #expect(!outcomes.contains { $0.outcome == .parked }, "\(outcomes)")
        try county.applyPull(try city.pullFeed(county: "130202", after: 0, limit: 100))
        #expect(try city.award(id: award.id)?.platformId == later.id)
        #expect(try county.award(id: award.id)?.platformId == later.id, "the county keeps its award")
        #expect(try county.platforms() == city.platforms() && county.awards() == city.awards())
    }

    /// The same across the city's slices: the slice is extended to the platform's insert.
    @Test func aSliceDoesNotEndBetweenAnAwardAndItsLaterPlatform() throws {
        var limits = SyncLimits()
        limits.applySliceChanges = 2
        let pair = try SyncPair(cityLimits: limits)
        defer { pair.dir.cleanUp() }
        let (county, city) = (pair.county, pair.city)
        let first = try county.addPlatform(makePlatform(serial: 1))
        let award = try county.proposeAward(Award(county: "130202", platformId: first.id, amount: .yuan(50_000), fiscalYear: 2025))
        try county.addPlatforms([makePlatform(serial: 3), makePlatform(serial: 4)])
        let later = try county.addPlatform(makePlatform(serial: 2))
        try sqliteShell(county.path, "UPDATE award SET platform_id = '\(later.id)' WHERE id = '\(award.id)'")
        let request = try #require(try county.nextPushBatch(limit: 100))
        let answer = try city.applyPush(county: "130202", request)
        #expect(!answer.outcomes.contains { $0.outcome == .parked }, "\(answer.outcomes)")
        #expect(answer.highWater == request.lastSeq)
        #expect(try city.award(id: award.id)?.platformId == later.id)
    }
}
