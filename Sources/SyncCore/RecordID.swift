import Foundation
import Synchronization

/// Time-ordered record ids (UUIDv7, RFC 9562), generated where the record is created.
///
/// Ids from one generator strictly increase, even within one millisecond or when the wall clock
/// steps back, so new rows append to the end of SQLite's b-tree instead of landing at random
/// pages (random ids make inserts several times slower).
///
/// ```swift
/// let id = RecordID.generate()   // "019ac6f2-5c1e-7a03-9b1d-3f0e2a6c4d21"
/// ```
public enum RecordID {
    /// The process-wide generator behind `generate(nowMs:)`.
    public static let shared = RecordIDGenerator()

    /// A new lower-case UUIDv7 string from the process-wide generator.
    public static func generate(nowMs: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) -> String {
        shared.next(nowMs: nowMs)
    }

    /// Whether `text` is a UUID in the canonical lower-case 8-4-4-4-12 form.
    public static func isValid(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return false }
        for (index, byte) in utf8.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) else { return false }
            }
        }
        return true
    }

    /// Milliseconds since 1970 encoded in a UUIDv7, or nil for another kind of id.
    public static func timestampMs(of id: String) -> UInt64? {
        guard isValid(id), id[id.index(id.startIndex, offsetBy: 14)] == "7" else { return nil }
        let hex = id.prefix(13).replacingOccurrences(of: "-", with: "")
        return UInt64(hex, radix: 16)
    }

    static let digits = Array("0123456789abcdef".utf8)

    static func format(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(index) { out.append(UInt8(ascii: "-")) }
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A source of strictly increasing UUIDv7 ids. The process shares `RecordID.shared`; a separate
/// generator (tests) has its own millisecond and counter.
public final class RecordIDGenerator: Sendable {
    private struct State {
        var lastMs: UInt64 = 0
        var counter: UInt16 = 0
    }

    private let state = Mutex(State())

    /// Creates a generator that has seen no time yet.
    public init() {}

    /// The next id for wall-clock time `nowMs`: later than every id this generator gave before.
    public func next(nowMs: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) -> String {
        let (ms, counter) = state.withLock { state -> (UInt64, UInt16) in
            if nowMs > state.lastMs {
                state.lastMs = nowMs
                state.counter = UInt16.random(in: 0..<0x400)
            } else if state.counter < 0xFFF {
                state.counter += 1
            } else {
                state.lastMs += 1
                state.counter = 0
            }
            return (state.lastMs, state.counter)
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - index))) }
        bytes[6] = 0x70 | UInt8(counter >> 8)
        bytes[7] = UInt8(truncatingIfNeeded: counter)
        var random = SystemRandomNumberGenerator()
        let tail = random.next() as UInt64
        for index in 8..<16 { bytes[index] = UInt8(truncatingIfNeeded: tail >> (8 * (15 - index))) }
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return RecordID.format(bytes)
    }
}
