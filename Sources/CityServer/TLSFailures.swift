import Foundation
import GatedTLS
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import Synchronization

/// TLS handshakes the aggregator refused (no client certificate, an unknown CA or an expired
/// certificate, a client that does not speak TLS): counted by reason for `/metrics`, and logged
/// with the peer's address, at most once a minute per reason (with how many were not logged).
final class TLSFailures: Sendable {
    private struct State {
        var counts: [String: Int] = [:]
        var lastLogged: [String: ContinuousClock.Instant] = [:]
        var unlogged: [String: Int] = [:]
    }

    private let state = Mutex(State())
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Failures so far, by reason.
    var counts: [String: Int] { state.withLock { $0.counts } }

    /// Records a refused handshake.
    func record(_ error: any Error, peer: SocketAddress?) {
        let reason = Self.reason(of: error)
        let now = ContinuousClock.now
        let unlogged: Int? = state.withLock { state in
            state.counts[reason, default: 0] += 1
            if let last = state.lastLogged[reason], now - last < .seconds(60) {
                state.unlogged[reason, default: 0] += 1
                return nil
            }
            state.lastLogged[reason] = now
            defer { state.unlogged[reason] = 0 }
            return state.unlogged[reason] ?? 0
        }
        guard let unlogged else { return }
        // One line in words: the reason, and for anything else BoringSSL's reason name alone
        // (its text carries the build machine's source path).
        logger.notice("TLS handshake refused", metadata: [
            "sync.tls.reason": "\(reason)", "sync.peer": "\(peer?.description ?? "unknown")",
            "sync.tls.cause": "\(Self.cause(of: error, reason: reason))", "sync.tls.unlogged_since_last": "\(unlogged)",
        ])
    }

    /// What happened, for a person.
    static func cause(of error: any Error, reason: String) -> String {
        switch reason {
        case "no_client_certificate": return "the client sent no certificate (the city requires one signed by its CA)"
        case "certificate_refused": return "the client's certificate is not signed by the city CA, or has expired"
        case "not_tls": return "the client did not speak TLS (plain HTTP to the HTTPS port?)"
        case "closed_during_handshake": return "the client closed the connection before the handshake finished"
        default:
            let text = "\(error)"
            guard let mark = text.range(of: "OPENSSL_internal:") else { return "the handshake failed" }
            let name = text[mark.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            return "the handshake failed (\(name))"
        }
    }

    /// A stable reason for a handshake error.
    static func reason(of error: any Error) -> String {
        let text = "\(error)".uppercased()
        if text.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE") || text.contains("CERTIFICATE_REQUIRED") { return "no_client_certificate" }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("UNKNOWN_CA") || text.contains("CERTIFICATE_EXPIRED") { return "certificate_refused" }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("HTTP_REQUEST") || text.contains("PACKET_LENGTH_TOO_LONG") { return "not_tls" }
        if text.contains("UNEXPECTEDEOF") || text.contains("UNCLEANSHUTDOWN") || text.contains("EOF") { return "closed_during_handshake" }
        return "other"
    }
}

/// Watches the TLS handler of each connection for handshake errors (see `TLSFailures`). Errors
/// after the handshake completed (a client gone without close_notify, a connection closed at
/// shutdown) are no refused handshake and are not counted.
final class TLSErrorWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let failures: TLSFailures
    private let handshakeDone = Atomic<Bool>(false)

    init(failures: TLSFailures) { self.failures = failures }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { handshakeDone.store(true, ordering: .relaxed) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !handshakeDone.load(ordering: .relaxed), error is NIOSSLError || error is BoringSSLError {
            failures.record(error, peer: context.channel.remoteAddress)
        }
        context.fireErrorCaught(error)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 over TLS, held to `gate`, with refused handshakes counted and logged.
    static func watchedTLS(idleTimeout: TimeAmount, tlsConfiguration: TLSConfiguration, failures: TLSFailures,
                           gate: ConnectionGate) -> HTTPServerBuilder {
        .gatedTLS(idleTimeout: idleTimeout, tlsConfiguration: tlsConfiguration, gate: gate) { [TLSErrorWatcher(failures: failures)] }
    }
}
