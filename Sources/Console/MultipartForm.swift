import Foundation

/// The parts of a `multipart/form-data` body (RFC 7578), as a browser sends a form with a file:
/// each part's name, its file name if it is a file, and its bytes, exactly as sent.
///
/// ```swift
/// let form = try MultipartForm(body: bytes, contentType: "multipart/form-data; boundary=----x")
/// form["file"]?.data   // the uploaded file's bytes
/// form.text("token")   // a plain field
/// ```
public struct MultipartForm: Sendable {
    public struct Part: Sendable {
        public let name: String
        public let filename: String?
        public let data: Data
    }

    public let parts: [Part]

    /// Parses `body`; throws naming what is wrong (no boundary, a part without a name, no end).
    public init(body: Data, contentType: String) throws(ConsoleError) {
        guard contentType.lowercased().hasPrefix("multipart/form-data"),
              let boundary = Self.parameter("boundary", in: contentType), !boundary.isEmpty, boundary.utf8.count <= 70 else {
            throw ConsoleError(.badRequest, "上传格式不对 — expected a multipart/form-data upload with a boundary")
        }
        let delimiter = Data("--\(boundary)".utf8)
        let bytes = body
        var parts: [Part] = []
        guard var cursor = bytes.range(of: delimiter)?.upperBound else {
            throw ConsoleError(.badRequest, "上传内容不完整 — the upload holds no part")
        }
        while true {
            // After a delimiter: "--" ends the body, else CRLF and a part.
            if bytes[cursor...].starts(with: Data("--".utf8)) { break }
            guard bytes[cursor...].starts(with: Data("\r\n".utf8)) else {
                throw ConsoleError(.badRequest, "上传内容不完整 — a part of the upload is cut short")
            }
            cursor += 2
            guard let headEnd = bytes.range(of: Data("\r\n\r\n".utf8), in: cursor..<bytes.endIndex) else {
                throw ConsoleError(.badRequest, "上传内容不完整 — a part of the upload has no end of its headers")
            }
            let head = String(decoding: bytes[cursor..<headEnd.lowerBound], as: UTF8.self)
            guard let next = bytes.range(of: Data("\r\n".utf8) + delimiter, in: headEnd.upperBound..<bytes.endIndex) else {
                throw ConsoleError(.badRequest, "上传内容不完整 — the upload ends before its last part does (sent whole?)")
            }
            let disposition = head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("content-disposition:") } ?? ""
            guard let name = Self.parameter("name", in: disposition) else {
                throw ConsoleError(.badRequest, "上传内容有误 — a part of the upload has no name")
            }
            parts.append(Part(name: name, filename: Self.parameter("filename", in: disposition), data: Data(bytes[headEnd.upperBound..<next.lowerBound])))
            cursor = next.upperBound
        }
        self.parts = parts
    }

    /// The first part named `name`.
    public subscript(name: String) -> Part? { parts.first { $0.name == name } }

    /// A plain field's text (UTF-8), if present.
    public func text(_ name: String) -> String? { self[name].map { String(decoding: $0.data, as: UTF8.self) } }

    /// A parameter of a header value (`boundary=…`, `name="…"`), unquoted.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst().map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let pair = piece.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}
