import Foundation
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import Synchronization

/// The aggregator's bound on connections, so that no one, with or without a certificate, can
/// take its file descriptors or hold its handshakes:
/// - at most `maxConnections` connections at once, below the process's descriptor limit by a
///   reserve the database, the log and the certificate files always keep;
/// - at most `maxHandshaking` connections that have not finished their TLS handshake (that have
///   not shown a certificate of the city CA);
/// - a handshake not finished within `handshakeTimeout` is closed.
///
/// A connection over a bound is closed as soon as it is accepted. (Release 0.15.0 had none of
/// these: about 1,000 idle TCP connections exhausted the default 1,024 descriptors, every
/// county's handshake timed out, and idle connections went only after 120 s.)
final class ConnectionGate: Sendable {
    /// Most connections at once.
    let maxConnections: Int
    /// Most connections still in their TLS handshake.
    let maxHandshaking: Int
    /// How long a handshake may take.
    let handshakeTimeout: TimeAmount
    private let counts = Mutex((open: 0, handshaking: 0, refused: 0))

    init(maxConnections: Int, maxHandshaking: Int, handshakeTimeout: TimeAmount) {
        self.maxConnections = maxConnections
        self.maxHandshaking = maxHandshaking
        self.handshakeTimeout = handshakeTimeout
    }

    /// Admits a new connection (open, handshaking) or refuses it.
    func admit() -> Bool {
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
    func handshakeDone() { counts.withLock { $0.handshaking -= 1 } }

    /// An admitted connection closed (`handshaking`: before its handshake finished).
    func closed(handshaking: Bool) {
        counts.withLock { counts in
            counts.open -= 1
            if handshaking { counts.handshaking -= 1 }
        }
    }

    /// Open and handshaking connections now, and how many were refused since the start.
    var snapshot: (open: Int, handshaking: Int, refused: Int) { counts.withLock { $0 } }

    /// Raises the process's soft descriptor limit to its hard limit and returns the soft limit
    /// then in force: a unit's `LimitNOFILE`, or the shell's `ulimit -n`.
    static func raiseDescriptorLimit() -> Int {
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
    static let reserve = 128
}

/// Closes a connection whose TLS handshake does not finish in time, and tells the gate when the
/// handshake finished or the connection closed. Sits right behind the TLS handler.
final class HandshakeDeadline: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    // Confined to the channel's event loop, as every handler is.
    typealias InboundIn = NIOAny
    private let gate: ConnectionGate
    private var deadline: Scheduled<Void>?
    private var handshaking = true
    private var counted = true

    init(gate: ConnectionGate) { self.gate = gate }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: gate.handshakeTimeout) { channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls, handshaking {
            handshaking = false
            deadline?.cancel()
            gate.handshakeDone()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
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
struct ConnectionRefused: Error {}
