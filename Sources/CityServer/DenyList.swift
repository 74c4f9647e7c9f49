import Foundation
import Synchronization

/// Certificates the city has revoked: a file of serial numbers (hex, as `openssl x509 -serial`
/// prints them, `serial=` prefix and colons allowed), one per line, `#` comments. The file is
/// read again whenever it changes, so revoking a county takes effect without a restart.
final class DenyList: Sendable {
    private struct Loaded {
        /// Modification time, size and inode of the file as last read: any change means re-read
        /// (the time alone has a coarse granularity on some file systems).
        var stamp: String?
        var serials: Set<String> = []
    }

    let path: String?
    private let state = Mutex(Loaded())

    init(path: String?) throws {
        self.path = path
        if let path {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ConfigurationErrorBox("deny-list: cannot read \(path)")
            }
            _ = contains(serial: [])
        }
    }

    /// Whether a certificate serial is revoked.
    func contains(serial: [UInt8]) -> Bool {
        guard let path else { return false }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let stamp = attributes.map { "\($0[.modificationDate] ?? "")|\($0[.size] ?? "")|\($0[.systemFileNumber] ?? "")" }
        let serials = state.withLock { loaded -> Set<String> in
            if loaded.stamp != stamp || stamp == nil {
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                loaded.serials = Set(text.split(separator: "\n").compactMap(Self.normalize))
                loaded.stamp = stamp
            }
            return loaded.serials
        }
        return serials.contains(Self.hex(serial))
    }

    /// A serial as lower-case hex without leading zeros, the form `normalize` gives the file's lines.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = bytes.map { String(format: "%02x", $0) }.joined().drop { $0 == "0" }
        return digits.isEmpty ? "0" : String(digits)
    }

    static func normalize(_ line: Substring) -> String? {
        var text = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        text = text.trimmingCharacters(in: .whitespaces).lowercased()
        if text.hasPrefix("serial=") { text = String(text.dropFirst("serial=".count)) }
        text = text.replacingOccurrences(of: ":", with: "")
        while text.hasPrefix("0") && text.count > 1 { text.removeFirst() }
        guard !text.isEmpty, text.allSatisfy(\.isHexDigit) else { return nil }
        return text
    }
}

/// A configuration problem found while building the application.
struct ConfigurationErrorBox: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
