import Foundation

/// When an X.509 certificate in a PEM file stops being valid: its `notAfter`, read with a minimal
/// DER walk (certificate → to-be-signed → validity), so a county can warn before its certificate
/// expires without a TLS library of its own.
public enum CertificateExpiry {
    /// A certificate is renewed within this many days of its expiry: the daemon and the
    /// aggregator warn, and `status --check`, the console and the alert rules flag it.
    public static let warnDays = 30

    /// Whether a certificate that expires at `notAfterMs` is within `warnDays` of it, or past it,
    /// at `nowMs` (both ms since 1970).
    public static func expiresSoon(notAfterMs: Int64, nowMs: Int64) -> Bool {
        notAfterMs - nowMs < Int64(warnDays) * 86_400_000
    }

    /// `notAfter` of the first certificate in `pem`, or nil when it cannot be read.
    public static func notAfter(pem: String) -> Date? {
        let body = pem.components(separatedBy: "-----BEGIN CERTIFICATE-----").dropFirst().first?
            .components(separatedBy: "-----END CERTIFICATE-----").first?
            .filter { !$0.isWhitespace }
        guard let body, let der = Data(base64Encoded: body) else { return nil }
        return notAfter(der: [UInt8](der))
    }

    /// `notAfter` of a DER certificate.
    static func notAfter(der: [UInt8]) -> Date? {
        var reader = Reader(bytes: der[...])
        guard var certificate = reader.enter(tag: 0x30), var tbs = certificate.enter(tag: 0x30) else { return nil }
        if tbs.peek == 0xA0 { _ = tbs.skip() }            // [0] version
        guard tbs.skip(), tbs.skip(), tbs.skip() else { return nil }  // serial, signature algorithm, issuer
        guard var validity = tbs.enter(tag: 0x30), validity.skip() else { return nil }  // notBefore
        guard let (tag, value) = validity.element() else { return nil }
        let text = String(decoding: value, as: UTF8.self)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        switch tag {
        case 0x17: formatter.dateFormat = "yyMMddHHmmss'Z'"     // UTCTime
        case 0x18: formatter.dateFormat = "yyyyMMddHHmmss'Z'"   // GeneralizedTime
        default: return nil
        }
        return formatter.date(from: text)
    }

    /// A cursor over DER elements.
    struct Reader {
        var bytes: ArraySlice<UInt8>

        var peek: UInt8? { bytes.first }

        /// The next element's tag and contents, consumed.
        mutating func element() -> (UInt8, ArraySlice<UInt8>)? {
            guard let tag = bytes.popFirst(), let first = bytes.popFirst() else { return nil }
            var length = Int(first)
            if first & 0x80 != 0 {
                let count = Int(first & 0x7F)
                guard count > 0, count <= 4, bytes.count >= count else { return nil }
                length = bytes.prefix(count).reduce(0) { $0 << 8 | Int($1) }
                bytes = bytes.dropFirst(count)
            }
            guard bytes.count >= length else { return nil }
            defer { bytes = bytes.dropFirst(length) }
            return (tag, bytes.prefix(length))
        }

        /// Skips the next element.
        mutating func skip() -> Bool { element() != nil }

        /// A reader over the contents of the next element, which must have `tag`.
        mutating func enter(tag expected: UInt8) -> Reader? {
            guard let (tag, contents) = element(), tag == expected else { return nil }
            return Reader(bytes: contents)
        }
    }
}
