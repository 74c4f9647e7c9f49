import Foundation
import SyncCore
import SyncStore

/// "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago"; "never" for nil.
func ago(_ ms: Int64?, now: Int64 = CountyDatabase.wallClockMs()) -> String {
    guard let ms else { return "never" }
    let seconds = max(0, (now - ms) / 1000)
    switch seconds {
    case ..<5: return "just now"
    case ..<120: return "\(seconds) s ago"
    case ..<7_200: return "\(seconds / 60) min ago"
    case ..<172_800: return "\(seconds / 3_600) h ago"
    default: return "\(seconds / 86_400) d ago"
    }
}

/// A duration for people: "0 s", "42 s", "3 min", "5 h", "2 d".
func span(_ seconds: Int) -> String {
    switch seconds {
    case ..<120: "\(seconds) s"
    case ..<7_200: "\(seconds / 60) min"
    case ..<172_800: "\(seconds / 3_600) h"
    default: "\(seconds / 86_400) d"
    }
}

/// Parses "90", "90s", "30m", "2h", "1d" into seconds.
func parseDuration(_ text: String) throws -> Int {
    let units: [Character: Int] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
    let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
    let unit = trimmed.last.flatMap { units[$0] }
    guard let value = Int(unit == nil ? trimmed : String(trimmed.dropLast())), value >= 0 else {
        throw CLIError("duration \"\(text)\" is invalid: expected a number with s, m, h or d, e.g. 30m")
    }
    return value * (unit ?? 1)
}

/// Marks a line that needs attention when writing to a terminal.
func attention(_ text: String) -> String {
    isatty(STDOUT_FILENO) != 0 ? "\u{1B}[1;31m\(text)\u{1B}[0m" : text
}

