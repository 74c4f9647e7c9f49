import CurlTransport
import Foundation
import GRDB
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// A county's or the city's disk fills up: writes fail with a clear error and change nothing, the
/// databases stay sound, and sync resumes by itself once space is back. The database lives on a
/// small tmpfs (mounting one needs root, which CI has).
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

    /// A tmpfs of `size` mounted at a new folder of the cluster's.
    static func smallDisk(_ cluster: Cluster, _ name: String, size: String) throws -> URL {
        let small = cluster.dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        try Cluster.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", small.path])
        return small
    }

    /// Stops the cluster's processes, unmounts `small` and removes the cluster's folder.
    static func release(_ cluster: Cluster, _ small: URL) {
        cluster.stopAll()
        _ = try? Cluster.capture("/bin/umount", ["-l", small.path])
        cluster.cleanUp()
    }

    /// Empties the database's write-ahead log (SQLite reuses its space, so writes would not fail),
    /// then fills `small` to the last block; returns the filler, to remove when space is to come back.
    static func fill(_ small: URL, holding database: some ReplicaDatabase) async throws -> String {
        try await eventually("the write-ahead log truncated") {
            _ = try database.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
            return (try FileManager.default.attributesOfItem(atPath: database.path + "-wal")[.size] as? Int) == 0
        }
        let filler = small.appendingPathComponent("filler").path
        _ = try Cluster.capture("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=4k"])
        return filler
    }

    @Test(.enabled(if: canMount, "mounting a small tmpfs needs root"), .timeLimit(.minutes(3)))
    func aFullDiskRefusesWritesCleanlyAndSyncResumesWhenSpaceIsBack() async throws {
        let cluster = try Cluster()
        let small = try Self.smallDisk(cluster, "small", size: "3m")
        defer { Self.release(cluster, small) }
        try await cluster.startCity()
        let path = small.appendingPathComponent("county.db").path
        _ = try cluster.certificate("130202")
        let county = try CountyDatabase.create(at: path, county: "130202")
        try county.addPlatforms(makePlatforms("130202", count: 50))
        try cluster.startDaemon("130202", dbPath: path)
        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("the first sync") { try county.pendingCount() == 0 && cityMatches(county, city) }

        let filler = try await Self.fill(small, holding: county)
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

    /// The city's disk is full: every door an admin or a county looks through says it is the
    /// city's storage (release 0.15.0's `/healthz` said ok, `status --check` passed, and the
    /// console called the county "stuck: 6 pushes refused", blaming a bad row), no answer names a
    /// server path, and all of it clears once space is back.
    @Test(.enabled(if: canMount, "mounting a small tmpfs needs root"), .timeLimit(.minutes(4)))
    func aFullCityDiskIsTheCitysTroubleOnEveryDoorAndHealsWhenSpaceIsBack() async throws {
        let cluster = try Cluster()
        let small = try Self.smallDisk(cluster, "city-disk", size: "8m")
        defer { Self.release(cluster, small) }
        cluster.cityDB = small.appendingPathComponent("city.db").path
        let monitoringPortFile = cluster.dir.appendingPathComponent("monitoring.port").path
        try await cluster.startCity(["--monitoring-listen", "127.0.0.1:0", "--monitoring-port-file", monitoringPortFile])
        let monitoring = try await cluster.port(writtenTo: monitoringPortFile)
        let health = "http://127.0.0.1:\(monitoring)/healthz"
        let pki = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        #expect(try Cluster.capture("/bin/bash", [pki, "operator", cluster.pki.path, "zhang"], environment: ["P12_PASSWORD": "test"]).status == 0)
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 20))
        try cluster.startDaemon("130202")
        let city = try CityDatabase.open(at: cluster.cityDB)
        try await eventually("the first sync") { try county.pendingCount() == 0 && cityMatches(county, city) }
        func check() throws -> (status: Int32, stdout: String, stderr: String) {
            try cluster.syncctl(["status", "--check", "--db", cluster.cityDB, "--health", health, "--min-free-mb", "1"])
        }
        let healthy = try check()
        #expect(healthy.status == 0 && healthy.stdout.hasPrefix("OK"), "\(healthy.stdout) \(healthy.stderr)")

        let filler = try await Self.fill(small, holding: city)

        // The county goes on working; its pushes cannot be stored.
        var more = makePlatforms("130202", count: 40, offset: 100)
        for index in more.indices { more[index].remarks = String(repeating: "县级备注。", count: 40) }
        try county.addPlatforms(more)
        var answer = (status: 0, body: Data())
        try await eventually("/healthz to report the city's storage", timeout: .seconds(60)) {
            answer = try HealthProbe.get(health)
            return answer.status == 503
        }
        let failing = try JSONDecoder().decode(HealthAnswer.self, from: answer.body)
        #expect(failing.status == "storage_failing" && failing.storage?.contains("the disk is full") == true, "\(failing)")
        let body = String(decoding: answer.body, as: UTF8.self)
        #expect(!body.contains(small.path) && !body.contains("city.db"), "no server path in /healthz: \(body)")

        // syncctl at the city: broken, naming the storage.
        let broken = try check()
        #expect(broken.status == 2 && broken.stdout.hasPrefix("BROKEN") && broken.stdout.contains("cannot store"), "\(broken.stdout) \(broken.stderr)")

        // The county is told the city cannot store, without the city's paths, and keeps its changes.
        try await eventually("the county to hear the city cannot store") {
            try county.status().lastError?.contains("storage_unavailable") == true
        }
        let told = try county.status().lastError ?? ""
        #expect(told.contains("the city cannot store") && !told.contains(small.path) && !told.contains("city.db"), "\(told)")
        #expect(try county.pendingCount() > 0)

        // The metrics and the console put it on the city, not on the county.
        let metrics = String(decoding: try HealthProbe.get("http://127.0.0.1:\(monitoring)/metrics").body, as: UTF8.self)
        #expect(metrics.contains("sync_storage_failing 1"), "sync_storage_failing in /metrics")
        #expect(metrics.contains(#"sync_county_consecutive_refused_pushes{county="130202"} 0"#), "the county's pushes are not counted as refused")
        let page = try ConsoleTests.request(cluster, "operator-zhang", "GET", "/console")
        #expect(page.status == 200 && page.body.contains("城市数据库无法写入 The city cannot store: the disk is full"), "\(page.body.prefix(2_000))")
        #expect(!page.body.contains("pushes refused in a row") && page.body.contains("0 受阻 stuck") && !page.body.contains(small.path),
                "the county is not called stuck, and no path is shown")
        #expect(cluster.logTail("city.log", lines: 400).contains("disk is full"), "the city's log keeps the whole cause")

        // Space comes back: the county's next try lands (after the city's Retry-After), and every door says so.
        try FileManager.default.removeItem(atPath: filler)
        try await eventually("sync to resume", timeout: .seconds(90)) { try county.pendingCount() == 0 && cityMatches(county, city) }
        #expect(try HealthProbe.get(health).status == 200)
        try await eventually("status --check to pass again") { try check().status == 0 }
        let cleared = String(decoding: try HealthProbe.get("http://127.0.0.1:\(monitoring)/metrics").body, as: UTF8.self)
        #expect(cleared.contains("sync_storage_failing 0") && !cleared.contains("sync_storage_errors_total 0\n"))
        #expect(!(try ConsoleTests.request(cluster, "operator-zhang", "GET", "/console")).body.contains("城市数据库无法写入"))
        let integrity = try Cluster.capture("/usr/bin/sqlite3", [cluster.cityDB, "PRAGMA integrity_check;"])
        #expect(integrity.stdout == "ok\n")
    }
}

/// A city database another process holds locked past the wait: the county is told the city is
/// busy, with a time to come back, and not where the city keeps its files (release 0.15.0
/// answered 500 with the server's path).
@Suite("City database busy")
struct CityBusyTests {
    @Test(.timeLimit(.minutes(4)))
    func aLockedCityDatabaseIsABusyCityWithoutItsPaths() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 2))
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        try county.addPlatforms(makePlatforms("130202", count: 2, offset: 10))
        // Another process holds the city's write lock for 150 seconds (far past the 10 s busy timeout, so a
        // machine slowed by the rest of the suite still answers the push while it is held; killed at the
        // end), waiting for the aggregator's own writes to let it in.
        let holder = try Managed.start(URL(fileURLWithPath: "/usr/bin/sqlite3"),
                                       [cluster.cityDB, ".timeout 10000", "BEGIN IMMEDIATE", "UPDATE replica SET node = node", ".shell sleep 150", "COMMIT"],
                                       log: cluster.dir.appendingPathComponent("holder.log"))
        defer { holder.kill9() }
        do {
            try await eventually("the holder to take the lock") {
                try Cluster.capture("/usr/bin/sqlite3", ["-cmd", ".timeout 0", cluster.cityDB, "BEGIN IMMEDIATE"]).status != 0
            }
        } catch {
            throw ClusterError("\(error); the holder \(holder.isRunning ? "runs" : "has ended") and wrote: \(cluster.logTail("holder.log"))")
        }
        let sync = try cluster.syncctl(["sync"] + cluster.connection("130202"))
        #expect(holder.isRunning, "the lock was still held when the push was answered")
        #expect(sync.status == 2, "the city could not store it: could not do it")
        #expect(sync.stderr.contains("database_busy") && sync.stderr.contains("busy with another process"), "\(sync.stderr)")
        #expect(!sync.stderr.contains(cluster.dir.path) && !sync.stderr.contains("city.db"), "no server path: \(sync.stderr)")
        // The message carries the city's id of the request, which its log line carries too.
        let requestId = try #require(sync.stderr.range(of: "(request ").map { String(sync.stderr[$0.upperBound...].prefix { $0 != ")" }) })
        #expect(cluster.logTail("city.log", lines: 100).contains("http.request_id=\(requestId)"), "\(requestId) in the city's log")
        #expect(try county.pendingCount() == 2, "the county keeps what it could not send")
        #expect(cluster.logTail("city.log", lines: 100).contains(cluster.cityDB), "the city's log has the whole cause")
        holder.kill9()
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        #expect(try county.pendingCount() == 0)
    }
}
