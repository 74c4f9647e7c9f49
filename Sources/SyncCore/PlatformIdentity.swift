import Foundation

/// When two registrations are likely one platform: the same category, and the same host (credit
/// code) or the same name once spaces, brackets, width and invisible characters are set aside.
/// The city recognises a platform with a likely duplicate only when an operator confirms they are
/// distinct (release 0.15.0 paid one academician workstation, registered in two counties, twice).
///
/// ```swift
/// PlatformIdentity.normalizedName("唐山（陶瓷） 重点实验室")   // "唐山(陶瓷)重点实验室"
/// PlatformIdentity.isLikelyDuplicate(a, of: b)
/// ```
public enum PlatformIdentity {
    /// `name` folded for comparison: compatibility forms (full-width letters, digits and
    /// brackets) to their plain ones, every kind of bracket to `(` `)`, and spaces and invisible
    /// format characters (U+200B, U+FEFF, U+2060, U+00AD) removed; Latin letters in lower case.
    public static func normalizedName(_ name: String) -> String {
        let folded = name.precomposedStringWithCompatibilityMapping.lowercased()
        var out = String.UnicodeScalarView()
        for scalar in folded.unicodeScalars {
            switch scalar.value {
            case 0x0009, 0x000A, 0x000D, 0x0020, 0x00A0, 0x3000, 0x00AD, 0x200B...0x200F, 0x2060, 0xFEFF: continue
            case 0x3010, 0x3014, 0x3016, 0x3008, 0x300A, 0x005B, 0x007B, 0xFF08: out.append("(")
            case 0x3011, 0x3015, 0x3017, 0x3009, 0x300B, 0x005D, 0x007D, 0xFF09: out.append(")")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// Whether `platform` is likely the same platform as `other`.
    public static func isLikelyDuplicate(_ platform: Platform, of other: Platform) -> Bool {
        platform.id != other.id && platform.category == other.category
            && (platform.creditCode == other.creditCode || normalizedName(platform.name) == normalizedName(other.name))
    }
}
