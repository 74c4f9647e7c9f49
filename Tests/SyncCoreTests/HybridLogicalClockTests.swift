import Foundation
import Testing
import SyncCore

private func hlc(_ ms: Int64, _ logical: UInt16) -> HLCTimestamp {
    HLCTimestamp(physicalMs: ms, logical: logical)
}

@Suite("Hybrid logical clock")
struct HybridLogicalClockTests {
    // MARK: - Readings

    @Test("a reading packs 48 bits of milliseconds and 16 bits of counter")
    func packing() {
        let reading = hlc(1_000, 3)
        #expect(reading.rawValue == 1_000 * 65_536 + 3)
        #expect(reading.physicalMs == 1_000)
        #expect(reading.logical == 3)
        let now = hlc(1_764_400_000_000, 65_535)
        #expect(now.physicalMs == 1_764_400_000_000)
        #expect(now.logical == 65_535)
        #expect(HLCTimestamp(rawValue: now.rawValue) == now)
        #expect(HLCTimestamp.zero.physicalMs == 0 && HLCTimestamp.zero.logical == 0)
    }

    @Test("readings order by milliseconds, then counter")
    func ordering() {
        #expect(hlc(1_000, 0) < hlc(1_000, 1))
        #expect(hlc(1_000, 65_535) < hlc(1_001, 0))
        #expect(hlc(999, 65_535) < hlc(1_000, 0))
        #expect(!(hlc(1_000, 1) < hlc(1_000, 1)))
        #expect(HLCTimestamp.zero < hlc(0, 1))
    }

    @Test("description is physicalMs.logical; JSON is the packed integer")
    func descriptionAndCoding() throws {
        #expect(hlc(1_764_400_000_000, 3).description == "1764400000000.3")
        let reading = hlc(1_764_400_000_000, 42)
        let data = try JSONEncoder().encode(reading)
        #expect(String(decoding: data, as: UTF8.self) == String(reading.rawValue))
        #expect(try JSONDecoder().decode(HLCTimestamp.self, from: data) == reading)
    }

    // MARK: - tick

    @Test("tick follows the wall clock when it moves forward")
    func tickFollowsWallClock() {
        var clock = HybridLogicalClock(last: .zero)
        #expect(clock.tick(wallMs: 1_000) == hlc(1_000, 0))
        #expect(clock.tick(wallMs: 1_005) == hlc(1_005, 0))
        #expect(clock.tick(wallMs: 2_000) == hlc(2_000, 0))
        #expect(clock.last == hlc(2_000, 0))
    }

    @Test("ticks within one millisecond count up")
    func tickSameMillisecond() {
        var clock = HybridLogicalClock(last: .zero)
        #expect(clock.tick(wallMs: 1_000) == hlc(1_000, 0))
        #expect(clock.tick(wallMs: 1_000) == hlc(1_000, 1))
        #expect(clock.tick(wallMs: 1_000) == hlc(1_000, 2))
        // The counter resets when the wall clock moves on.
        #expect(clock.tick(wallMs: 1_001) == hlc(1_001, 0))
    }

    @Test("the documented example")
    func documentedExample() {
        var clock = HybridLogicalClock(last: .zero)
        #expect(clock.tick(wallMs: 1_000) == hlc(1_000, 0))
        #expect(clock.tick(wallMs: 900) == hlc(1_000, 1))
        #expect(clock.receive(hlc(5_000, 2), wallMs: 1_001) == hlc(5_000, 3))
        #expect(clock.tick(wallMs: 1_002) == hlc(5_000, 4))
    }

    @Test("a clock resumed from a persisted reading never goes below it")
    func resume() {
        var clock = HybridLogicalClock(last: hlc(10_000, 7))
        #expect(clock.tick(wallMs: 5_000) == hlc(10_000, 8))
        #expect(clock.tick(wallMs: 10_000) == hlc(10_000, 9))
        #expect(clock.tick(wallMs: 10_001) == hlc(10_001, 0))
    }

    @Test("monotonic when the wall clock jumps backwards: many ticks with a decreasing wall clock strictly increase")
    func monotonicBackwards() {
        var clock = HybridLogicalClock(last: .zero)
        var previous = clock.tick(wallMs: 1_000_000)
        #expect(previous == hlc(1_000_000, 0))
        for step in 1...10_000 {
            let reading = clock.tick(wallMs: 1_000_000 - Int64(step))
            #expect(reading > previous)
            previous = reading
        }
        // The clock stayed on the highest wall-clock millisecond and counted.
        #expect(previous == hlc(1_000_000, 10_000))
        // A big jump back (e.g. NTP correction of a whole day) changes nothing either.
        let afterJump = clock.tick(wallMs: 1_000_000 - 86_400_000)
        #expect(afterJump == hlc(1_000_000, 10_001))
    }

    @Test("the logical counter rolls over at 65535 into the next millisecond")
    func counterOverflow() {
        var clock = HybridLogicalClock(last: hlc(1_000, 65_534))
        #expect(clock.tick(wallMs: 1_000) == hlc(1_000, 65_535))
        #expect(clock.tick(wallMs: 1_000) == hlc(1_001, 0))
        #expect(clock.tick(wallMs: 1_000) == hlc(1_001, 1))
        // When the wall clock catches up, it takes over again.
        #expect(clock.tick(wallMs: 1_002) == hlc(1_002, 0))
    }

    @Test("more than 65536 ticks in one wall-clock millisecond stay strictly increasing")
    func manyTicksOneMillisecond() {
        var clock = HybridLogicalClock(last: .zero)
        var previous = clock.tick(wallMs: 5_000)
        for _ in 0..<70_000 {
            let reading = clock.tick(wallMs: 5_000)
            if !(reading > previous) {
                Issue.record("\(reading) is not after \(previous)")
                break
            }
            previous = reading
        }
        // 70,001 readings: 65,536 in ms 5000 (0...65535), then 4,465 in ms 5001 (0...4464).
        #expect(previous == hlc(5_001, 4_464))
    }

    // MARK: - receive

    @Test("receiving a reading from the future moves the clock past it")
    func receiveFuture() {
        var clock = HybridLogicalClock(last: .zero)
        _ = clock.tick(wallMs: 1_000)
        let remote = hlc(9_000, 5)
        let after = clock.receive(remote, wallMs: 1_001)
        #expect(after > remote)
        #expect(after == hlc(9_000, 6))
        #expect(clock.last == after)
        // Later local events stay after the remote reading even though the wall clock is behind.
        let next = clock.tick(wallMs: 1_002)
        #expect(next == hlc(9_000, 7))
        #expect(next > remote)
    }

    @Test("receiving an old reading follows the wall clock when it is ahead of both")
    func receivePast() {
        var clock = HybridLogicalClock(last: hlc(1_000, 4))
        #expect(clock.receive(hlc(500, 9), wallMs: 2_000) == hlc(2_000, 0))
    }

    @Test("receiving an older reading while the local clock is ahead counts on from the local reading")
    func receiveBehindLocal() {
        var clock = HybridLogicalClock(last: hlc(3_000, 4))
        #expect(clock.receive(hlc(2_000, 9), wallMs: 100) == hlc(3_000, 5))
    }

    @Test("receiving a reading in the same millisecond moves past the larger counter")
    func receiveSameMillisecond() {
        var clock = HybridLogicalClock(last: hlc(3_000, 4))
        #expect(clock.receive(hlc(3_000, 9), wallMs: 3_000) == hlc(3_000, 10))
        var other = HybridLogicalClock(last: hlc(3_000, 9))
        #expect(other.receive(hlc(3_000, 4), wallMs: 3_000) == hlc(3_000, 10))
    }

    @Test("receiving a reading whose counter is full moves into the next millisecond")
    func receiveOverflow() {
        var clock = HybridLogicalClock(last: .zero)
        #expect(clock.receive(hlc(5_000, 65_535), wallMs: 10) == hlc(5_001, 0))
    }

    @Test("a sequence of sends and receives between two clocks keeps causality")
    func causality() {
        var a = HybridLogicalClock(last: .zero)
        var b = HybridLogicalClock(last: .zero)
        // b's wall clock is an hour behind a's.
        var message = a.tick(wallMs: 3_600_000)
        for round in 0..<100 {
            let received = b.receive(message, wallMs: Int64(round))
            #expect(received > message)
            let reply = b.tick(wallMs: Int64(round))
            #expect(reply > received)
            let back = a.receive(reply, wallMs: 3_600_000 + Int64(round))
            #expect(back > reply)
            message = a.tick(wallMs: 3_600_000 + Int64(round))
            #expect(message > back)
        }
    }

    // MARK: - ColumnVersion

    @Test("column versions order by clock first")
    func columnVersionClockFirst() {
        let earlier = ColumnVersion(hlc: hlc(1_000, 0), node: "130274")
        let later = ColumnVersion(hlc: hlc(1_000, 1), node: "130202")
        #expect(earlier < later)
        #expect(!(later < earlier))
        #expect(ColumnVersion(hlc: hlc(999, 65_535), node: "z") < ColumnVersion(hlc: hlc(1_000, 0), node: "a"))
    }

    @Test("column versions with the same reading are ordered by node")
    func columnVersionTieBrokenByNode() {
        let reading = hlc(1_000, 3)
        let lunan = ColumnVersion(hlc: reading, node: "130202")
        let lubei = ColumnVersion(hlc: reading, node: "130203")
        let city = ColumnVersion(hlc: reading, node: "city")
        #expect(lunan < lubei)
        #expect(!(lubei < lunan))
        #expect(lubei < city)
        #expect([city, lunan, lubei].sorted() == [lunan, lubei, city])
        #expect([city, lunan, lubei].max() == city)
        // Equal versions are neither before nor after each other.
        let same = ColumnVersion(hlc: reading, node: "130202")
        #expect(same == lunan)
        #expect(!(same < lunan) && !(lunan < same))
    }

    @Test("column version description and JSON round trip")
    func columnVersionCoding() throws {
        let version = ColumnVersion(hlc: hlc(1_764_400_000_000, 3), node: "130202")
        #expect(version.description == "1764400000000.3@130202")
        let data = try JSONEncoder().encode(version)
        #expect(try JSONDecoder().decode(ColumnVersion.self, from: data) == version)
    }
}
