import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing
@testable import CityServer

/// Mutual TLS decides who a county is: unknown issuers, missing certificates and one county
/// speaking for another are refused, and a refusal changes nothing at the city.
@Suite("Identity", .serialized)
struct IdentityTests {
    /// The city's rows and bookkeeping, to prove a refusal changed nothing.
    func snapshot(_ cluster: Cluster) throws -> String {
        try Cluster.capture("/usr/bin/sqlite3", [cluster.cityDB, """
            SELECT 'p', id, county, name FROM platform UNION ALL SELECT 'n', node, high_water, '' FROM node_state
            UNION ALL SELECT 'c', seq, row_id, '' FROM change_log ORDER BY 1, 2;
            """]).stdout
    }

    func batch(from county: CountyDatabase) throws -> PushRequest {
        try #require(try county.nextPushBatch(limit: 100))
    }

    @Test(.timeLimit(.minutes(2)))
    func refusalsChangeNothing() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let countyA = try cluster.makeCounty("130202")
        let platformA = try countyA.addPlatform(makePlatforms("130202", count: 1)[0])
        let (certA, keyA) = try cluster.certificate("130202")
        let (certB, keyB) = try cluster.certificate("130203")
        _ = try await cluster.transport(cert: certA, key: keyA).push(try batch(from: countyA))
        let before = try snapshot(cluster)
        #expect(before.contains(platformA.id))

        // County B's certificate pushing county A's rows (even with county A's node name).
        var edited = platformA
        edited.name = "B 改了 A 的平台"
        let forged = PushRequest(node: "county-130203-forged", changes: [WireChange(
            seq: 1, table: "platform", rowId: platformA.id, op: "update", hlc: 1 << 40, node: "county-130203-forged",
            values: ["name": .text(edited.name)], bases: [:])])
        await #expect {
            _ = try await cluster.transport(cert: certB, key: keyB).push(forged)
        } throws: { error in
            guard case TransportError.http(_, _, 403, let body) = error else { return false }
            return body?.code == "forbidden_county"
        }
        let asNodeOfA = PushRequest(node: countyA.replica.node, changes: [WireChange(
            seq: 2, table: "platform", rowId: platformA.id, op: "update", hlc: 1 << 40, node: countyA.replica.node,
            values: ["name": .text(edited.name)], bases: [:])])
        await #expect {
            _ = try await cluster.transport(cert: certB, key: keyB).push(asNodeOfA)
        } throws: { error in
            guard case TransportError.http(_, _, 403, _) = error else { return false }
            return true
        }
        // County B pulling county A's feed by naming A's node is refused too.
        await #expect {
            _ = try await cluster.transport(cert: certB, key: keyB).pull(node: countyA.replica.node, after: 0, limit: 10)
        } throws: { error in
            guard case TransportError.http(_, _, 403, _) = error else { return false }
            return true
        }

        // A certificate from another CA: the TLS handshake fails.
        let rogue = cluster.dir.appendingPathComponent("rogue")
        let pkiScript = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        try Cluster.run("/bin/bash", [pkiScript, "ca", rogue.path])
        try Cluster.run("/bin/bash", [pkiScript, "county", rogue.path, "130202"])
        await #expect(throws: TransportError.self) {
            _ = try await cluster.transport(cert: rogue.appendingPathComponent("county-130202.pem").path,
                                            key: rogue.appendingPathComponent("county-130202.key").path).push(try batch(from: countyA))
        }
        // A client that trusts another CA refuses the server.
        await #expect(throws: TransportError.self) {
            _ = try await cluster.transport(cert: certA, key: keyA, ca: rogue.appendingPathComponent("ca.pem").path).push(try batch(from: countyA))
        }
        // No client certificate at all: curl against the server without one.
        let anonymous = try Cluster.capture("/usr/bin/curl", ["-sS", "--cacert", cluster.pki.appendingPathComponent("ca.pem").path,
                                                              "-X", "POST", "-d", "{}", cluster.cityURL + "/v1/push"])
        #expect(anonymous.status != 0, "a request without a client certificate was answered: \(anonymous.stdout)")

        #expect(try snapshot(cluster) == before)
    }

    @Test(.timeLimit(.minutes(2)))
    func revokedAndExpiredCertificatesAreRefused() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let denyList = cluster.dir.appendingPathComponent("revoked.txt").path
        try "# revoked county certificates\n".write(toFile: denyList, atomically: true, encoding: .utf8)
        try await cluster.startCity(["--deny-list", denyList])
        let county = try cluster.makeCounty("130202")
        try county.addPlatform(makePlatforms("130202", count: 1)[0])
        let (cert, key) = try cluster.certificate("130202")
        let batch = try #require(try county.nextPushBatch(limit: 10))
        _ = try await cluster.transport(cert: cert, key: key).pull(node: county.replica.node, after: 0, limit: 10)
        let before = try snapshot(cluster)

        // The city revokes the certificate: the next request is refused, without a restart.
        let serial = try Cluster.run("/usr/bin/openssl", ["x509", "-in", cert, "-noout", "-serial"])
        try FileManager.default.removeItem(atPath: denyList)
        try "# revoked county certificates\n\(serial)".write(toFile: denyList, atomically: true, encoding: .utf8)
        await #expect {
            _ = try await cluster.transport(cert: cert, key: key).push(batch)
        } throws: { error in
            guard case TransportError.http(_, _, 403, let body) = error else { return false }
            return body?.code == "certificate_revoked"
        }
        #expect(try snapshot(cluster) == before)
        let log = cluster.logTail("city.log", lines: 50)
        #expect(log.contains("revoked certificate refused") && log.contains("sync.certificate.subject=County Sync, 130202, county-130202"),
                "the refusal is logged with the certificate's subject:\n\(log)")

        // An expired certificate (issued a month ago for a day) fails the TLS handshake.
        let old = cluster.dir.appendingPathComponent("old")
        try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
        for file in ["ca.pem", "ca.key"] {
            try FileManager.default.copyItem(at: cluster.pki.appendingPathComponent(file), to: old.appendingPathComponent(file))
        }
        let issued = try Cluster.capture("/usr/bin/faketime", ["-f", "-30d", "/usr/bin/env", "DAYS=1", "/bin/bash",
                                                              Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path, "county", old.path, "130202"])
        #expect(issued.status == 0, "\(issued.stderr)")
        await #expect(throws: TransportError.self) {
            _ = try await cluster.transport(cert: old.appendingPathComponent("county-130202.pem").path,
                                            key: old.appendingPathComponent("county-130202.key").path).push(batch)
        }
        #expect(try snapshot(cluster) == before)
    }
}

@Suite struct DenyListTests {
    @Test(arguments: [
        ([0x0A, 0x1B], "serial=0A1B"), ([0x0A, 0x1B], "a1b"), ([0x00, 0x0A], "0A"), ([0xFF, 0x01], "FF:01"),
        ([0x01, 0x02, 0x03], "serial=010203  # county 130202, rotated"),
    ] as [([UInt8], String)])
    func serialsMatchHoweverTheyAreWritten(bytes: [UInt8], line: String) {
        #expect(DenyList.normalize(Substring(line)) == DenyList.hex(bytes))
    }

    @Test func otherSerialsAndCommentsDoNotMatch() {
        #expect(DenyList.normalize("# a comment") == nil)
        #expect(DenyList.normalize("serial=0A1C") != DenyList.hex([0x0A, 0x1B]))
    }
}
