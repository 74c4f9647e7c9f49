import SyncCore

/// The version of the sync protocol a county speaks, sent with every request in the
/// `Sync-Protocol` header (a county that sends none speaks 1, the protocol of release 0.10).
///
/// | version | release | what it added |
/// |---|---|---|
/// | 1 | 0.10 | push, pull, heartbeat, digest, snapshot |
/// | 2 | 0.11 | values frozen at the stamp; versioned deletes and tombstones in snapshots; heartbeat positions for city restores |
/// | 2 | 0.12 | optional fields only: the feed's seals and `POST /v1/return`, `afterHlc` on pulls, `pulledHlc`/`feedAgrees`, `epochBaseSeq`, the snapshot's `feedSeq` |
/// | 2 | 0.16 | optional field only: a change's `actor` (who made it), outside the checksum and the seal |
///
/// Every message of 2 reads as one of 1 and back (the fields 2 added are optional), so a city
/// serves counties of both while they are upgraded one by one. When every county is upgraded,
/// the city may refuse older ones (`min-protocol`): they get 426 `upgrade_needed`, and lose
/// nothing (their changes wait in their logs until the upgrade).
public enum ProtocolVersion {
    /// What this release speaks.
    public static let current = 2
    /// The request header that carries it.
    public static let header = "Sync-Protocol"
}

/// The HTTP status of a refused request, by its stable code (`ErrorCode`): one table for the
/// aggregator and for the in-process transport the protocol tests use.
public enum BatchRefusal {
    public static func httpStatus(ofCode code: String) -> Int {
        ErrorCode(rawValue: code)?.httpStatus ?? 400
    }
}
