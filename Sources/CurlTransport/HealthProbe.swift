import CCurl
import Foundation
import SyncCore
import SyncProtocol

/// One GET of the aggregator's plain monitoring listener (`monitoring-listen`, loopback only):
/// what `syncctl status --check --health` asks at the city. Plain HTTP to a loopback address
/// only; anything else is refused before a connection is made.
public enum HealthProbe {
    /// The answer's status and body; throws naming the URL when nothing answered.
    public static func get(_ url: String, timeoutSeconds: Int = 5) throws -> (status: Int, body: Data) {
        guard let parsed = URL(string: url), parsed.scheme == "http", let host = parsed.host, ListenAddress.isLoopback(host) else {
            throw TransportError.configuration("--health must be the aggregator's monitoring listener on loopback, http://127.0.0.1:PORT/healthz (got \(url))")
        }
        _ = CurlHandle.globalInit
        guard let handle = curl_easy_init() else { throw TransportError.configuration("curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        let sink = ResponseSink()
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        _ = ccurl_setopt_string(handle, CURLOPT_URL, url)
        _ = ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http")
        _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutSeconds * 1_000)
        _ = ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, timeoutSeconds * 1_000)
        _ = ccurl_setopt_write_function(handle, curlWrite)
        _ = ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque())
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            throw TransportError.curl(op: "GET", url: url, code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)))
        }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return (status, sink.data)
    }
}
