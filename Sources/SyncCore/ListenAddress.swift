import Foundation

/// A `HOST:PORT` setting (`listen`, `monitoring-listen`, `metrics-listen`): parsed once, the same
/// way for both binaries, brackets of an IPv6 host removed.
public struct ListenAddress: Sendable, Hashable {
    public let host: String
    public let port: Int

    /// Parses `text`; throws naming `key` when it is not HOST:PORT.
    public init(_ text: String, key: String) throws(ConfigurationError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw .invalid(key: key, reason: "expected HOST:PORT, not \(text)")
        }
        host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        self.port = port
    }

    /// Whether `host` names this machine only (127.0.0.0/8, ::1, localhost): what a plain-HTTP
    /// listener may bind, and what a plain-HTTP probe may ask.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return bare == "localhost" || bare == "::1" || (bare.hasPrefix("127.") && bare.split(separator: ".").count == 4
            && bare.split(separator: ".").allSatisfy { UInt8($0) != nil })
    }
}
