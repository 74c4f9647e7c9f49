import Foundation
import LocalCluster
import Testing

/// The aggregator's TLS as Debian's `testssl.sh` judges it, against the real aggregator: no
/// finding rated MEDIUM or worse (release 0.15.0 offered CBC-SHA1 suites in TLS 1.2, "potentially
/// vulnerable" to LUCKY13, and no server cipher order).
@Suite("TLS profile", .serialized)
struct TLSProfileTests {
    @Test(.timeLimit(.minutes(4)))
    func testsslFindsNothingRatedMediumOrWorse() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/testssl") else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_FUZZ"] == nil, "testssl.sh is missing; Deploy/test.sh installs it")
            return
        }
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let json = cluster.dir.appendingPathComponent("testssl.json").path
        // Protocols, cipher categories, the server's preferences and the known vulnerabilities.
        let run = try Cluster.capture("/usr/bin/testssl", ["--quiet", "--color", "0", "--warnings", "off", "--connect-timeout", "5",
                                                            "--openssl-timeout", "5", "--jsonfile", json, "-p", "-s", "-P", "-U",
                                                            "127.0.0.1:\(cluster.cityPort)"])
        let data = try Data(contentsOf: URL(fileURLWithPath: json))
        let findings = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]], "\(run.stdout.suffix(2_000))")
        #expect(findings.count > 20, "testssl.sh ran its checks: \(run.stdout.suffix(2_000))")
        let serious = findings.filter { ["MEDIUM", "HIGH", "CRITICAL"].contains($0["severity"] as? String ?? "") }
        #expect(serious.isEmpty, "\(serious.map { "\($0["severity"] ?? "") \($0["id"] ?? ""): \($0["finding"] ?? "")" })")
        // What was asked for by name: AEAD only in TLS 1.2, and an order the server decides.
        let byId = Dictionary(findings.compactMap { finding in (finding["id"] as? String).map { ($0, finding["finding"] as? String ?? "") } },
                              uniquingKeysWith: { first, _ in first })
        #expect(byId["cipherlist_AVERAGE"] == "not offered", "CBC suites: \(byId["cipherlist_AVERAGE"] ?? "absent")")
        #expect(byId["cipher_order"]?.hasPrefix("server") == true, "\(byId["cipher_order"] ?? "absent")")
        #expect(byId["LUCKY13"]?.contains("not vulnerable") == true, "\(byId["LUCKY13"] ?? "absent")")
    }
}
