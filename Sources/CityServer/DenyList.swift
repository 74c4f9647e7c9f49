import Foundation
import Synchronization

/// Certificates the city has revoked: a file of serial numbers (hex, as `openssl x509 -serial`
/// prints them, `serial=` prefix and colons allowed), one per line, `#` comments. The file is
/// read again whenever it changes, so revoking a county takes effect without a restart.
final class DenyList: Sendable {
    private struct Loaded {
        var modified: Date?
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
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
        let serials = state.withLock { loaded -> Set<String> in
            if loaded.modified != modified || modified == nil {
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                loaded.serials = Set(text.split(separator: "\n").compactMap(Self.normalize))
                loaded.modified = modified
            }
            return loaded.serials
        }
        return serials.contains(Self.hex(serial))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let trimmed = bytes.drop { $0 == 0 }
        return trimmed.isEmpty ? "0" : trimmed.map { String(format: "%02x", $0) }.joined()
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
