import CFuzzDriver
import Foundation
import SyncCore
import SyncProtocol

/// The fuzz target of the sync path's reading: every message the city or a county reads from
/// the wire, decoded by the hand-written scanner and checked (`WireBounds`, `ChangeCheck`, the
/// checksum), with Foundation's `JSONDecoder` as the oracle: whatever the scanner reads,
/// `JSONDecoder` must read to the same value. A trap, or a disagreement (`fatalError`), is a
/// finding.
///
/// Built with `-sanitize=fuzzer` (`Deploy/fuzz.sh`), libFuzzer drives `LLVMFuzzerTestOneInput`.
/// Built plainly, it is a replayer: `scanner-fuzz DIR|FILE...` runs every input once (the test
/// suite replays the committed corpus, `Tests/Fuzz/corpus`).
enum ScannerFuzz {
    /// A receiver's wall clock for the checks: fixed, so a run is the same every time.
    static let nowMs: Int64 = 1_795_939_910_080

    static func run(_ bytes: UnsafeRawBufferPointer) {
        let buffer = bytes.bindMemory(to: UInt8.self)
        agree(PushRequest.self, buffer)
        agree(PullResponse.self, buffer)
        agree(PushResponse.self, buffer)
        if let push = try? FastJSON.decode(PushRequest.self, from: bytes) {
            let check = ChangeCheck(limits: SyncLimits())
            for change in push.changes { _ = check.refusal(of: change, county: "130202", nowMs: nowMs) }
            _ = Checksum.ofEach(push.changes)
            _ = push.boundsViolation()
        }
        if let page = try? FastJSON.decode(PullResponse.self, from: bytes) {
            let check = ChangeCheck(limits: SyncLimits())
            for change in page.changes { _ = check.refusal(of: change, county: "130202", nowMs: nowMs) }
        }
        _ = try? FastJSON.decode(Heartbeat.self, from: bytes)
        _ = try? FastJSON.decode(ReturnRequest.self, from: bytes)
    }

    /// The scanner reads a subset of what `JSONDecoder` reads, to the same value.
    static func agree<T: FastDecodable & Equatable>(_ type: T.Type, _ bytes: UnsafeBufferPointer<UInt8>) {
        guard let scanned = T.scan(bytes) as? T else { return }
        guard let oracle = try? JSONDecoder().decode(T.self, from: Data(buffer: bytes)) else {
            fatalError("the scanner read a \(T.self) that JSONDecoder refuses: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        guard scanned == oracle else {
            fatalError("the scanner read a \(T.self) other than JSONDecoder's: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
    }
}

#if FUZZING
/// libFuzzer's entry point (the process's is `CFuzzDriver`'s, which starts libFuzzer's driver).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    ScannerFuzz.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
/// Replays inputs: each file given, or every file in each folder given.
@main
struct Replay {
    static func main() throws {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                FileHandle.standardError.write(Data("scanner-fuzz: no such file or folder: \(path)\n".utf8))
                exit(2)
            }
            let files = isFolder.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { "\(path)/\($0)" }
                : [path]
            for file in files {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                data.withUnsafeBytes { ScannerFuzz.run($0) }
                count += 1
            }
        }
        print("scanner-fuzz: replayed \(count) inputs, no finding")
    }
}
#endif
