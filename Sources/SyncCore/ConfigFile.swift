import Foundation

/// A bad configuration setting, naming the key.
public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The value of `key` is unusable.
    case invalid(key: String, reason: String)
    /// The file names a key the component does not know.
    case unknownKey(key: String, file: String, line: Int)
    /// The file cannot be read or parsed.
    case unreadable(file: String, reason: String)

    /// One line for a person.
    public var description: String {
        switch self {
        case .invalid(let key, let reason): "configuration \(key): \(reason)"
        case .unknownKey(let key, let file, let line): "\(file):\(line): unknown key \(key)"
        case .unreadable(let file, let reason): "\(file): \(reason)"
        }
    }
}

/// A configuration file of `key = value` lines (a TOML subset): `#` comments, values as bare
/// words, numbers or "double-quoted strings".
///
/// ```
/// # /etc/county-sync/county-syncd.conf
/// db = "/var/lib/county-sync/county.db"
/// city = "https://city.example:8443"
/// pull-interval = 10
/// ```
public struct ConfigFile: Sendable {
    /// The settings by key.
    public let values: [String: String]

    /// Parses `text`; `allowed` lists the keys the component knows.
    public init(text: String, file: String, allowed: Set<String>) throws(ConfigurationError) {
        var values: [String: String] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("[") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw .unreadable(file: file, reason: "line \(index + 1): expected key = value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard allowed.contains(key) else { throw .unknownKey(key: key, file: file, line: index + 1) }
            if value.hasPrefix("\"") {
                guard value.count >= 2, value.hasSuffix("\"") else {
                    throw .unreadable(file: file, reason: "line \(index + 1): unterminated string")
                }
                value = String(value.dropFirst().dropLast())
            } else if let hash = value.firstIndex(of: "#") {
                value = value[..<hash].trimmingCharacters(in: .whitespaces)
            }
            values[key] = value
        }
        self.values = values
    }

    /// Reads and parses `path`.
    public init(path: String, allowed: Set<String>) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path, reason: "cannot read the file") }
        try self.init(text: String(decoding: data, as: UTF8.self), file: path, allowed: allowed)
    }

    /// An integer setting, or nil when absent; throws naming the key when it is not a number.
    public func integer(_ key: String) throws(ConfigurationError) -> Int? {
        guard let text = values[key] else { return nil }
        guard let value = Int(text) else { throw .invalid(key: key, reason: "\(text) is not a whole number") }
        return value
    }
}
