import Foundation
import LocalCluster
import SyncCore

/// Runs the built `syncctl` binary, as an operator would.
struct Syncctl {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String

        /// Standard output parsed as JSON.
        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
        /// The one line printed, trimmed (the new id of `add` and `propose`).
        var line: String { stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Runs `syncctl` with `arguments` in `directory`, in English unless `locale` says otherwise.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL? = nil, locale: String = "C.UTF-8") throws -> Result {
        let result = try Cluster.capture(Cluster.binaries.appendingPathComponent("syncctl").path, arguments,
                                         environment: ["LANG": locale, "LC_ALL": "", "LC_MESSAGES": ""], in: directory)
        return Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }
}

/// A temporary folder holding a county replica, for one test.
struct Workspace {
    let url: URL
    let db: String

    init(county: String = "130202") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("syncctl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        db = url.appendingPathComponent("county.db").path
        let created = try Syncctl.run(["init", "--db", db, "--county", county])
        guard created.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: ["reason": created.stderr]) }
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func cleanUp() { try? FileManager.default.removeItem(at: url) }

    /// Runs syncctl with `--db` of this workspace appended.
    @discardableResult
    func syncctl(_ arguments: String...) throws -> Syncctl.Result {
        try syncctl(arguments)
    }

    /// Runs syncctl with `--db` of this workspace appended.
    @discardableResult
    func syncctl(_ arguments: [String], locale: String = "C.UTF-8") throws -> Syncctl.Result {
        try Syncctl.run(arguments + ["--db", db], in: url, locale: locale)
    }

    /// Adds a valid municipal key lab; returns its id.
    func addKeyLab(name: String = "唐山焊接重点实验室", serial: Int = 1) throws -> String {
        let result = try syncctl("platform", "add", "--name", name, "--category", "key_lab", "--level", "municipal",
                                 "--host-org", "唐山焊接研究所", "--credit-code", creditCode(serial), "--industry", "焊接")
        guard result.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: ["reason": result.stderr]) }
        return result.line
    }

    /// Counts of platforms, awards and pending changes, to prove a failed command wrote nothing.
    func counts() throws -> [Int] {
        let platforms = try syncctl("platform", "list", "--json").json() as? [Any]
        let awards = try syncctl("award", "list", "--json").json() as? [Any]
        let outbox = try syncctl("outbox", "--json").json() as? [Any]
        return [platforms?.count ?? -1, awards?.count ?? -1, outbox?.count ?? -1]
    }
}

/// A valid unified social credit code ending in `serial`.
func creditCode(_ serial: Int) -> String {
    let prefix = "9113020000000" + String(format: "%04d", serial % 10_000)
    return prefix + String(CreditCode.checkCharacter(for: prefix)!)
}
