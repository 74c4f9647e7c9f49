import SyncCore

/// One change as it travels between replicas: a row's changed columns with their new values, the
/// version of the write and the version each column had before (its base).
public struct WireChange: Sendable, Hashable, Codable {
    /// The sender's sequence number (county change log seq, or city feed seq).
    public let seq: Int64
    /// `platform` or `award`.
    public let table: String
    /// The row's id.
    public let rowId: String
    /// `insert`, `update` or `delete`.
    public let op: String
    /// The write's hybrid clock reading.
    public let hlc: Int64
    /// The node that made the write.
    public let node: String
    /// New values of the changed columns.
    public let values: [String: ColumnValue]
    /// Base versions of the changed columns; a column never written before has none.
    public let bases: [String: ColumnVersion]
    /// Who made the write (`ChangeActor`), where the writer knew: optional, from release 0.16.
    /// Outside the checksum and the feed's seal, so a sender of 0.15 or earlier, which knows
    /// nothing of it, checks the same; a returned change's actor is not taken back.
    public let actor: String?

    /// Creates a wire change.
    public init(seq: Int64, table: String, rowId: String, op: String, hlc: Int64, node: String,
                values: [String: ColumnValue], bases: [String: ColumnVersion], actor: String? = nil) {
        self.seq = seq
        self.table = table
        self.rowId = rowId
        self.op = op
        self.hlc = hlc
        self.node = node
        self.values = values
        self.bases = bases
        self.actor = actor
    }

    /// The version every column of this change gets.
    public var version: ColumnVersion { ColumnVersion(hlc: HLCTimestamp(rawValue: hlc), node: node) }
}

/// `POST /v1/push`: a contiguous run of a county's change log.
public struct PushRequest: Sendable, Hashable, Codable {
    /// The sending node (must be the certificate's county's node).
    public let node: String
    /// First sequence number in the batch.
    public let firstSeq: Int64
    /// Last sequence number in the batch.
    public let lastSeq: Int64
    /// The changes, in sequence order.
    public let changes: [WireChange]
    /// `Checksum.of(changes)`, so a damaged batch is refused whole.
    public let checksum: String
    /// The seq this node's history starts after (0 for a replica's first node; the seq a new
    /// epoch began at). A city that does not know the node and is sent a batch starting past it
    /// lost the node's earlier changes (it was restored from a backup), and says so
    /// (`sequence_gap`) instead of taking the batch as the node's first.
    public let epochBaseSeq: Int64?

    /// Creates a batch and its checksum.
    public init(node: String, changes: [WireChange], epochBaseSeq: Int64? = nil) {
        self.node = node
        self.firstSeq = changes.first?.seq ?? 0
        self.lastSeq = changes.last?.seq ?? 0
        self.changes = changes
        self.checksum = Checksum.of(changes)
        self.epochBaseSeq = epochBaseSeq
    }

    /// A batch as read from the wire, its checksum as sent.
    init(node: String, firstSeq: Int64, lastSeq: Int64, changes: [WireChange], checksum: String, epochBaseSeq: Int64?) {
        self.node = node
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.changes = changes
        self.checksum = checksum
        self.epochBaseSeq = epochBaseSeq
    }
}

/// What happened to one pushed change.
public struct ChangeOutcome: Sendable, Hashable, Codable {
    /// How the receiver applied a change.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Fast-forward: no concurrent edit.
        case applied
        /// Concurrent edits merged with no differing values, or a re-delivery.
        case merged
        /// Concurrent edits with differing values: the loser is in the conflicts table.
        case conflict
        /// Refused (invalid, or a workflow rule): kept in the parked table, not retried.
        case parked
    }

    /// The change's sequence number.
    public let seq: Int64
    /// What happened.
    public let outcome: Kind
    /// For parked changes: a stable reason code (`award_approved`, `invalid`, `city_owned_column`, ...).
    public let reason: String?
    /// For parked changes: a sentence for a person.
    public let message: String?

    /// The reason as a `ParkReason`, when it is one this release knows (a newer city may send others).
    public var parkReason: ParkReason? { reason.flatMap(ParkReason.init(rawValue:)) }

    /// Creates an outcome.
    public init(seq: Int64, outcome: Kind, reason: String? = nil, message: String? = nil) {
        self.seq = seq
        self.outcome = outcome
        self.reason = reason
        self.message = message
    }
}

/// The answer to a push.
public struct PushResponse: Sendable, Hashable, Codable {
    /// The node's new high-water mark: every change up to it is at the city.
    public let highWater: Int64
    /// One outcome per change that was new to the city (re-delivered ones are skipped).
    public let outcomes: [ChangeOutcome]

    /// Creates a response.
    public init(highWater: Int64, outcomes: [ChangeOutcome]) {
        self.highWater = highWater
        self.outcomes = outcomes
    }
}

/// The answer to `GET /v1/pull?after=CURSOR&limit=N`: city changes to the county's rows.
public struct PullResponse: Sendable, Hashable, Codable {
    /// The changes after the cursor, in order.
    public let changes: [WireChange]
    /// The cursor to ask from next (the last change's seq, or the request's cursor if none).
    public let cursor: Int64
    /// Whether more changes wait after this page.
    public let more: Bool
    /// The city's seal of each change (`FeedSeal`), in the order of `changes`; absent from a city
    /// with no feed key. A county keeps them, so it can give the city back its own changes after
    /// the city was restored from a backup that predates them.
    public let seals: [String]?
    /// The last entry of the city's decision log (`DecisionChain`), when it has one.
    public let decisionHead: DecisionMark?
    /// The entry the county asked about (`decisionsSeen`, the head it saw before) as the city's
    /// log holds it now; absent when the log no longer holds it.
    public let decisionAt: DecisionMark?

    /// Creates a response.
    public init(changes: [WireChange], cursor: Int64, more: Bool, seals: [String]? = nil,
                decisionHead: DecisionMark? = nil, decisionAt: DecisionMark? = nil) {
        self.changes = changes
        self.cursor = cursor
        self.more = more
        self.seals = seals
        self.decisionHead = decisionHead
        self.decisionAt = decisionAt
    }
}

/// One of the city's own changes as a county received it, with the city's seal.
public struct SealedChange: Sendable, Hashable, Codable {
    /// The change, exactly as the city's feed sent it.
    public let change: WireChange
    /// The city's seal of it.
    public let seal: String

    /// Creates a sealed change.
    public init(change: WireChange, seal: String) {
        self.change = change
        self.seal = seal
    }
}

/// `POST /v1/return`: after the city was restored from a backup, a county gives back the city's
/// own changes it had pulled and the restore took from the city. Only changes the city sealed are
/// taken (`FeedSeal`), so a county cannot pass off a value as the city's decision.
public struct ReturnRequest: Sendable, Hashable, Codable {
    /// The sending node.
    public let node: String
    /// The city's changes, in the order the county applied them.
    public let changes: [SealedChange]

    /// Creates a request.
    public init(node: String, changes: [SealedChange]) {
        self.node = node
        self.changes = changes
    }
}

/// The answer to a return: what became of each change (by its feed seq), as for a push.
public struct ReturnResponse: Sendable, Hashable, Codable {
    /// One outcome per change.
    public let outcomes: [ChangeOutcome]

    /// Creates a response.
    public init(outcomes: [ChangeOutcome]) {
        self.outcomes = outcomes
    }
}

/// `POST /v1/heartbeat`: how the county is doing, so the city sees who is behind without asking.
public struct Heartbeat: Sendable, Hashable, Codable {
    /// The sending node.
    public let node: String
    /// Changes not yet acknowledged.
    public let pending: Int
    /// Age of the oldest unacknowledged change, in seconds (0 when none).
    public let oldestPendingAgeSeconds: Int
    /// The last sync error, if the last attempt failed.
    public let lastError: String?
    /// The county's measured offset of its clock from the city's (ms, city minus county), if measured.
    public let clockOffsetMs: Int64?
    /// The highest seq of this node the city ever acknowledged to it: beyond the city's mark, the
    /// city lost acknowledged changes (it was restored from a backup) and the county re-sends them.
    public let acknowledgedSeq: Int64?
    /// The city feed position the county has applied up to.
    public let pulledSeq: Int64?
    /// The clock reading of the city change at that position, as the county applied it: a city
    /// restored from a backup may have handed the position out again to another change.
    public let pulledHlc: Int64?

    /// Creates a heartbeat.
    public init(node: String, pending: Int, oldestPendingAgeSeconds: Int, lastError: String?, clockOffsetMs: Int64? = nil,
                acknowledgedSeq: Int64? = nil, pulledSeq: Int64? = nil, pulledHlc: Int64? = nil) {
        self.node = node
        self.pending = pending
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
        self.lastError = lastError
        self.clockOffsetMs = clockOffsetMs
        self.acknowledgedSeq = acknowledgedSeq
        self.pulledSeq = pulledSeq
        self.pulledHlc = pulledHlc
    }
}

/// The answer to a heartbeat: the city's view of this node.
public struct HeartbeatResponse: Sendable, Hashable, Codable {
    /// The node's high-water mark at the city.
    public let highWater: Int64
    /// The city's clock, so a county can see how far its own is off.
    public let cityTimeMs: Int64
    /// The city feed's last seq: below the county's pull position, the city went back in time
    /// (restored from a backup), and the county pulls on from here.
    public let feedSeq: Int64?
    /// Whether the city's feed holds, at the county's pull position, the change the county
    /// applied there (false: the city went back in time and handed the position out again);
    /// absent when the heartbeat named no position.
    public let feedAgrees: Bool?

    /// Creates a response.
    public init(highWater: Int64, cityTimeMs: Int64, feedSeq: Int64? = nil, feedAgrees: Bool? = nil) {
        self.highWater = highWater
        self.cityTimeMs = cityTimeMs
        self.feedSeq = feedSeq
        self.feedAgrees = feedAgrees
    }
}

/// Every error the aggregator returns: a stable code for programs and a message for people.
public struct ErrorBody: Sendable, Hashable, Codable, Error {
    /// Stable, snake_case: `forbidden_county`, `bad_request`, `payload_too_large`, ...
    public let code: String
    /// A sentence for a person.
    public let message: String
    /// The answer's `Retry-After` header in seconds, where it had one (429, 503): not part of
    /// the JSON body; the transport sets it from the header.
    public var retryAfterSeconds: Int?
    /// The city's id of the request (`X-Request-Id`), which its log lines carry too: what to give
    /// the city's IT staff to find what happened.
    public var requestId: String?
    /// The same in Chinese, from the message catalogue: a refused input's own message where the
    /// catalogue has one (`DomainError.refused`), else what the code means (`ErrorCode.zh`).
    /// Optional (release 0.16); a code the catalogue does not know has none.
    public var messageZh: String?

    private enum CodingKeys: String, CodingKey {
        case code, message, requestId, messageZh
    }

    /// The code as an `ErrorCode`, when it is one this release knows.
    public var errorCode: ErrorCode? { ErrorCode(rawValue: code) }

    /// Creates an error body.
    public init(code: String, message: String, retryAfterSeconds: Int? = nil, messageZh: String? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.messageZh = messageZh ?? ErrorCode(rawValue: code)?.zh
    }

    /// The message in `language`: the Chinese where there is one.
    public func text(_ language: Language) -> String {
        guard language == .zh, let messageZh else { return message }
        return "\(messageZh)（\(message)）"
    }
}

/// FNV-1a (64-bit) over a canonical rendering of a batch's changes: cheap, deterministic, and
/// the same on both sides, so a batch damaged or assembled wrongly is refused whole.
public enum Checksum {
    /// The checksum of `changes`, as 16 hex digits.
    public static func of(_ changes: [WireChange]) -> String {
        var hash = FNV1a()
        for change in changes { hash.mix(change) }
        return hash.hex
    }

    /// The checksum of one change (`of([change])`, without the array).
    public static func of(_ change: WireChange) -> String {
        var hash = FNV1a()
        hash.mix(change)
        return hash.hex
    }

    /// `of(changes)` and `of(change)` of each change, from one rendering of the changes: what a
    /// receiver checks a batch against and what it records of each change.
    public static func ofEach(_ changes: [WireChange]) -> (batch: String, each: [String]) {
        var hash = FNV1a()
        var each: [String] = []
        each.reserveCapacity(changes.count)
        for change in changes {
            hash.startChange()
            hash.mix(change)
            each.append(FNV1a.hex(hash.change))
        }
        return (hash.hex, each)
    }
}

/// FNV-1a over the canonical rendering `Checksum` defines: each field's text followed by a
/// separator byte; values as SQL prints them (`NULL`, `42`, `'text'`), versions as `ms.logical@node`.
/// Written without building the strings, so it costs no allocation per field.
struct FNV1a {
    private static let basis: UInt64 = 0xcbf2_9ce4_8422_2325
    private(set) var hash: UInt64 = basis
    /// The same hash over what was mixed since `startChange()`.
    private(set) var change: UInt64 = basis

    private mutating func byte(_ byte: UInt8) {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
        change ^= UInt64(byte)
        change = change &* 0x0000_0100_0000_01B3
    }

    /// Starts `change` again, for the next change of a batch.
    mutating func startChange() { change = Self.basis }

    private mutating func bytes(_ text: String) {
        var text = text
        text.withUTF8 { for value in $0 { byte(value) } }
    }

    private mutating func digits(_ value: Int64) {
        if value < 0 {
            byte(UInt8(ascii: "-"))
            guard value != Int64.min else { bytes("9223372036854775808"); return }
        }
        var magnitude = value.magnitude
        var divisor: UInt64 = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            byte(UInt8(ascii: "0") + UInt8(magnitude / divisor))
            magnitude %= divisor
            divisor /= 10
        }
    }

    private mutating func end() {
        byte(0x1F)
    }

    private mutating func field(_ text: String) {
        bytes(text)
        end()
    }

    private mutating func field(_ value: Int64) {
        digits(value)
        end()
    }

    private mutating func field(_ value: ColumnValue) {
        switch value {
        case .null: bytes("NULL")
        case .integer(let integer): digits(integer)
        case .text(let text):
            byte(UInt8(ascii: "'"))
            bytes(text)
            byte(UInt8(ascii: "'"))
        }
        end()
    }

    private mutating func field(_ version: ColumnVersion) {
        digits(version.hlc.physicalMs)
        byte(UInt8(ascii: "."))
        digits(Int64(version.hlc.logical))
        byte(UInt8(ascii: "@"))
        bytes(version.node)
        end()
    }

    mutating func mix(_ change: WireChange) {
        field(change.seq); field(change.table); field(change.rowId); field(change.op)
        field(change.hlc); field(change.node)
        // Most changes carry every column of their table: their sorted keys are known already.
        if !mixAll(change.values, Self.sortedColumns[change.table]) {
            for key in change.values.keys.sorted() { field(key); field(change.values[key]!) }
        }
        for key in change.bases.keys.sorted() { field(key); field(change.bases[key]!) }
    }

    /// Mixes `values` in the order of `sorted` if they hold exactly those keys; false, having
    /// mixed nothing, if not.
    private mutating func mixAll(_ values: [String: ColumnValue], _ sorted: [String]?) -> Bool {
        guard let sorted, values.count == sorted.count else { return false }
        var copy = self
        for key in sorted {
            guard let value = values[key] else { return false }
            copy.field(key)
            copy.field(value)
        }
        self = copy
        return true
    }

    /// Each replicated table's columns in sorted order.
    private static let sortedColumns: [String: [String]] = [
        "platform": ReplicatedSchema.platform.map(\.name).sorted(),
        "award": ReplicatedSchema.award.map(\.name).sorted(),
    ]

    /// 16 hex digits.
    var hex: String { Self.hex(hash) }

    /// `value` as 16 hex digits.
    static func hex(_ value: UInt64) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// One bucket of a county's rows of one table: how many and their FNV-1a digest.
public struct DigestBucket: Sendable, Hashable, Codable {
    /// The last hex digit of the ids in the bucket.
    public let bucket: String
    /// Rows in the bucket.
    public let count: Int
    /// 16 hex digits.
    public let hash: String

    /// Creates a bucket digest.
    public init(bucket: String, count: Int, hash: String) {
        self.bucket = bucket
        self.count = count
        self.hash = hash
    }
}

/// `GET /v1/digest`: the city's digests of the county's rows, per table, in 16 buckets.
public struct DigestResponse: Sendable, Hashable, Codable {
    /// Table name → its buckets.
    public let tables: [String: [DigestBucket]]

    /// Creates a response.
    public init(tables: [String: [DigestBucket]]) { self.tables = tables }
}

/// `GET /v1/digest?table=T&bucket=B`: each row's hash in one bucket, to name the rows that differ.
public struct RowHashesResponse: Sendable, Hashable, Codable {
    /// Row id → 16 hex digits.
    public let rows: [String: String]

    /// Creates a response.
    public init(rows: [String: String]) { self.rows = rows }
}

/// One row of a county as the city holds it, with each column's version: what a county whose
/// history diverged (a restore from backup) merges to get back everything the city has.
public struct SnapshotRow: Sendable, Hashable, Codable {
    /// `platform` or `award`.
    public let table: String
    /// The row's id.
    public let rowId: String
    /// Every column's value.
    public let values: [String: ColumnValue]
    /// Every column's version.
    public let versions: [String: ColumnVersion]
    /// The city's seal of each of its own writes in the row (`cityWrites`), by clock reading;
    /// absent from a city with no feed key. A county keeps them as it keeps the feed's seals.
    public let seals: [String: String]?

    /// Creates a snapshot row.
    public init(table: String, rowId: String, values: [String: ColumnValue], versions: [String: ColumnVersion], seals: [String: String]? = nil) {
        self.table = table
        self.rowId = rowId
        self.values = values
        self.versions = versions
        self.seals = seals
    }

    /// The row's columns written by the city, as one change per version, oldest first: what a
    /// county gives back, sealed, if the city loses them to a restore from backup.
    public func cityWrites() -> [WireChange] {
        var groups: [ColumnVersion: [String: ColumnValue]] = [:]
        for (column, version) in versions where NodeRole(node: version.node) == .city {
            if let value = values[column] { groups[version, default: [:]][column] = value }
        }
        return groups.sorted { $0.key < $1.key }.map { version, columns in
            WireChange(seq: 0, table: table, rowId: rowId, op: "update", hlc: version.hlc.rawValue,
                       node: version.node, values: columns, bases: [:])
        }
    }
}

/// A row the city deleted: its id and the version of the delete.
public struct SnapshotTombstone: Sendable, Hashable, Codable {
    /// The deleted row's id.
    public let rowId: String
    /// The version (clock reading and node) of the delete.
    public let version: ColumnVersion

    /// Creates a tombstone.
    public init(rowId: String, version: ColumnVersion) {
        self.rowId = rowId
        self.version = version
    }
}

/// `GET /v1/snapshot?table=T&after=ID&limit=N`: a page of the county's rows of one table, by id,
/// live rows and tombstones together (the ids of both after `after`, at most `limit` in all).
public struct SnapshotResponse: Sendable, Hashable, Codable {
    /// The live rows after `after`, in id order.
    public let rows: [SnapshotRow]
    /// The deleted rows in the same range of ids, in id order (absent from a city of an older release).
    public let tombstones: [SnapshotTombstone]
    /// Whether more rows follow.
    public let more: Bool
    /// The end of the city's feed when the page was read: the page holds every feed change up to
    /// it, so a county that merged a whole snapshot pulls on from the first page's `feedSeq`.
    public let feedSeq: Int64?

    /// Creates a response.
    public init(rows: [SnapshotRow], tombstones: [SnapshotTombstone] = [], more: Bool, feedSeq: Int64? = nil) {
        self.rows = rows
        self.tombstones = tombstones
        self.more = more
        self.feedSeq = feedSeq
    }

    /// Decodes an answer; a city of an older release sends no tombstones.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rows = try container.decode([SnapshotRow].self, forKey: .rows)
        tombstones = try container.decodeIfPresent([SnapshotTombstone].self, forKey: .tombstones) ?? []
        more = try container.decode(Bool.self, forKey: .more)
        feedSeq = try container.decodeIfPresent(Int64.self, forKey: .feedSeq)
    }

    /// The id to ask the next page after: the greatest id of the page, live or deleted.
    public var lastRowId: String? { max(rows.last?.rowId ?? "", tombstones.last?.rowId ?? "").nilIfEmpty }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

/// `GET /healthz`'s answer: 200 with `ok`, or 503 with `storage_failing` and what failed, while
/// the city's writes fail for a cause of its storage.
public struct HealthAnswer: Codable, Sendable, Hashable {
    /// `ok`, or `storage_failing`.
    public var status: String
    /// The aggregator's node.
    public var node: String
    /// What failed, in words (no paths), while `storage_failing`.
    public var storage: String?
    /// When the server's certificate expires, seconds since 1970.
    public var serverCertificateExpiresAt: Int64?

    public init(status: String, node: String, storage: String? = nil, serverCertificateExpiresAt: Int64? = nil) {
        self.status = status
        self.node = node
        self.storage = storage
        self.serverCertificateExpiresAt = serverCertificateExpiresAt
    }
}
