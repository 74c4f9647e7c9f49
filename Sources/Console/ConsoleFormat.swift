import Foundation
import SyncCore

/// How the console writes times, ages and money: city time (Asia/Shanghai, UTC+8, no daylight
/// saving), ages in words, yuan grouped.
public enum ConsoleFormat {
    /// `2026-11-30 21:45:03` at the city.
    public static func time(_ ms: Int64?) -> String {
        guard let ms else { return "—" }
        var seconds = time_t(ms / 1000 + 8 * 3600)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// `5 min ago (2026-11-30 21:45:03)`, or `—` for never.
    public static func ago(_ ms: Int64?, now: Int64) -> String {
        guard let ms else { return "—" }
        return "\(age(seconds: Int((now - ms) / 1000))) ago (\(time(ms)))"
    }

    /// `45 s`, `12 min`, `3 h`, `4 d`.
    public static func age(seconds: Int) -> String {
        let seconds = max(0, seconds)
        switch seconds {
        case ..<90: return "\(seconds) s"
        case ..<(90 * 60): return "\(seconds / 60) min"
        case ..<(48 * 3600): return "\(seconds / 3600) h"
        default: return "\(seconds / 86_400) d"
        }
    }

    /// `1,234,567.00`.
    public static func yuan(_ fen: Int64) -> String { Fen(rawValue: fen).grouped }

    /// A county's clock against the city's, with the side named rather than a sign to decode
    /// (`clockOffsetMs` is how far the county is behind; negative is ahead): `24 h 超前 ahead`,
    /// `3.2 s 滞后 behind`, `0.0 s 同步 in step`.
    public static func offset(ms: Int64?) -> String {
        guard let ms else { return "—" }
        let magnitude = abs(ms)
        let amount = magnitude < 90_000 ? "\(String(format: "%.1f", Double(magnitude) / 1000)) s" : age(seconds: Int(magnitude / 1000))
        if magnitude < 1_000 { return "\(amount) 同步 in step" }
        return ms < 0 ? "\(amount) 超前 ahead of the city" : "\(amount) 滞后 behind the city"
    }
}
