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
/// - One-time (一次性) categories (`AwardPolicy.oneTimeCategories`) get one award per platform.
/// - Case-by-case and matching awards have no cap in the plan: `AwardPolicy.caseByCaseCeiling` asks
///   for a confirmation when a platform's total passes a configurable ceiling (see `checkCeiling`).
///
/// ```swift
/// try PlatformAwards.check(.yuan(50_000), for: award, of: keyLab, others: existing, policy: .tangshan2022)
/// ```
public enum PlatformAwards {
    /// What an award counts for in its platform's total.
    public static func counted(_ award: Award) -> Fen {
        award.approvedAmount ?? award.amount
    }

    /// The awards of `others` that count beside `award`: the platform's, not rejected, not itself.
    static func counting(_ others: [Award], besides award: Award, of platform: Platform) -> [Award] {
        others.filter { $0.id != award.id && $0.platformId == platform.id && $0.status != .rejected }
    }

    /// Checks `amount` for `award` against the other awards of `platform` (any status; rejected ones
    /// and `award` itself are left out). Throws naming the rule, the total and the other awards.
    public static func check(_ amount: Fen, for award: Award, of platform: Platform, others: [Award], policy: AwardPolicy) throws(DomainError) {
        let counting = counting(others, besides: award, of: platform)
        let rule = policy.rule(for: platform)
        let section = "plan \(platform.category.planSection)"
        // Once per platform and level, judged by what was given, not by the rule's amount now: a
        // platform that had a fixed award at least as large (at a higher level, or before its
        // level or category changed) gets no second one, disbursed or not.
        if case .fixed(let fixed) = rule, let earlier = counting.first(where: { counted($0) >= fixed }) {
            throw .invalid(field: "amount", value: amount.formatted,
                           rule: "the \(fixed) award is given once per platform and level (\(section)); award \(earlier.id) already gave \(counted(earlier)) (\(earlier.status.rawValue))")
        }
        if policy.oneTimeCategories.contains(platform.category), let earlier = counting.first {
            throw .invalid(field: "amount", value: amount.formatted,
                           rule: "a \(platform.category.rawValue) award is given one time (一次性, \(section)); award \(earlier.id) of \(counted(earlier)) is it (\(earlier.status.rawValue)); reject it first to award another amount")
        }
        guard let cap = policy.platformTotalCap(platform), !counting.isEmpty else { return }
        let before = counting.reduce(Fen.zero) { $0 + counted($1) }
        guard before + amount <= cap else {
            let listed = counting.prefix(5).map { "\($0.id) \(counted($0)) (\($0.status.rawValue))" }.joined(separator: ", ")
            throw .invalid(field: "amount", value: amount.formatted,
                           rule: "the platform's awards would total \(before + amount), above its cap of \(cap) (\(section)); already counted: \(listed); at most \(max(.zero, cap - before)) remains")
        }
    }

    /// Under a rule with no stated maximum (case by case, or a match of a basis the county
    /// types), a platform's awards that together pass `policy.caseByCaseCeiling` need an explicit
    /// confirmation: a typo of a few zeros, or one award split into several, must not pass
    /// silently. `others` are the platform's other awards (rejected ones do not count).
    /// Returns whether the total passes the ceiling (so a confirmed decision can be recorded).
    @discardableResult
    public static func checkCeiling(_ amount: Fen, for award: Award, of platform: Platform, others: [Award], policy: AwardPolicy,
                                    confirmed: Bool) throws(DomainError) -> Bool {
        let rule = policy.rule(for: platform)
        guard rule.hasNoStatedMaximum else { return false }
        let before = counting(others, besides: award, of: platform).reduce(Fen.zero) { $0 + counted($1) }
        let total = before + amount
        guard total > policy.caseByCaseCeiling else { return false }
        guard confirmed else {
            throw .invalid(field: "amount", value: amount.formatted,
                           rule: "the plan states no maximum for a \(platform.category.rawValue) award (\(rule.summary), plan \(platform.category.planSection)); the platform's awards would total \(total), above the ceiling \(policy.caseByCaseCeiling): confirm with --confirm-above-ceiling")
        }
        return true
    }
}
