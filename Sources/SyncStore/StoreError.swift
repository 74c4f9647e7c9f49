import Foundation
import SyncCore
import SyncProtocol

/// Errors of the replica databases, with the context a person needs to act on them.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// Input broke a domain rule; nothing was written.
    case invalidInput(DomainError)
    /// Several rows of one input broke rules; nothing was written. Each item is a line number and reason.
    case invalidRows([(line: Int, reason: String, reasonZh: String)])
    /// The database file does not exist.
    case missingDatabase(path: String)
    /// The file exists (or may) but cannot be opened: the reason names the cause (permission, not SQLite, ...).
    case cannotOpen(path: String, reason: String)
    /// `init` was asked to create a database over an existing file.
    case databaseExists(path: String)
    /// The file is a replica of another role (a city database where a county one was expected, ...).
    case wrongRole(path: String, expected: String, found: String)
    /// The operation is not allowed on this replica.
    case notAllowed(String)
    /// The decision was kept as pending: a second operator confirms or refuses it
    /// (`CityDatabase.confirmPending`). Nothing else was written.
    case awaitingSecondPerson(pending: Int64, message: String)
    /// A node tried to write rows it does not own (another county's); nothing was written.
    case forbidden(String)
    /// A pushed batch does not follow on from what the receiver has (a sequence gap or bad checksum).
    case badBatch(code: ErrorCode, message: String)
    /// SQLite refused or failed an operation.
    case sqlite(op: String, path: String, message: String)
    /// The filesystem holding the database is full; the transaction was rolled back.
    case diskFull(op: String, path: String)
    /// Another process held the database's write lock past the wait; nothing was written.
    case busy(op: String, path: String)

    /// One line for a person.
    /// One line in `language`: a refused input in the catalogue's words (`DomainError.text`),
    /// anything else as `description`.
    public func text(_ language: Language) -> String {
        switch self {
        case .invalidInput(let error): return error.text(language)
        case .invalidRows(let rows) where language == .zh:
            return "\(rows.count) 行有误，未导入任何一行：\n" + rows.map { "  第 \($0.line) 行：\($0.reasonZh)" }.joined(separator: "\n")
        default: return description
        }
    }

    public var description: String {
        switch self {
        case .invalidInput(let error): error.description
        case .invalidRows(let rows):
            "\(rows.count) bad row\(rows.count == 1 ? "" : "s"), nothing imported:\n"
                + rows.map { "  line \($0.line): \($0.reason)" }.joined(separator: "\n")
        case .missingDatabase(let path): "no database at \(path) (create one with `syncctl init`)"
        case .cannotOpen(let path, let reason): "cannot open \(path): \(reason)"
        case .databaseExists(let path): "\(path) already exists; refusing to overwrite it"
        case .wrongRole(let path, let expected, let found):
            switch found {
            case "non-SQLite": "\(path) is not a SQLite database (a damaged file, or another kind of file), not a \(expected) database; it was not changed"
            case "non-County-Sync": "\(path) is a SQLite database but not a County Sync replica (it has no replica table); it was not changed"
            default: "\(path) is a \(found) database, not a \(expected) database"
            }
        case .notAllowed(let message): message
        case .awaitingSecondPerson(_, let message): message
        case .forbidden(let message): message
        case .badBatch(_, let message): message
        case .sqlite(let op, let path, let message): "\(op) failed on \(path): \(message)"
        case .diskFull(let op, let path):
            "\(op) failed on \(path): the disk is full; nothing was written. Free space on the filesystem holding it and try again (a running county-syncd resumes by itself)"
        case .busy(let op, let path):
            "\(op) failed on \(path): another process held the database locked for more than 10 s; nothing was written. Try again when it is done"
        }
    }

    /// The operation that failed, where the error names one.
    public var operation: String? {
        switch self {
        case .sqlite(let op, _, _), .diskFull(let op, _), .busy(let op, _): op
        default: nil
        }
    }
}

extension StoreError {
    /// A change refused by `ChangeCheck`, refusing the whole request it came in.
    public init(_ refusal: ChangeRefusal) {
        switch refusal.code {
        case .forbiddenCounty: self = .forbidden("\(refusal); nothing was applied")
        case .malformedChange, .clockAhead: self = .badBatch(code: refusal.code.errorCode, message: "\(refusal); nothing was applied")
        }
    }
}

extension StoreError {
    /// The exit status of a daemon or aggregator that cannot start for this reason, so that
    /// the service units (`RestartPreventExitStatus=65 77 78`) do not restart it every few
    /// seconds for a cause only a person can remove:
    /// - 65 (EX_DATAERR): the database is missing, not SQLite, not a County Sync replica, the
    ///   other role, or damaged;
    /// - 77 (EX_NOPERM): it cannot be opened (permission);
    /// - 75 (EX_TEMPFAIL): another process syncs it now, or the disk is full (may pass; the unit
    ///   restarts after its delay).
    public var startupExitStatus: Int32 {
        switch self {
        case .missingDatabase, .wrongRole, .sqlite: 65
        case .cannotOpen(_, let reason): reason.contains("ermission") ? 77 : 65
        case .notAllowed, .diskFull, .busy: 75
        default: 65
        }
    }

    /// What to do about it, for the start-up line.
    public var startupFix: String {
        switch startupExitStatus {
        case 77: "give the service's user access to the file"
        case 75: "it may pass; the service restarts after its delay"
        default: "restore the database from its backup, or create one (syncctl init / a new city database)"
        }
    }
}
