import CSystemZlib

/// HTTP's `deflate` content coding (zlib, RFC 1950) for request and response bodies: a push
/// batch of JSON shrinks several times, which is what a county's slow link pays for.
///
/// ```swift
/// let body = Deflate.compress(json)
/// let json = try Deflate.decompress(body, limit: 8 << 20)
/// ```
public enum Deflate {
    /// Why a body could not be inflated.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Not a zlib stream, or a damaged one.
        case malformed(String)
        /// Inflated, it would exceed the limit (a decompression bomb, or simply too large).
        case tooLarge(limit: Int)

        public var description: String {
            switch self {
            case .malformed(let reason): "the body is not valid deflate (zlib) data: \(reason)"
            case .tooLarge(let limit): "the inflated body exceeds \(limit) bytes"
            }
        }
    }

    /// Bodies smaller than this go as they are, both ways: deflating them saves too little.
    public static let worthwhileFrom = 1_024

    /// `bytes` compressed at `level` (1, the fastest, by default: a push is compressed on the
    /// county's own machine, between two batches).
    public static func compress(_ bytes: some Collection<UInt8>, level: Int32 = 1) -> [UInt8] {
        if let contiguous = bytes.withContiguousStorageIfAvailable({ compress(buffer: $0, level: level) }) { return contiguous }
        return Array(bytes).withUnsafeBufferPointer { compress(buffer: $0, level: level) }
    }

    private static func compress(buffer input: UnsafeBufferPointer<UInt8>, level: Int32) -> [UInt8] {
        var stream = z_stream()
        guard czlib_deflate_init(&stream, level) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))))
        let written = output.withUnsafeMutableBufferPointer { out -> Int in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            stream.next_out = out.baseAddress
            stream.avail_out = uInt(out.count)
            guard deflate(&stream, Z_FINISH) == Z_STREAM_END else { return -1 }
            return Int(stream.total_out)
        }
        guard written >= 0 else { return [] }
        output.removeSubrange(written...)
        return output
    }

    /// `bytes` inflated; throws if they are not a complete zlib stream or inflate past `limit`.
    public static func decompress(_ bytes: UnsafeRawBufferPointer, limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard czlib_inflate_init(&stream) == Z_OK else { throw .malformed("cannot start inflating") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1_024)
        stream.next_in = UnsafeMutablePointer(mutating: bytes.bindMemory(to: UInt8.self).baseAddress)
        stream.avail_in = uInt(bytes.count)
        while true {
            let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (status, out.count - Int(stream.avail_out))
            }
            guard output.count + produced <= limit else { throw .tooLarge(limit: limit) }
            output.append(contentsOf: chunk[..<produced])
            switch status {
            case Z_STREAM_END:
                guard stream.avail_in == 0 else { throw .malformed("data after the end of the stream") }
                return output
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw .malformed("the stream ends early")
            default:
                throw .malformed(stream.msg.map { String(cString: $0) } ?? "zlib error \(status)")
            }
        }
    }
}
