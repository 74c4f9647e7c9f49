import Foundation
import SyncCore

/// Compact JSON for the change log's hot path: `JSONEncoder` costs tens of microseconds per
/// small object on Linux, and stamping writes two or three objects per change. Keys are sorted,
/// so the text is the same as `JSONEncoder` with `.sortedKeys` would write. Built on
/// `JSONWriter`.
public enum JSONText {
    /// `{"column":value,...}`.
    public static func values(_ values: [String: ColumnValue]) -> String {
        var json = JSONWriter(capacity: 64 * values.count + 2)
        json.values(values)
        return json.text
    }

    /// `{"column":{"hlc":n,"node":"..."},...}`.
    public static func versions(_ versions: [String: ColumnVersion]) -> String {
        var json = JSONWriter(capacity: 64 * versions.count + 2)
        json.versions(versions)
        return json.text
    }

    /// One value: `null`, a number or a string.
    public static func value(_ value: ColumnValue) -> String {
        var json = JSONWriter(capacity: 32)
        json.value(value)
        return json.text
    }

    /// One version: `{"hlc":n,"node":"..."}`.
    public static func version(_ version: ColumnVersion) -> String {
        var json = JSONWriter(capacity: 64)
        json.version(version)
        return json.text
    }

    /// A push request as JSON, the same document `JSONEncoder` would write for it.
    public static func pushRequest(_ request: PushRequest) -> String {
        String(decoding: pushRequestBytes(request), as: UTF8.self)
    }

    /// A push request as the bytes of its JSON.
    public static func pushRequestBytes(_ request: PushRequest) -> [UInt8] {
        var json = JSONWriter(capacity: 512 * request.changes.count + 256)
        json.raw("{\"node\":")
        json.string(request.node)
        json.raw(",\"firstSeq\":")
        json.integer(request.firstSeq)
        json.raw(",\"lastSeq\":")
        json.integer(request.lastSeq)
        json.raw(",\"checksum\":")
        json.string(request.checksum)
        if let base = request.epochBaseSeq {
            json.raw(",\"epochBaseSeq\":")
            json.integer(base)
        }
        json.raw(",\"changes\":[")
        for (index, change) in request.changes.enumerated() {
            if index > 0 { json.raw(",") }
            json.change(change)
        }
        json.raw("]}")
        return json.bytes
    }

    /// A push answer as the bytes of its JSON, keys sorted as `JSONEncoder` with `.sortedKeys` writes them.
    public static func pushResponseBytes(_ response: PushResponse) -> [UInt8] {
        var json = JSONWriter(capacity: 40 * response.outcomes.count + 64)
        json.raw("{\"highWater\":")
        json.integer(response.highWater)
        json.raw(",\"outcomes\":")
        json.outcomes(response.outcomes)
        json.raw("}")
        return json.bytes
    }

    /// A pull page as the bytes of its JSON, keys sorted as `JSONEncoder` with `.sortedKeys` writes them.
    public static func pullResponseBytes(_ response: PullResponse) -> [UInt8] {
        var json = JSONWriter(capacity: 512 * response.changes.count + 64)
        json.raw("{\"changes\":[")
        for (index, change) in response.changes.enumerated() {
            if index > 0 { json.raw(",") }
            json.sortedChange(change)
        }
        json.raw("],\"cursor\":")
        json.integer(response.cursor)
        /// `{"hash":"…","id":N}`, keys sorted.
        func write(_ mark: DecisionMark) {
            json.raw("{\"hash\":")
            json.string(mark.hash)
            json.raw(",\"id\":")
            json.integer(mark.id)
            json.raw("}")
        }
        if let mark = response.decisionAt {
            json.raw(",\"decisionAt\":")
            write(mark)
        }
        if let mark = response.decisionHead {
            json.raw(",\"decisionHead\":")
            write(mark)
        }
        json.raw(",\"more\":")
        if response.more { json.raw("true") } else { json.raw("false") }
        if let seals = response.seals {
            json.raw(",\"seals\":[")
            for (index, seal) in seals.enumerated() {
                if index > 0 { json.raw(",") }
                json.string(seal)
            }
            json.raw("]")
        }
        json.raw("}")
        return json.bytes
    }
}

extension RowVersions {
    /// The storage form as text: `JSONText.versions(storage)`, written without building the map
    /// when every column has the row's version (the common case: a row inserted and not edited).
    public var storageText: String {
        guard columns.isEmpty else { return JSONText.versions(storage) }
        var json = JSONWriter(capacity: 96)
        json.raw("{")
        if let row {
            json.raw("\"*\":")
            json.version(row)
        }
        json.raw("}")
        return json.text
    }
}
