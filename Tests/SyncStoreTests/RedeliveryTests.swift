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
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try CityDatabase.create(at: dir.path("city.db"), node: "city-test")
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
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try CityDatabase.create(at: dir.path("city.db"), node: "city-test")
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
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try CityDatabase.create(at: dir.path("city.db"), node: "city-test")
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
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let county = try makeCounty(dir)
        let city = try CityDatabase.create(at: dir.path("city.db"), node: "city-test")
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
