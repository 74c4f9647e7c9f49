import ArgumentParser
import CurlTransport
import Foundation
import SyncCore
import SyncStore

/// The service's configuration file, where `syncctl` finds what a command leaves out: `db` on
/// both sides, and the city's address and the county's certificates (`city`, `ca`, `cert`,
/// `key`) at a county. `COUNTY_SYNC_CONFIG` names it; otherwise the county daemon's, else the
/// aggregator's, at their default paths.
enum ServiceSettings {
    static let defaultPaths = ["/etc/county-sync/county-syncd.conf", "/etc/county-sync/city-aggregator.conf"]

    /// The file, if one is named or found; a file named but unreadable is an error. Read once
    /// per process: `--db` and the city's four settings all come from the same reading.
    static func file() throws -> ConfigFile? {
        try loaded.get()
    }

    private static let loaded = Result { () throws(CLIError) -> ConfigFile? in
        if let named = ProcessInfo.processInfo.environment["COUNTY_SYNC_CONFIG"], !named.isEmpty {
            do { return try ConfigFile(path: named, allowed: nil) } catch { throw CLIError("COUNTY_SYNC_CONFIG: \(error)", status: .couldNot) }
        }
        for path in defaultPaths where FileManager.default.isReadableFile(atPath: path) {
            return try? ConfigFile(path: path, allowed: nil)
        }
        return nil
    }

    /// `key` from the file, if it sets it.
    static func value(_ key: String) -> String? {
        (try? file())??.values[key]
    }

    /// Where to say a missing setting may go.
    static var hint: String {
        let named = ProcessInfo.processInfo.environment["COUNTY_SYNC_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        return "in \(named ?? defaultPaths[0]) (COUNTY_SYNC_CONFIG names the file)"
    }
}

/// `--db PATH` and the county list, shared by every command that opens a replica.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp(
        "The replica database file (default: db in the service's configuration, COUNTY_SYNC_CONFIG or /etc/county-sync/county-syncd.conf).",
        valueName: "path"))
    var dbOption: String?

    /// The database: `--db`, else `db` of the service's configuration (`ServiceSettings`).
    var db: String { dbOption ?? ServiceSettings.value("db") ?? "" }

    mutating func validate() throws {
        if dbOption == nil {
            do { _ = try ServiceSettings.file() } catch { throw ValidationError("\(error)") }
            guard ServiceSettings.value("db") != nil else {
                throw ValidationError("no database named: give --db PATH, or db = \"PATH\" \(ServiceSettings.hint)")
            }
        }
    }

    @Option(name: .long, help: ArgumentHelp(
        "A JSON county list replacing the 18 Tangshan divisions (also COUNTY_SYNC_COUNTIES).", valueName: "file"))
    var counties: String?

    /// The configured county list.
    func registry() throws -> CountyRegistry {
        guard let file = counties ?? ProcessInfo.processInfo.environment["COUNTY_SYNC_COUNTIES"] else { return .tangshan }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CLIError("cannot read county list \(file)")
        }
        do { return try CountyRegistry(json: data) } catch { throw CLIError("county list \(file): \(error)") }
    }

    /// A record id given by a unique prefix of at least 8 characters (as git takes commits), in
    /// full; anything else as given, for the command to judge. A prefix of several ids is refused,
    /// naming some of them.
    func expand(_ text: String, _ tables: [SyncedTable]) throws -> String {
        let given = text.lowercased()
        guard given.count >= 8, given.count < 36, given.allSatisfy({ $0.isHexDigit || $0 == "-" }),
              let database = try? openAny(readOnly: true), let matches = try? database.ids(startingWith: given, in: tables) else { return text }
        guard matches.count <= 1 else {
            throw ValidationError("\(text) is the start of \(matches.count == 5 ? "5 or more" : String(matches.count)) ids (\(matches.prefix(3).joined(separator: ", "))…); give more of it")
        }
        return matches.first ?? text
    }

    /// Opens the county replica; a city database gets a clear refusal.
    func open() throws -> CountyDatabase {
        try CountyDatabase.open(at: db, counties: try registry())
    }

    @Option(name: .long, help: ArgumentHelp(
        "At the city: the roles file of who may decide what (also COUNTY_SYNC_ROLES; default /etc/county-sync/roles.conf if it exists). syncctl acts as shell:USER.",
        valueName: "file"))
    var roles: String?

    /// The city's roles file, if one is configured: `--roles`, `COUNTY_SYNC_ROLES`, or the
    /// default path when it exists. A file named but unreadable is an error: a shell must not
    /// decide with more rights than the aggregator gives.
    func operatorRoles() throws -> OperatorRoles {
        let named = roles ?? ProcessInfo.processInfo.environment["COUNTY_SYNC_ROLES"]
        guard let path = named ?? (FileManager.default.fileExists(atPath: Self.defaultRolesPath) ? Self.defaultRolesPath : nil) else { return .open }
        do { return try OperatorRoles.load(path: path) } catch { throw CLIError("\(error)", status: .couldNot) }
    }

    static let defaultRolesPath = "/etc/county-sync/roles.conf"

    /// Opens the city database; a county replica gets a clear refusal.
    func openCity(for action: String) throws -> CityDatabase {
        switch try openAny() {
        case let city as CityDatabase:
            city.roles = try operatorRoles()
            return city
        default: throw CLIError("\(db) is a county replica: \(action) is done at the city")
        }
    }

    /// Opens a county replica; the city database gets a clear refusal naming what to do there.
    func openCounty(for action: String, atTheCity instead: String) throws -> CountyDatabase {
        guard let county = try openAny() as? CountyDatabase else {
            throw CLIError("\(db) is the city database: \(action) is done at its county; \(instead)")
        }
        return county
    }

    /// Opens whichever replica `--db` names, county or city; `readOnly` for inspection commands,
    /// which then never wait for another process's writes and never change the file.
    func openAny(readOnly: Bool = false) throws -> any ReplicaDatabase {
        do {
            return try CountyDatabase.open(at: db, counties: try registry(), readOnly: readOnly)
        } catch StoreError.wrongRole(_, _, let found) where found == "city" {
            let city = try CityDatabase.open(at: db, counties: try registry(), readOnly: readOnly)
            city.roles = try operatorRoles()
            return city
        }
    }
}

/// How to reach the city: `--city --ca --cert --key`, shared by `sync` and `verify`; each left
/// out is read from the county daemon's configuration (`ServiceSettings`).
struct CityConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The aggregator's URL, e.g. https://city.example:8443 (default: city in the daemon's configuration).", valueName: "url"))
    var city: String?
    @Option(help: ArgumentHelp("PEM file of the city CA (default: ca in the daemon's configuration).", valueName: "pem")) var ca: String?
    @Option(help: ArgumentHelp("PEM file of this county's certificate (default: cert in the daemon's configuration).", valueName: "pem")) var cert: String?
    @Option(help: ArgumentHelp("PEM file of its private key (default: key in the daemon's configuration).", valueName: "pem")) var key: String?

    /// Whether any of the four was given on the command line.
    var anyGiven: Bool { [city, ca, cert, key].contains { $0 != nil } }

    /// The libcurl transport to the city; a bad or missing setting is one clear line, exiting
    /// with `failing` when a file named cannot be used.
    func transport(failing: ExitStatus = .refused) throws -> CurlTransport {
        func setting(_ given: String?, _ key: String) throws -> String {
            if let value = given ?? ServiceSettings.value(key) { return value }
            throw CLIError("no \(key == "city" ? "city address" : key + " file") named: give --\(key), or \(key) = \"...\" \(ServiceSettings.hint)", status: .usage)
        }
        let configuration = TransportConfiguration(baseURL: try setting(city, "city"), caFile: try setting(ca, "ca"),
                                                   certFile: try setting(cert, "cert"), keyFile: try setting(key, "key"))
        do {
            return try CurlTransport(configuration)
        } catch {
            throw CLIError("\(error)", status: failing)
        }
    }
}

/// `--json`.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON.")
    var json = false
}

/// An error for a person: printed as one line. Its exit status follows `ExitStatus`: 1 when the
/// input or the operation was refused, 2 when the command could not do its work (a database that
/// cannot be opened, a city that cannot be reached, a failed write).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    let status: ExitStatus
    init(_ description: String, status: ExitStatus = .refused) {
        self.description = description
        self.status = status
    }
}

/// The exit statuses of every `syncctl` command, the same across commands (README, "Exit codes").
enum ExitStatus: Int32 {
    /// Done; for checks: healthy, equal.
    case ok = 0
    /// A check found a problem (rows differ, a county behind), or input or an operation was refused.
    case refused = 1
    /// Could not check or could not do it: the database or the city could not be reached or used.
    case couldNot = 2
    /// The command line itself is wrong (unknown flag, missing argument).
    case usage = 64
}

/// Parses a yuan amount from the command line.
func parseYuan(_ text: String?, field: String) throws -> Fen? {
    guard let text else { return nil }
    do { return try Fen(typed: text, field: field) } catch { throw CLIError(error.text(Language.of())) }
}

/// Prints a value as pretty, key-sorted JSON under the `--json` contract (`JSONContract`).
func printJSON(_ value: some Encodable) throws {
    print(try JSONContract.render(value))
}

/// What an action command did: its line for a person, or with `--json` the record acted on and
/// the same sentence (`{"done": true, "id": …, "message": …}`).
func report(_ output: OutputOptions, id: String, _ message: String) throws {
    struct Done: Encodable { let done: Bool; let id: String; let message: String }
    if output.json { try printJSON(Done(done: true, id: id, message: message)) } else { print(message) }
}

/// Runs `body`, turning store and domain errors into one clear line.
func reporting<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch StoreError.awaitingSecondPerson(_, let message) {
        // Kept as pending: done as far as one person can do it.
        print(message)
        throw ExitCode.success
    } catch let error as StoreError {
        throw CLIError(error.text(Language.of()), status: error.exitStatus)
    } catch let error as DomainError {
        throw CLIError(error.text(Language.of()))
    }
}

extension StoreError {
    /// `syncctl`'s exit status for it: could not do it (2) when the database cannot be opened or
    /// written (missing, damaged, the other role, full, locked), else refused (1).
    var exitStatus: ExitStatus {
        switch self {
        case .missingDatabase, .cannotOpen, .wrongRole, .sqlite, .diskFull, .busy: .couldNot
        default: .refused
        }
    }
}
