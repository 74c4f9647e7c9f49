import CityServer
import CurlTransport
import Foundation
import Logging
import SyncStore

/// What the end-to-end benchmarks share: a PKI made by `Deploy/pki.sh`, and the real aggregator
/// in this process on a free port.
enum BenchCity {
    /// Makes a CA, a server certificate for 127.0.0.1 and a certificate per county in `pki`.
    static func makePKI(_ pki: String, counties: [String]) throws {
        for arguments in [["ca", pki], ["server", pki, "localhost", "127.0.0.1"]] + counties.map({ ["county", pki, $0] }) {
            try runPKI(arguments)
        }
    }

    /// Runs `Deploy/pki.sh` with `arguments` (and `environment` added).
    static func runPKI(_ arguments: [String], environment: [String: String] = [:]) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Deploy/pki.sh").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("Deploy/pki.sh \(arguments[0]) failed") }
    }

    /// The aggregator's configuration over `database`, with the PKI in `pki`, on a free port.
    static func configuration(database: String, pki: String) -> CityServerConfiguration {
        var configuration = CityServerConfiguration(
            databasePath: database, certFile: "\(pki)/server.pem", keyFile: "\(pki)/server.key", clientCAFile: "\(pki)/ca.pem")
        configuration.port = 0
        return configuration
    }

    /// Starts the aggregator; returns the task serving it (cancel it to stop) and its port.
    static func start(_ configuration: CityServerConfiguration) async throws -> (server: Task<Void, any Error>, port: Int) {
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "sync-bench")
        logger.logLevel = .critical  // cancelling the server at the end logs errors that mean nothing here
        let app = try buildCityApplication(configuration: configuration, logger: logger) { port in portContinuation.yield(port) }
        let server = Task { try await app.runService() }
        var ports = portStream.makeAsyncIterator()
        guard let port = await ports.next() else { throw BenchError("the aggregator did not start") }
        return (server, port)
    }

    /// A county's libcurl transport to the aggregator on `port`.
    static func transport(port: Int, pki: String, county: String) throws -> CurlTransport {
        try CurlTransport(TransportConfiguration(
            baseURL: "https://127.0.0.1:\(port)", caFile: "\(pki)/ca.pem", certFile: "\(pki)/county-\(county).pem",
            keyFile: "\(pki)/county-\(county).key"))
    }
}

/// A benchmark that could not run as planned.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
