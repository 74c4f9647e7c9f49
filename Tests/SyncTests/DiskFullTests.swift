import Foundation
import GRDB
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// A county whose disk fills up: writes fail with a clear error and change nothing, the replica
/// stays sound, and sync resumes by itself once space is back. The replica lives on a small tmpfs
/// (mounting one needs root, which CI has).
@Suite("Disk full", .serialized)
struct DiskFullTests {
    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("mount-probe-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: probe) }
        guard (try? Cluster.capture("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.path]))?.status == 0 else { return false }
        _ = try? Cluster.capture("/bin/umount", [probe.path])
        return true
    }()

    @Test(.enabled(if: canMount, "mounting a small tmpfs needs root"), .timeLimit(.minutes(3)))
    func aFullDiskRefusesWritesCleanlyAndSyncResumesWhenSpaceIsBack() async throws {
        let cluster = try Cluster()
        let small = cluster.dir.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        try Cluster.run("/bin/mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", small.path])
        defer {
            cluster.stopAll()
            _ = try? Cluster.capture("/bin/umount", ["-l", small.path])
            cluster.cleanUp()
        }
        try await cluster.startCity()
        let path = small.appendingPathComponent("county.db").path
        _ = try cluster.certificate("130202")
        let county = try CountyDatabase.create(at: path, county: "130202")
        try county.addPlatforms(makePlatforms("130202", count: 50))
        try cluster.startDaemon("130202", dbPath: path)
        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("the first sync") { try county.pendingCount() == 0 && cityMatches(county, city) }

        // Empty the write-ahead log (SQLite reuses its space), then fill the filesystem to the last block.
        try await eventually("the write-ahead log truncated") {
            try county.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
            return (try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) == 0
        }
        let filler = small.appendingPathComponent("filler").path
        _ = try Cluster.capture("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=4k"])
        let before = try county.platforms()

        // A county write fails, names the cause, and leaves the replica as it was.
        let add = try cluster.syncctl(["platform", "add", "--db", path, "--name", "满盘平台", "--category", "key_lab", "--level", "provincial",
                                       "--host-org", "某单位", "--credit-code", creditCode(777), "--industry", "新材料",
                                       "--remarks", String(repeating: "备注", count: 75)])
        #expect(add.status == 2, "a failed write is exit 2, could not do it")
        #expect(add.stderr.contains("disk is full"), "\(add.stderr)")
        #expect(try county.platforms() == before)

        // The city edits many of the county's rows; the daemon cannot apply them yet.
        let long = String(repeating: "市级评估意见。", count: 25)
        for platform in before { try city.updatePlatform(id: platform.id) { $0.remarks = long } }
        try await eventually("the daemon to report the full disk", timeout: .seconds(60)) {
            cluster.logTail("county-130202.log", lines: 200).contains("disk is full")
        }
        #expect(cluster.daemonRunning("130202"), "a full disk is a failure to retry, not a reason to exit")
        #expect(try county.platforms().allSatisfy { $0.remarks != long }, "nothing half-applied")

        // Space comes back: the daemon catches up by itself, and the file is sound.
        try FileManager.default.removeItem(atPath: filler)
        try await eventually("sync to resume", timeout: .seconds(60)) { try cityMatches(county, city) }
        #expect(try county.platforms().allSatisfy { $0.remarks == long })
        let check = try Cluster.capture("/usr/bin/sqlite3", [path, "PRAGMA integrity_check;"])
        #expect(check.stdout == "ok\n")
    }
}
