import Foundation
import LocalCluster
import Testing

/// `Deploy/pki.sh` makes what the aggregator and the daemons need, with private keys.
@Suite struct PKITests {
    @Test func keysArePrivateAndCertificatesCarryTheirNames() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pki-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        try Cluster.run("/bin/bash", [script, "ca", dir.path])
        try Cluster.run("/bin/bash", [script, "server", dir.path, "city.example", "127.0.0.1"])
        try Cluster.run("/bin/bash", [script, "county", dir.path, "130209"])
        for key in ["ca.key", "server.key", "county-130209.key"] {
            let mode = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(key).path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(key) is \(String(mode ?? 0, radix: 8))")
        }
        let server = try Cluster.run("/usr/bin/openssl", ["x509", "-in", dir.appendingPathComponent("server.pem").path, "-noout", "-ext", "subjectAltName"])
        #expect(server.contains("DNS:city.example") && server.contains("IP Address:127.0.0.1"))
        let county = try Cluster.run("/usr/bin/openssl", ["x509", "-in", dir.appendingPathComponent("county-130209.pem").path, "-noout", "-subject"])
        #expect(county.contains("CN = county-130209"))
        let verified = try Cluster.run("/usr/bin/openssl", ["verify", "-CAfile", dir.appendingPathComponent("ca.pem").path,
                                                            dir.appendingPathComponent("county-130209.pem").path])
        #expect(verified.contains("OK"))
        // Refusals: a second CA over the first, a malformed county code.
        #expect(try Cluster.capture("/bin/bash", [script, "ca", dir.path]).status != 0)
        #expect(try Cluster.capture("/bin/bash", [script, "county", dir.path, "13020"]).status != 0)
    }
}
