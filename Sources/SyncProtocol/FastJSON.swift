import Foundation
import SyncCore

/// Decodes the sync path's large documents (push batches, pull pages, push answers, the change
/// log's frozen values and versions) with `JSONScanner`, and anything the scanner does not read
/// with `JSONDecoder`, which then reads it or throws its usual error. The result is the same
/// either way; only the time differs (tested in `FastJSONTests`).
///
/// ```swift
/// let batch = try FastJSON.decode(PushRequest.self, from: body)
/// ```
public enum FastJSON {
    /// Decodes `T` from `bytes`: fast for the types listed in `FastDecodable`, by `JSONDecoder` otherwise.
    /// A message with integers (`BoundedMessage`) is checked against `WireBounds` before it is
    /// returned: one outside its bounds throws `BoundsViolation`, so no reader of the wire ever
    /// holds such a value.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some ContiguousBytes) throws -> T {
        let value: T
        if let fast = type as? any FastDecodable.Type,
           let scanned = bytes.withUnsafeBytes({ raw in fast.scan(raw.bindMemory(to: UInt8.self)) }) as? T {
            value = scanned
        } else {
            value = try bytes.withUnsafeBytes { raw in try JSONDecoder().decode(T.self, from: Data(raw)) }
        }
        if let bounded = value as? any BoundedMessage, let violation = bounded.boundsViolation() { throw violation }
        return value
    }

    /// Decodes `T` from JSON text.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        var text = text
        return try text.withUTF8 { try decode(type, from: UnsafeRawBufferPointer($0)) }
    }

    /// Decodes with the scanner only; nil where `JSONDecoder` would be needed (for tests).
    static func scanOnly<T: FastDecodable>(_ type: T.Type, from bytes: [UInt8]) -> T? {
        bytes.withUnsafeBufferPointer { T.scan($0) as? T }
    }
}

extension UnsafeRawBufferPointer: @retroactive ContiguousBytes {}

/// A type `FastJSON` reads with the scanner.
public protocol FastDecodable: Decodable {
    /// The value read from a whole document, or nil if the scanner cannot read it.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Any?
}

extension FastDecodable {
    static func document(_ bytes: UnsafeBufferPointer<UInt8>, _ read: (inout JSONScanner) -> Self?) -> Any? {
        var scanner = JSONScanner(bytes)
        guard let value = read(&scanner), scanner.atEnd() else { return nil }
        return value
    }
}

/// Keeps each known key of an object to one appearance (`JSONDecoder` may differ on duplicates).
struct SeenKeys {
    private var bits: UInt32 = 0
    mutating func first(_ bit: Int) -> Bool {
        defer { bits |= 1 << bit }
        return bits & (1 << bit) == 0
    }
    func has(_ bit: Int) -> Bool { bits & (1 << bit) != 0 }
}

extension JSONScanner {
    mutating func columnValue() -> ColumnValue? {
        if null() { return .null }
        if let text = string() { return .text(text) }
        return integer().map(ColumnValue.integer)
    }

    mutating func columnVersion() -> ColumnVersion? {
        var hlc: Int64?, node: String?
        var seen = SeenKeys()
        let read = object { scanner, key in
            if keyIs(key, "hlc") {
                guard seen.first(0) else { return false }
                hlc = scanner.integer()
                return hlc != nil
            }
            if keyIs(key, "node") {
                guard seen.first(1) else { return false }
                node = scanner.string()
                return node != nil
            }
            return scanner.skipValue()
        }
        guard read, let hlc, let node else { return nil }
        return ColumnVersion(hlc: HLCTimestamp(rawValue: hlc), node: node)
    }

    mutating func valueMap() -> [String: ColumnValue]? {
        var values: [String: ColumnValue] = [:]
        values.reserveCapacity(16)
        let read = object { scanner, key in
            guard let name = keyString(key), let value = scanner.columnValue() else { return false }
            return values.updateValue(value, forKey: name) == nil  // a key twice is refused
        }
        return read ? values : nil
    }

    mutating func versionMap() -> [String: ColumnVersion]? {
        var versions: [String: ColumnVersion] = [:]
        let read = object { scanner, key in
            guard let name = keyString(key), versions[name] == nil, let version = scanner.columnVersion() else { return false }
            versions[name] = version
            return true
        }
        return read ? versions : nil
    }

    mutating func wireChange() -> WireChange? {
        var seq: Int64?, hlc: Int64?
        var table: String?, rowId: String?, op: String?, node: String?
        var values: [String: ColumnValue]?, bases: [String: ColumnVersion]?, actor: String?
        var seen = SeenKeys()
        let read = object { scanner, key in
            switch key.count {
            case 3 where keyIs(key, "seq"): guard seen.first(0) else { return false }; seq = scanner.integer(); return seq != nil
            case 5 where keyIs(key, "table"): guard seen.first(1) else { return false }; table = scanner.string(); return table != nil
            case 5 where keyIs(key, "rowId"): guard seen.first(2) else { return false }; rowId = scanner.string(); return rowId != nil
            case 2 where keyIs(key, "op"): guard seen.first(3) else { return false }; op = scanner.string(); return op != nil
            case 3 where keyIs(key, "hlc"): guard seen.first(4) else { return false }; hlc = scanner.integer(); return hlc != nil
            case 4 where keyIs(key, "node"): guard seen.first(5) else { return false }; node = scanner.string(); return node != nil
            case 6 where keyIs(key, "values"): guard seen.first(6) else { return false }; values = scanner.valueMap(); return values != nil
            case 5 where keyIs(key, "bases"): guard seen.first(7) else { return false }; bases = scanner.versionMap(); return bases != nil
            case 5 where keyIs(key, "actor"):
                guard seen.first(8) else { return false }
                if scanner.null() { return true }
                actor = scanner.string(); return actor != nil
            default: return scanner.skipValue()
            }
        }
        guard read, let seq, let table, let rowId, let op, let hlc, let node, let values, let bases else { return nil }
        return WireChange(seq: seq, table: table, rowId: rowId, op: op, hlc: hlc, node: node, values: values, bases: bases, actor: actor)
    }

    mutating func wireChanges() -> [WireChange]? {
        var changes: [WireChange] = []
        let read = array { scanner in
            guard let change = scanner.wireChange() else { return false }
            changes.append(change)
            return true
        }
        return read ? changes : nil
    }

    /// An optional integer: absent and `null` are both nil.
    mutating func optionalInteger(_ target: inout Int64?) -> Bool {
        if null() { return true }
        target = integer()
        return target != nil
    }
}

extension PushRequest: FastDecodable {
    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Any? {
        document(bytes) { scanner in
            var node: String?, checksum: String?, firstSeq: Int64?, lastSeq: Int64?, epochBaseSeq: Int64?
            var changes: [WireChange]?
            var seen = SeenKeys()
            let read = scanner.object { scanner, key in
                if keyIs(key, "node") { guard seen.first(0) else { return false }; node = scanner.string(); return node != nil }
                if keyIs(key, "firstSeq") { guard seen.first(1) else { return false }; firstSeq = scanner.integer(); return firstSeq != nil }
                if keyIs(key, "lastSeq") { guard seen.first(2) else { return false }; lastSeq = scanner.integer(); return lastSeq != nil }
                if keyIs(key, "checksum") { guard seen.first(3) else { return false }; checksum = scanner.string(); return checksum != nil }
                if keyIs(key, "epochBaseSeq") { guard seen.first(4) else { return false }; return scanner.optionalInteger(&epochBaseSeq) }
                if keyIs(key, "changes") { guard seen.first(5) else { return false }; changes = scanner.wireChanges(); return changes != nil }
                return scanner.skipValue()
            }
            guard read, let node, let checksum, let firstSeq, let lastSeq, let changes else { return nil }
            return PushRequest(node: node, firstSeq: firstSeq, lastSeq: lastSeq, changes: changes, checksum: checksum, epochBaseSeq: epochBaseSeq)
        }
    }
}

extension PullResponse: FastDecodable {
    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Any? {
        document(bytes) { scanner in
            var changes: [WireChange]?, cursor: Int64?, more: Bool?, seals: [String]?, head: DecisionMark?, at: DecisionMark?
            var seen = SeenKeys()
            /// `{"hash": "...", "id": N}`, or null.
            func mark(_ scanner: inout JSONScanner, into target: inout DecisionMark?) -> Bool {
                if scanner.null() { return true }
                var id: Int64?, hash: String?
                var keys = SeenKeys()
                let ok = scanner.object { scanner, key in
                    if keyIs(key, "id") { guard keys.first(0) else { return false }; id = scanner.integer(); return id != nil }
                    if keyIs(key, "hash") { guard keys.first(1) else { return false }; hash = scanner.string(); return hash != nil }
                    return scanner.skipValue()
                }
                guard ok, let id, let hash else { return false }
                target = DecisionMark(id: id, hash: hash)
                return true
            }
            let read = scanner.object { scanner, key in
                if keyIs(key, "changes") { guard seen.first(0) else { return false }; changes = scanner.wireChanges(); return changes != nil }
                if keyIs(key, "cursor") { guard seen.first(1) else { return false }; cursor = scanner.integer(); return cursor != nil }
                if keyIs(key, "more") { guard seen.first(2) else { return false }; more = scanner.bool(); return more != nil }
                if keyIs(key, "decisionHead") { guard seen.first(4) else { return false }; return mark(&scanner, into: &head) }
                if keyIs(key, "decisionAt") { guard seen.first(5) else { return false }; return mark(&scanner, into: &at) }
                if keyIs(key, "seals") {
                    guard seen.first(3) else { return false }
                    if scanner.null() { return true }
                    var list: [String] = []
                    let ok = scanner.array { scanner in
                        guard let seal = scanner.string() else { return false }
                        list.append(seal)
                        return true
                    }
                    seals = list
                    return ok
                }
                return scanner.skipValue()
            }
            guard read, let changes, let cursor, let more else { return nil }
            return PullResponse(changes: changes, cursor: cursor, more: more, seals: seals, decisionHead: head, decisionAt: at)
        }
    }
}

extension PushResponse: FastDecodable {
    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Any? {
        document(bytes) { scanner in
            var highWater: Int64?, outcomes: [ChangeOutcome]?
            var seen = SeenKeys()
            let read = scanner.object { scanner, key in
                if keyIs(key, "highWater") { guard seen.first(0) else { return false }; highWater = scanner.integer(); return highWater != nil }
                if keyIs(key, "outcomes") {
                    guard seen.first(1) else { return false }
                    var list: [ChangeOutcome] = []
                    let ok = scanner.array { scanner in
                        guard let outcome = scanner.changeOutcome() else { return false }
                        list.append(outcome)
                        return true
                    }
                    outcomes = list
                    return ok
                }
                return scanner.skipValue()
            }
            guard read, let highWater, let outcomes else { return nil }
            return PushResponse(highWater: highWater, outcomes: outcomes)
        }
    }
}

extension JSONScanner {
    mutating func changeOutcome() -> ChangeOutcome? {
        var seq: Int64?, kind: ChangeOutcome.Kind?, reason: String?, message: String?
        var seen = SeenKeys()
        let read = object { scanner, key in
            if keyIs(key, "seq") { guard seen.first(0) else { return false }; seq = scanner.integer(); return seq != nil }
            if keyIs(key, "outcome") {
                guard seen.first(1) else { return false }
                kind = scanner.string().flatMap(ChangeOutcome.Kind.init(rawValue:))
                return kind != nil
            }
            if keyIs(key, "reason") { guard seen.first(2) else { return false }; if scanner.null() { return true }; reason = scanner.string(); return reason != nil }
            if keyIs(key, "message") { guard seen.first(3) else { return false }; if scanner.null() { return true }; message = scanner.string(); return message != nil }
            return scanner.skipValue()
        }
        guard read, let seq, let kind else { return nil }
        return ChangeOutcome(seq: seq, outcome: kind, reason: reason, message: message)
    }
}

/// A change's values, as the change log and the wire keep them (`{"column":value,...}`).
public struct ValueMap: FastDecodable {
    /// The values by column.
    public let values: [String: ColumnValue]

    public init(from decoder: any Decoder) throws {
        values = try [String: ColumnValue](from: decoder)
    }

    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Any? {
        document(bytes) { scanner in scanner.valueMap().map { ValueMap(values: $0) } }
    }

    private init(values: [String: ColumnValue]) { self.values = values }
}

/// Column versions, as the change log and the wire keep them (`{"column":{"hlc":n,"node":"..."},...}`).
public struct VersionMap: FastDecodable {
    /// The versions by column.
    public let versions: [String: ColumnVersion]

    public init(from decoder: any Decoder) throws {
        versions = try [String: ColumnVersion](from: decoder)
    }

    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Any? {
        document(bytes) { scanner in scanner.versionMap().map { VersionMap(versions: $0) } }
    }

    private init(versions: [String: ColumnVersion]) { self.versions = versions }
}
