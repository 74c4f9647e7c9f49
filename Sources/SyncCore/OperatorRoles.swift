import Foundation

/// What a person at the city may decide.
public enum OperatorRole: String, Sendable, Hashable, CaseIterable {
    /// Sees everything, decides nothing.
    case viewer
    /// Decides about records: recognition, approval, rejection, evaluation, revocation,
    /// reclassification, conflicts and parked changes, and confirms others' pending ones.
    case approver
    /// Records payments and their reversals, and confirms others' pending payments.
    case payer
    /// Everything.
    case admin
}

/// The kinds of decision a role allows.
public enum CityAction: String, Sendable, Hashable {
    /// A decision about records (see `OperatorRole.approver`).
    case decide
    /// A payment or its reversal.
    case pay
    /// Node slots and other administration.
    case administer
}

/// Who may decide what at the city, and from which amount a decision needs a second person:
/// the city's roles file, read by the aggregator at start and on SIGHUP, and by `syncctl` at the
/// city (which acts as `shell:USER`).
///
/// ```
/// # /etc/county-sync/roles.conf: anyone not listed may only view
/// second-person-from-yuan = 1000000
/// operator-zhang = approver
/// operator-li = approver payer
/// shell:root = admin
/// ```
///
/// Without a roles file (`open`), every operator may decide, and the second person is still
/// needed for a large decision or an override.
public struct OperatorRoles: Sendable, Hashable {
    /// The roles of each operator named (`operator-NAME`, `shell:USER`).
    public let roles: [String: Set<OperatorRole>]
    /// Approvals and payments of at least this much need a second operator.
    public let secondPersonFrom: Fen
    /// The file they were read from; nil for `open`.
    public let file: String?

    /// The default second-person threshold: 1,000,000 yuan.
    public static let defaultSecondPersonFrom = Fen.yuan(1_000_000)

    /// No roles file: every operator may decide; large decisions and overrides still need two.
    public static let open = OperatorRoles(roles: [:], secondPersonFrom: defaultSecondPersonFrom, file: nil)

    public init(roles: [String: Set<OperatorRole>], secondPersonFrom: Fen, file: String?) {
        self.roles = roles
        self.secondPersonFrom = secondPersonFrom
        self.file = file
    }

    /// Whether `actor` may make decisions of `action`.
    public func may(_ actor: String, _ action: CityAction) -> Bool {
        guard file != nil else { return true }
        let held = roles[actor] ?? []
        if held.contains(.admin) { return true }
        switch action {
        case .decide: return held.contains(.approver)
        case .pay: return held.contains(.payer)
        case .administer: return false
        }
    }

    /// The roles `actor` holds, for messages.
    public func describe(_ actor: String) -> String {
        guard file != nil else { return "every role (no roles file)" }
        let held = (roles[actor] ?? []).map(\.rawValue).sorted()
        return held.isEmpty ? "viewer (not in \(file ?? "the roles file"))" : held.joined(separator: ", ")
    }

    /// Reads a roles file; throws naming the file, line and what is wrong.
    public static func load(path: String) throws(ConfigurationError) -> OperatorRoles {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .unreadable(file: path, reason: "cannot read the roles file: \(error.localizedDescription)")
        }
        return try OperatorRoles(text: text, file: path)
    }

    /// Parses a roles file's text.
    public init(text: String, file: String) throws(ConfigurationError) {
        var roles: [String: Set<OperatorRole>] = [:]
        var threshold = Self.defaultSecondPersonFrom
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        for (index, raw) in body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw .unreadable(file: file, reason: "line \(index + 1): expected NAME = ROLE [ROLE…] or second-person-from-yuan = AMOUNT")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if key == "second-person-from-yuan" {
                guard let yuan = Int64(value.replacingOccurrences(of: ",", with: "")), yuan >= 1, yuan <= 1_000_000_000_000 else {
                    throw .invalidValue(key: key, file: file, line: index + 1, reason: "expected a whole number of yuan from 1 to 1,000,000,000,000, not \(value)")
                }
                threshold = .yuan(yuan)
                continue
            }
            guard key.hasPrefix("operator-") || key.hasPrefix("shell:"), key.count > 6, !key.contains(where: \.isWhitespace) else {
                throw .invalidValue(key: key, file: file, line: index + 1, reason: "an operator is named operator-NAME (the console's certificate) or shell:USER (syncctl at the server)")
            }
            var held: Set<OperatorRole> = []
            for word in value.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }) {
                guard let role = OperatorRole(rawValue: String(word).lowercased()) else {
                    throw .invalidValue(key: key, file: file, line: index + 1,
                                        reason: "unknown role \(word); the roles are " + OperatorRole.allCases.map(\.rawValue).joined(separator: ", "))
                }
                held.insert(role)
            }
            guard !held.isEmpty else { throw .invalidValue(key: key, file: file, line: index + 1, reason: "give at least one role") }
            guard roles[key] == nil else { throw .invalidValue(key: key, file: file, line: index + 1, reason: "named twice") }
            roles[key] = held
        }
        self.init(roles: roles, secondPersonFrom: threshold, file: file)
    }
}
