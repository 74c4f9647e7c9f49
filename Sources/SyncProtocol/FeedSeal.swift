import Crypto
import Foundation
import SyncCore

/// The city's seal on the changes of its feed: an HMAC-SHA256 under a key the city keeps outside
/// its database (`feed-key`), over the change and the county it was sent to.
///
/// A county keeps the seal with every city change it applies. When the city is restored from a
/// backup older than some of its own decisions, the counties that pulled them give them back
/// (`POST /v1/return`), and the city takes only what carries its seal: a county, even one on a
/// compromised machine with a valid certificate, cannot make up a decision of the city, nor move one
/// to another county's row. The key survives the restore because it is not in `city.db`.
///
/// ```swift
/// let seal = try FeedSeal.loadOrCreate(at: "/etc/county-sync/feed.key")
/// let text = seal.seal(change, county: "130202")
/// seal.verify(text, of: change, county: "130202")   // true
/// ```
public struct FeedSeal: Sendable {
    private let key: SymmetricKey

    /// A seal with the given key (at least 32 bytes).
    public init(key bytes: [UInt8]) {
        precondition(bytes.count >= 32, "a feed key has at least 32 bytes")
        key = SymmetricKey(data: bytes)
    }

    /// A short, public fingerprint of the key (16 hex digits of its SHA-256): what the city
    /// database records, so a different or a new key is found at start.
    public var fingerprint: String {
        key.withUnsafeBytes { bytes in SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined() }
    }

    /// A seal with a fresh random key (tests, and `loadOrCreate`).
    public static func random() -> FeedSeal {
        FeedSeal(key: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// Reads the key file (64 hex digits), or creates it with a random key, mode 0600, when it does
    /// not exist. Throws a message naming the file when it exists and is not a key.
    public static func loadOrCreate(at path: String) throws(FeedKeyError) -> (seal: FeedSeal, created: Bool) {
        if let data = FileManager.default.contents(atPath: path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let bytes = hexBytes(text), bytes.count == 32 else {
                throw FeedKeyError(path: path, problem: "not a feed key (expected 64 hex digits on one line)")
            }
            return (FeedSeal(key: bytes), false)
        }
        if FileManager.default.fileExists(atPath: path) { throw FeedKeyError(path: path, problem: "cannot read it") }
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let text = bytes.map { String(format: "%02x", $0) }.joined() + "\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw FeedKeyError(path: path, problem: "cannot create it")
        }
        return (FeedSeal(key: bytes), true)
    }

    /// The seal of `change` as sent to `county`, as text (base64).
    public func seal(_ change: WireChange, county: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Self.canonical(change, county: county), using: key)).base64EncodedString()
    }

    /// Whether `seal` is this key's seal of `change` as sent to `county`.
    public func verify(_ seal: String, of change: WireChange, county: String) -> Bool {
        guard let code = Data(base64Encoded: seal), code.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: Self.canonical(change, county: county), using: key)
    }

    /// The sealed bytes: every field of the change but its feed seq (which a restored city hands
    /// out again), and the county. Fields are separated by NUL, which no field may contain.
    static func canonical(_ change: WireChange, county: String) -> Data {
        let fields = ["county-sync feed seal 1", county, change.table, change.rowId, change.op, String(change.hlc), change.node,
                      JSONText.values(change.values), JSONText.versions(change.bases)]
        return Data(fields.joined(separator: "\u{0}").utf8)
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}

/// The feed key file cannot be used.
public struct FeedKeyError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// What is wrong with it.
    public let problem: String

    public var description: String { "feed key \(path): \(problem)" }
}
