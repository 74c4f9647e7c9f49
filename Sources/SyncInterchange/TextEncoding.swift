import Foundation
import SyncCore
#if canImport(Glibc)
import Glibc
#endif

/// The text encodings CSV files come in: UTF-8, or GB18030 as Excel writes it on Chinese Windows.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case gb18030

    /// Parses `utf-8`/`utf8` or `gb18030`/`gbk`/`gb2312` (GB18030 is a superset of both).
    public init(parsing text: String) throws(DomainError) {
        switch text.lowercased() {
        case "utf-8", "utf8": self = .utf8
        case "gb18030", "gbk", "gb2312", "cp936": self = .gb18030
        default: throw .invalid(field: "encoding", value: text, rule: "expected utf-8 or gb18030")
        }
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
        }
    }

    /// Encodes `text` in this encoding.
    public func encode(_ text: String) throws(DomainError) -> Data {
        switch self {
        case .utf8: Data(text.utf8)
        case .gb18030: Data(try Self.iconv(Array(text.utf8), from: "UTF-8", to: "GB18030", field: "encoding"))
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
