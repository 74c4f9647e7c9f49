/// A hybrid logical clock reading: wall-clock milliseconds plus a logical counter, packed so that
/// readings compare as integers. 48 bits of milliseconds, 16 bits of counter.
public struct HLCTimestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// `physicalMs << 16 | logical`.
    public let rawValue: Int64

    /// Wraps a packed reading.
    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// A reading from its parts. Milliseconds outside `0...maxPhysicalMs` saturate at the bounds,
    /// so no wall clock, however wrong, can wrap a reading to a negative number.
    public init(physicalMs: Int64, logical: UInt16) {
        let clamped = Swift.min(Swift.max(physicalMs, 0), Self.maxPhysicalMs)
        self.rawValue = clamped << 16 | Int64(logical)
    }

    /// The largest representable milliseconds (47 bits: the year 6429).
    public static let maxPhysicalMs: Int64 = Int64.max >> 16

    /// The largest reading; the clock saturates here instead of wrapping.
    public static let max = HLCTimestamp(rawValue: Int64.max)

    /// Milliseconds since 1970 (of the wall clock that last advanced the clock).
    public var physicalMs: Int64 { rawValue >> 16 }
    /// Counter among readings within the same millisecond.
    public var logical: UInt16 { UInt16(truncatingIfNeeded: rawValue & 0xFFFF) }

    /// The zero reading, before any event.
    public static let zero = HLCTimestamp(rawValue: 0)

    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `physicalMs.logical`, e.g. `1764400000000.3`.
    public var description: String { "\(physicalMs).\(logical)" }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The reading right after this one.
    /// Saturates at `max`.
    var successor: HLCTimestamp {
        rawValue == Int64.max ? self : HLCTimestamp(rawValue: rawValue + 1)
    }
}

/// A hybrid logical clock (Kulkarni et al.): readings follow the wall clock when it moves forward,
/// never go backwards when it jumps back, and move past every reading received from another node.
///
/// ```swift
/// var clock = HybridLogicalClock(last: .zero)
/// let a = clock.tick(wallMs: 1_000)   // 1000.0
/// let b = clock.tick(wallMs: 900)     // 1000.1: the wall clock went back, the clock did not
/// clock.receive(HLCTimestamp(physicalMs: 5_000, logical: 2), wallMs: 1_001)
/// clock.tick(wallMs: 1_002)           // 5000.4
/// ```
public struct HybridLogicalClock: Sendable, Hashable {
    /// The latest reading given out or received.
    public private(set) var last: HLCTimestamp

    /// Resumes a clock from its last persisted reading.
    public init(last: HLCTimestamp) { self.last = last }

    /// A reading for a local event at wall-clock time `wallMs`.
    public mutating func tick(wallMs: Int64) -> HLCTimestamp {
        let candidate = HLCTimestamp(physicalMs: wallMs, logical: 0)
        last = candidate > last ? candidate : last.successor
        return last
    }

    /// Takes a reading received from another node into account, then reads the clock.
    @discardableResult
    public mutating func receive(_ remote: HLCTimestamp, wallMs: Int64) -> HLCTimestamp {
        let wall = HLCTimestamp(physicalMs: wallMs, logical: 0)
        let highest = Swift.max(last, remote)
        last = wall > highest ? wall : highest.successor
        return last
    }
}

/// The version of one column of one row: the clock reading of the write and the node that made it.
/// Versions order by clock first, then node id, so every node breaks ties the same way.
public struct ColumnVersion: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// When the value was written.
    public let hlc: HLCTimestamp
    /// Which replica wrote it.
    public let node: String

    /// Creates a version.
    public init(hlc: HLCTimestamp, node: String) {
        self.hlc = hlc
        self.node = node
    }

    public static func < (lhs: ColumnVersion, rhs: ColumnVersion) -> Bool {
        (lhs.hlc, lhs.node) < (rhs.hlc, rhs.node)
    }

    /// `hlc@node`.
    public var description: String { "\(hlc)@\(node)" }
}
