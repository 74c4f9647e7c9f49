/// The TLS profile of every server County Sync runs (the aggregator, a county's console): TLS
/// 1.2 and up, and in TLS 1.2 one AEAD suite with forward secrecy per key type (EC, the default
/// of `Deploy/pki.sh`, or RSA). TLS 1.3 has AEAD suites only. Checked by `testssl.sh` in the suite.
public enum TLSProfile {
    /// The TLS 1.2 suites, in OpenSSL's notation.
    public static let tls12CipherSuites = ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"].joined(separator: ":")
}
