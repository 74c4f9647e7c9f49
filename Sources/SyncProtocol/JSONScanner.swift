import Foundation
import SyncCore

/// Reads JSON byte by byte for the sync path's large documents, where `JSONDecoder` costs tens of
/// microseconds per change on Linux.
///
/// It reads a strict subset: integers without fraction or exponent, strings that are valid
/// UTF-8, object keys without escapes, each known key once, at most `maxDepth` levels. Anything
/// else makes a read return nil, and the caller decodes the same bytes with `JSONDecoder`, which
/// then either reads them or throws its usual error. So the scanner never decides what is
/// acceptable: it only reads fast what `JSONDecoder` would read the same way (`FastJSON`).
struct JSONScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    /// Deepest nesting read (an unknown key's value included).
    static let maxDepth = 32

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` (after any whitespace) if it comes next.
    mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Whether only whitespace is left.
    mutating func atEnd() -> Bool {
        skipSpace()
        return index == bytes.count
    }

    /// Consumes `null` if it comes next.
    mutating func null() -> Bool { literal("null") }

    /// A JSON `true` or `false`.
    mutating func bool() -> Bool? {
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        skipSpace()
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count, memcmp(bytes.baseAddress! + index, word.utf8Start, count) == 0 else { return false }
        index += count
        return true
    }

    /// An integer in `Int64`'s range, written without fraction or exponent.
    mutating func integer() -> Int64? {
        skipSpace()
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
            let digit = Int64(bytes[index] &- UInt8(ascii: "0"))
            let (shifted, over1) = value.multipliedReportingOverflow(by: 10)
            let (next, over2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !over1, !over2 else { return nil }
            value = next
            index += 1
        }
        let digits = index - start
        guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { return nil }
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: break
            }
        }
        return value
    }

    /// A string; nil if it is not one, is not valid UTF-8, holds a raw control character or an
    /// escape JSON does not have (`\q`, a lone surrogate). A string that fails leaves the scanner
    /// where it was, at its opening quote, so no other reading (an integer) can start after it.
    mutating func string() -> String? {
        skipSpace()
        let opening = index
        guard let text = stringBody() else {
            index = opening
            return nil
        }
        return text
    }

    private mutating func stringBody() -> String? {
        guard take(Self.quote) else { return nil }
        let start = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == Self.quote { break }
            if byte < 0x20 { return nil }
            if byte == Self.backslash {
                escaped = true
                index += 2
                continue
            }
            index += 1
        }
        guard index < bytes.count else { return nil }
        let body = UnsafeBufferPointer(rebasing: bytes[start..<index])
        index += 1
        return escaped ? Self.unescape(body) : String(validating: body, as: UTF8.self)
    }

    private static func unescape(_ body: UnsafeBufferPointer<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var index = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= body.count else { return nil }
            var value: UInt32 = 0
            for byte in body[at..<at + 4] {
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: return nil
                }
                value = value << 4 | digit
            }
            return value
        }
        while index < body.count {
            let byte = body[index]
            guard byte == backslash else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 1 < body.count else { return nil }
            switch body[index + 1] {
            case quote: out.append(quote)
            case backslash: out.append(backslash)
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(index + 2) else { return nil }
                if (0xD800...0xDBFF).contains(scalar) {
                    // A surrogate pair: the low half must follow as another \u escape.
                    guard index + 12 <= body.count, body[index + 6] == backslash, body[index + 7] == UInt8(ascii: "u"),
                          let low = hex4(index + 8), (0xDC00...0xDFFF).contains(low) else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                guard let unicode = Unicode.Scalar(scalar) else { return nil }
                out.append(contentsOf: UTF8.encode(unicode)!)
                index += 6
                continue
            default: return nil
            }
            index += 2
        }
        return String(validating: out, as: UTF8.self)
    }

    /// An object: `field` is called with each key's bytes and must read its value. Keys with
    /// escapes are outside the subset.
    mutating func object(_ field: (inout JSONScanner, UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")), enter() else { return false }
        defer { depth -= 1 }
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            guard take(Self.quote) else { return false }
            let start = index
            var ascii = true
            while index < bytes.count, bytes[index] != Self.quote {
                guard bytes[index] != Self.backslash, bytes[index] >= 0x20 else { return false }
                if bytes[index] >= 0x80 { ascii = false }
                index += 1
            }
            guard index < bytes.count else { return false }
            let key = UnsafeBufferPointer(rebasing: bytes[start..<index])
            // Any key, an unknown one too, must be valid UTF-8, as `JSONDecoder` requires.
            guard ascii || String(validating: key, as: UTF8.self) != nil else { return false }
            index += 1
            guard take(UInt8(ascii: ":")), field(&self, key) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    /// An array: `element` is called for each element and must read it.
    mutating func array(_ element: (inout JSONScanner) -> Bool) -> Bool {
        guard take(UInt8(ascii: "[")), enter() else { return false }
        defer { depth -= 1 }
        if take(UInt8(ascii: "]")) { return true }
        repeat {
            guard element(&self) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]"))
    }

    private mutating func enter() -> Bool {
        depth += 1
        return depth <= Self.maxDepth
    }

    /// Reads and discards any value of the subset (an unknown key's).
    mutating func skipValue() -> Bool {
        skipSpace()
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case Self.quote: return string() != nil
        case UInt8(ascii: "{"): return object { scanner, _ in scanner.skipValue() }
        case UInt8(ascii: "["): return array { $0.skipValue() }
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return bool() != nil
        case UInt8(ascii: "n"): return null()
        default: return integer() != nil
        }
    }
}

/// Whether a key's bytes spell `name`.
func keyIs(_ key: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
    key.count == name.utf8CodeUnitCount && (key.isEmpty || memcmp(key.baseAddress!, name.utf8Start, key.count) == 0)
}

/// The key as a string (object keys of the subset have no escapes). A column name, the key of
/// nearly every value and version, is found among the known ones instead of being made again.
func keyString(_ key: UnsafeBufferPointer<UInt8>) -> String? {
    for (bytes, name) in knownKeys where bytes.count == key.count {
        if bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }) { return name }
    }
    return String(validating: key, as: UTF8.self)
}

/// The replicated tables' column names, and `*` (a row's version), with their bytes.
private let knownKeys: [([UInt8], String)] = {
    let names = Set(ReplicatedSchema.platform.map(\.name) + ReplicatedSchema.award.map(\.name) + ["*"])
    return names.sorted().map { (Array($0.utf8), $0) }
}()
