import CurlTransport
import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing
import WireCompression

/// Deflated bodies: a county compresses its pushes once the city says it reads them, the city
/// inflates them within the same size limit, and a bomb or garbage changes nothing.
@Suite("Deflated bodies", .serialized)
struct CompressionTests {
    @Test func deflateRoundTripsAndRefusesDamageAndBombs() throws {
        var random = SystemRandomNumberGenerator()
        for size in [0, 1, 1_000, 300_000] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...20, using: &random) }
            let packed = Deflate.compress(bytes)
            #expect(try packed.withUnsafeBytes { try Deflate.decompress($0, limit: size) } == bytes)
            if size > 0 {
                #expect(throws: Deflate.Failure.tooLarge(limit: size - 1)) { try packed.withUnsafeBytes { try Deflate.decompress($0, limit: size - 1) } }
            }
        }
        let packed = Deflate.compress(Array("{\"node\":\"x\"}".utf8))
        for damaged in [Array(packed.dropLast(3)), [0x78, 0x9C, 0xFF, 0xFF], Array("not deflate".utf8), packed + [0]] {
            #expect(throws: Deflate.Failure.self) { try damaged.withUnsafeBytes { try Deflate.decompress($0, limit: 1 << 20) } }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func pushesGoDeflatedOnceTheCitySaysItReadsThem() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 300))
        let (cert, key) = try cluster.certificate("130202")
        let transport = try cluster.transport(cert: cert, key: key)
        var sent: Int64 = 0
        var pushes = 0
        while let batch = try county.nextPushBatch(limit: 100) {
            try county.acknowledge(batch, try await transport.push(batch))
            sent = batch.lastSeq
            pushes += 1
        }
        #expect(pushes == 3 && sent > 0)
        #expect(transport.deflatedBodies == 2, "the first push goes as it is; the answer says the city reads deflate")
        let city = try CityDatabase.open(at: cluster.cityDB)
        #expect(try city.platforms().count == 300)
    }

    @Test(.timeLimit(.minutes(2)))
    func bombsGarbageAndUnknownCodingsAreRefusedAndChangeNothing() async throws {
        let setup = try await BadInputTests.setUp(["--max-body-bytes", "1048576"])
        defer { setup.cluster.cleanUp() }
        let before = try BadInputTests.cityState(setup.cluster)
        let (cert, key) = try setup.cluster.certificate("130202")
        let ca = setup.cluster.pki.appendingPathComponent("ca.pem").path
        func post(_ body: [UInt8], encoding: String) throws -> (status: Int, body: String) {
            let file = setup.cluster.dir.appendingPathComponent("body-\(UUID().uuidString)")
            try Data(body).write(to: file)
            let result = try Cluster.capture("/usr/bin/curl", ["-s", "-o", "-", "-w", "\n%{http_code}", "--cacert", ca, "--cert", cert, "--key", key,
                                                              "-H", "Content-Type: application/json", "-H", "Content-Encoding: \(encoding)",
                                                              "--data-binary", "@\(file.path)", "\(setup.cluster.cityURL)/v1/push"])
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }
        // 20 MB of spaces inflate past the 1 MiB limit from a body of about 20 kB.
        let bomb = Deflate.compress([UInt8](repeating: 0x20, count: 20 << 20))
        #expect(bomb.count < 256 * 1_024, "far below the limit sent, far above it inflated")
        for (name, body, encoding, status, code) in [
            ("a bomb", bomb, "deflate", 413, "payload_too_large"),
            ("garbage", Array("not deflate at all".utf8), "deflate", 400, "bad_request"),
            ("an unknown coding", Array(JSONText.pushRequest(setup.lastBatch).utf8), "br", 400, "bad_request"),
        ] {
            let answer = try post(body, encoding: encoding)
            #expect(answer.status == status, "\(name): \(answer.status) \(answer.body.prefix(300))")
            #expect((try? JSONDecoder().decode(ErrorBody.self, from: Data(answer.body.utf8)))?.code == code, "\(name): \(answer.body.prefix(300))")
        }
        // The very batch the city applied, deflated, is a harmless replay.
        let replay = try post(Deflate.compress(Array(JSONText.pushRequest(setup.lastBatch).utf8)), encoding: "deflate")
        #expect(replay.status == 200, "\(replay.body.prefix(300))")
        #expect(try BadInputTests.cityState(setup.cluster) == before, "the city database is unchanged")

        // A pull page comes deflated to a county that asks for it.
        let pull = try Cluster.capture("/usr/bin/curl", ["-s", "-D", "-", "-o", "/dev/null", "-H", "Accept-Encoding: deflate", "--cacert", ca, "--cert", cert, "--key", key,
                                                        "\(setup.cluster.cityURL)/v1/pull?after=0&limit=500"])
        #expect(pull.stdout.lowercased().contains("accept-encoding: deflate"), "answers say the city reads deflate")
    }
}
