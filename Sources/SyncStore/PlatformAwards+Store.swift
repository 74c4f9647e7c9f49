import GRDB
import SyncCore

extension PlatformAwards {
    /// Checks `amount` for `award` against the other awards of `platform` held in `db` (see
    /// `PlatformAwards.check`); throws `invalidInput` naming the rule and the awards counted.
    static func check(_ amount: Fen, for award: Award, of platform: Platform, policy: AwardPolicy, db: Database) throws {
        do {
            try check(amount, for: award, of: platform, others: try others(of: award, platform: platform, db: db), policy: policy)
        } catch let error as DomainError {
            throw StoreError.invalidInput(error)
        }
    }

    /// `PlatformAwards.checkCeiling` against the platform's other awards in `db`; returns whether
    /// the total passes the ceiling (confirmed).
    @discardableResult
    static func checkCeiling(_ amount: Fen, for award: Award, of platform: Platform, policy: AwardPolicy, confirmed: Bool, db: Database) throws -> Bool {
        do {
            return try checkCeiling(amount, for: award, of: platform, others: try others(of: award, platform: platform, db: db),
                                    policy: policy, confirmed: confirmed)
        } catch let error as DomainError {
            throw StoreError.invalidInput(error)
        }
    }

    /// The platform's awards other than `award`.
    private static func others(of award: Award, platform: Platform, db: Database) throws -> [Award] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM award WHERE platform_id = ? AND id <> ? ORDER BY id"),
                         arguments: [platform.id, award.id]).map(Award.init(row:))
    }
}

extension BasisSource {
    /// `BasisSource.check` against the awards in `db` on `award`'s source: those of `county`
    /// only when it is given, and only approved and disbursed ones when `committedOnly` (what
    /// the city has decided to pay). Throws `invalidInput`; returns whether a different basis
    /// was accepted.
    @discardableResult
    static func checkStored(_ amount: Fen, for award: Award, of platform: Platform, policy: AwardPolicy, county: String?,
                            committedOnly: Bool, acceptDifferentBasis: Bool = false, db: Database) throws -> Bool {
        guard let reference = award.basisRef else { return false }
        let rule = policy.rule(for: platform)
        let kind = basisName(rule)
        var sharing: [Award] = []
        for (other, otherPlatform) in try StoreLookups(db: db).awards(basisRef: reference) {
            if let county, other.county != county { continue }
            if committedOnly, other.status != .approved, other.status != .disbursed { continue }
            if basisName(policy.rule(for: otherPlatform)) != kind { continue }
            sharing.append(other)
        }
        let differs: Bool
        do {
            differs = try check(amount, for: award, rule: rule, sharing: sharing, acceptDifferentBasis: acceptDifferentBasis)
        } catch {
            throw StoreError.invalidInput(error)
        }
        return differs
    }
}
