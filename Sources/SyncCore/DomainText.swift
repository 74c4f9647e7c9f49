/// What free text may hold, wherever it comes from (a `syncctl` argument, a CSV file, a pushed
/// change): no control characters but tab and line feed, no bidirectional overrides (which make a name display as
/// something else), and no U+FFFD, which is what invalid UTF-8 becomes when it is decoded.
///
/// Every text a person enters is also bounded here, by the one limit every replica accepts for a
/// replicated value (`SyncLimits.textValueBytes`): a writer at either side (the CLI, the console,
/// a CSV import) refuses what a receiver would refuse, instead of writing a value that then stops
/// a county's pulls or a push.
public enum DomainText {
    /// Throws naming the field and the first character that is not allowed, or the text's size.
    public static func check(_ text: String, field: String) throws(DomainError) {
        let bytes = text.utf8.count
        guard bytes <= SyncLimits.textValueBytes else {
            throw .invalid(field: field, value: String(text.prefix(20)) + "…",
                           rule: "has \(bytes) bytes; at most \(SyncLimits.textValueBytes) are accepted (about 1,300 Chinese characters)")
        }
        guard mayHoldForbidden(text) else { return }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            let problem: String? = if value == 0x09 || value == 0x0A {
                nil  // tabs and line breaks in remarks are text
            } else if isControl(value) {
                "a control character (U+\(hex(scalar)))"
            } else if isBidiControl(value) {
                "a bidirectional-text control (U+\(hex(scalar)))"
            } else if value == 0xFFFD {
                "invalid UTF-8 (decoded as U+FFFD); check the file's or the terminal's encoding"
            } else {
                nil
            }
            if let problem {
                throw .invalid(field: field, value: String(text.prefix(20)), rule: "contains \(problem)")
            }
        }
    }

    /// A one-line value (a name, a host organisation, an industry) holds, beyond what `check`
    /// refuses, no tab or line break and no invisible format character (soft hyphen U+00AD,
    /// zero-width U+200B to U+200D, word joiner U+2060 to U+2064, U+FEFF, U+180E): two names that
    /// look the same must be the same text.
    public static func checkLine(_ text: String, field: String) throws(DomainError) {
        try check(text, field: field)
        guard text.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0xC2 || $0 == 0xE1 || $0 == 0xE2 || $0 == 0xEF }) else { return }
        for scalar in text.unicodeScalars {
            let problem: String? = switch scalar.value {
            case 0x09: "a tab"
            case 0x0A, 0x0D: "a line break"
            case let value where isInvisibleFormat(value): "an invisible character (U+\(hex(scalar)))"
            default: nil
            }
            if let problem {
                throw .invalid(field: field, value: String(text.prefix(20)), rule: "contains \(problem); a name is one line of visible text")
            }
        }
    }

    /// Whether `text` holds a byte that may begin a forbidden character: a control byte (tab and
    /// line feed aside), or the lead byte of C1 controls (0xC2), of U+061C (0xD8), of the
    /// U+200E...U+2069 controls (0xE2) or of U+FFFD (0xEF). Most text has none, and is judged
    /// from its bytes alone.
    private static func mayHoldForbidden(_ text: String) -> Bool {
        text.utf8.contains { byte in
            switch byte {
            case 0x09, 0x0A: false
            case 0x00...0x1F, 0x7F, 0xC2, 0xD8, 0xE2, 0xEF: true
            default: false
            }
        }
    }

    /// `text` as shown to a person (the console, the CLI's tables, the finance bureau's sheet):
    /// every character entry would refuse, that a raw write may still have put there, becomes a
    /// visible mark, `⟦U+202E⟧`, so a bidirectional override cannot turn a name around on screen
    /// and an invisible one cannot hide. Tabs and line breaks stay.
    public static func shown(_ text: String) -> String {
        guard text.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D) || $0 == 0x7F || $0 == 0xC2 || $0 == 0xD8
                                          || $0 == 0xE1 || $0 == 0xE2 || $0 == 0xEF }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let value = scalar.value
            let hidden = value != 0x09 && value != 0x0A && value != 0x0D && (isControl(value) || isBidiControl(value) || isInvisibleFormat(value))
            if hidden { out.append(contentsOf: "⟦U+\(hex(scalar))⟧".unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }

    /// C0 and C1 control characters (tab, line feed and carriage return among them).
    static func isControl(_ value: UInt32) -> Bool { value <= 0x1F || (0x7F...0x9F).contains(value) }

    /// Characters that reorder how text displays: embeddings, overrides, isolates, marks.
    static func isBidiControl(_ value: UInt32) -> Bool {
        (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) || value == 0x200E || value == 0x200F || value == 0x061C
    }

    /// Characters that show nothing: soft hyphen, zero-width ones, word joiners, the byte-order mark.
    static func isInvisibleFormat(_ value: UInt32) -> Bool {
        value == 0x00AD || value == 0x180E || (0x200B...0x200D).contains(value) || (0x2060...0x2064).contains(value) || value == 0xFEFF
    }

    private static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
