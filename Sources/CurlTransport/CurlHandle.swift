import CCurl
import Foundation
import SyncProtocol

/// Where and how to reach the city: HTTPS only, the server always verified against `caFile`, the
/// client identified by its certificate and key.
public struct TransportConfiguration: Sendable, Hashable {
    /// The aggregator's base URL, e.g. `https://city.example:8443`.
    public var baseURL: String
    /// PEM file of the city CA that signed the server's certificate.
    public var caFile: String
    /// PEM file of this county's client certificate.
    public var certFile: String
    /// PEM file of the client certificate's private key.
    public var keyFile: String
    /// Connect timeout.
    public var connectTimeout: Duration = .seconds(10)
    /// Deadline for a whole request, body included.
    public var requestTimeout: Duration = .seconds(120)

    /// Creates a configuration.
    public init(baseURL: String, caFile: String, certFile: String, keyFile: String,
                connectTimeout: Duration = .seconds(10), requestTimeout: Duration = .seconds(120)) {
        self.baseURL = baseURL
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
    }

    /// Checks the URL and that the files exist; throws naming the bad setting.
    public func validate() throws {
        guard baseURL.lowercased().hasPrefix("https://") else {
            throw TransportError.configuration("city URL must be https:// (got \(baseURL)); there is no insecure mode")
        }
        for (key, path) in [("ca", caFile), ("cert", certFile), ("key", keyFile)] {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw TransportError.configuration("\(key): cannot read \(path)")
            }
        }
    }
}

/// One libcurl easy handle, reused for every request so the TLS session and connection stay
/// alive. Not thread-safe: `CurlTransport` confines it to one thread.
final class CurlHandle {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headers: UnsafeMutablePointer<curl_slist>?
    /// `headers` and `Content-Encoding: deflate`, for a compressed body.
    private var deflatedHeaders: UnsafeMutablePointer<curl_slist>?
    private let configuration: TransportConfiguration

    static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    init(_ configuration: TransportConfiguration) throws {
        _ = Self.globalInit
        try configuration.validate()
        guard let handle = curl_easy_init() else { throw TransportError.configuration("curl_easy_init failed") }
        self.handle = handle
        self.configuration = configuration
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        // libcurl would send `Expect: 100-continue` for large bodies and wait for an answer the
        // server never sends.
        let common = ["Content-Type: application/json", "Accept: application/json", "\(ProtocolVersion.header): \(ProtocolVersion.current)", "Expect:"]
        headers = common.reduce(nil) { curl_slist_append($0, $1) }
        deflatedHeaders = (common + ["Content-Encoding: deflate"]).reduce(nil) { curl_slist_append($0, $1) }
        try set(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        try set(ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "https"), "protocols")
        try set(ccurl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "https"), "redirect protocols")
        try set(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1), "verify peer")
        try set(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2), "verify host")
        try set(ccurl_setopt_string(handle, CURLOPT_CAINFO, configuration.caFile), "ca file")
        try set(ccurl_setopt_string(handle, CURLOPT_SSLCERT, configuration.certFile), "client certificate")
        try set(ccurl_setopt_string(handle, CURLOPT_SSLKEY, configuration.keyFile), "client key")
        try set(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "no signals")
        try set(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout)), "connect timeout")
        try set(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(configuration.requestTimeout)), "timeout")
        try set(ccurl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1), "keep-alive")
        try set(ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers), "headers")
        try set(ccurl_setopt_write_function(handle, curlWrite), "write function")
        try set(ccurl_setopt_header_function(handle, curlHeader), "header function")
        // Answers may come deflated (pull pages are large); libcurl inflates them.
        try set(ccurl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "deflate"), "accept encoding")
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headers)
        curl_slist_free_all(deflatedHeaders)
        errorBuffer.deallocate()
    }

    /// Performs one request (`deflated`: the body is deflated); returns the status, the body, and
    /// whether the answer says the city reads deflated request bodies (`Accept-Encoding: deflate`,
    /// RFC 7694). Throws on any libcurl failure.
    func perform(method: String, path: String, body: Data?, deflated: Bool = false) throws -> (status: Int, body: Data, readsDeflate: Bool, retryAfter: Int?) {
        let url = configuration.baseURL.trimmingSuffix("/") + path
        let sink = ResponseSink()
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        errorBuffer[0] = 0
        try set(ccurl_setopt_string(handle, CURLOPT_URL, url), "url")
        try set(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque()), "write data")
        try set(ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context.toOpaque()), "header data")
        try set(ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, deflated ? deflatedHeaders : headers), "headers")
        let code: CURLcode
        if let body, method == "POST" {
            try set(ccurl_setopt_long(handle, CURLOPT_POST, 1), "post")
            try set(ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "body size")
            code = body.withUnsafeBytes { bytes in
                // libcurl keeps this pointer: it is valid for exactly the duration of the perform.
                _ = ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(errorBuffer)))
                defer { _ = ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, nil) }
                return curl_easy_perform(handle)
            }
        } else {
            try set(ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1), "get")
            code = curl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw TransportError.curl(op: "\(method) \(path)", url: url, code: Int(code.rawValue), message: message)
        }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return (status, sink.data, sink.acceptsDeflate, sink.retryAfter)
    }

    private func set(_ code: CURLcode, _ what: String) throws {
        guard code == CURLE_OK else {
            throw TransportError.configuration("libcurl refused option \(what): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// Collects a response body, whether the answer says the city reads deflated bodies, and its
/// `Retry-After` in seconds.
final class ResponseSink {
    var data = Data()
    var acceptsDeflate = false
    var retryAfter: Int?
}

/// libcurl's header callback: notes `Accept-Encoding: deflate` and `Retry-After` (in seconds; the
/// HTTP-date form is not used by the city) in an answer.
private func curlHeader(_ bytes: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let bytes, let context else { return 0 }
    let line = String(decoding: UnsafeRawBufferPointer(start: bytes, count: size * count), as: UTF8.self).lowercased()
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    if line.hasPrefix("accept-encoding:"), line.contains("deflate") {
        sink.acceptsDeflate = true
    }
    if line.hasPrefix("retry-after:"), let seconds = Int(line.dropFirst("retry-after:".count).trimmingCharacters(in: .whitespacesAndNewlines)), seconds >= 0 {
        sink.retryAfter = seconds
    }
    return size * count
}

/// libcurl's write callback: appends to the `ResponseSink` passed as `CURLOPT_WRITEDATA`.
func curlWrite(_ bytes: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let bytes, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    sink.data.append(UnsafeRawPointer(bytes).assumingMemoryBound(to: UInt8.self), count: size * count)
    return size * count
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
