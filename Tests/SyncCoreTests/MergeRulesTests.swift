import Testing
@testable import SyncCore

@Suite("Merge rules")
struct MergeRulesTests {
    let v0 = ColumnVersion(hlc: HLCTimestamp(physicalMs: 1_000, logical: 0), node: "county-130202-a")
    let county = ColumnVersion(hlc: HLCTimestamp(physicalMs: 2_000, logical: 0), node: "county-130202-a")
    let city = ColumnVersion(hlc: HLCTimestamp(physicalMs: 3_000, logical: 0), node: "city-1")

    func decide(_ column: String, table: String = "platform", incoming: (String, ColumnVersion, ColumnVersion?),
                current: (String, ColumnVersion?)?) -> ColumnDecision {
        MergeRules.decide(
            table: table, column: column,
            incoming: IncomingColumn(value: .text(incoming.0), version: incoming.1, base: incoming.2),
            current: current.map { CurrentColumn(value: .text($0.0), version: $0.1) }, authority: .standard)
    }

    @Test func aChangeBasedOnTheCurrentVersionFastForwards() {
        let decision = decide("name", incoming: ("B", county, v0), current: ("A", v0))
        #expect(decision.takeIncoming)
        #expect(decision.rule == .fastForward)
        #expect(!decision.isConflict)
    }

    @Test func aNewRowOrUnversionedColumnFastForwards() {
        #expect(decide("name", incoming: ("B", county, nil), current: nil).rule == .fastForward)
        #expect(decide("name", incoming: ("B", county, nil), current: ("A", nil)).takeIncoming)
    }

    @Test func aRedeliveredVersionIsADuplicate() {
        let decision = decide("name", incoming: ("B", county, v0), current: ("B", county))
        #expect(!decision.takeIncoming)
        #expect(decision.rule == .duplicate)
    }

    @Test func concurrentSharedEditsGoToTheLaterWriterOnBothSides() {
        // At the city: the county's edit arrives over the city's newer one.
        let atCity = decide("name", incoming: ("county", county, v0), current: ("city", city))
        // At the county: the city's edit arrives over the county's older one.
        let atCounty = decide("name", incoming: ("city", city, v0), current: ("county", county))
        #expect(!atCity.takeIncoming && atCounty.takeIncoming, "both keep the city's later value")
        #expect(atCity.rule == .lastWriterWins && atCounty.rule == .lastWriterWins)
        #expect(atCity.isConflict && atCounty.isConflict)
    }

    @Test func theNodeBreaksATieOfClocks() {
        let other = ColumnVersion(hlc: county.hlc, node: "city-1")
        let atCounty = decide("name", incoming: ("x", other, v0), current: ("y", county))
        let atCity = decide("name", incoming: ("y", county, v0), current: ("x", other))
        #expect(county > other, "\"county-…\" sorts after \"city-1\"")
        #expect(!atCounty.takeIncoming && atCity.takeIncoming, "both sides keep the county's value")
    }

    @Test func cityOwnedColumnsGoToTheCityWhateverTheClock() {
        let lateCounty = ColumnVersion(hlc: HLCTimestamp(physicalMs: 9_000, logical: 0), node: "county-130202-a")
        let atCity = decide("status", incoming: ("recognized", lateCounty, v0), current: ("revoked", city))
        let atCounty = decide("status", incoming: ("revoked", city, v0), current: ("recognized", lateCounty))
        #expect(!atCity.takeIncoming && atCounty.takeIncoming)
        #expect(atCity.rule == .cityAuthority && atCounty.rule == .cityAuthority)
        let award = decide("approved_amount_fen", table: "award", incoming: ("1", lateCounty, v0), current: ("2", city))
        #expect(award.rule == .cityAuthority && !award.takeIncoming)
    }

    @Test func countyOwnedColumnsGoToTheCountyWhateverTheClock() {
        let atCounty = decide("level", incoming: ("national", city, v0), current: ("municipal", county))
        let atCity = decide("level", incoming: ("municipal", county, v0), current: ("national", city))
        #expect(!atCounty.takeIncoming && atCity.takeIncoming)
        #expect(atCity.rule == .countyAuthority)
        #expect(decide("amount_fen", table: "award", incoming: ("5", county, v0), current: ("6", city)).rule == .countyAuthority)
    }

    @Test func equalConcurrentValuesAreNoConflict() {
        let decision = decide("name", incoming: ("same", county, v0), current: ("same", city))
        #expect(!decision.isConflict)
        #expect(!decision.takeIncoming, "the later version still wins, so both sides keep the same version")
    }

    @Test func authorityDefaultsAreAsDocumented() {
        let table = AuthorityTable.standard
        for column in ["status", "evaluation", "recognized_on"] { #expect(table.authority("platform", column) == .city) }
        for column in ["category", "level", "credit_code", "subtype"] { #expect(table.authority("platform", column) == .county) }
        for column in ["name", "host_org", "industry", "contact", "remarks"] { #expect(table.authority("platform", column) == .shared) }
        for column in ["status", "approved_amount_fen", "approved_on"] { #expect(table.authority("award", column) == .city) }
        for column in ["amount_fen", "basis_fen", "fiscal_year"] { #expect(table.authority("award", column) == .county) }
        #expect(table.authority("award", "remarks") == .shared)
    }

    @Test func backoffGrowsExponentiallyUpToTheCap() {
        var backoff = Backoff(initial: .seconds(1), cap: .seconds(8))
        let delays = (0..<6).map { _ in backoff.nextDelay(random: 1) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)])
        backoff.reset()
        #expect(backoff.nextDelay(random: 0) == .milliseconds(100), "jitter keeps a tenth of the ceiling")
    }

    @Test func theBatchWindowHalvesOnFailureAndRecoversOnSuccess() {
        var window = BatchWindow(limit: 1_000)
        #expect(window.size == 1_000)
        for _ in 0..<3 { window.failed() }
        #expect(window.size == 125)
        for _ in 0..<20 { window.failed() }
        #expect(window.size == 1, "never below one change")
        window.succeeded()
        #expect(window.size == 2)
        for _ in 0..<20 { window.succeeded() }
        #expect(window.size == 1_000, "never above the configured batch size")
        #expect(BatchWindow(limit: 0).size == 1)

        var narrowing = BatchWindow(limit: 1_000)
        narrowing.narrow(below: 40)
        #expect(narrowing.size == 20, "half of the refused batch, not of the window")
        narrowing.narrow(below: 1)
        #expect(narrowing.size == 1)
    }
}
