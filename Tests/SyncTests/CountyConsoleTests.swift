import Foundation
import LocalCluster
import SyncCore
import SyncStore
import Testing

/// The county console served by the real `county-syncd` over HTTPS with mutual TLS, driven with
/// curl and real certificates from `Deploy/pki.sh`: only this county's clerks get in, a form
/// names the wrong field and writes nothing, a registration is named after its clerk and reaches
/// the city, a cross-site request changes nothing, and hostile text is shown as text.
@Suite("County console", .serialized)
struct CountyConsoleTests {
    struct Console {
        let cluster: Cluster
        let port: Int
        let countyDB: String

        /// An answer of the console: status, headers and body, as `certificate` (a name in the
        /// PKI folder, e.g. `clerk-130202-wangli`), or with none.
        func request(_ path: String, as certificate: String?, form: [String: String]? = nil, headers: [String] = [])
            throws -> (status: Int, location: String?, body: String) {
            let pki = cluster.pki.path
            var arguments = ["-s", "-D", "-", "--max-time", "20", "--cacert", "\(pki)/ca.pem", "--resolve", "fengrun-sync.local:\(port):127.0.0.1"]
            if let certificate { arguments += ["--cert", "\(pki)/\(certificate).pem", "--key", "\(pki)/\(certificate).key"] }
            for header in headers { arguments += ["-H", header] }
            if let form {
                for (name, value) in form.sorted(by: { $0.key < $1.key }) { arguments += ["--data-urlencode", "\(name)=\(value)"] }
            }
            arguments.append("https://fengrun-sync.local:\(port)\(path)")
            let result = try Cluster.capture("/usr/bin/curl", arguments)
            guard result.status == 0 else { return (0, nil, result.stderr) }
            let parts = result.stdout.components(separatedBy: "\r\n\r\n")
            let head = parts.first ?? ""
            let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            let location = head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("location:") }
                .map { String($0.dropFirst("location:".count)).trimmingCharacters(in: .whitespaces) }
            return (status, location, parts.dropFirst().joined(separator: "\r\n\r\n"))
        }

        /// The form token a console page carries.
        func token(as certificate: String) throws -> String {
            let page = try request("/console/platforms/new", as: certificate).body
            guard let range = page.range(of: #"name="token" value=""#), let end = page[range.upperBound...].firstIndex(of: "\"") else { return "" }
            return String(page[range.upperBound..<end])
        }

        func sqlite(_ sql: String) throws -> String {
            try Cluster.capture("/usr/bin/sqlite3", [countyDB, sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    static func start() async throws -> Console {
        let cluster = try Cluster()
        try await cluster.startCity()
        _ = try cluster.makeCounty("130202")
        let script = Cluster.packageRoot.appendingPathComponent("Deploy/pki.sh").path
        let pki = cluster.pki.path
        for arguments in [["clerk", pki, "130202", "wangli"], ["clerk", pki, "130203", "zhao"], ["operator", pki, "zhang"],
                          ["county-server", pki, "130202", "fengrun-sync.local", "127.0.0.1"]] {
            let made = try Cluster.capture("/bin/bash", [script] + arguments, environment: ["P12_PASSWORD": "test"])
            #expect(made.status == 0, "\(arguments): \(made.stderr)")
        }
        let portFile = cluster.dir.appendingPathComponent("console.port").path
        try cluster.startDaemon("130202", extra: ["--console-listen", "0", "--console-cert", "\(pki)/county-server-130202.pem",
                                                  "--console-key", "\(pki)/county-server-130202.key", "--console-port-file", portFile])
        var port = 0
        try await eventually("the console writes its port", timeout: .seconds(30)) {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            return port > 0
        }
        return Console(cluster: cluster, port: port, countyDB: cluster.countyDBPath("130202"))
    }

    @Test(.timeLimit(.minutes(3)))
    func onlyThisCountysClerksGetInAndEveryoneElseIsToldWhy() async throws {
        let console = try await Self.start()
        defer { console.cluster.cleanUp() }
        let today = try console.request("/console", as: "clerk-130202-wangli")
        #expect(today.status == 200 && today.body.contains("概览 Today") && today.body.contains("录入员 wangli"), "\(today.status) \(today.body.prefix(300))")
        #expect(today.body.contains("id=\"pending\""), "the overview says what waits to be sent")
        for other in ["clerk-130203-zhao", "operator-zhang", "county-130202"] {
            let refused = try console.request("/console", as: other)
            #expect(refused.status == 403, "\(other): \(refused.status)")
            #expect(refused.body.contains("<html") && refused.body.contains("无权访问") && refused.body.contains("clerk-130202-"),
                    "\(other) gets a readable page, not JSON: \(refused.body.prefix(300))")
            let post = try console.request("/console/platforms", as: other, form: ["name": "x"])
            #expect(post.status == 403, "\(other) may not post: \(post.status)")
        }
        // No certificate: the handshake itself is refused.
        let anonymous = try console.request("/console", as: nil)
        #expect(anonymous.status == 0, "a browser without a clerk certificate gets no page: \(anonymous.status)")
    }

    @Test(.timeLimit(.minutes(3)))
    func aClerkRegistersByFormAfterTheFormNamesTheWrongField() async throws {
        let console = try await Self.start()
        defer { console.cluster.cleanUp() }
        let clerk = "clerk-130202-wangli"
        let token = try console.token(as: clerk)
        #expect(token.count == 64, "the form carries the clerk's token")
        var form = ["token": token, "name": "丰润区<script>alert(1)</script>焊接实验室", "category": "key_lab", "level": "municipal",
                    "host-org": "唐山开元焊接研究所", "credit-code": "91130202MA0A0001", "industry": "焊接"]
        let wrong = try console.request("/console/platforms", as: clerk, form: form)
        #expect(wrong.status == 422, "\(wrong.status)")
        #expect(wrong.body.contains("id=\"error-credit-code\""), "the message stands beside the credit code: \(wrong.body.prefix(2000))")
        #expect(wrong.body.contains("value=\"唐山开元焊接研究所\""), "what was typed is kept")
        #expect(try console.sqlite("SELECT count(*) FROM platform") == "0", "nothing was written")

        // A forged cross-site post, and one without the token: refused, nothing written.
        form["credit-code"] = "91130202MA0A00011Y"
        let crossSite = try console.request("/console/platforms", as: clerk, form: form, headers: ["Sec-Fetch-Site: cross-site"])
        #expect(crossSite.status == 403, "\(crossSite.status)")
        var tokenless = form
        tokenless["token"] = nil
        #expect(try console.request("/console/platforms", as: clerk, form: tokenless).status == 403)
        #expect(try console.sqlite("SELECT count(*) FROM platform") == "0")

        let registered = try console.request("/console/platforms", as: clerk, form: form)
        #expect(registered.status == 303, "\(registered.status) \(registered.body.prefix(500))")
        let id = registered.location.map { String($0.dropFirst("/console/records/".count)) } ?? ""
        #expect(RecordID.isValid(id), "the answer leads to the new record: \(registered.location ?? "-")")
        #expect(try console.sqlite("SELECT DISTINCT actor FROM change_log WHERE row_id = '\(id)'") == "clerk:wangli", "named after its clerk")
        let record = try console.request("/console/records/\(id)", as: clerk)
        #expect(record.status == 200 && record.body.contains("clerk:wangli"), "the history says who entered it")
        // Hostile text is shown as text, on the record and in the list.
        let list = try console.request("/console/platforms?q=91130202MA0A00011Y", as: clerk)
        #expect(list.body.contains("&lt;script&gt;") && !list.body.contains("<script>alert"), "\(list.body.prefix(1500))")
        #expect(!record.body.contains("<script>alert"))
        // The page and syncctl --json on the same replica agree.
        let listed = try console.cluster.syncctl(["platform", "list", "--db", console.countyDB, "--json"])
        let rows = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(rows.compactMap { $0["id"] as? String } == [id])
        #expect(list.body.contains("data-id=\"\(id)\""))

        // The daemon sends it to the city like any change.
        try await eventually("the registration reaches the city", timeout: .seconds(30)) {
            try CityDatabase.open(at: console.cluster.cityDB).platform(id: id) != nil
        }
    }
}
