/// The plan's limits over all the awards of one platform, beyond what each award's rule allows
/// alone. An award that is not rejected counts, at its approved amount once approved, else at
/// its proposed amount.
///
/// - "Up to" rules (最高) cap the platform's total: two awards of 10,000,000 for one pilot base, or
///   100,000 + 100,000 + 50,000 for one municipal key lab, exceed their caps.
/// - A fixed (一次性 or 定额) award is given at most once per platform and level. In this plan every
///   fixed rule has a different amount at each level, so "the same level" is "the same amount": an
///   industry alliance may get 200,000 as a provincial alliance and later 1,000,000 as a national
///   one, but never 200,000 twice.
/// - Proportional rules whose cap is per platform (a pilot base: 30 % of its equipment investment,
///   at most 10,000,000 in all) cap the total; the tech-transfer subsidy (1 ‰ of a brokered
///   contract's value, at most 200,000) is paid per contract, one award per contract, so each award
///   is capped alone and the plan sets no period or total. Matching awards (1:1 of provincial
///   funding) are per grant, likewise.
/// - Case-by-case awards have no cap in the plan: `AwardPolicy.caseByCaseCeiling` asks for a
///   confirmation above a configurable ceiling instead (see `checkCeiling`).
///
/// ```swift
/// try PlatformAwards.check(.yuan(50_000), for: award, of: keyLab, others: existing, policy: .tangshan2022)
/// ```
public enum PlatformAwards {
    /// What an award counts for in its platform's total.
    public static func counted(_ award: Award) -> Fen {
        award.approvedAmount ?? award.amount
    }

    /// Checks `amount` for `award` against the other awards of `platform` (any status; rejected ones
    /// and `award` itself are left out). Throws naming the rule, the total and the other awards.
    public static func check(_ amount: Fen, for award: Award, of platform: Platform, others: [Award], policy: AwardPolicy) throws(DomainError) {
        let counting = others.filter { $0.id != award.id && $0.platformId == platform.id && $0.status != .rejected }
        let rule = policy.rule(for: platform)
        let section = "plan \(platform.category.planSection)"
        if case .fixed(let fixed) = rule, let earlier = counting.first(where: { counted($0) == fixed }) {
            throw .invalid(field: "amount", value: amount.formatted,
                           rule: "the \(fixed) award is given once per platform and level (\(section)); award \(earlier.id) already has it (\(earlier.status.rawValue))")
        }
        guard let cap = policy.platformTotalCap(platform), !counting.isEmpty else { return }
        let before = counting.reduce(Fen.zero) { $0 + counted($1) }
        guard before + amount <= cap else {
            let listed = counting.prefix(5).map { "\($0.id) \(counted($0)) (\($0.status.rawValue))" }.joined(separator: ", ")
            throw .invalid(field: "amount", value: amount.formatted,
                           rule: "the platform's awards would total \(before + amount), above its cap of \(cap) (\(section)); already counted: \(listed); at most \(max(.zero, cap - before)) remains")
        }
    }

    /// A case-by-case amount above `policy.caseByCaseCeiling` needs an explicit confirmation: the
    /// plan states no maximum, and a typo of a few zeros must not pass silently.
    public static func checkCeiling(_ amount: Fen, of platform: Platform, policy: AwardPolicy, confirmed: Bool) throws(DomainError) {
        guard case .caseByCase = policy.rule(for: platform), amount > policy.caseByCaseCeiling, !confirmed else { return }
        throw .invalid(field: "amount", value: amount.formatted,
                       rule: "the plan decides a \(platform.category.rawValue) award case by case (plan \(platform.category.planSection)); an amount above \(policy.caseByCaseCeiling) needs --confirm-above-ceiling")
    }
}
