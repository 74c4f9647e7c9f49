import LocalCluster

/// The faults the harness injects.
public enum FaultKind: String, CaseIterable, Sendable, Hashable, Comparable {
    case daemonCrash = "kill -9 county-syncd"
    case cityCrash = "kill -9 city-aggregator"
    case delay = "link delay"
    case drop = "dropped connections"
    case reset = "reset mid-body"
    case blackHole = "black hole"
    case unreachable = "aggregator unreachable"
    case slow = "slow link"
    case clockAhead = "county clock ahead"
    case clockBehind = "county clock behind"
    case restore = "restore from backup"
    case daemonClock = "county daemon clock skewed"
    case hostile = "hostile county pushes"
    case lostAnswers = "answers lost after the city committed"
    case cityRestore = "city restored from a backup"

    public static func < (lhs: FaultKind, rhs: FaultKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One fault of a trial: what, where, when and for how long.
public struct PlannedFault: Sendable, Hashable, CustomStringConvertible {
    public let kind: FaultKind
    /// Index of the county it hits (daemon crashes, clocks and restores).
    public let county: Int
    /// Milliseconds after the trial starts.
    public let atMs: Int
    /// How long the fault lasts (or the process stays down, or the backup is older than the
    /// restore), in milliseconds.
    public let durationMs: Int
    /// A fault parameter: bytes before a reset, bytes per second of a slow link, milliseconds of
    /// delay, or the clock offset in hours.
    public let parameter: Int

    public var description: String {
        let detail: String
        switch kind {
        case .daemonCrash: detail = "county #\(county), down \(durationMs) ms"
        case .cityCrash: detail = "down \(durationMs) ms"
        case .delay: detail = "\(parameter) ms per chunk for \(durationMs) ms"
        case .reset: detail = "after \(parameter) bytes, for \(durationMs) ms"
        case .slow: detail = "\(parameter) bytes/s for \(durationMs) ms"
        case .clockAhead, .clockBehind: detail = "county #\(county), \(parameter > 0 ? "+" : "")\(parameter) h"
        case .restore: detail = "county #\(county), backup \(durationMs) ms before"
        case .daemonClock: detail = "county #\(county) daemon \(parameter > 0 ? "+" : "")\(parameter) h for \(durationMs) ms"
        case .hostile: detail = "county #\(county), \(parameter) pushes"
        case .lostAnswers: detail = "for \(durationMs) ms"
        case .cityRestore: detail = "backup \(durationMs) ms before"
        default: detail = "for \(durationMs) ms"
        }
        return "\(kind.rawValue) at \(atMs) ms (\(detail))"
    }
}

/// One step of a trial's workload.
public enum WorkloadStep: Sendable, Hashable {
    /// A county registers new platforms.
    case countyInsert(county: Int, count: Int)
    /// A county edits a shared column of one of its platforms (picked by `pick`).
    case countyEdit(county: Int, pick: Int, column: EditColumn)
    /// The city edits a shared column of a county's platform.
    case cityEdit(county: Int, pick: Int, column: EditColumn)
    /// The city recognises a registered platform.
    case cityRecognize(county: Int, pick: Int)
    /// A county proposes an award for one of its platforms.
    case countyPropose(county: Int, pick: Int, yuan: Int)
    /// The city approves a proposed award.
    case cityApprove(county: Int, pick: Int)
    /// A county deletes one of its registered platforms that has no awards.
    case countyDelete(county: Int, pick: Int)
}

/// The shared (last-writer-wins) columns the workload edits. `contact` is left to the clock
/// faults, which edit through `syncctl` under a skewed clock.
public enum EditColumn: String, Sendable, Hashable, CaseIterable {
    case name
    case remarks
    case hostOrg = "host_org"
}

/// Everything one trial does, drawn from the seeded generator before the trial starts, so a seed
/// replays the same trials.
public struct TrialPlan: Sendable, Hashable {
    public let steps: [WorkloadStep]
    /// Pause after each step, milliseconds.
    public let gapsMs: [Int]
    public let faults: [PlannedFault]

    /// Draws a trial; the first fault is of kind `leading` when given.
    public static func make(_ random: inout SeededGenerator, counties: Int, steps count: Int, faults faultCount: ClosedRange<Int>,
                            leading: FaultKind? = nil, kinds: [FaultKind] = FaultKind.allCases) -> TrialPlan {
        var steps: [WorkloadStep] = []
        var gaps: [Int] = []
        for _ in 0..<count {
            let county = Int.random(in: 0..<counties, using: &random)
            let pick = Int.random(in: 0..<1_000_000, using: &random)
            let step: WorkloadStep
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<15: step = .countyInsert(county: county, count: Int.random(in: 1...40, using: &random))
            case 15..<20: step = .countyDelete(county: county, pick: pick)
            case 20..<50: step = .countyEdit(county: county, pick: pick, column: EditColumn.allCases.filter { $0 != .hostOrg }.randomElement(using: &random)!)
            case 50..<80: step = .cityEdit(county: county, pick: pick, column: EditColumn.allCases.randomElement(using: &random)!)
            case 80..<88: step = .cityRecognize(county: county, pick: pick)
            case 88..<95: step = .countyPropose(county: county, pick: pick, yuan: Int.random(in: 1...50, using: &random) * 1_000)
            default: step = .cityApprove(county: county, pick: pick)
            }
            steps.append(step)
            gaps.append(Int.random(in: 0...60, using: &random))
        }
        let span = gaps.reduce(0, +) + count * 5
        var faults: [PlannedFault] = []
        for index in 0..<Int.random(in: faultCount, using: &random) {
            let drawn = kinds.randomElement(using: &random)!
            let kind = index == 0 ? leading ?? drawn : drawn
            let at = Int.random(in: 0...max(1, span), using: &random)
            let county = Int.random(in: 0..<counties, using: &random)
            let parameter: Int
            let duration: Int
            switch kind {
            case .daemonCrash: (duration, parameter) = (Int.random(in: 0...1_500, using: &random), 0)
            case .cityCrash: (duration, parameter) = (Int.random(in: 200...2_500, using: &random), 0)
            case .delay: (duration, parameter) = (Int.random(in: 1_000...4_000, using: &random), Int.random(in: 50...800, using: &random))
            case .reset: (duration, parameter) = (Int.random(in: 1_000...4_000, using: &random), Int.random(in: 100...20_000, using: &random))
            case .slow: (duration, parameter) = (Int.random(in: 2_000...6_000, using: &random), Int.random(in: 2_000...20_000, using: &random))
            case .drop, .unreachable: (duration, parameter) = (Int.random(in: 500...4_000, using: &random), 0)
            case .blackHole: (duration, parameter) = (Int.random(in: 2_000...7_000, using: &random), 0)
            case .clockAhead: (duration, parameter) = (0, [3, 6, 24, 26].randomElement(using: &random)!)
            case .clockBehind: (duration, parameter) = (0, -[3, 6, 24, 26].randomElement(using: &random)!)
            case .restore: (duration, parameter) = (Int.random(in: 300...3_000, using: &random), 0)
            case .daemonClock: (duration, parameter) = (Int.random(in: 2_000...6_000, using: &random), [2, -2, 24, -24].randomElement(using: &random)!)
            case .hostile: (duration, parameter) = (0, Int.random(in: 10...40, using: &random))
            case .lostAnswers: (duration, parameter) = (Int.random(in: 1_000...4_000, using: &random), 0)
            case .cityRestore: (duration, parameter) = (Int.random(in: 500...3_000, using: &random), 0)
            }
            faults.append(PlannedFault(kind: kind, county: county, atMs: at, durationMs: duration, parameter: parameter))
        }
        return TrialPlan(steps: steps, gapsMs: gaps, faults: faults.sorted { $0.atMs < $1.atMs })
    }
}
