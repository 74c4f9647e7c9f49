/// Every stable error code the city answers with, and its HTTP status: one table for the
/// aggregator's errors, the store's refusals, the in-process transport and the client's
/// decisions. The wire carries the raw value (`ErrorBody.code`); a code this release does not
/// know (from a newer city) is still shown, as text.
public enum ErrorCode: String, Sendable, Hashable, CaseIterable {
    // The body or a query parameter is not a valid request.
    case badRequest = "bad_request"
    case invalidInput = "invalid_input"
    // A change fails the receiver's check: table, column, type, range, size; or a clock ahead.
    case malformedChange = "malformed_change"
    case clockAhead = "clock_ahead"
    case badClock = "bad_clock"
    // A batch that does not add up.
    case checksumMismatch = "checksum_mismatch"
    case badSequence = "bad_sequence"
    case nodeMismatch = "node_mismatch"
    case badNode = "bad_node"
    // The two histories disagree: the city lost changes, or the replica went back.
    case sequenceGap = "sequence_gap"
    case replicaDiverged = "replica_diverged"
    case feedCompacted = "feed_compacted"
    case feedDiverged = "feed_diverged"
    case noFeedKey = "no_feed_key"
    // Too much at once.
    case batchTooLarge = "batch_too_large"
    case payloadTooLarge = "payload_too_large"
    // This county's share of the city's work is taken: try again after `Retry-After`.
    case tooManyRequests = "too_many_requests"
    // The request's body did not arrive in time.
    case requestTimeout = "request_timeout"
    // Who may do what.
    case forbiddenCounty = "forbidden_county"
    case tooManyNodes = "too_many_nodes"
    case nodeRetired = "node_retired"
    case roleNotAllowed = "role_not_allowed"
    case unknownRole = "unknown_role"
    case unknownCounty = "unknown_county"
    case notACountyCertificate = "not_a_county_certificate"
    case notAnOperatorCertificate = "not_an_operator_certificate"
    case noClientCertificate = "no_client_certificate"
    case certificateRevoked = "certificate_revoked"
    case notAllowed = "not_allowed"
    // The server's side.
    case upgradeNeeded = "upgrade_needed"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case shuttingDown = "shutting_down"
    case denyListUnavailable = "deny_list_unavailable"
    // The city cannot write now: its disk is full or failing (a county's changes stay queued
    // and are sent again), or its database stayed locked by another process.
    case storageUnavailable = "storage_unavailable"
    case databaseBusy = "database_busy"
    case storageError = "storage_error"
    case internalError = "internal_error"

    /// The HTTP status this code is answered with.
    public var httpStatus: Int {
        switch self {
        case .badRequest, .invalidInput, .malformedChange, .clockAhead, .badClock, .checksumMismatch, .badSequence,
             .nodeMismatch, .badNode:
            400
        case .sequenceGap, .replicaDiverged, .feedCompacted, .feedDiverged, .noFeedKey: 409
        // (`notAllowed`, a workflow rule a decision breaks, is 409 too.)
        case .batchTooLarge, .payloadTooLarge: 413
        case .tooManyRequests: 429
        case .requestTimeout: 408
        case .forbiddenCounty, .tooManyNodes, .nodeRetired, .roleNotAllowed, .unknownRole, .unknownCounty, .notACountyCertificate,
             .notAnOperatorCertificate, .certificateRevoked:
            403
        case .notAllowed: 409
        case .noClientCertificate: 401
        case .upgradeNeeded: 426
        case .notFound: 404
        case .methodNotAllowed: 405
        case .shuttingDown, .denyListUnavailable, .storageUnavailable, .databaseBusy: 503
        case .storageError, .internalError: 500
        }
    }
}
