import SyncCore

/// Why a receiver refused an incoming change before writing anything. The code is stable (it is
/// what the HTTP error body and the client see); the message names the change and the field.
public struct ChangeRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The refusal's kind.
    public enum Code: String, Sendable, Hashable {
        /// Wrong table, operation, column, type, range or size: a broken or hostile sender.
        case malformedChange = "malformed_change"
        /// The change names or touches a county the sender may not write.
        case forbiddenCounty = "forbidden_county"
        /// A clock reading beyond the receiver's wall clock plus the allowed offset.
        case clockAhead = "clock_ahead"

        /// The same code in the one table of error codes.
        public var errorCode: ErrorCode {
            switch self {
            case .malformedChange: .malformedChange
            case .forbiddenCounty: .forbiddenCounty
            case .clockAhead: .clockAhead
            }
        }
    }

    /// The kind.
    public let code: Code
    /// The change's seq.
    public let seq: Int64
    /// The field at fault (`values.amount_fen`, `hlc`, `bases.name.hlc`, `table`, ...).
    public let field: String
    /// What is wrong with it.
    public let problem: String

    /// Creates a refusal.
    public init(_ code: Code, seq: Int64, field: String, _ problem: String) {
        self.code = code
        self.seq = seq
        self.field = field
        self.problem = problem
    }

    /// `change 12, values.amount_fen: must be a whole number, not text`.
    public var description: String { "change \(seq), \(field): \(problem)" }
}

/// The receiver's one check of every incoming change, before anything is written: table,
/// operation, columns, each value's type and range (`ReplicatedSchema`), the size of every
/// value, the owning county, and the clock readings of the change and of its bases.
///
/// The city runs it on every pushed change (the county is the one its certificate names), and a
/// county runs it on every change it pulls (the county is its own): a refusal refuses the whole
/// request, so nothing of it is written.
///
/// ```swift
/// let check = ChangeCheck(limits: SyncLimits())
/// if let refusal = check.refusal(of: change, county: "130202", nowMs: wallClock) { throw refusal }
/// ```
public struct ChangeCheck: Sendable {
    /// The limits in force.
    public let limits: SyncLimits

    /// Creates a check with `limits`.
    public init(limits: SyncLimits) { self.limits = limits }

    /// Why `change` may not be applied by a receiver whose wall clock reads `nowMs`, writing for
    /// `county`; nil when it may.
    public func refusal(of change: WireChange, county: String, nowMs: Int64) -> ChangeRefusal? {
        func malformed(_ field: String, _ problem: String) -> ChangeRefusal {
            ChangeRefusal(.malformedChange, seq: change.seq, field: field, problem)
        }
        guard change.seq > 0, change.seq <= WireBounds.maxSeq else {
            return malformed("seq", "must be from 1 to \(WireBounds.maxSeq), not \(change.seq)")
        }
        guard let columns = ReplicatedSchema.columns(of: change.table) else {
            return malformed("table", "no replicated table \(Self.quoted(change.table))")
        }
        guard ["insert", "update", "delete"].contains(change.op) else {
            return malformed("op", "unknown operation \(Self.quoted(change.op)); expected insert, update or delete")
        }
        guard RecordID.isValid(change.rowId) else {
            return malformed("rowId", "\(Self.quoted(change.rowId)) is not a lower-case UUID")
        }
        guard !change.node.isEmpty, change.node.utf8.count <= SyncLimits.maxNodeBytes else {
            return malformed("node", "must be 1 to \(SyncLimits.maxNodeBytes) bytes")
        }
        if let actor = change.actor, !ChangeActor.isValid(actor) {
            return malformed("actor", "must be 1 to \(ChangeActor.maxBytes) bytes with no control characters")
        }
        if let refusal = clockRefusal(change.hlc, field: "hlc", seq: change.seq, nowMs: nowMs) { return refusal }

        // Keys that name no column are found first; the known ones are then checked in the
        // table's column order, with no per-change dictionary or sort (this runs for every change).
        if let unknown = Self.unknownKey(of: change.bases, in: columns) {
            return malformed("bases.\(Self.quoted(unknown))", "\(change.table) has no such column")
        }
        if let unknown = Self.unknownKey(of: change.values, in: columns) {
            return malformed("values.\(Self.quoted(unknown))", "\(change.table) has no such column")
        }
        for spec in columns {
            guard let base = change.bases[spec.name] else { continue }
            guard !base.node.isEmpty, base.node.utf8.count <= SyncLimits.maxNodeBytes else {
                return malformed("bases.\(spec.name).node", "must be 1 to \(SyncLimits.maxNodeBytes) bytes")
            }
            if let refusal = clockRefusal(base.hlc.rawValue, field: "bases.\(spec.name).hlc", seq: change.seq, nowMs: nowMs) { return refusal }
        }
        if change.op == "delete" {
            return change.values.isEmpty ? nil : malformed("values", "a delete carries no values")
        }
        for spec in columns {
            guard let value = change.values[spec.name] else { continue }
            if spec.name == "county" {
                if let refusal = countyRefusal(value, county: county, change: change) { return refusal }
                continue
            }
            if let problem = spec.problem(with: value, maxTextBytes: limits.maxValueBytes) {
                return malformed("values.\(spec.name)", problem)
            }
        }
        // An insert sets every column that cannot be null, or none at all: a row deleted before its
        // insert was stamped leaves an insert with no values, which the receiver skips (its delete follows).
        if change.op == "insert", !change.values.isEmpty {
            for spec in columns where !spec.nullable && change.values[spec.name] == nil {
                return malformed("values.\(spec.name)", "an insert must set every column that cannot be null")
            }
        }
        return nil
    }

    /// The first key (in sorted order) of `keyed` that is not a column of `columns`, if any.
    static func unknownKey<Value>(of keyed: [String: Value], in columns: [ColumnSpec]) -> String? {
        let known = columns.reduce(0) { $0 + (keyed[$1.name] == nil ? 0 : 1) }
        guard known < keyed.count else { return nil }
        return keyed.keys.filter { key in !columns.contains { $0.name == key } }.min()
    }

    /// A clock reading must be non-negative and no further ahead of `nowMs` than the limit.
    func clockRefusal(_ hlc: Int64, field: String, seq: Int64, nowMs: Int64) -> ChangeRefusal? {
        guard hlc >= 0 else { return ChangeRefusal(.malformedChange, seq: seq, field: field, "a clock reading cannot be negative (\(hlc))") }
        let latest = limits.latestAcceptedReading(nowMs: nowMs)
        guard hlc <= latest.rawValue else {
            let reading = HLCTimestamp(rawValue: hlc)
            return ChangeRefusal(.clockAhead, seq: seq, field: field,
                                 "the reading \(reading) is \(Self.describe(ms: reading.physicalMs - nowMs)) ahead of this receiver's clock; at most \(Self.describe(ms: limits.maxClockOffsetMs)) are allowed (is the sender's clock wrong?)")
        }
        return nil
    }

    /// `county` must be the writer's county, as text: any other county, as text or as a number, is
    /// a write to a county the sender does not own.
    private func countyRefusal(_ value: ColumnValue, county: String, change: WireChange) -> ChangeRefusal? {
        switch value {
        case .text(let named) where named == county:
            return nil
        case .text(let named):
            return ChangeRefusal(.forbiddenCounty, seq: change.seq, field: "values.county",
                                 "\(change.table) \(change.rowId) names county \(Self.quoted(named)); this sender may write only county \(county)")
        case .integer(let number):
            return ChangeRefusal(String(number) == county ? .malformedChange : .forbiddenCounty, seq: change.seq, field: "values.county",
                                 "a county is text; the number \(number) names no county this sender may write (only \"\(county)\")")
        case .null:
            return ChangeRefusal(.malformedChange, seq: change.seq, field: "values.county", "must not be null")
        }
    }

    /// A value for a message: quoted, and cut to 40 characters.
    static func quoted(_ text: String) -> String {
        "\"" + (text.count > 40 ? String(text.prefix(40)) + "…" : text) + "\""
    }

    /// `2 h 5 min`, `3 d 4 h`, `40 s`.
    static func describe(ms: Int64) -> String {
        let seconds = ms / 1_000
        if seconds >= 86_400 { return "\(seconds / 86_400) d \(seconds % 86_400 / 3_600) h" }
        if seconds >= 3_600 { return "\(seconds / 3_600) h \(seconds % 3_600 / 60) min" }
        if seconds >= 60 { return "\(seconds / 60) min \(seconds % 60) s" }
        return "\(seconds) s"
    }
}
