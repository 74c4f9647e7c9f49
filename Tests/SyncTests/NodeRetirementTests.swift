import CurlTransport
import Foundation
import LocalCluster
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// Node slots can be freed: a compromised PC that took a county's node slots no longer locks a
/// restored or replacement replica out for good (release 0.15.0 had nothing to retire a node).
@Suite("Retiring nodes", .serialized)
struct NodeRetirementTests {
    static func heartbeat(_ transport: CurlTransport, node: String) async throws -> (status: Int, code: String?) {
        let body = try JSONEncoder().encode(Heartbeat(node: node, pending: 0, oldestPendingAgeSeconds: 0, lastError: nil))
        let answer = try await transport.request(method: "POST", path: "/v1/heartbeat", body: body)
        return (answer.status, (try? JSONDecoder().decode(ErrorBody.self, from: answer.body))?.code)
    }

    @Test(.timeLimit(.minutes(3)))
    func aNodeTheCityRetiredFreesItsSlotAndIsRefused() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity(["--max-nodes-per-county", "2"])
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 3))
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        let (cert, key) = try cluster.certificate("130202")
        let transport = try cluster.transport(cert: cert, key: key)
        // A compromised PC takes the last slot, and the next node is refused.
        #expect(try await Self.heartbeat(transport, node: "county-130202-evil1").status == 200)
        #expect(try await Self.heartbeat(transport, node: "county-130202-evil2").code == "too_many_nodes")
        // A replacement replica of the county cannot get in either.
        let replacement = cluster.dir.appendingPathComponent("replacement.db").path
        _ = try CountyDatabase.create(at: replacement, county: "130202")
        let refused = try cluster.syncctl(["sync"] + cluster.connection("130202", dbPath: replacement))
        #expect(refused.status != 0 && refused.stderr.contains("too_many_nodes"), "\(refused.stderr)")

        let list = try cluster.syncctl(["nodes", "--county", "130202", "--db", cluster.cityDB])
        #expect(list.stdout.contains("county-130202-evil1") && list.stdout.contains("2 in service"), "\(list.stdout)")
        let noReason = try cluster.syncctl(["nodes", "retire", "county-130202-evil1", "--reason", " ", "--db", cluster.cityDB])
        #expect(noReason.status != 0, "a retirement needs a reason")
        let retired = try cluster.syncctl(["nodes", "retire", "county-130202-evil1", "--reason", "办公电脑被入侵，证书已吊销", "--db", cluster.cityDB])
        #expect(retired.status == 0, "\(retired.stderr)")
        let city = try CityDatabase.open(at: cluster.cityDB)
        #expect(try city.decisions(rowId: "county-130202-evil1").contains { $0.action == "retire_node" && $0.detail.contains("证书已吊销") })
        // The retired node is refused; its slot went to the replacement.
        #expect(try await Self.heartbeat(transport, node: "county-130202-evil1").code == "node_retired")
        let admitted = try cluster.syncctl(["sync"] + cluster.connection("130202", dbPath: replacement))
        #expect(admitted.status == 0, "\(admitted.stderr)")
        #expect(try CountyDatabase.open(at: replacement).platforms().count == 3, "the replacement merged the county's rows")
    }

    /// A node silent past `node-retire-days` is retired by the city; a replica whose node was
    /// retired continues as a new node on its next sync, and nothing it had pending is lost.
    @Test(.timeLimit(.minutes(3)))
    func aSilentNodeIsRetiredAndItsReplicaContinuesAsANewNode() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        try county.addPlatforms(makePlatforms("130202", count: 2))
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)
        let oldNode = county.replica.node
        let city = try CityDatabase.open(at: cluster.cityDB)
        let retired = try city.retireSilentNodes(silentBeforeMs: CountyDatabase.wallClockMs() + 1_000, days: 365)
        #expect(retired == [oldNode])
        #expect(try city.decisions(rowId: oldNode).contains { $0.action == "retire_node" && $0.detail.contains("silent") })
        // Written while retired, then synced.
        try county.addPlatforms(makePlatforms("130202", count: 1, offset: 10))
        let sync = try cluster.syncctl(["sync"] + cluster.connection("130202"))
        #expect(sync.status == 0, "\(sync.stderr)")
        let after = try CountyDatabase.open(at: county.path)
        #expect(after.replica.node != oldNode, "the replica continues as a new node")
        #expect(try after.pendingCount() == 0 && city.platforms().count == 3, "what it wrote meanwhile reached the city")
    }
}
