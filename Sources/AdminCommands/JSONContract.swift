import Foundation

/// The contract every `--json` output keeps (README, "JSON output"), the same in every command:
///
/// - Keys are stable camelCase; objects are printed with sorted keys.
/// - A field with no value is `null`, never left out.
/// - Every point in time is an ISO 8601 string with its zone (`2026-11-30T20:16:20.123Z`), in a
///   key ending in `At` (or `at`); dates without a time stay `YYYY-MM-DD`.
/// - Money is in fen (integers), with yuan as text beside it where a person reads it.
///
/// The values are encoded as their types encode themselves, then the tree is completed: keys the
/// encoding left out for nil are added as null (found by reflecting over the value), and
/// millisecond timestamps (`…At`, `…AtMs`) become ISO 8601 strings under a key ending in `At`.
enum JSONContract {
    static func render(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let tree = try JSONSerialization.jsonObject(with: encoder.encode(value), options: [.fragmentsAllowed])
        let completed = complete(tree, with: value)
        let data = try JSONSerialization.data(withJSONObject: completed, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    /// `tree` with nil fields of `value` added as null and timestamps as ISO 8601.
    static func complete(_ tree: Any, with value: Any) -> Any {
        let mirror = Mirror(reflecting: value)
        if var object = tree as? [String: Any] {
            if mirror.displayStyle == .struct || mirror.displayStyle == .class {
                for child in mirror.children {
                    guard let label = child.label else { continue }
                    let unwrapped = unwrap(child.value)
                    if let existing = object[label] {
                        if let unwrapped { object[label] = complete(existing, with: unwrapped) }
                    } else if unwrapped == nil {
                        object[label] = NSNull()
                    } else if let unwrapped, let flattened = complete(object, with: unwrapped) as? [String: Any] {
                        // A value encoded into its parent's object (no key of its own).
                        object = flattened
                    }
                }
            }
            return timestamps(object)
        }
        if let array = tree as? [Any] {
            let elements: [Any]
            switch mirror.displayStyle {
            case .collection, .set: elements = mirror.children.map(\.value)
            default: elements = []
            }
            guard elements.count == array.count else { return array }
            return zip(array, elements).map { complete($0, with: $1) }
        }
        return tree
    }

    /// The wrapped value of an Optional (nil for none); any other value as it is.
    static func unwrap(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value
    }

    /// Millisecond timestamps of `object` as ISO 8601 strings, under a key ending in `At`.
    static func timestamps(_ object: [String: Any]) -> [String: Any] {
        var result: [String: Any] = [:]
        for (key, value) in object {
            let isTime = key.hasSuffix("At") || key.hasSuffix("AtMs") || key == "atMs" || key == "at"
            let name = key.hasSuffix("Ms") && isTime ? String(key.dropLast(2)) : key
            if isTime, let number = value as? NSNumber, !(value is Bool) {
                result[name] = iso(milliseconds: number.int64Value)
            } else {
                result[name] = value
            }
        }
        return result
    }

    static func iso(milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1_000))
    }
}
