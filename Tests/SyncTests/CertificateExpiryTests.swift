import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// A county sees its own certificate's expiry coming: the daemon reads it at start, `syncctl
/// status` shows it, and `status --check` reports a certificate within 30 days of expiry.
@Suite("County certificate expiry", .serialized)
struct CertificateExpiryTests {
    @Test func theExpiryReadFromPEMIsWhatOpenSSLSays() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("expiry-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let pki = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        try Cluster.run("/bin/bash", [pki, "ca", dir.path])
        try Cluster.run("/bin/bash", [pki, "county", dir.path, "130202"])
        let cert = dir.appendingPathComponent("county-130202.pem").path
        let ours = try #require(CertificateExpiry.notAfter(pem: try String(contentsOfFile: cert, encoding: .utf8)))
        let openssl = try Cluster.run("/usr/bin/openssl", ["x509", "-in", cert, "-noout", "-enddate", "-dateopt", "iso_8601"])
        let formatter = ISO8601DateFormatter()
        let text = openssl.replacingOccurrences(of: "notAfter=", with: "").trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: " ", with: "T")
        #expect(formatter.date(from: text) == ours, "\(openssl) vs \(ours)")
        #expect(CertificateExpiry.notAfter(pem: "not a certificate") == nil)
    }

    @Test(.timeLimit(.minutes(2)))
    func statusShowsItAndCheckWarnsWithinThirtyDays() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        // A certificate valid for ten more days.
        let pki = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        let issued = try Cluster.capture("/usr/bin/env", ["DAYS=10", "/bin/bash", pki, "county", cluster.pki.path, "130202"])
        #expect(issued.status == 0, "\(issued.stderr)")
        try cluster.startDaemon("130202")
        try await eventually("the daemon read its certificate") { try county.status().certificateExpiresAt != nil }
        let status = try cluster.syncctl(["status", "--db", county.path])
        let line = status.stdout.split(separator: "\n").first { $0.hasPrefix("certificate") } ?? ""
        #expect(line.contains("in 9 days") || line.contains("in 10 days"), "the certificate line: \(status.stdout)")
        let check = try cluster.syncctl(["status", "--db", county.path, "--check"])
        #expect(check.status == 1 && check.stdout.contains("certificate"), "\(check.status) \(check.stdout)")
        #expect(cluster.logTail("county-130202.log", lines: 30).contains("expires soon"))
    }
}
