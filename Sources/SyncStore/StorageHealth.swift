import Foundation
import GRDB
import Synchronization

/// Whether the database's writes are failing for a cause of the storage (a full disk, an I/O
/// error, a file gone read-only or damaged), as the running aggregator has seen them: the last
/// write decides. `/healthz`, the metrics, the alert and the console's banner read it, so a full
/// disk is reported as the city's trouble, not as a county's refused pushes.
public final class StorageHealth: Sendable {
    /// A storage failure: when, the operation, and the cause in words (no paths).
    public struct Failure: Sendable, Hashable {
        public let atMs: Int64
        public let op: String
        public let cause: String
    }

    private struct State {
        var failure: Failure?
        var failures: Int64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The failure that the writes since have not cleared, or nil when storage works.
    public var failing: Failure? { state.withLock { $0.failure } }

    /// Storage failures counted since start.
    public var failures: Int64 { state.withLock { $0.failures } }

    /// A write committed: whatever failed before works again.
    func succeeded() {
        state.withLock { if $0.failure != nil { $0.failure = nil } }
    }

    /// A write failed; counted when the cause is the storage's (`cause(of:)`).
    func failed(_ op: String, _ error: any Error) {
        guard let cause = Self.cause(of: error) else { return }
        let failure = Failure(atMs: Int64(Date().timeIntervalSince1970 * 1_000), op: op, cause: cause)
        state.withLock {
            $0.failure = failure
            $0.failures += 1
        }
    }

    /// The cause in words when `error` is the storage's (not a rule, a constraint or a busy
    /// lock, which say nothing about the disk), else nil.
    static func cause(of error: any Error) -> String? {
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL: return "the disk is full"
        case .SQLITE_IOERR: return "the disk reports an I/O error"
        case .SQLITE_READONLY: return "the database file is read-only"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return "the database file is damaged"
        case .SQLITE_CANTOPEN: return "the database file cannot be opened"
        default: return nil
        }
    }
}
