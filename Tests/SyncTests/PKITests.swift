import Foundation
import LocalCluster
import SyncProtocol
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

/// The certificates of a county's console (its machine's server certificate, its clerks') open
/// nothing at the city: a clerk's PC is not a county replica, an operator or a monitor.
@Suite("County console certificates at the city", .serialized)
struct CountyConsoleCertificateTests {
    @Test(.timeLimit(.minutes(2)))
    func clerkAndCountyServerCertificatesAreRefusedEverywhereAtTheCity() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let script = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        let pki = cluster.pki.path
        let clerk = try Cluster.capture("/bin/bash", [script, "clerk", pki, "130202", "wangli"], environment: ["P12_PASSWORD": "test"])
        #expect(clerk.status == 0, "\(clerk.stderr)")
        let server = try Cluster.capture("/bin/bash", [script, "county-server", pki, "130202", "fengrun-sync.local", "127.0.0.1"])
        #expect(server.status == 0, "\(server.stderr)")
        let subject = try Cluster.run("/usr/bin/openssl", ["x509", "-in", "\(pki)/clerk-130202-wangli.pem", "-noout", "-subject"])
        #expect(subject.contains("CN = clerk-130202-wangli") && subject.contains("OU = 130202"))
        let usage = try Cluster.run("/usr/bin/openssl", ["x509", "-in", "\(pki)/county-server-130202.pem", "-noout", "-ext", "extendedKeyUsage,subjectAltName"])
        #expect(usage.contains("TLS Web Server Authentication") && !usage.contains("Client") && usage.contains("DNS:fengrun-sync.local"), "\(usage)")
        for key in ["clerk-130202-wangli.key", "clerk-130202-wangli.p12", "county-server-130202.key"] {
            let mode = try FileManager.default.attributesOfItem(atPath: "\(pki)/\(key)")[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(key) is \(String(mode ?? 0, radix: 8))")
        }
        #expect(try Cluster.capture("/bin/bash", [script, "clerk", pki, "130202", "Wang Li"]).status != 0, "a name outside a-z, 0-9 and -")

        // A clerk's certificate: refused on every route, and nothing written.
        let before = try BadInputTests.cityState(cluster)
        let clerkClient = try cluster.transport(cert: "\(pki)/clerk-130202-wangli.pem", key: "\(pki)/clerk-130202-wangli.key")
        for (method, path) in [("GET", "/v1/pull?after=0"), ("POST", "/v1/heartbeat"), ("POST", "/v1/push"), ("GET", "/healthz"), ("GET", "/metrics"),
                               ("GET", "/console")] {
            let answer = try await clerkClient.request(method: method, path: path, body: method == "POST" ? Data("{}".utf8) : nil)
            #expect(answer.status == 403, "\(method) \(path) as a clerk: \(answer.status)")
        }
        // The county machine's server certificate cannot be a client of the city at all.
        let serverAsClient = try cluster.transport(cert: "\(pki)/county-server-130202.pem", key: "\(pki)/county-server-130202.key")
        do {
            let answer = try await serverAsClient.request(method: "GET", path: "/v1/pull?after=0")
            #expect(answer.status == 403, "a server certificate as a county: \(answer.status)")
        } catch is TransportError {
            // Refused in the handshake: its key usage is serverAuth only.
        }
        #expect(try BadInputTests.cityState(cluster) == before, "the city is unchanged")
    }
}
