/// What a captured write did.
public enum ChangeOperation: String, Sendable, Hashable, Codable {
    case insert, update, delete
}

/// Why a receiver refused (parked) a change. The same codes travel in push answers, sit in both
/// sides' parked tables, and are shown by `syncctl parked` and the console.
public enum ParkReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// No replicated table or operation of that name (a check the receiver runs first anyway).
    case malformedChange = "malformed_change"
    /// The row was deleted here; the write lost to the delete.
    case deleted
    /// An update of a row the receiver does not have.
    case missingRow = "missing_row"
    /// An award for a platform the receiver does not have.
    case missingPlatform = "missing_platform"
    /// A county delete of a platform that has awards at the city.
    case hasAwards = "has_awards"
    /// A county change of a platform the city recognised or revoked (its delete, level or category).
    case recognizedPlatform = "recognized_platform"
    /// A county delete of a row changed after the county's view of it.
    case concurrentEdit = "concurrent_edit"
    /// A county edit of an award the city approved.
    case awardApproved = "award_approved"
    /// A county edit of an award the city disbursed.
    case awardDisbursed = "award_disbursed"
    /// A county write of a column the city owns.
    case cityOwnedColumn = "city_owned_column"
    /// The merged row breaks a domain rule (a field's format, range or the plan's rules).
    case invalid
    /// An enterprise platform registered twice by credit code.
    case duplicateEnterprise = "duplicate_enterprise"
    /// The awards of one platform together break the plan (once per level, its total cap), or the
    /// awards on one source of a basis pass what its rule allows for it.
    case platformAwardLimit = "platform_award_limit"
    /// The database's own constraints refused the write.
    case constraint
}

/// A change as a receiver gets it: from a county's push at the city, from the city's feed at a county.
public struct ReceivedChange: Sendable, Hashable {
    /// `platform` or `award`.
    public let table: String
    /// The row.
    public let rowId: String
    /// Insert, update or delete.
    public let op: ChangeOperation
    /// The version every written column gets.
    public let version: ColumnVersion
    /// The new values of the written columns (none for a delete).
    public let values: [String: ColumnValue]
    /// The version each written column had at the writer (for a delete: every column as the
    /// deleter saw it).
    public let bases: [String: ColumnVersion]

    /// Creates a received change.
    public init(table: String, rowId: String, op: ChangeOperation, version: ColumnVersion,
                values: [String: ColumnValue], bases: [String: ColumnVersion]) {
        self.table = table
        self.rowId = rowId
        self.op = op
        self.version = version
        self.values = values
        self.bases = bases
    }
}

/// What a receiver holds for one row before a change arrives.
public struct RowState: Sendable, Hashable {
    /// The row's values, nil if the receiver has no such row.
    public var values: [String: ColumnValue]?
    /// Its column versions.
    public var versions: RowVersions
    /// The version of its delete, if the receiver deleted it.
    public var tombstone: ColumnVersion?

    /// Creates a row state.
    public init(values: [String: ColumnValue]?, versions: RowVersions = RowVersions(), tombstone: ColumnVersion? = nil) {
        self.values = values
        self.versions = versions
        self.tombstone = tombstone
    }
}

/// What the receiver must look up beyond the row itself to judge a change (the rules over a
/// platform's awards and over the whole city). The store answers from its database; tests from
/// memory.
public protocol ReceiveLookups {
    /// The platform with this id, if the receiver holds it.
    func platform(id: String) throws -> Platform?
    /// Every award of a platform the receiver holds, any status.
    func awards(ofPlatform id: String) throws -> [Award]
    /// Another platform (not `id`) registered with this credit code as this category: its id and county.
    func registration(creditCode: String, category: PlatformCategory, excluding id: String) throws -> (id: String, county: String)?
    /// Every award the receiver holds that names this basis reference, with its platform.
    func awards(basisRef: String) throws -> [(award: Award, platform: Platform)]
}

/// A concurrent write that lost, to be kept.
public struct ReceivedConflict: Sendable, Hashable {
    public let column: String
    public let winner: (value: ColumnValue, version: ColumnVersion?)
    public let loser: (value: ColumnValue, version: ColumnVersion?)
    public let base: ColumnVersion?
    public let rule: MergeRule

    public static func == (lhs: ReceivedConflict, rhs: ReceivedConflict) -> Bool {
        lhs.column == rhs.column && lhs.winner.value == rhs.winner.value && lhs.winner.version == rhs.winner.version
            && lhs.loser.value == rhs.loser.value && lhs.loser.version == rhs.loser.version && lhs.base == rhs.base && lhs.rule == rhs.rule
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(column)
        hasher.combine(winner.version)
        hasher.combine(loser.version)
    }
}

/// What to do with a received change: the write, the row's new versions, the losers to keep,
/// and how it went.
public struct ReceiveDecision: Sendable, Hashable {
    /// The write to make.
    public enum Write: Sendable, Hashable {
        /// Nothing (a duplicate, a lost race, a superseded write).
        case none
        /// Insert the row with these values (every column).
        case insert([String: ColumnValue])
        /// Set these columns.
        case update([String: ColumnValue])
        /// Delete the row, and first these awards of it (a platform the city deleted, at a county).
        case delete(cascade: [String])
    }

    /// How the change went, as its sender is told.
    public enum Outcome: String, Sendable, Hashable {
        /// Written with no concurrent edit.
        case applied
        /// Nothing to write: a duplicate, or concurrent edits with equal values.
        case merged
        /// Concurrent edits with differing values: the losers are in `conflicts`.
        case conflict
    }

    public var write: Write
    /// The row's versions after the write, nil when they do not change.
    public var versions: RowVersions?
    public var conflicts: [ReceivedConflict]
    public var outcome: Outcome

    static let nothing = ReceiveDecision(write: .none, versions: nil, conflicts: [], outcome: .merged)
}

/// Why a change is not received.
public enum ReceiveRefusal: Error, Sendable, Hashable {
    /// A rule refused it: the receiver parks it, with the reason and a message for a person.
    case park(ParkReason, String)
    /// The sender may not write this row at all (another county's row): the batch is refused.
    case forbidden(String)
}

/// The receive rules, pure and shared by the city and the counties: one function decides what a
/// change does to one row's state (columns, versions, tombstone), on either side.
///
/// At the city, a county's change also meets the city's rules: column authority, the award
/// workflow, the delete rule, and validation of the merged row. A county takes the city's feed as
/// the authority sends it, column by column with `MergeRules`.
///
/// ```swift
/// let receiver = Receiver(side: .city, authority: .standard, counties: .tangshan, policy: .tangshan2022)
/// let decision = try receiver.receive(change, into: state, county: "130202", lookups: store)
/// ```
public struct Receiver: Sendable {
    public let side: NodeRole
    public let authority: AuthorityTable
    public let counties: CountyRegistry
    public let policy: AwardPolicy

    public init(side: NodeRole, authority: AuthorityTable, counties: CountyRegistry, policy: AwardPolicy) {
        self.side = side
        self.authority = authority
        self.counties = counties
        self.policy = policy
    }

    /// Decides `change` against `state`; `county` is the county the sender may write.
    public func receive(_ change: ReceivedChange, into state: RowState, county: String, lookups: some ReceiveLookups) throws(ReceiveRefusal) -> ReceiveDecision {
        do {
            return try decide(change, state: state, county: county, lookups: lookups)
        } catch let refusal as ReceiveRefusal {
            throw refusal
        } catch let error as DomainError {
            throw .park(.invalid, error.description)
        } catch {
            throw .park(.invalid, "\(error)")
        }
    }

    private func decide(_ change: ReceivedChange, state: RowState, county: String, lookups: some ReceiveLookups) throws -> ReceiveDecision {
        guard let columns = ReplicatedSchema.columnNames(of: change.table) else {
            throw ReceiveRefusal.park(.malformedChange, "no replicated table \(change.table)")
        }
        let table = change.table
        let existing = state.values
        func current(_ column: String) -> ColumnValue { existing?[column] ?? .null }
        if existing != nil, case .text(let owner) = current("county"), owner != county {
            throw ReceiveRefusal.forbidden("\(table) \(change.rowId) belongs to county \(owner), not \(county)")
        }
        if case .text(let named) = change.values["county"] ?? .null, named != county {
            throw ReceiveRefusal.forbidden("\(table) \(change.rowId) names county \(named); this sender may write only county \(county)")
        }
        let fromCounty = side == .city && NodeRole(node: change.version.node) == .county

        if change.op == .delete {
            guard let existing else {
                // A delete of a row not held here still leaves its tombstone (unless a newer one
                // is kept): the row's insert may arrive after it (a city restored from a backup
                // gets its own delete back before the county sends it the insert again), and the
                // tombstone keeps that older insert from bringing the row back.
                guard state.tombstone.map({ change.version > $0 }) ?? true else { return .nothing }
                return ReceiveDecision(write: .delete(cascade: []), versions: nil, conflicts: [], outcome: .merged)
            }
            // At a county, a city delete older than a write of the city the row holds is one the
            // city itself went past (the id written again and recognised since, or a city restored
            // from a backup that still has the row): a replica replaying the feed from its start
            // after merging the city's snapshot must not undo what the snapshot holds. A local
            // edit that crossed the delete still loses to it, as before.
            if side == .county, NodeRole(node: change.version.node) == .city,
               state.versions.storage.values.contains(where: { NodeRole(node: $0.node) == .city && $0 > change.version }) {
                return .nothing
            }
            // At the city, a delete that is not a county's is the city's own, given back after a
            // restore: a seal proves the city once sent it, not that it is still the latest. It is
            // judged by the versions like a county's, and cascades over nothing.
            let returned = side == .city && !fromCounty
            if fromCounty { try checkCountyDelete(change, row: existing, versions: state.versions, columns: columns) }
            if returned { try checkReturnedDelete(change, versions: state.versions, columns: columns) }
            var cascade: [String] = []
            if table == "platform" {
                let awards = try lookups.awards(ofPlatform: change.rowId)
                if fromCounty || returned, !awards.isEmpty {
                    throw ReceiveRefusal.park(.hasAwards, "platform \(change.rowId) has \(awards.count) award(s) at the city")
                }
                cascade = awards.map(\.id)
            }
            return ReceiveDecision(write: .delete(cascade: cascade), versions: nil, conflicts: [], outcome: .applied)
        }
        if existing == nil, let tombstone = state.tombstone {
            // At the city, a county's write for a row deleted here is the loser: an edit that
            // crossed the delete, or a restored replica's insert sent again. The delete stands.
            if fromCounty { throw ReceiveRefusal.park(.deleted, "\(table) \(change.rowId) was deleted at the city (\(tombstone))") }
            // Nor does any write older than the delete bring the row back: the city's own
            // re-assertion replayed from a county, or given back after a restore, after the row
            // was deleted. (A re-assertion after a refused delete is newer than the delete.)
            if change.version < tombstone {
                if side == .county { return .nothing }
                throw ReceiveRefusal.park(.deleted, "\(table) \(change.rowId) was deleted (\(tombstone)) after this write (\(change.version))")
            }
            // At a county, a city edit of a row deleted here waits for the city's judgement of the
            // delete: the city refuses a delete that crossed an edit and sends the whole row back.
            if side == .county, change.op == .update { return .nothing }
        }
        // A write with no values was superseded at its sender by a delete of the row before it was
        // stamped (insert then delete before a push): the delete follows.
        if existing == nil, change.values.isEmpty { return .nothing }
        if existing == nil, change.op == .update {
            throw ReceiveRefusal.park(.missingRow, "\(table) \(change.rowId) does not exist here")
        }
        guard let existing else { return try decideNewRow(change, columns: columns, versions: state.versions, fromCounty: fromCounty, lookups: lookups) }
        if fromCounty { try checkAwardWorkflow(table: table, id: change.rowId, row: existing) }

        var decisions: [ColumnDecision] = []
        for column in columns {
            guard let value = change.values[column] else { continue }
            // An insert sent again for a row the city holds (after a county restore) carries the
            // city's columns as the county last saw them: an echo, not a write.
            if fromCounty, change.op == .insert, authority.authority(table, column) == .city { continue }
            let held = CurrentColumn(value: current(column), version: state.versions[column])
            decisions.append(MergeRules.decide(table: table, column: column,
                                               incoming: IncomingColumn(value: value, version: change.version, base: change.bases[column]),
                                               current: held, authority: authority))
        }
        let taken = decisions.filter(\.takeIncoming).map(\.column)
        if fromCounty {
            // Only a change of value is a write. An update names only the columns the county
            // wrote: one of the city's with another value is refused (parked) whether or not it
            // would win the merge; it is never a conflict, since a county never owns the value.
            let written = change.op == .update
                ? decisions.map(\.column).filter { change.values[$0] != current($0) }
                : taken.filter { change.values[$0] != current($0) }
            try checkCityOwnedColumns(change, taken: written, isInsert: false)
        }

        var merged: [String: ColumnValue] = [:]
        for column in columns { merged[column] = current(column) }
        for column in taken { merged[column] = change.values[column] }
        if fromCounty, !taken.isEmpty {
            try validate(table: table, id: change.rowId, values: merged, lookups: lookups)
            if table == "platform" { try checkClassification(id: change.rowId, before: existing, after: merged) }
        }

        var versions = state.versions
        if !taken.isEmpty { versions.set(change.version, columns: taken, of: columns) }
        // At a county, a city-owned column the city sends is the authority's value: a concurrent
        // local write of it is a refused value (the city parks it), not a conflict.
        let cityAuthority = { (column: String) in side == .county && authority.authority(table, column) == .city }
        let conflicts = decisions.filter { $0.isConflict && !cityAuthority($0.column) }.map { decision in
            let incoming = (value: change.values[decision.column]!, version: Optional(change.version))
            let held = (value: current(decision.column), version: state.versions[decision.column])
            let (winner, loser) = decision.takeIncoming ? (incoming, held) : (held, incoming)
            return ReceivedConflict(column: decision.column, winner: winner, loser: loser, base: change.bases[decision.column], rule: decision.rule)
        }
        let write: ReceiveDecision.Write = taken.isEmpty ? .none : .update(Dictionary(uniqueKeysWithValues: taken.map { ($0, merged[$0]!) }))
        let outcome: ReceiveDecision.Outcome = !conflicts.isEmpty ? .conflict : decisions.contains { $0.takeIncoming } ? .applied : .merged
        return ReceiveDecision(write: write, versions: taken.isEmpty ? nil : versions, conflicts: conflicts, outcome: outcome)
    }

    /// An insert of a row this side does not hold: there is nothing to merge with, so every value
    /// the change carries is taken, with no conflict, under the same checks as a merged write.
    /// (The general way, given no row, decides exactly this; here without its per-column merge.)
    private func decideNewRow(_ change: ReceivedChange, columns: [String], versions held: RowVersions, fromCounty: Bool,
                              lookups: some ReceiveLookups) throws -> ReceiveDecision {
        // The change's own values, with a null for each column it leaves out (a whole row, the
        // common case, is taken as it came). Its keys are the table's columns: `ChangeCheck`
        // refuses any other.
        var merged = change.values
        var taken = columns
        if merged.count != columns.count || !columns.allSatisfy({ merged[$0] != nil }) {
            taken = columns.filter { merged[$0] != nil }
            for column in columns where merged[column] == nil { merged[column] = .null }
        }
        if fromCounty {
            try checkCityOwnedColumns(change, taken: taken, isInsert: true)
            if !taken.isEmpty { try validate(table: change.table, id: change.rowId, values: merged, lookups: lookups) }
        }
        var versions = held
        if !taken.isEmpty { versions.set(change.version, columns: taken, of: taken) }
        return ReceiveDecision(write: .insert(merged), versions: taken.isEmpty ? nil : versions, conflicts: [], outcome: .applied)
    }

    /// The rule for the city's own delete given back by a county after a restore: it stands only
    /// if no column of the row moved past the versions the delete was based on. A delete older
    /// than the row (a replayed one, or one from before the row was written again) is refused.
    private func checkReturnedDelete(_ change: ReceivedChange, versions: RowVersions, columns: [String]) throws {
        let expanded = versions.expanded(columns)
        let moved = columns.filter { column in expanded[column].map { $0 != change.bases[column] && $0 > change.version } ?? false }
        guard moved.isEmpty else {
            throw ReceiveRefusal.park(.concurrentEdit, "\(change.table) \(change.rowId) was written after this returned delete (\(moved.joined(separator: ", "))): the newer row stands")
        }
    }

    /// The rule for a county's delete, at the city. A delete carries the version of every column
    /// as the county saw it (its bases). It is refused (parked, and the row sent back) when
    /// - the row holds the city's decision: an approved or disbursed award, a recognised or
    ///   revoked platform (only the city withdraws what it decided);
    /// - or any column moved past the county's view: an edit the deleter did not see wins over
    ///   the delete, so no value written concurrently is erased unseen.
    private func checkCountyDelete(_ change: ReceivedChange, row: [String: ColumnValue], versions: RowVersions, columns: [String]) throws {
        try checkAwardWorkflow(table: change.table, id: change.rowId, row: row)
        if change.table == "platform", case .text(let status) = row["status"] ?? .null, status != PlatformStatus.registered.rawValue {
            throw ReceiveRefusal.park(.recognizedPlatform, "platform \(change.rowId) was \(status) by the city; a county cannot delete it (the city revokes a platform)")
        }
        let expanded = versions.expanded(columns)
        let moved = columns.filter { column in expanded[column].map { $0 != change.bases[column] } ?? false }
        guard moved.isEmpty else {
            throw ReceiveRefusal.park(.concurrentEdit, "\(change.table) \(change.rowId) was changed after the county's view of it (\(moved.joined(separator: ", "))): an edit the deleter did not see wins over the delete")
        }
    }

    /// A county edit of an award the city approved or disbursed is not merged.
    private func checkAwardWorkflow(table: String, id: String, row: [String: ColumnValue]) throws {
        guard table == "award", case .text(let text) = row["status"] ?? .null, let status = AwardStatus(rawValue: text),
              status == .approved || status == .disbursed else { return }
        throw ReceiveRefusal.park(status == .approved ? .awardApproved : .awardDisbursed,
                                  "award \(id) was \(status.rawValue) by the city; county edits of it are not merged")
    }

    /// The values a new row's city-owned columns start with.
    private static let initialPlatformValues: [String: ColumnValue] = [
        "status": .text(PlatformStatus.registered.rawValue), "evaluation": .null, "recognized_on": .null,
    ]
    private static let initialAwardValues: [String: ColumnValue] = [
        "status": .text(AwardStatus.proposed.rawValue), "approved_amount_fen": .null, "approved_on": .null, "reject_reason": .null,
    ]

    /// A county may not write city-owned columns, except their initial values in a new row.
    private func checkCityOwnedColumns(_ change: ReceivedChange, taken: [String], isInsert: Bool) throws {
        let initial = change.table == "platform" ? Self.initialPlatformValues : Self.initialAwardValues
        let owners = authority.owners[change.table] ?? [:]  // `authority(_:_:)`, the table looked up once
        for column in taken where owners[column] == .city {
            let value = change.values[column] ?? .null
            if isInsert && (initial[column] == nil || initial[column] == value) { continue }
            throw ReceiveRefusal.park(.cityOwnedColumn, "\(change.table).\(column) is set by the city; a county cannot write \(value)")
        }
    }

    /// Once the city recognised a platform, a county cannot change its level or category.
    private func checkClassification(id: String, before row: [String: ColumnValue], after values: [String: ColumnValue]) throws {
        let before = try Platform(id: id, values: row)
        guard let after = try? Platform(id: id, values: values), let column = before.cityOwnedClassification(changedTo: after) else { return }
        throw ReceiveRefusal.park(.recognizedPlatform, "platform \(id) was \(before.status.rawValue) by the city as \(before.category.rawValue) \(before.level?.rawValue ?? ""); its \(column) is the city's now, so the county's change waits for the city")
    }

    /// The merged row must satisfy the domain rules a single record can break, and the rules over
    /// all of a platform's awards (`PlatformAwards`) and over the whole city (an enterprise is
    /// registered once per credit code).
    private func validate(table: String, id: String, values: [String: ColumnValue], lookups: some ReceiveLookups) throws {
        if table == "platform" {
            let platform = try Platform(id: id, values: values).validated(counties: counties)
            // On every change, not only an insert: a later change of credit code, category or
            // subtype must not make a second registration of an enterprise.
            if side == .city, platform.category.isEnterprise,
               let earlier = try lookups.registration(creditCode: platform.creditCode, category: platform.category, excluding: id) {
                // Another county's registration is named by neither id nor county: a county that
                // registers public credit codes first learns nothing of the others' platforms.
                let message = earlier.county == platform.county
                    ? "credit code \(platform.creditCode) is already registered as a \(platform.category.rawValue): platform \(earlier.id) of this county; an enterprise is counted and paid once"
                    : "credit code \(platform.creditCode) is already registered as a \(platform.category.rawValue) in another county; the city decides which registration counts (an enterprise is counted and paid once). This one stays here, waiting"
                throw ReceiveRefusal.park(.duplicateEnterprise, message)
            }
            return
        }
        let award = try Award(id: id, values: values)
        guard let platform = try lookups.platform(id: award.platformId) else {
            throw ReceiveRefusal.park(.missingPlatform, "award \(id) is for platform \(award.platformId), which the city does not have")
        }
        let valid = try award.validated(for: platform, policy: policy)
        if valid.basisRef != award.basisRef {
            throw ReceiveRefusal.park(.invalid, "award \(id): basis_ref \(award.basisRef ?? "") is written \(valid.basisRef ?? "") (spaces removed, full-width and lower-case letters folded), so that one source is one reference")
        }
        do {
            try PlatformAwards.check(PlatformAwards.counted(valid), for: valid, of: platform, others: try lookups.awards(ofPlatform: platform.id), policy: policy)
            // One source pays once, within what its rule allows: judged here against the county's
            // own awards on it (another county's claim on a source is the city's decision, at
            // approval, so no county can block another's by naming its source first).
            if let reference = valid.basisRef {
                let rule = policy.rule(for: platform)
                let sharing = try lookups.awards(basisRef: reference)
                    .filter { $0.award.county == valid.county && BasisSource.basisName(policy.rule(for: $0.platform)) == BasisSource.basisName(rule) }
                    .map(\.award)
                try BasisSource.check(PlatformAwards.counted(valid), for: valid, rule: rule, sharing: sharing)
            }
        } catch let error as DomainError {
            throw ReceiveRefusal.park(.platformAwardLimit, error.description)
        }
    }
}

extension Platform {
    /// The platform in a change's merged values.
    public init(id: String, values: [String: ColumnValue]) throws(DomainError) {
        func text(_ column: String) -> String? {
            if case .text(let value) = values[column] ?? .null { return value }
            if case .integer(let value) = values[column] ?? .null { return String(value) }
            return nil
        }
        self.init(
            id: id, county: text("county") ?? "", name: text("name") ?? "",
            category: try PlatformCategory(parsing: text("category") ?? ""),
            level: try text("level").map { (text) throws(DomainError) in try Level(parsing: text) },
            subtype: text("subtype"), hostOrg: text("host_org") ?? "", creditCode: text("credit_code") ?? "",
            industry: text("industry") ?? "",
            recognizedOn: try text("recognized_on").map { (text) throws(DomainError) in try CalendarDate(text, field: "recognized_on") },
            status: text("status").flatMap(PlatformStatus.init(rawValue:)) ?? .registered,
            evaluation: text("evaluation"), contact: text("contact"), remarks: text("remarks"))
    }

    /// Once the city has recognised (or revoked) a platform, its level and category are the city's:
    /// the award is tied to the level at which it was recognised. Names the column a change of
    /// `self` into `changed` would write, if it may not.
    public func cityOwnedClassification(changedTo changed: Platform) -> String? {
        guard status != .registered else { return nil }
        if changed.level != level { return "level" }
        if changed.category != category { return "category" }
        // The subtype decides a fixed award (a new or an imported high-tech enterprise), and the
        // credit code which enterprise was recognised: both lock with the level.
        if changed.subtype != subtype { return "subtype" }
        if changed.creditCode != creditCode { return "credit_code" }
        return nil
    }
}

extension Award {
    /// The award in a change's merged values.
    public init(id: String, values: [String: ColumnValue]) throws(DomainError) {
        func text(_ column: String) -> String? {
            if case .text(let value) = values[column] ?? .null { return value }
            return nil
        }
        func integer(_ column: String) -> Int64? {
            if case .integer(let value) = values[column] ?? .null { return value }
            return nil
        }
        self.init(
            id: id, county: text("county") ?? "", platformId: text("platform_id") ?? "",
            amount: Fen(rawValue: integer("amount_fen") ?? 0), basis: integer("basis_fen").map(Fen.init(rawValue:)),
            fiscalYear: Int(integer("fiscal_year") ?? 0), status: text("status").flatMap(AwardStatus.init(rawValue:)) ?? .proposed,
            approvedAmount: integer("approved_amount_fen").map(Fen.init(rawValue:)),
            approvedOn: try text("approved_on").map { (text) throws(DomainError) in try CalendarDate(text, field: "approved_on") },
            rejectReason: text("reject_reason"), remarks: text("remarks"), basisRef: text("basis_ref"))
    }
}
