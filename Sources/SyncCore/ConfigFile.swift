import Foundation

/// A bad configuration setting, naming the key.
public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The value of `key` is unusable.
    case invalid(key: String, reason: String)
    /// The file names a key the component does not know.
    case unknownKey(key: String, file: String, line: Int)
    /// The file cannot be read or parsed.
    case unreadable(file: String, reason: String)
    /// The value a file gives `key` on `line` is unusable.
    case invalidValue(key: String, file: String, line: Int, reason: String)

    /// The exit status of a process stopped by a configuration error (EX_CONFIG): service units
    /// list it in `RestartPreventExitStatus=`, so a bad setting does not restart forever.
    public static let exitCode: Int32 = 78

    /// One line for a person.
    public var description: String {
        switch self {
        case .invalid(let key, let reason): "configuration \(key): \(reason)"
        case .unknownKey(let key, let file, let line): "\(file):\(line): unknown key \(key)"
        case .unreadable(let file, let reason): "\(file): \(reason)"
        case .invalidValue(let key, let file, let line, let reason): "\(file):\(line): \(key): \(reason)"
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
    /// The line each key was set on.
    public let lines: [String: Int]
    /// The file's path.
    public let file: String

    /// Parses `text`; `allowed` lists the keys the component knows (nil: a reader of another
    /// component's file, which takes every key). Lines may end in LF or CRLF, and a UTF-8
    /// byte-order mark at the start is skipped (as Windows editors write them).
    public init(text: String, file: String, allowed: Set<String>?) throws(ConfigurationError) {
        var values: [String: String] = [:]
        var lines: [String: Int] = [:]
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        // "\r\n" is one Character in Swift: split on every kind of line break, not on "\n" alone.
        for (index, raw) in body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("[") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw .unreadable(file: file, reason: "line \(index + 1): expected key = value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard allowed?.contains(key) ?? true else { throw .unknownKey(key: key, file: file, line: index + 1) }
            if value.hasPrefix("\"") {
                guard value.count >= 2, value.hasSuffix("\"") else {
                    throw .unreadable(file: file, reason: "line \(index + 1): unterminated string")
                }
                value = String(value.dropFirst().dropLast())
            } else if let hash = value.firstIndex(of: "#") {
                value = value[..<hash].trimmingCharacters(in: .whitespaces)
            }
            values[key] = value
            lines[key] = index + 1
        }
        self.values = values
        self.lines = lines
        self.file = file
    }

    /// Reads and parses `path`.
    public init(path: String, allowed: Set<String>?) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path, reason: "cannot read the file") }
        guard let text = String(data: data, encoding: .utf8) else { throw .unreadable(file: path, reason: "not UTF-8 text") }
        try self.init(text: text, file: path, allowed: allowed)
    }

    /// An integer setting, or nil when absent; throws naming the file, line and key when it is not a number.
    public func integer(_ key: String) throws(ConfigurationError) -> Int? {
        guard let text = values[key] else { return nil }
        guard let value = Int(text) else {
            throw .invalidValue(key: key, file: file, line: lines[key] ?? 0, reason: "\(text) is not a whole number")
        }
        return value
    }

    /// `error` with this file's line of its key, when the file set that key.
    public func locate(_ error: ConfigurationError) -> ConfigurationError {
        guard case .invalid(let key, let reason) = error, let line = lines[key] else { return error }
        return .invalidValue(key: key, file: file, line: line, reason: reason)
    }
}

extension ConfigurationError {
    /// Stops a process on this error: one line on standard error, `PROGRAM: FILE:LINE: key: reason`
    /// when the file at `configPath` set the key, then exit status 78 (`exitCode`).
    public func exit(program: String, configPath: String?, allowed: Set<String>) -> Never {
        let file = configPath.flatMap { path in try? ConfigFile(path: path, allowed: allowed) }
        FileHandle.standardError.write(Data("\(program): \(file?.locate(self) ?? self)\n".utf8))
        Foundation.exit(Self.exitCode)
    }
}
