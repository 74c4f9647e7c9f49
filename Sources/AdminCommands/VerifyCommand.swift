import ArgumentParser
import CurlTransport
import Foundation
import SyncProtocol
import SyncStore

/// `syncctl verify`: compares digests of the county's rows on both sides.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare the county's rows with the city's copy; exit 0 equal, 1 different (naming tables and rows).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var connection: CityConnectionOptions
    @OptionGroup var output: OutputOptions

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

    func run() async throws {
        let county = try reporting { try database.open() }
        let transport: CurlTransport
        do { transport = try connection.transport() } catch let error as CLIError { throw CLIError(error.description, status: .couldNot) }
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
