import FaultHarness
import Foundation
import LocalCluster
import Testing

/// The fault harness in its quick mode, as CI runs it, and the bookkeeping it relies on.
@Suite("Fault harness", .serialized)
struct FaultHarnessTests {
    /// Seeded trials of concurrent county and city edits under crashes, link faults and skewed
    /// clocks: everything converges, every change arrives exactly once, no value is lost.
    /// `FAULT_SEED=N` replays another seed.
    @Test(.timeLimit(.minutes(10)))
    func quickModeLosesAndDuplicatesNothing() async throws {
        let seed = ProcessInfo.processInfo.environment["FAULT_SEED"].flatMap(UInt64.init) ?? 20_261_129
        var options = HarnessOptions.quick(seed: seed)
        options.log = { print($0) }
        let summary = try await FaultHarness(options).run()
        print(summary)
        #expect(summary.passed, "\(summary)")
        #expect(summary.trials == options.trials)
        #expect(summary.lost == 0 && summary.duplicated == 0 && summary.resurrected == 0)
        #expect(summary.deletes > 0, "the workload deleted rows")
        #expect(summary.changesChecked > 500, "the trials made and followed changes both ways")
        #expect(summary.valuesChecked > 50)
        #expect(summary.faults.values.reduce(0, +) >= options.trials * options.faultsPerTrial.lowerBound)
        #expect(FaultKind.allCases.allSatisfy { (summary.faults[$0] ?? 0) > 0 }, "every kind of fault was injected")
        #expect(summary.hostileRefused > 0 && summary.hostileAccepted == 0, "hostile pushes were sent and every one refused")
        #expect(summary.clocksAhead == 0, "no clock ran ahead of the real time")
    }

    @Test func aValueNeitherFinalNorReplacedNorALoserIsLost() {
        var ledger = Ledger()
        let cell = Cell(rowId: "r1", column: "remarks")
        ledger.wrote("a", to: cell, by: "county", replacing: nil)
        ledger.wrote("b", to: cell, by: "county", replacing: "a")  // "a" knowingly replaced
        ledger.wrote("c", to: cell, by: "city", replacing: nil)    // concurrent with "b"
        ledger.wrote("d", to: cell, by: "city", replacing: "c")

        #expect(ledger.lostValues(final: { _ in "d" }, losers: { _ in ["b"] }).isEmpty,
                "b lost a conflict and was recorded; a and c were replaced knowingly; d is final")
        let lost = ledger.lostValues(final: { _ in "d" }, losers: { _ in [] })
        #expect(lost.map(\.value) == ["b"], "b vanished without a conflict record")
        #expect(lost.first?.writer == "county")
        #expect(ledger.valueCount == 4)
    }

    @Test func theSameSeedPlansTheSameTrials() {
        func plans(_ seed: UInt64) -> [TrialPlan] {
            var random = SeededGenerator(seed: seed)
            return (0..<5).map { _ in TrialPlan.make(&random, counties: 3, steps: 40, faults: 2...3) }
        }
        #expect(plans(99) == plans(99))
        #expect(plans(99) != plans(100))
        #expect(Set(plans(99).flatMap(\.faults).map(\.kind)).count > 3, "a run mixes fault kinds")
    }
}
