import Foundation
import Logging
import Synchronization

/// Certificates the city has revoked: a file of serial numbers (hex, as `openssl x509 -serial`
/// prints them, `serial=` prefix and colons allowed), one per line, `#` comments. The file is
/// read again whenever it changes, so revoking a county takes effect without a restart.
///
/// It fails closed. A file that cannot be read (gone, unreadable, not UTF-8) keeps the last list
/// read well in force, and the failure is logged once; before any list was read well, every
/// certificate is refused as `unavailable`.
final class DenyList: Sendable {
    /// What the list says of a certificate.
    enum Verdict: Equatable {
        case allowed
        case revoked
        /// No list was ever read well; the reason.
        case unavailable(String)
    }

    private struct Loaded {
        /// Modification time, size and inode of the file as last read: any change means re-read
        /// (the time alone has a coarse granularity on some file systems).
        var stamp: String?
        /// The last list read well, nil before one was.
        var serials: Set<String>?
        /// The current read failure, logged once when it starts.
        var failure: String?
    }

    let path: String?
    private let logger: Logger
    private let state = Mutex(Loaded())

    /// Reads the list at `path` (none: nothing is revoked); throws if it cannot be read now.
    init(path: String?, logger: Logger = Logger(label: "county-sync.deny-list")) throws {
        self.path = path
        self.logger = logger
        if let path, case .unavailable(let reason) = verdict(serial: []) {
            throw ConfigurationErrorBox("cannot read \(path): \(reason)")
        }
    }

    /// Whether a certificate serial is revoked, re-reading the file if it changed.
    func verdict(serial: [UInt8]) -> Verdict {
        guard let path else { return .allowed }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let stamp = attributes.map { "\($0[.modificationDate] ?? "")|\($0[.size] ?? "")|\($0[.systemFileNumber] ?? "")" }
        let serials = state.withLock { loaded -> Result<Set<String>, DenyListFailure> in
            if loaded.stamp != stamp || stamp == nil || loaded.serials == nil {
                switch Self.read(path) {
                case .success(let serials):
                    if loaded.failure != nil { logger.notice("deny list readable again", metadata: ["sync.deny_list": "\(path)"]) }
                    loaded.serials = serials
                    loaded.failure = nil
                    loaded.stamp = stamp
                case .failure(let failure):
                    if loaded.failure != failure.reason, loaded.serials != nil {
                        logger.error("cannot read the deny list; the last list read stays in force", metadata: [
                            "sync.deny_list": "\(path)", "sync.error.message": "\(failure.reason)",
                            "sync.deny_list.entries": "\(loaded.serials.map { String($0.count) } ?? "none ever read")",
                        ])
                    }
                    loaded.failure = failure.reason
                }
            }
            guard let serials = loaded.serials else { return .failure(DenyListFailure(reason: loaded.failure ?? "not read")) }
            return .success(serials)
        }
        switch serials {
        case .success(let serials): return serials.contains(Self.hex(serial)) ? .revoked : .allowed
        case .failure(let failure): return .unavailable(failure.reason)
        }
    }

    private struct DenyListFailure: Error {
        let reason: String
    }

    private static func read(_ path: String) -> Result<Set<String>, DenyListFailure> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(DenyListFailure(reason: FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"))
        }
        guard let text = String(data: data, encoding: .utf8) else { return .failure(DenyListFailure(reason: "not UTF-8 text")) }
        return .success(Set(text.split(separator: "\n").compactMap(normalize)))
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
