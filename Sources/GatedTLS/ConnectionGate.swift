import Foundation
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import Synchronization

/// A TLS server's bound on connections (the aggregator's, a county console's), so that no one,
/// with or without a certificate, can take its file descriptors or hold its handshakes:
/// - at most `maxConnections` connections at once, below the process's descriptor limit by a
///   reserve the database, the log and the certificate files always keep;
/// - at most `maxHandshaking` connections that have not finished their TLS handshake (that have
///   not shown a certificate of the city CA);
/// - a handshake not finished within `handshakeTimeout` is closed.
///
/// A connection over a bound is closed as soon as it is accepted. (Release 0.15.0 had none of
/// these: about 1,000 idle TCP connections exhausted the default 1,024 descriptors, every
/// county's handshake timed out, and idle connections went only after 120 s.)
public final class ConnectionGate: Sendable {
    /// Most connections at once.
    public let maxConnections: Int
    /// Most connections still in their TLS handshake.
    public let maxHandshaking: Int
    /// How long a handshake may take.
    public let handshakeTimeout: TimeAmount
    private let counts = Mutex((open: 0, handshaking: 0, refused: 0))

    public init(maxConnections: Int, maxHandshaking: Int, handshakeTimeout: TimeAmount) {
        self.maxConnections = maxConnections
        self.maxHandshaking = maxHandshaking
        self.handshakeTimeout = handshakeTimeout
    }

    /// Admits a new connection (open, handshaking) or refuses it.
    public func admit() -> Bool {
        counts.withLock { counts in
            guard counts.open < maxConnections, counts.handshaking < maxHandshaking else {
                counts.refused += 1
                return false
            }
            counts.open += 1
            counts.handshaking += 1
            return true
        }
    }

    /// A connection finished its handshake.
    public func handshakeDone() { counts.withLock { $0.handshaking -= 1 } }

    /// An admitted connection closed (`handshaking`: before its handshake finished).
    public func closed(handshaking: Bool) {
        counts.withLock { counts in
            counts.open -= 1
            if handshaking { counts.handshaking -= 1 }
        }
    }

    /// Open and handshaking connections now, and how many were refused since the start.
    public var snapshot: (open: Int, handshaking: Int, refused: Int) { counts.withLock { $0 } }

    /// Raises the process's soft descriptor limit to its hard limit and returns the soft limit
    /// then in force: a unit's `LimitNOFILE`, or the shell's `ulimit -n`.
    public static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// The descriptors kept for the database, the log, the listener, the certificate and
    /// deny-list files and SQLite's WAL, whatever the clients do.
    public static let reserve = 128
}

/// Closes a connection whose TLS handshake does not finish in time, and tells the gate when the
/// handshake finished or the connection closed. Sits right behind the TLS handler.
public final class HandshakeDeadline: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    // Confined to the channel's event loop, as every handler is.
    public typealias InboundIn = NIOAny
    private let gate: ConnectionGate
    private var deadline: Scheduled<Void>?
    private var handshaking = true
    private var counted = true

    public init(gate: ConnectionGate) { self.gate = gate }

    public func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: gate.handshakeTimeout) { channel.close(promise: nil) }
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls, handshaking {
            handshaking = false
            deadline?.cancel()
            gate.handshakeDone()
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    private func release() {
        deadline?.cancel()
        guard counted else { return }
        counted = false
        gate.closed(handshaking: handshaking)
    }
}


/// A connection refused by the `ConnectionGate`.
public struct ConnectionRefused: Error {}

/// A child channel held to a `ConnectionGate`: refused at once over its bounds, and closed when
/// its TLS handshake does not finish in time. `watchers` makes handlers placed right behind the
/// TLS handler (the aggregator counts refused handshakes there).
public struct GatedTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Base.Value
    let base: Base
    let gate: ConnectionGate
    let watchers: @Sendable () -> [any ChannelHandler & Sendable]

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard gate.admit() else {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ConnectionRefused())
        }
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let tls = try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
            for watcher in watchers() { try channel.pipeline.syncOperations.addHandler(watcher, position: .after(tls)) }
            try channel.pipeline.syncOperations.addHandler(HandshakeDeadline(gate: gate), position: .after(tls))
            return value
        }.flatMapErrorThrowing { error in
            // Set-up failed before the deadline handler held the connection: release it here.
            if (try? channel.pipeline.syncOperations.handler(type: HandshakeDeadline.self)) == nil { gate.closed(handshaking: true) }
            channel.close(promise: nil)
            throw error
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 over TLS, every connection held to `gate`, with `watchers` behind the TLS handler.
    public static func gatedTLS(idleTimeout: TimeAmount, tlsConfiguration: TLSConfiguration, gate: ConnectionGate,
                                watchers: @escaping @Sendable () -> [any ChannelHandler & Sendable] = { [] }) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            let http = HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idleTimeout))
            return GatedTLSChannel(base: try TLSChannel(http, tlsConfiguration: tlsConfiguration), gate: gate, watchers: watchers)
        }
    }
}
