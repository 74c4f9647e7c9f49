import Foundation

/// The source a proportional or matching award takes its basis from: a registered technology
/// contract, an equipment-investment project, a superior grant. One source pays at most what its
/// rule allows for it, however many awards, platforms or counties name it: two 300,000 awards on
/// one 1,000,000 equipment investment, or one grant matched twice, exceed it.
///
/// A source is its kind (the rule's basis: "equipment investment", "technology-contract value",
/// "provincial funding") and its reference as `normalized` writes it, so that `HT 2024-001`,
/// `ht2024-001` and the full-width `ＨＴ２０２４－００１` name one contract.
///
/// ```swift
/// try BasisSource.check(.yuan(150_000), for: award, rule: rule, sharing: awardsOnTheSameSource)
/// ```
public enum BasisSource {
    /// The longest reference, in characters.
    public static let maxLength = 64

    /// `text` as a reference is kept and compared: compatibility forms folded (full-width letters,
    /// digits and punctuation to ASCII), every space removed, letters upper-cased. Throws naming
    /// the field when nothing is left, when it is longer than `maxLength`, or when it holds what
    /// no one-line value may (`DomainText.checkLine`).
    public static func normalized(_ text: String) throws(DomainError) -> String {
        try ReferenceNumber.normalized(text, field: "basis-ref")
    }

    /// What the reference of a basis is, for messages and help.
    public static func referenceName(_ basis: String) -> String {
        switch basis {
        case "technology-contract value": "the registered technology contract's number"
        case "equipment investment": "the equipment-investment project's number"
        default: "the grant's document number"
        }
    }

    /// Checks `amount` for `award` against the other awards on its source (`sharing`: the awards
    /// naming the same reference under a rule with the same basis; rejected ones, and `award`
    /// itself, are left out here).
    ///
    /// - Every award on a source states the basis the first one stated (the referenced amount),
    ///   unless `acceptDifferentBasis` (the city records why); then the rule is applied to this
    ///   award's basis.
    /// - Together they may not pass what the rule allows for that basis: 30 % of one investment,
    ///   at most 200,000 on one contract, one match of one grant.
    ///
    /// Returns whether the basis differs from the referenced amount (accepted). Throws naming the
    /// source, the awards counted and what remains.
    @discardableResult
    public static func check(_ amount: Fen, for award: Award, rule: AwardRule, sharing: [Award],
                             acceptDifferentBasis: Bool = false) throws(DomainError) -> Bool {
        guard rule.needsBasis, let reference = award.basisRef, let basis = award.basis else { return false }
        let others = sharing.filter { $0.id != award.id && $0.status != .rejected && $0.basisRef == reference }.sorted { $0.id < $1.id }
        guard let first = others.first else { return false }
        let kind = basisName(rule)
        var differs = false
        if let referenced = first.basis, referenced != basis {
            guard acceptDifferentBasis else {
                throw .invalid(field: "basis", value: basis.formatted,
                               rule: "the \(kind) \(reference) was stated as \(referenced) by award \(first.id); every award on one source states that amount (the city records a different one with --override-reason)")
            }
            differs = true
        }
        let allowedOn = differs ? basis : (first.basis ?? basis)
        guard let allowance = rule.maximum(basis: allowedOn) else { return differs }
        let before = others.reduce(Fen.zero) { $0 + PlatformAwards.counted($1) }
        guard before + amount <= allowance else {
            let listed = others.prefix(5).map { "\($0.id) \(PlatformAwards.counted($0)) (\($0.status.rawValue))" }.joined(separator: ", ")
            throw .invalid(field: "amount", value: amount.formatted,
                           rule: "the awards on \(kind) \(reference) would total \(before + amount), above the \(allowance) the rule allows for one \(kind) of \(allowedOn) (\(rule.summary)); already counted: \(listed); at most \(max(.zero, allowance - before)) remains")
        }
        return differs
    }

    /// The name of a rule's basis ("equipment investment"), empty for a rule without one.
    public static func basisName(_ rule: AwardRule) -> String {
        switch rule {
        case .proportional(_, _, _, let name), .matching(_, _, let name): name
        default: ""
        }
    }
}

/// A document's or a register's number as it is kept and compared (a basis's source, a
/// recognition document's 认定文号): compatibility forms folded (full-width letters, digits and
/// punctuation to ASCII), every space removed, letters upper-cased; at most 64 characters.
public enum ReferenceNumber {
    public static func normalized(_ text: String, field: String) throws(DomainError) -> String {
        try DomainText.checkLine(text, field: field)
        let folded = text.precomposedStringWithCompatibilityMapping
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: folded.unicodeScalars.filter { !$0.properties.isWhitespace })
        let reference = String(kept).uppercased().precomposedStringWithCompatibilityMapping
        guard !reference.isEmpty else {
            throw .invalid(field: field, value: text, rule: "a document or register number cannot be blank")
        }
        guard reference.count <= BasisSource.maxLength else {
            throw .invalid(field: field, value: String(text.prefix(20)), rule: "a document or register number is at most \(BasisSource.maxLength) characters")
        }
        return reference
    }
}
