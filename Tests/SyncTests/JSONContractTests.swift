import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// Every `--json` output keeps one contract: a missing value is null (never a left-out key), and
/// every point in time is an ISO 8601 string with its zone, under a key ending in `At`.
@Suite("The --json contract", .serialized)
struct JSONContractTests {
    /// Walks a JSON tree; records every key and each time key's value.
    static func check(_ tree: Any, command: String, path: String = "") {
        if let object = tree as? [String: Any] {
            for (key, value) in object {
                #expect(!key.hasSuffix("AtMs") && key != "atMs", "\(command): \(path).\(key) is a millisecond time")
                if key.hasSuffix("At") || key == "at" {
                    if let text = value as? String {
                        #expect(text.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"#, options: .regularExpression) != nil,
                                "\(command): \(path).\(key) = \(text) is not ISO 8601 with a zone")
                    } else {
                        #expect(value is NSNull, "\(command): \(path).\(key) is neither a time nor null: \(value)")
                    }
                }
                check(value, command: command, path: "\(path).\(key)")
            }
        } else if let array = tree as? [Any] {
            for (index, element) in array.enumerated() { check(element, command: command, path: "\(path)[\(index)]") }
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func everyCommandsJSONKeepsTheContract() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await cluster.startCity()
        let county = try cluster.makeCounty("130202")
        let platform = try county.addPlatform(makePlatforms("130202", count: 1)[0])
        let award = try county.proposeAward(Award(county: "130202", platformId: platform.id, amount: .yuan(50_000), fiscalYear: 2025))
        let db = county.path
        let city = cluster.cityDB
        // Before any sync: the county's status has no push yet, which must show as null.
        let fresh = try cluster.syncctl(["status", "--db", db, "--json"])
        let freshTree = try #require(try JSONSerialization.jsonObject(with: Data(fresh.stdout.utf8)) as? [String: Any])
        #expect(freshTree["lastPushAt"] is NSNull, "a missing value is null, not left out: \(fresh.stdout)")
        #expect(try cluster.syncctl(["sync", "--json"] + cluster.connection("130202")).status == 0)
        #expect(try cluster.syncctl(["platform", "recognize", platform.id, "--db", city]).status == 0)
        #expect(try cluster.syncctl(["award", "approve", award.id, "--db", city]).status == 0)
        #expect(try cluster.syncctl(["sync"] + cluster.connection("130202")).status == 0)

        let commands: [[String]] = [
            ["status", "--db", db], ["status", "--db", city], ["platform", "list", "--db", db], ["platform", "show", "--db", db, platform.id],
            ["award", "list", "--db", city], ["conflicts", "--db", city], ["parked", "--db", db], ["outbox", "--db", db],
            ["explain", "--db", city, award.id], ["explain", "--db", db, award.id], ["progress", "--db", city],
        ]
        let connected: [[String]] = [["verify"] + (try cluster.connection("130202")), ["sync"] + (try cluster.connection("130202"))]
        for arguments in commands + connected {
            let result = try cluster.syncctl(arguments + ["--json"])
            #expect(result.status == 0, "\(arguments.prefix(2).joined(separator: " ")): \(result.stderr)")
            let tree = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8), options: [.fragmentsAllowed])
            Self.check(tree, command: arguments.prefix(2).joined(separator: " "))
        }
        // Action commands say what they did as JSON too: the record and the sentence.
        let doomed = try county.addPlatform(makePlatforms("130202", count: 1, offset: 40)[0])
        for arguments in [["platform", "delete", "--db", db, doomed.id], ["figures", "set", "trainees", "--year", "2024", "--value", "120", "--db", city]] {
            let result = try cluster.syncctl(arguments + ["--json"])
            let tree = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(arguments[0]) \(arguments[1]): \(result.stdout) \(result.stderr)")
            #expect(tree["done"] as? Bool == true && tree["id"] is String && (tree["message"] as? String)?.isEmpty == false, "\(tree)")
        }
        // Times that exist are shown as times.
        let status = try #require(try JSONSerialization.jsonObject(with: Data(try cluster.syncctl(["status", "--db", db, "--json"]).stdout.utf8)) as? [String: Any])
        #expect(status["lastPushAt"] is String && status["lastPullAt"] is String, "\(status)")
    }
}
