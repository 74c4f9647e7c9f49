import ArgumentParser
import CurlTransport
import Foundation
import SyncProtocol
import SyncStore

/// `syncctl verify`: compares digests of the county's rows on both sides.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare the county's rows with the city's copy; exit 0 equal, 1 different (naming tables and rows).",
        discussion: """
            With --decisions, check the city's decision log instead: at the city, its hash chain from the first entry \
            (exit 1 naming the first entry that does not hold); at a county, what its pulls found (exit 1 while a finding \
            is not acknowledged; --acknowledge once the city has explained it, e.g. by a restore from a backup).
            """)

    @OptionGroup var database: DatabaseOptions
    /// The city connection, needed except with --decisions.
    @OptionGroup var connection: CityConnectionOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Check the city's decision log (its hash chain at the city; at a county, what its pulls found).") var decisions = false
    @Flag(help: "With --decisions at a county: acknowledge what its pulls found about the city's decision log.") var acknowledge = false

    /// `verify --decisions`.
    func verifyDecisions() throws {
        switch try reporting({ try database.openAny() }) {
        case let city as CityDatabase:
            let report = try reporting { try city.verifyDecisions() }
            if output.json { try printJSON(report) } else if let broken = report.brokenAt {
                print(attention("decision log: BROKEN at entry \(broken): \(report.reason ?? ""); \(report.entries) entries before it hold"))
            } else {
                print("decision log: \(report.entries) entries chained, head \(report.head.map { "\($0.id) \($0.hash)" } ?? "none")")
            }
            if report.brokenAt != nil { throw ExitCode(1) }
        case let county as CountyDatabase:
            if acknowledge {
                let count = try reporting { try county.acknowledgeDecisionAlarms() }
                print("acknowledged \(count) finding\(count == 1 ? "" : "s") about the city's decision log")
                return
            }
            let alarms = try reporting { try county.decisionAlarms() }
            if output.json {
                struct Finding: Encodable { let decisionId: Int64; let message: String; let detectedAt: Int64 }
                try printJSON(alarms.map { Finding(decisionId: $0.decisionId, message: $0.message, detectedAt: $0.detectedAt) })
            } else if alarms.isEmpty {
                print("decision log: the city's log agrees with every head this county saw (last seen: \(try reporting { try county.decisionsSeen() }.map(String.init) ?? "none yet"))")
            } else {
                for alarm in alarms { print(attention("decision log: \(alarm.message) (found \(ago(alarm.detectedAt)))")) }
            }
            if !alarms.isEmpty { throw ExitCode(1) }
        default:
            throw CLIError("\(database.db): not a County Sync database")
        }
    }

    /// One table's comparison.
    struct TableResult: Encodable {
        let table: String
        let equal: Bool
        let localRows: Int
        let cityRows: Int
        /// Buckets (last hex digit of the id) whose digests differ.
        let differingBuckets: [String]
        /// Rows present on one side only, or with different values.
        let differingRows: [String]
    }

    struct Result: Encodable {
        let county: String
        let equal: Bool
        let tables: [TableResult]
    }

    func validate() throws {
        if acknowledge && !decisions { throw ValidationError("--acknowledge goes with --decisions") }
    }

    func run() async throws {
        if decisions { return try verifyDecisions() }
        let county = try reporting { try database.open() }
        let transport = try connection.transport(failing: .couldNot)
        func get<T: Decodable>(_ path: String) async throws -> T {
            do {
                let (status, body) = try await transport.request(method: "GET", path: path)
                guard status == 200 else {
                    let error = try? JSONDecoder().decode(ErrorBody.self, from: body)
                    throw CLIError("verify: the city answered \(status)\(error.map { " \($0.code): \($0.message)" } ?? "")", status: .couldNot)
                }
                return try JSONDecoder().decode(T.self, from: body)
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError("verify: could not check: \(error)", status: .couldNot)
            }
        }
        let local = try reporting { try county.digests(county: county.county) }
        let remote: DigestResponse = try await get("/v1/digest?node=\(county.replica.node)")
        var results: [TableResult] = []
        for digest in local {
            let theirs = Dictionary(uniqueKeysWithValues: (remote.tables[digest.table] ?? []).map { ($0.bucket, $0) })
            let differing = digest.buckets.filter { theirs[$0.bucket]?.hash != $0.hash || theirs[$0.bucket]?.count != $0.count }.map(\.bucket)
            var rows: [String] = []
            for bucket in differing {
                let mine = try reporting { try county.rowHashes(county: county.county, table: digest.table, bucket: bucket) }
                let cityRows: RowHashesResponse = try await get("/v1/digest?table=\(digest.table)&bucket=\(bucket)")
                rows += Set(mine.keys).union(cityRows.rows.keys).filter { mine[$0] != cityRows.rows[$0] }.sorted()
            }
            results.append(TableResult(
                table: digest.table, equal: differing.isEmpty, localRows: digest.buckets.reduce(0) { $0 + $1.count },
                cityRows: (remote.tables[digest.table] ?? []).reduce(0) { $0 + $1.count }, differingBuckets: differing, differingRows: rows))
        }
        let result = Result(county: county.county, equal: results.allSatisfy(\.equal), tables: results)
        let summary = result.equal ? "equal" : "different: " + results.filter { !$0.equal }.map { "\($0.table) (\($0.differingRows.count) rows)" }.joined(separator: ", ")
        try? county.recordVerification(summary)
        if output.json {
            try printJSON(result)
        } else {
            for table in results {
                if table.equal {
                    print("\(table.table): equal (\(table.localRows) rows)")
                } else {
                    print(attention("\(table.table): DIFFERENT: \(table.localRows) rows here, \(table.cityRows) at the city; buckets \(table.differingBuckets.joined(separator: ","))"))
                    for row in table.differingRows.prefix(50) { print("  \(row)") }
                    if table.differingRows.count > 50 { print("  … and \(table.differingRows.count - 50) more") }
                }
            }
        }
        if !result.equal { throw ExitCode(1) }
    }
}
