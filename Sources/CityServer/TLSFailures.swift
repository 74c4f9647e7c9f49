import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
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
        logger.notice("TLS handshake refused", metadata: [
            "sync.tls.reason": "\(reason)", "sync.peer": "\(peer?.description ?? "unknown")",
            "sync.error.message": "\(error)", "sync.tls.unlogged_since_last": "\(unlogged)",
        ])
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

/// Watches the TLS handler of each connection for handshake errors (see `TLSFailures`).
final class TLSErrorWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let failures: TLSFailures

    init(failures: TLSFailures) { self.failures = failures }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError {
            failures.record(error, peer: context.channel.remoteAddress)
        }
        context.fireErrorCaught(error)
    }
}

/// A child channel that adds a `TLSErrorWatcher` right behind the TLS handler of its base.
///
/// It also holds every connection to the `ConnectionGate`: refused at once over its bounds, and
/// closed when its handshake does not finish in time.
struct TLSWatchedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let failures: TLSFailures
    let gate: ConnectionGate

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard gate.admit() else {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ConnectionRefused())
        }
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let tls = try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
            try channel.pipeline.syncOperations.addHandler(TLSErrorWatcher(failures: failures), position: .after(tls))
            try channel.pipeline.syncOperations.addHandler(HandshakeDeadline(gate: gate), position: .after(tls))
            return value
        }.flatMapErrorThrowing { error in
            // Set-up failed before the deadline handler held the connection: release it here.
            if (try? channel.pipeline.syncOperations.handler(type: HandshakeDeadline.self)) == nil { gate.closed(handshaking: true) }
            channel.close(promise: nil)
            throw error
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 over TLS, with refused handshakes counted and logged.
    static func watchedTLS(idleTimeout: TimeAmount, tlsConfiguration: TLSConfiguration, failures: TLSFailures,
                           gate: ConnectionGate) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            let http = HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idleTimeout))
            return TLSWatchedChannel(base: try TLSChannel(http, tlsConfiguration: tlsConfiguration), failures: failures, gate: gate)
        }
    }
}
