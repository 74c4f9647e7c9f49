import Foundation
import SyncCore

/// How the console writes times, ages and money: city time (Asia/Shanghai, UTC+8, no daylight
/// saving), ages in words, yuan grouped.
enum ConsoleFormat {
    /// `2026-11-30 21:45:03` at the city.
    static func time(_ ms: Int64?) -> String {
        guard let ms else { return "—" }
        var seconds = time_t(ms / 1000 + 8 * 3600)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// `5 min ago (2026-11-30 21:45:03)`, or `—` for never.
    static func ago(_ ms: Int64?, now: Int64) -> String {
        guard let ms else { return "—" }
        return "\(age(seconds: Int((now - ms) / 1000))) ago (\(time(ms)))"
    }

    /// `45 s`, `12 min`, `3 h`, `4 d`.
    static func age(seconds: Int) -> String {
        let seconds = max(0, seconds)
        switch seconds {
        case ..<90: return "\(seconds) s"
        case ..<(90 * 60): return "\(seconds / 60) min"
        case ..<(48 * 3600): return "\(seconds / 3600) h"
        default: return "\(seconds / 86_400) d"
        }
    }

    /// `1,234,567.00`.
    static func yuan(_ fen: Int64) -> String { Fen(rawValue: fen).grouped }

    /// A signed duration in seconds: `+3.2 s`, `-2 h`.
    static func offset(ms: Int64?) -> String {
        guard let ms else { return "—" }
        let sign = ms < 0 ? "-" : "+"
        let magnitude = abs(ms)
        if magnitude < 90_000 { return "\(sign)\(String(format: "%.1f", Double(magnitude) / 1000)) s" }
        return "\(sign)\(age(seconds: Int(magnitude / 1000)))"
    }
}
