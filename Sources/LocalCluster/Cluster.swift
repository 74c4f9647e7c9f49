import CurlTransport
import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A city and its counties on loopback, as real processes: `city-aggregator` and `county-syncd`
/// over TLS with certificates made by `Deploy/pki.sh`, on SQLite files in a temporary folder.
/// The end-to-end tests and the fault harness (`sync-faults`) both drive the system through it.
public final class Cluster: @unchecked Sendable {
    public let dir: URL
    public var pki: URL { dir.appendingPathComponent("pki") }
    /// The city database (in the folder unless a test puts it elsewhere before the city starts).
    public var cityDB: String

    /// The aggregator's port (0 until it first starts); read by the fault proxy's threads.
    public var cityPort: Int { port.withLock { $0 } }
    private let port = Mutex(0)
    public private(set) var city: Managed?
    private var daemons: [String: Managed] = [:]
    private var others: [Managed] = []

    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder holding the built executables.
    public static let binaries: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if FileManager.default.isExecutableFile(atPath: beside.appendingPathComponent("city-aggregator").path) { return beside }
        return packageRoot.appendingPathComponent(".build/debug")
    }()

    /// Creates the folder (a fresh temporary one unless `dir` is given) and the CA and server certificate.
    public init(dir: URL? = nil) throws {
        self.dir = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("cluster-\(UUID().uuidString)")
        cityDB = self.dir.appendingPathComponent("city.db").path
        try FileManager.default.createDirectory(at: self.dir, withIntermediateDirectories: true)
        try Self.run("/bin/bash", [Self.packageRoot.appendingPathComponent("Deploy/pki.sh").path, "ca", pki.path])
        try Self.run("/bin/bash", [Self.packageRoot.appendingPathComponent("Deploy/pki.sh").path, "server", pki.path, "localhost", "127.0.0.1"])
    }

    deinit { stopAll() }

    public func stopAll() {
        for process in daemons.values + others + [city].compactMap({ $0 }) { process.kill9() }
        daemons = [:]
        others = []
        city = nil
    }

    public func cleanUp() {
        stopAll()
        try? FileManager.default.removeItem(at: dir)
    }

    public var cityURL: String { "https://127.0.0.1:\(cityPort)" }

    /// A county certificate (made once).
    public func certificate(_ county: String) throws -> (cert: String, key: String) {
        let cert = pki.appendingPathComponent("county-\(county).pem").path
        if !FileManager.default.fileExists(atPath: cert) {
            try Self.run("/bin/bash", [Self.packageRoot.appendingPathComponent("Deploy/pki.sh").path, "county", pki.path, county])
        }
        return (cert, pki.appendingPathComponent("county-\(county).key").path)
    }

    public func countyDBPath(_ county: String) -> String { dir.appendingPathComponent("county-\(county).db").path }

    /// Creates a county replica.
    public func makeCounty(_ county: String) throws -> CountyDatabase {
        _ = try certificate(county)
        return try CountyDatabase.create(at: countyDBPath(county), county: county)
    }

    /// Starts the aggregator (on a free port the first time, on the same port after a restart).
    /// With `descriptorLimit`, the aggregator runs under that limit of open files, soft and hard
    /// (`prlimit`), as under a unit without `LimitNOFILE`.
    public func startCity(_ extra: [String] = [], environment: [String: String] = [:], descriptorLimit: Int? = nil) async throws {
        let portFile = dir.appendingPathComponent("city.port").path
        try? FileManager.default.removeItem(atPath: portFile)
        let binary = Self.binaries.appendingPathComponent("city-aggregator")
        let launcher = descriptorLimit.map { limit in (URL(fileURLWithPath: "/usr/bin/prlimit"), ["--nofile=\(limit):\(limit)", "--", binary.path]) }
        city = try Managed.start(
            launcher?.0 ?? binary,
            (launcher?.1 ?? []) + ["--db", cityDB, "--listen", "127.0.0.1:\(cityPort)", "--cert", pki.appendingPathComponent("server.pem").path,
             "--key", pki.appendingPathComponent("server.key").path, "--client-ca", pki.appendingPathComponent("ca.pem").path,
             "--port-file", portFile, "--log-level", "notice"] + extra,
            log: dir.appendingPathComponent("city.log"), environment: environment)
        try await eventually("the aggregator writes its port", timeout: .seconds(30)) {
            guard let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return false }
            self.port.withLock { $0 = port }
            return true
        }
    }

    /// The port a listener wrote to `file` (`--port-file`, `--monitoring-port-file`,
    /// `--metrics-port-file`), once it has.
    public func port(writtenTo file: String) async throws -> Int {
        var port = 0
        try await eventually("a port in \(file)") {
            port = Int((try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            return port > 0
        }
        return port
    }

    /// Stops the aggregator: gracefully, or with `kill -9`.
    public func stopCity(kill: Bool = false) {
        if kill { city?.kill9() } else { city?.terminate() }
        city = nil
    }

    /// Starts `county-syncd` for a county (on its usual replica or `dbPath`), talking to the
    /// aggregator directly or through `via` (a fault proxy's URL); `extra` arguments are appended.
    /// With `skewSeconds`, the daemon runs with only its wall clock shifted (see `skewClockLibrary`);
    /// with `descriptorLimit`, under that many file descriptors (`prlimit`, as a unit without `LimitNOFILE`).
    public func startDaemon(_ county: String, batchSize: Int = 1_000, pullInterval: Double = 1, via: String? = nil,
                            dbPath: String? = nil, extra: [String] = [], skewSeconds: Int? = nil, descriptorLimit: Int? = nil) throws {
        let (cert, key) = try certificate(county)
        let arguments = ["--db", dbPath ?? countyDBPath(county), "--city", via ?? cityURL, "--ca", pki.appendingPathComponent("ca.pem").path,
                         "--cert", cert, "--key", key, "--batch-size", "\(batchSize)", "--pull-interval", "\(pullInterval)",
                         "--max-backoff", "2", "--log-level", "info"] + extra
        let environment = try skewSeconds.map { ["LD_PRELOAD": try Self.skewClockLibrary(), "SKEW_SECONDS": String($0)] } ?? [:]
        let binary = Self.binaries.appendingPathComponent("county-syncd")
        let launcher = descriptorLimit.map { limit in (URL(fileURLWithPath: "/usr/bin/prlimit"), ["--nofile=\(limit):\(limit)", "--", binary.path]) }
        daemons[county] = try Managed.start(launcher?.0 ?? binary, (launcher?.1 ?? []) + arguments,
                                            log: dir.appendingPathComponent("county-\(county).log"), environment: environment)
    }

    /// `skewclock.so`, built once from the shared tools (`../shared/tools/skewclock.c` beside the
    /// package) into `.build/`: preloaded, it shifts only a process's wall clock (`SKEW_SECONDS`),
    /// leaving the monotonic clocks that timers and `Task.sleep` read alone. libfaketime shifts
    /// `CLOCK_BOOTTIME` too, under which a Swift daemon's every sleep lasts the skew.
    public static func skewClockLibrary() throws -> String {
        try skewClockBuild.withLock { built in
            if let built { return built }
            let source = packageRoot.appendingPathComponent("../shared/tools/skewclock.c").standardized.path
            let library = packageRoot.appendingPathComponent(".build/skewclock.so").path
            guard FileManager.default.fileExists(atPath: source) else { throw ClusterError("no \(source): the shared tools must sit beside the package") }
            let result = try capture("/usr/bin/cc", ["-shared", "-fPIC", "-O2", "-o", library, source, "-ldl"])
            guard result.status == 0 else { throw ClusterError("building skewclock.so failed: \(result.stderr)") }
            built = library
            return library
        }
    }

    private static let skewClockBuild = Mutex<String?>(nil)

    /// Whether a county's daemon is running.
    public func daemonRunning(_ county: String) -> Bool { daemons[county]?.isRunning ?? false }

    /// The process id of a county's daemon, while it runs.
    public func daemonPid(_ county: String) -> Int32? { daemons[county].map { $0.process.processIdentifier } }

    /// Stops a county's daemon: gracefully (SIGTERM), or with `kill -9`; returns its exit status.
    @discardableResult
    public func stopDaemon(_ county: String, kill: Bool = false) -> Int32? {
        guard let daemon = daemons.removeValue(forKey: county) else { return nil }
        if kill { daemon.kill9() } else { daemon.terminate() }
        return daemon.process.terminationStatus
    }

    /// The second operator at the city's shell: `syncctl` run as the system user `nobody`
    /// (so `shell:nobody`), for a decision one operator cannot make alone (`syncctl pending`).
    /// The cluster's folder and city database are opened to that user first.
    public func syncctlAsSecondOperator(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        chmod(dir.path, 0o777)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasPrefix("city.db") {
            chmod(dir.appendingPathComponent(name).path, 0o666)
        }
        let binary = Self.binaries.appendingPathComponent("syncctl").path
        return try Self.capture("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", binary] + arguments)
    }

    /// Confirms, as the second operator, the decision pending on `record`.
    public func confirmPending(_ record: String) throws -> (status: Int32, stdout: String, stderr: String) {
        guard let pending = try CityDatabase.open(at: cityDB).pendingDecisions().first(where: { $0.recordId == record }) else {
            return (1, "", "no decision pending on \(record)")
        }
        return try syncctlAsSecondOperator(["pending", "confirm", String(pending.id), "--db", cityDB])
    }

    /// Runs `syncctl`, under a skewed clock if `faketime` is given (e.g. `+1d`, `-3h`); returns
    /// status and output.
    @discardableResult
    public func syncctl(_ arguments: [String], faketime: String? = nil, environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = Self.binaries.appendingPathComponent("syncctl").path
        // In English, whatever the machine's locale: the tests read the English messages.
        guard let faketime else {
            return try Self.capture(binary, arguments, environment: ["LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""].merging(environment) { $1 })
        }
        Self.removeStaleFaketimeFiles()
        return try Self.capture("/usr/bin/faketime", ["-f", faketime, binary] + arguments, environment: ["FAKETIME_DONT_FAKE_MONOTONIC": "1"])
    }

    /// The `faketime` wrapper keeps a named semaphore and shared memory per pid in /dev/shm; a
    /// killed wrapper leaves them behind, and a later wrapper with the same pid then refuses to
    /// start ("sem_open: File exists"). Removes those of pids no longer running.
    static func removeStaleFaketimeFiles() {
        let shm = "/dev/shm"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: shm)) ?? []
        where name.hasPrefix("sem.faketime_sem_") || name.hasPrefix("faketime_shm_") {
            guard let pid = name.split(separator: "_").last.flatMap({ Int32($0) }), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: "\(shm)/\(name)")
        }
    }

    /// The flags that connect `syncctl sync` or `verify` to the aggregator as `county`, with the
    /// replica at `dbPath` (the county's usual one by default).
    public func connection(_ county: String, dbPath: String? = nil) throws -> [String] {
        let (cert, key) = try certificate(county)
        return ["--db", dbPath ?? countyDBPath(county), "--city", cityURL, "--ca", pki.appendingPathComponent("ca.pem").path,
                "--cert", cert, "--key", key]
    }

    /// An online backup of the replica at `path` (the `sqlite3` shell's `.backup`; writers may run).
    public static func backUp(_ path: String, to backup: String) throws {
        try? FileManager.default.removeItem(atPath: backup)
        try run("/usr/bin/sqlite3", [path, ".backup '\(backup)'"])
    }

    /// Puts `backup` in place of the replica at `path`, as an admin restoring a backup would.
    /// Every connection to the replica must be closed first: SQLite removes a closing database's
    /// `-wal` file by name, which must not happen to the restored one.
    public static func restore(_ path: String, from backup: String) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try FileManager.default.copyItem(atPath: backup, toPath: path)
    }

    /// A libcurl transport speaking as `county` (or with other files, for identity tests).
    public func transport(cert: String, key: String, ca: String? = nil) throws -> CurlTransport {
        try CurlTransport(TransportConfiguration(baseURL: cityURL, caFile: ca ?? pki.appendingPathComponent("ca.pem").path,
                                                 certFile: cert, keyFile: key, connectTimeout: .seconds(5), requestTimeout: .seconds(20)))
    }

    /// The last lines of a process log, for failure messages.
    public func logTail(_ name: String, lines: Int = 20) -> String {
        let text = (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    // MARK: - Processes

    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let result = try capture(executable, arguments)
        guard result.status == 0 else { throw ClusterError("\(executable) \(arguments.joined(separator: " ")) failed: \(result.stderr)") }
        return result.stdout
    }

    /// Runs `executable` to its end (in `directory` if given, with `environment` added); returns
    /// its status and output.
    public static func capture(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                               in directory: URL? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let merged = environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let result = try SpawnedProcess.capture(executable, arguments, environment: merged, directory: directory?.path)
        return (result.status, String(decoding: result.stdout, as: UTF8.self), String(decoding: result.stderr, as: UTF8.self))
    }
}

/// A long-running child process with its output in a log file.
public final class Managed: @unchecked Sendable {
    public let process: SpawnedProcess

    private init(process: SpawnedProcess) { self.process = process }

    public static func start(_ executable: URL, _ arguments: [String], log: URL, environment: [String: String] = [:]) throws -> Managed {
        let output = open(log.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw ClusterError("cannot open \(log.path): errno \(errno)") }
        defer { close(output) }
        let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ClusterError("cannot open /dev/null: errno \(errno)") }
        defer { close(input) }
        let merged = environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 }
        return Managed(process: try SpawnedProcess.start(executable.path, arguments, environment: merged, stdin: input, stdout: output, stderr: output))
    }

    public var isRunning: Bool { process.isRunning }

    /// SIGKILL: no chance to clean up.
    public func kill9() {
        guard process.isRunning else { return }
        process.terminate(signal: SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then wait (SIGKILL after 20 s).
    public func terminate() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        kill9()
    }
}

public struct ClusterError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or the deadline passes (then throws naming what was awaited).
/// The condition is asked once more after the deadline: a test process whose tasks were all held
/// up (two blocking calls on a 2-core machine hold the whole cooperative pool) would otherwise
/// fail every wait that was running, though what it waited for had long happened.
public func eventually(_ what: String, timeout: Duration = .seconds(60), _ condition: () throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var lastError: (any Error)?
    while true {
        let last = clock.now >= deadline
        do {
            if try condition() { return }
        } catch {
            lastError = error
        }
        if last { break }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw ClusterError("timed out waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
}

/// Whether the city holds exactly the county's rows, with the same values.
public func cityMatches(_ county: CountyDatabase, _ city: CityDatabase) throws -> Bool {
    let code = county.county
    return try county.platforms() == city.platforms().filter { $0.county == code }
        && county.awards() == city.awards().filter { $0.county == code }
}

/// A valid credit code ending in `serial`.
public func creditCode(_ serial: Int) -> String {
    let prefix = "91130200" + String(format: "%09d", serial % 1_000_000_000)
    return prefix + String(CreditCode.checkCharacter(for: prefix)!)
}

/// `count` valid platforms of `county`. Hosts' credit codes differ between counties, so the
/// platforms of two counties are never likely duplicates of each other (`PlatformIdentity`).
public func makePlatforms(_ county: String, count: Int, offset: Int = 0) -> [Platform] {
    let base = (Int(county) ?? 0) % 1_000 * 1_000_000
    return (0..<count).map { index in
        Platform(county: county, name: "平台 \(county)-\(offset + index)", category: index % 2 == 0 ? .keyLab : .industryAlliance,
                 level: .municipal, hostOrg: "依托单位 \(index % 17)", creditCode: creditCode(base + offset + index), industry: "钢铁冶金")
    }
}
