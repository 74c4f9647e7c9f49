import SyncCore

/// The range of every integer a message may carry, checked when the message is read and before
/// any arithmetic touches it: no sequence, cursor, clock, count or age from another node reaches
/// `+ 1`, a comparison with an offset or the database unless it lies inside these bounds.
///
/// | what | range |
/// |---|---|
/// | a sequence number, high-water mark or feed position | 0 to 2^53 − 1 (a change's own seq starts at 1) |
/// | a clock reading | 0 to the largest reading |
/// | a count (`pending`) | 0 to 1,000,000,000 |
/// | an age in seconds | 0 to 100 years |
/// | a clock offset in ms | ± 100 years |
///
/// 2^53 − 1 is the largest integer every JSON reader holds exactly; a county writing a million
/// changes a second would reach it in 285 years. The JSON Schemas in `Schemas/json/` state the same maxima.
public enum WireBounds {
    /// The largest sequence number, mark or position: 2^53 − 1.
    public static let maxSeq: Int64 = 9_007_199_254_740_991
    /// The largest count a heartbeat may report.
    public static let maxCount: Int64 = 1_000_000_000
    /// The largest age in seconds a heartbeat may report (100 years).
    public static let maxAgeSeconds: Int64 = 3_155_760_000
    /// The largest clock offset in ms, either way (100 years of 365 days).
    public static let maxClockOffsetMs: Int64 = 3_153_600_000_000

    /// `value` for `field` when it lies in `range`, else the violation naming both.
    static func check(_ value: Int64?, _ range: ClosedRange<Int64>, field: @autoclosure () -> String) -> BoundsViolation? {
        guard let value, !range.contains(value) else { return nil }
        return BoundsViolation(field: field(), problem: "must be from \(range.lowerBound) to \(range.upperBound), not \(value)")
    }

    /// The first violation among `checks`, in order.
    static func first(_ checks: BoundsViolation?...) -> BoundsViolation? {
        checks.lazy.compactMap { $0 }.first
    }

    /// The range of a sequence number that may be 0 (a cursor, a mark, an epoch's base).
    static let position: ClosedRange<Int64> = 0...maxSeq
    /// The range of a change's own seq.
    static let changeSeq: ClosedRange<Int64> = 1...maxSeq
    /// The range of a clock reading.
    static let reading: ClosedRange<Int64> = 0...Int64.max
}

/// An integer of a message outside its `WireBounds`.
public struct BoundsViolation: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field, as the JSON names it (`changes[3].seq`, `epochBaseSeq`, `pending`).
    public let field: String
    /// What is wrong with it.
    public let problem: String

    /// `epochBaseSeq: must be from 0 to 9007199254740991, not 9223372036854775807`.
    public var description: String { "\(field): \(problem)" }
}

/// A message whose integers are checked against `WireBounds` as it is read, before it is used.
public protocol BoundedMessage {
    /// The first integer outside its bounds, or nil when all lie inside.
    func boundsViolation() -> BoundsViolation?
}

extension WireChange {
    /// The change's seq. (Its clock readings are judged by `ChangeCheck`, which refuses a
    /// negative one or one ahead of the receiver's clock, naming the change, before any use.)
    func boundsViolation(at path: @autoclosure () -> String) -> BoundsViolation? {
        WireBounds.check(seq, WireBounds.changeSeq, field: "\(path()).seq")
    }
}

extension PushRequest: BoundedMessage {
    /// The batch's range, its epoch's base and every change's seq.
    public func boundsViolation() -> BoundsViolation? {
        if let violation = WireBounds.first(
            WireBounds.check(firstSeq, WireBounds.position, field: "firstSeq"),
            WireBounds.check(lastSeq, WireBounds.position, field: "lastSeq"),
            WireBounds.check(epochBaseSeq, WireBounds.position, field: "epochBaseSeq")) {
            return violation
        }
        for (index, change) in changes.enumerated() {
            if let violation = change.boundsViolation(at: "changes[\(index)]") { return violation }
        }
        return nil
    }
}

extension ReturnRequest: BoundedMessage {
    /// Every returned change's seq.
    public func boundsViolation() -> BoundsViolation? {
        for (index, sealed) in changes.enumerated() {
            if let violation = sealed.change.boundsViolation(at: "changes[\(index)].change") { return violation }
        }
        return nil
    }
}

extension Heartbeat: BoundedMessage {
    /// Counts and ages are never negative; positions and readings lie in their ranges.
    public func boundsViolation() -> BoundsViolation? {
        WireBounds.first(
            WireBounds.check(Int64(pending), 0...WireBounds.maxCount, field: "pending"),
            WireBounds.check(Int64(oldestPendingAgeSeconds), 0...WireBounds.maxAgeSeconds, field: "oldestPendingAgeSeconds"),
            WireBounds.check(clockOffsetMs, -WireBounds.maxClockOffsetMs...WireBounds.maxClockOffsetMs, field: "clockOffsetMs"),
            WireBounds.check(acknowledgedSeq, WireBounds.position, field: "acknowledgedSeq"),
            WireBounds.check(pulledSeq, WireBounds.position, field: "pulledSeq"),
            WireBounds.check(pulledHlc, WireBounds.reading, field: "pulledHlc"))
    }
}

extension PullResponse: BoundedMessage {
    /// The cursor and every change's seq, as a county reads a page of the feed.
    public func boundsViolation() -> BoundsViolation? {
        if let violation = WireBounds.check(cursor, WireBounds.position, field: "cursor") { return violation }
        for (field, mark) in [("decisionHead.id", decisionHead), ("decisionAt.id", decisionAt)] {
            if let mark, let violation = WireBounds.check(mark.id, WireBounds.position, field: field) { return violation }
        }
        for (index, change) in changes.enumerated() {
            if let violation = change.boundsViolation(at: "changes[\(index)]") { return violation }
        }
        return nil
    }
}

extension PushResponse: BoundedMessage {
    /// The mark and every outcome's seq, as a county reads the answer to its push.
    public func boundsViolation() -> BoundsViolation? {
        if let violation = WireBounds.check(highWater, WireBounds.position, field: "highWater") { return violation }
        for (index, outcome) in outcomes.enumerated() {
            if let violation = WireBounds.check(outcome.seq, WireBounds.changeSeq, field: "outcomes[\(index)].seq") { return violation }
        }
        return nil
    }
}

extension HeartbeatResponse: BoundedMessage {
    /// The mark, the feed's end and the city's clock.
    public func boundsViolation() -> BoundsViolation? {
        WireBounds.first(
            WireBounds.check(highWater, WireBounds.position, field: "highWater"),
            WireBounds.check(feedSeq, WireBounds.position, field: "feedSeq"),
            WireBounds.check(cityTimeMs, 0...HLCTimestamp.maxPhysicalMs, field: "cityTimeMs"))
    }
}

extension SnapshotResponse: BoundedMessage {
    /// The feed position the page was read at.
    public func boundsViolation() -> BoundsViolation? {
        WireBounds.check(feedSeq, WireBounds.position, field: "feedSeq")
    }
}
