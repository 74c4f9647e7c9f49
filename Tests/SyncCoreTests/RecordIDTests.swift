import Testing
import SyncCore

/// A wall-clock reading for a generator of the test's own: other suites, running at the same
/// time, use the process-wide one and cannot consume this one's counter.
private func freshMs() throws -> UInt64 { 1_764_400_000_000 }

private let hexDigits = Set("0123456789abcdef")

@Suite("Record ids (UUIDv7)", .serialized)
struct RecordIDTests {
    @Test("generated ids are canonical lower-case UUIDv7 strings")
    func format() {
        var seen = Set<String>()
        for _ in 0..<200 {
            let id = RecordID.generate()
            #expect(RecordID.isValid(id))
            #expect(id.count == 36)
            let characters = Array(id)
            for (index, character) in characters.enumerated() {
                if [8, 13, 18, 23].contains(index) {
                    #expect(character == "-", "\(id) at \(index)")
                } else {
                    #expect(hexDigits.contains(character), "\(id) at \(index)")
                }
            }
            #expect(characters[14] == "7", "version nibble of \(id)")
            #expect("89ab".contains(characters[19]), "RFC 9562 variant of \(id)")
            seen.insert(id)
        }
        #expect(seen.count == 200)
    }

    @Test("ids strictly increase when generated many times within the same millisecond")
    func sameMillisecond() throws {
        let now = try freshMs()
        let generator = RecordIDGenerator()
        let ids = (0..<10_000).map { _ in generator.next(nowMs: now) }
        for (earlier, later) in zip(ids, ids.dropFirst()) {
            if !(earlier < later) {
                Issue.record("\(later) does not sort after \(earlier)")
                break
            }
        }
        #expect(Set(ids).count == ids.count)
        let stamps = ids.compactMap(RecordID.timestampMs(of:))
        #expect(stamps.count == ids.count)
        // The 12-bit counter starts below 0x400, so at least 3,072 more ids fit in the first millisecond.
        #expect(stamps.prefix(3_000).allSatisfy { $0 == now })
        // When the counter is exhausted the generator borrows the next millisecond, never going back.
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(stamps.last! > now)
        #expect(stamps.last! <= now + 2)
    }

    @Test("ids strictly increase when the wall clock goes backwards")
    func clockGoesBackwards() throws {
        let now = try freshMs()
        let generator = RecordIDGenerator()
        let ids = (0..<1_000).map { step in generator.next(nowMs: now - UInt64(step) * 50) }
        for (earlier, later) in zip(ids, ids.dropFirst()) {
            if !(earlier < later) {
                Issue.record("\(later) does not sort after \(earlier)")
                break
            }
        }
        // The ids stay on the latest millisecond seen instead of following the clock back.
        #expect(ids.allSatisfy { RecordID.timestampMs(of: $0) == now })
        // And follow the clock again once it passes that millisecond.
        let later = generator.next(nowMs: now + 5)
        #expect(RecordID.timestampMs(of: later) == now + 5)
        #expect(ids.last! < later)
    }

    @Test("timestampMs(of:) returns the milliseconds given to generate(nowMs:)")
    func timestampRoundTrip() throws {
        let now = try freshMs()
        let generator = RecordIDGenerator()
        for offset: UInt64 in [0, 1, 17, 999, 86_400_000, 400 * 86_400_000] {
            let id = generator.next(nowMs: now + offset)
            #expect(RecordID.timestampMs(of: id) == now + offset, "\(id)")
        }
    }

    @Test("timestampMs(of:) decodes the first 48 bits", arguments: [
        // RFC 9562, appendix A.6: 2022-02-22 19:22:22.000 UTC.
        ("017f22e2-79b0-7cc3-98c4-dc0c0c07398f", UInt64(1_645_557_742_000)),
        ("00000000-0000-7000-8000-000000000000", 0),
        ("ffffffff-ffff-7fff-bfff-ffffffffffff", 281_474_976_710_655),
        ("019ac6f2-5c1e-7a03-9b1d-3f0e2a6c4d21", 0x019a_c6f2_5c1e),
    ])
    func timestampLiterals(id: String, ms: UInt64) {
        #expect(RecordID.timestampMs(of: id) == ms)
    }

    @Test("timestampMs(of:) is nil for other kinds of id", arguments: [
        "550e8400-e29b-41d4-a716-446655440000",  // version 4
        "017F22E2-79B0-7CC3-98C4-DC0C0C07398F",  // upper case
        "not-a-uuid",
        "",
    ])
    func timestampOfOtherIds(id: String) {
        #expect(RecordID.timestampMs(of: id) == nil)
    }

    @Test("isValid accepts only the canonical lower-case 8-4-4-4-12 form")
    func validity() {
        #expect(RecordID.isValid("017f22e2-79b0-7cc3-98c4-dc0c0c07398f"))
        #expect(RecordID.isValid("550e8400-e29b-41d4-a716-446655440000"))
        for invalid in [
            "017F22E2-79B0-7CC3-98C4-DC0C0C07398F",
            "017f22e2-79b0-7cc3-98c4-dc0c0c07398",
            "017f22e2-79b0-7cc3-98c4-dc0c0c07398f0",
            "017f22e279b07cc398c4dc0c0c07398f",
            "017f22e2_79b0_7cc3_98c4_dc0c0c07398f",
            "017f22e2-79b0-7cc3-98c4dc0c-0c07398f",
            "017f22e2-79b0-7cc3-98c4-dc0c0c07398g",
            "{17f22e2-79b0-7cc3-98c4-dc0c0c07398}",
            "",
        ] {
            #expect(!RecordID.isValid(invalid), "\(invalid)")
        }
    }
}
