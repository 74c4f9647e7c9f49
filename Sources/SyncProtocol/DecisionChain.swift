import Crypto
import Foundation

/// The city's decision log as a hash chain: each entry carries the SHA-256 of the one before and
/// of its own fields, so an entry changed, removed or slipped in after the fact breaks every
/// hash from there on. `syncctl verify --decisions` checks the chain at the city; each pull
/// carries its head, and a county keeps the head it saw and asks for the hash at that entry
/// again on its next pull, so a history the city rewrote whole (hashes computed again) is found
/// by the counties.
///
/// ```swift
/// let hash = DecisionChain.hash(previous: DecisionChain.genesis, id: 1, atMs: 1_760_000_000_000, actor: "shell:root",
///                               action: "approve", table: "award", rowId: id, county: "130202", detail: "approved …")
/// ```
public enum DecisionChain {
    /// What the first entry chains to: 64 zeros.
    public static let genesis = String(repeating: "0", count: 64)

    /// The hash of one entry chained to `previous`, as 64 lower-case hex digits: SHA-256 over the
    /// previous hash and each field, every field preceded by its length in UTF-8 bytes, so no
    /// text can pass for a field boundary.
    public static func hash(previous: String, id: Int64, atMs: Int64, actor: String, action: String, table: String,
                            rowId: String, county: String, detail: String) -> String {
        var hasher = SHA256()
        for field in [previous, String(id), String(atMs), actor, action, table, rowId, county, detail] {
            let bytes = Array(field.utf8)
            hasher.update(data: Array("\(bytes.count):".utf8))
            hasher.update(data: bytes)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `text` has a hash's form (64 lower-case hex digits).
    public static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

/// One entry of the city's decision log as a pull names it: its id and chained hash.
public struct DecisionMark: Sendable, Hashable, Codable {
    public let id: Int64
    public let hash: String

    public init(id: Int64, hash: String) {
        self.id = id
        self.hash = hash
    }
}
