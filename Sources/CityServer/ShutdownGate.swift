import Dispatch
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import Synchronization
import SyncCore
import SyncProtocol

/// Stops the aggregator taking new work the moment it is asked to stop (SIGTERM or SIGINT): from
/// then on every request, on a new connection or on a kept-alive one, is answered 503
/// `shutting_down` with `Connection: close`, while the requests already in flight finish. The
/// service group's graceful shutdown then closes the listener and the connections, and
/// `city-aggregator` logs that it stopped. So "stop the service, then copy city.db" is safe.
final class ShutdownGate: @unchecked Sendable {
    private let closing = Mutex(false)
    /// Set once in `init`, then only kept alive.
    private var sources: [any DispatchSourceSignal] = []
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
        for signalNumber in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in self?.close(signal: signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    /// Whether the aggregator is stopping.
    var isClosing: Bool { closing.withLock { $0 } }

    func close(signal: Int32) {
        let first = closing.withLock { closing -> Bool in
            defer { closing = true }
            return !closing
        }
        if first {
            SystemdNotify.send("STOPPING=1")
            logger.notice("stopping: new requests are refused; finishing those in flight", metadata: ["sync.signal": "\(signal)"])
        }
    }
}

/// Refuses every request once the aggregator is stopping (see `ShutdownGate`).
/// Refuses a county request of a protocol older than the city serves (`min-protocol`) with 426
/// `upgrade_needed`, before anything is read; a request without the header speaks version 1.
struct ProtocolGate<Context: RequestContext>: RouterMiddleware {
    let minimum: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard minimum > 1, request.uri.path.hasPrefix("/v1/") else { return try await next(request, context) }
        let spoken = request.headers[HTTPField.Name(ProtocolVersion.header)!].flatMap { Int($0) } ?? 1
        guard spoken < minimum else { return try await next(request, context) }
        return jsonResponse(ErrorBody(code: ErrorCode.upgradeNeeded.rawValue, message: "this county speaks sync protocol \(spoken); the city requires \(minimum) or later (County Sync 0.11 or later): upgrade county-syncd and syncctl; nothing is lost, the changes wait in the county's log"),
                            status: .upgradeRequired)
    }
}

struct ShutdownMiddleware<Context: RequestContext>: RouterMiddleware {
    let gate: ShutdownGate

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard gate.isClosing else { return try await next(request, context) }
        var response = jsonResponse(ErrorBody(code: ErrorCode.shuttingDown.rawValue, message: "the aggregator is stopping; try again in a moment"),
                                    status: .serviceUnavailable)
        response.headers[.connection] = "close"
        response.headers[.retryAfter] = "5"
        return response
    }
}
