import Foundation
import LocalCluster
import Testing

/// The processes read `--config` files of `key = value` lines; flags win; bad settings are
/// refused naming the key.
@Suite struct ConfigurationTests {
    func run(_ binary: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try Cluster.capture(Cluster.binaries.appendingPathComponent(binary).path, arguments)
    }

    @Test func theExampleConfigurationsParseAndTheirMissingFilesAreNamed() throws {
        let daemon = try run("county-syncd", ["--config", Cluster.packageRoot.appendingPathComponent("Deploy/config/county-syncd.conf").path])
        #expect(daemon.status != 0)
        #expect(daemon.stderr.contains("configuration db: no database at /var/lib/county-sync/county.db"), "\(daemon.stderr)")
        let city = try run("city-aggregator", ["--config", Cluster.packageRoot.appendingPathComponent("Deploy/config/city-aggregator.conf").path])
        #expect(city.status != 0)
        #expect(city.stderr.contains("configuration cert: cannot read /etc/county-sync/pki/server.pem"), "\(city.stderr)")
    }

    @Test func unknownKeysBadValuesAndInsecureURLsAreRefusedByName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("county-syncd.conf").path
        try "db = \"x.db\"\npull_interval = 5\n".write(toFile: file, atomically: true, encoding: .utf8)
        let unknown = try run("county-syncd", ["--config", file])
        #expect(unknown.stderr.contains("\(file):2: unknown key pull_interval"), "\(unknown.stderr)")

        try "batch-size = many\n".write(toFile: file, atomically: true, encoding: .utf8)
        let badValue = try run("county-syncd", ["--config", file, "--db", "x.db", "--city", "https://c", "--ca", "a", "--cert", "b", "--key", "c"])
        #expect(badValue.stderr.contains("configuration batch-size: many is not a whole number"), "\(badValue.stderr)")

        let plain = try run("county-syncd", ["--db", "x.db", "--city", "http://city:8080", "--ca", "a", "--cert", "b", "--key", "c"])
        #expect(plain.status != 0)
        #expect(plain.stderr.contains("must be an https:// URL"), "\(plain.stderr)")
        for name in ["x.db", "ca.pem", "c.pem", "c.key"] {
            try "".write(toFile: dir.appendingPathComponent(name).path, atomically: true, encoding: .utf8)
        }
        let files = ["--db", dir.appendingPathComponent("x.db").path, "--city", "https://city:8443", "--ca", dir.appendingPathComponent("ca.pem").path,
                     "--cert", dir.appendingPathComponent("c.pem").path, "--key", dir.appendingPathComponent("c.key").path]
        let noDeadline = try run("county-syncd", files + ["--request-timeout", "0"])
        #expect(noDeadline.stderr.contains("configuration request-timeout: must be between 1 and 3600 seconds"), "\(noDeadline.stderr)")
        let slowConnect = try run("county-syncd", files + ["--request-timeout", "5", "--connect-timeout", "10"])
        #expect(slowConnect.stderr.contains("configuration connect-timeout: must be at least 1 second and at most the request timeout"), "\(slowConnect.stderr)")
        let missing = try run("city-aggregator", ["--db", "x.db"])
        #expect(missing.stderr.contains("missing --cert"), "\(missing.stderr)")
    }
}
