import Foundation
import LocalCluster
import Testing

/// The shipped systemd units are hardened: `systemd-analyze security` rates each 2.0 or lower.
@Suite struct UnitHardeningTests {
    @Test(arguments: ["city-aggregator.service", "county-syncd.service"])
    func systemdRatesTheUnitTwoOrLower(unit: String) throws {
        let analyze = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: analyze) else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_FUZZ"] == nil, "systemd-analyze is missing")
            return
        }
        let path = Cluster.packageRoot.appendingPathComponent("Deploy/systemd/\(unit)").path
        let result = try Cluster.capture(analyze, ["security", "--offline=true", path])
        let line = result.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") } ?? ""
        let level = line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }
        #expect(level.map { $0 <= 2.0 } == true, "\(unit): \(line) \(result.stderr.suffix(500))")
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("RestartPreventExitStatus=78"))
    }
}
