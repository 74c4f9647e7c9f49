import Foundation
import GRDB
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// Inspection opens the database read-only: it works while another process holds the write lock
/// (the daemon in a long write), works on a file the operator may only read, and changes nothing.
@Suite("Read-only inspection", .serialized)
struct InspectionTests {
    @Test(.timeLimit(.minutes(2)))
    func statusAndListWorkWhileAWriterHoldsTheLock() throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 2))
        // Another process holds the write lock for 15 seconds (longer than the 10 s busy timeout).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        holder.arguments = [county.path, "BEGIN IMMEDIATE", "UPDATE replica SET hlc = hlc", ".shell sleep 15", "COMMIT"]
        try holder.run()
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        try eventuallySync { (try Cluster.capture("/usr/bin/sqlite3", ["-cmd", ".timeout 0", county.path, "BEGIN IMMEDIATE"])).status != 0 }
        for arguments in [["status", "--db", county.path, "--check"], ["platform", "list", "--db", county.path], ["award", "list", "--db", county.path],
                          ["conflicts", "--db", county.path], ["parked", "--db", county.path]] {
            let result = try cluster.syncctl(arguments)
            #expect(result.status == 0, "\(arguments[0]) during a long write: \(result.stderr)")
        }
        #expect(holder.isRunning, "the writer still held the lock while every inspection answered")
    }

    @Test func aFileTheOperatorMayOnlyReadIsInspectedAndNotChanged() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("county.db").path
        let county = try CountyDatabase.create(at: path, county: "130202")
        try county.addPlatforms(makePlatforms("130202", count: 2))
        let id = try county.platforms()[0].id
        _ = try county.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        try county.pool.close()
        // A replica copied for inspection: owned by root, readable by all, no -wal or -shm left
        // (closing checkpointed them); the folder lets SQLite make its -shm file.
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir.path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let syncctl = Cluster.binaries.appendingPathComponent("syncctl").path
        guard getuid() == 0 else { return }  // needs root to run as another user
        let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", syncctl]
        let list = try Cluster.capture("/usr/bin/setpriv", asNobody + ["platform", "list", "--db", path])
        #expect(list.status == 0 && list.stdout.contains("2 platforms"), "\(list.stdout) \(list.stderr)")
        let status = try Cluster.capture("/usr/bin/setpriv", asNobody + ["status", "--db", path])
        #expect(status.status == 0, "\(status.stderr)")
        let write = try Cluster.capture("/usr/bin/setpriv", asNobody + ["platform", "update", "--db", path, id, "--remarks", "x"])
        #expect(write.status == 2 && write.stderr.contains("permission denied"), "a write names the cause: \(write.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the file is unchanged")
    }
}

/// Polls `condition` until it holds (ten seconds at most).
func eventuallySync(_ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
        if try condition() { return }
        usleep(50_000)
    }
    throw ClusterError("a condition did not hold within 10 seconds")
}
