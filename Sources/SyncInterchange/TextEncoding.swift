import Foundation
import SyncCore
#if canImport(Glibc)
import Glibc
#endif

/// The text encodings CSV files come in: UTF-8 (with or without a byte-order mark), GB18030 as
/// Excel and WPS write "CSV" on Chinese Windows, and UTF-16 with a byte-order mark as Excel writes
/// "Unicode text".
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case gb18030
    case utf16 = "utf-16"

    /// Parses `utf-8`/`utf8`, `gb18030`/`gbk`/`gb2312` (GB18030 is a superset of both) or
    /// `utf-16`/`unicode`.
    public init(parsing text: String) throws(DomainError) {
        switch text.lowercased() {
        case "utf-8", "utf8": self = .utf8
        case "gb18030", "gbk", "gb2312", "cp936": self = .gb18030
        case "utf-16", "utf16", "unicode", "utf-16le", "utf-16be": self = .utf16
        default: throw .invalid(field: "encoding", value: text, rule: "expected auto, utf-8, gb18030 or utf-16")
        }
    }

    /// The encoding of a file as the clerk's office saved it: UTF-16 or UTF-8 when it starts with
    /// their byte-order mark, UTF-8 when every byte is valid UTF-8, GB18030 otherwise (what Excel
    /// and WPS save as "CSV" on Chinese Windows).
    public static func detect(_ data: Data) -> TextEncoding {
        let head = [UInt8](data.prefix(3))
        if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) { return .utf16 }
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { return .utf8 }
        return String(validating: [UInt8](data), as: UTF8.self) == nil ? .gb18030 : .utf8
    }

    /// Decodes `data`; a UTF-8 byte-order mark is dropped. Throws naming the line of the first bad byte.
    public func decode(_ data: Data) throws(DomainError) -> String {
        switch self {
        case .utf8:
            var bytes = [UInt8](data)
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                let line = Self.lineOfFirstInvalidUTF8(bytes)
                throw .invalid(field: "encoding", value: "utf-8", rule: "line \(line) is not valid UTF-8; a file saved by Excel on Chinese Windows is GB18030: pass --encoding gb18030")
            }
            return text
        case .gb18030:
            return String(decoding: try Self.iconv([UInt8](data), from: "GB18030", to: "UTF-8", field: "encoding"), as: UTF8.self)
        case .utf16:
            // iconv's UTF-16 reads the byte-order mark, and takes big-endian without one.
            let bytes = [UInt8](data)
            let text = String(decoding: try Self.iconv(bytes, from: "UTF-16", to: "UTF-8", field: "encoding"), as: UTF8.self)
            return text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        }
    }

    /// Encodes `text` in this encoding.
    public func encode(_ text: String) throws(DomainError) -> Data {
        switch self {
        case .utf8: Data(text.utf8)
        case .gb18030: Data(try Self.iconv(Array(text.utf8), from: "UTF-8", to: "GB18030", field: "encoding"))
        case .utf16: Data(try Self.iconv(Array(("\u{FEFF}" + text).utf8), from: "UTF-8", to: "UTF-16LE", field: "encoding"))
        }
    }

    static func lineOfFirstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var iterator = bytes.makeIterator()
        var codec = UTF8()
        var line = 1
        while case .scalarValue(let scalar) = codec.decode(&iterator) {
            if scalar == "\n" { line += 1 }
        }
        return line
    }

    /// Converts bytes between encodings with glibc's iconv; throws naming the line of the first bad byte.
    static func iconv(_ input: [UInt8], from: String, to: String, field: String) throws(DomainError) -> [UInt8] {
        let converter = iconv_open(to, from)
        guard converter != iconv_t(bitPattern: -1) else {
            throw .invalid(field: field, value: from, rule: "this system cannot convert \(from) to \(to) (glibc gconv modules missing)")
        }
        defer { iconv_close(converter) }
        var output = [UInt8](repeating: 0, count: input.count * 4 + 16)
        var input = input
        // Bytes written, or -(bytes read before the failure) - 1.
        let result: Int = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer = UnsafeMutableRawPointer(inBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var inLeft = inBuffer.count
                var outPointer = UnsafeMutableRawPointer(outBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outLeft = outBuffer.count
                var status = Glibc.iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                if status != -1 {
                    // Flush any shift state; an incomplete trailing sequence fails here.
                    status = Glibc.iconv(converter, nil, nil, &outPointer, &outLeft)
                }
                if status == -1 || inLeft > 0 { return -(inBuffer.count - inLeft) - 1 }
                return outBuffer.count - outLeft
            }
        }
        guard result >= 0 else {
            let offset = -result - 1
            let line = input[..<offset].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw .invalid(field: field, value: from.lowercased(), rule: "line \(line) is not valid \(from) text")
        }
        return Array(output[..<result])
    }
}
