import Foundation
import SyncCore
import SyncProtocol
import Testing

/// The receiver's one check of incoming changes, as pure logic: every column, every wrong type,
/// every bound. The city and county paths that run it are tested in `TrustTests`.
@Suite struct ChangeCheckTests {
    let check = ChangeCheck(limits: SyncLimits())
    let now: Int64 = 1_790_000_000_000
    let rowId = "0193a5f0-0000-7000-8000-000000000001"
    let platformId = "0193a5f0-0000-7000-8000-000000000002"

    /// A well-formed insert of `table`: the baseline each case breaks in one field.
    func insert(_ table: String, values override: [String: ColumnValue] = [:], hlc: Int64? = nil,
                bases: [String: ColumnVersion] = [:]) -> WireChange {
        let platform: [String: ColumnValue] = [
            "county": .text("130202"), "name": .text("唐山焊接重点实验室"), "category": .text("key_lab"), "level": .text("municipal"),
            "subtype": .null, "host_org": .text("唐山某公司"), "credit_code": .text("91130200000000001X"), "industry": .text("新材料"),
            "recognized_on": .null, "status": .text("registered"), "evaluation": .null, "contact": .null, "remarks": .null,
        ]
        let award: [String: ColumnValue] = [
            "county": .text("130202"), "platform_id": .text(platformId), "amount_fen": .integer(10_000_000), "basis_fen": .null,
            "fiscal_year": .integer(2025), "status": .text("proposed"), "approved_amount_fen": .null, "approved_on": .null,
            "reject_reason": .null, "remarks": .null,
        ]
        return WireChange(seq: 7, table: table, rowId: rowId, op: "insert", hlc: hlc ?? HLCTimestamp(physicalMs: now, logical: 0).rawValue,
                          node: "county-130202-aaaa", values: (table == "platform" ? platform : award).merging(override) { $1 }, bases: bases)
    }

    /// Who made a change: optional; when given, 1 to 200 bytes of UTF-8 without control characters.
    @Test func theActorIsOptionalAndBounded() {
        func with(_ actor: String?) -> WireChange {
            let base = insert("platform")
            return WireChange(seq: base.seq, table: base.table, rowId: base.rowId, op: base.op, hlc: base.hlc, node: base.node,
                              values: base.values, bases: base.bases, actor: actor)
        }
        for accepted in [nil, "shell:wangli", "ops-li", String(repeating: "王", count: 66) + "ab"] {
            #expect(check.refusal(of: with(accepted), county: "130202", nowMs: now) == nil, "\(accepted ?? "nil")")
        }
        for refused in ["", String(repeating: "王", count: 67), "shell:wang\n", "shell:\u{0}", "a\u{85}b", "shell:\u{7F}"] {
            let refusal = check.refusal(of: with(refused), county: "130202", nowMs: now)
            #expect(refusal?.code == .malformedChange && refusal?.field == "actor", "\(refused.debugDescription): \(String(describing: refusal))")
        }
    }

    @Test func wellFormedInsertsPass() {
        #expect(check.refusal(of: insert("platform"), county: "130202", nowMs: now) == nil)
        #expect(check.refusal(of: insert("award"), county: "130202", nowMs: now) == nil)
    }

    /// For every column of both tables, each value of a kind the column cannot hold is refused,
    /// naming the change and the column.
    @Test(arguments: ["platform", "award"])
    func everyColumnRefusesEveryWrongKindOfValue(table: String) {
        let columns = ReplicatedSchema.columns(of: table)!
        let oversize = ColumnValue.text(String(repeating: "字", count: 2_000))
        var tried = 0
        for spec in columns where spec.name != "county" {
            var wrong: [ColumnValue] = [oversize, .text("a\u{0}b")]
            switch spec.kind {
            case .integer(let range):
                wrong += [.text("100000"), .text(""), .integer(range.lowerBound - 1), .integer(range.upperBound &+ 1)]
            case .oneOf: wrong += [.integer(1), .text("admin"), .text("")]
            case .date: wrong += [.integer(20250101), .text("2025-13-45"), .text("yesterday"), .text("2025-01-01 00:00")]
            case .recordID: wrong += [.integer(5), .text("' OR '1'='1"), .text(rowId.uppercased())]
            case .countyCode: wrong += [.integer(130202)]
            case .text: wrong += [.integer(42)]
            }
            if !spec.nullable { wrong.append(.null) }
            for value in wrong {
                let refusal = check.refusal(of: insert(table, values: [spec.name: value]), county: "130202", nowMs: now)
                #expect(refusal?.code == .malformedChange, "\(table).\(spec.name) = \(value)")
                #expect(refusal?.field == "values.\(spec.name)" && refusal?.seq == 7, "\(String(describing: refusal))")
                tried += 1
            }
        }
        #expect(tried > columns.count * 3)
    }

    @Test func theCountyMustBeTheSendersAsText() {
        let foreignNumber = check.refusal(of: insert("platform", values: ["county": .integer(130203)]), county: "130202", nowMs: now)
        #expect(foreignNumber?.code == .forbiddenCounty && foreignNumber?.field == "values.county")
        let foreignText = check.refusal(of: insert("award", values: ["county": .text("130203")]), county: "130202", nowMs: now)
        #expect(foreignText?.code == .forbiddenCounty)
        let ownAsNumber = check.refusal(of: insert("platform", values: ["county": .integer(130202)]), county: "130202", nowMs: now)
        #expect(ownAsNumber?.code == .malformedChange)
        #expect(check.refusal(of: insert("platform", values: ["county": .null]), county: "130202", nowMs: now)?.code == .malformedChange)
    }

    @Test func shapeOfTheChangeItself() {
        let good = insert("platform")
        func with(table: String = "platform", rowId: String? = nil, op: String = "insert", node: String = "county-130202-aaaa",
                  values: [String: ColumnValue]? = nil, seq: Int64 = 7) -> WireChange {
            WireChange(seq: seq, table: table, rowId: rowId ?? good.rowId, op: op, hlc: good.hlc, node: node,
                       values: values ?? good.values, bases: [:])
        }
        let cases: [(WireChange, String)] = [
            (with(table: "users"), "table"), (with(op: "truncate"), "op"), (with(rowId: "x"), "rowId"),
            (with(node: String(repeating: "n", count: 65)), "node"), (with(seq: 0), "seq"),
            (with(values: good.values.merging(["is_admin": .integer(1)]) { $1 }), "values.\"is_admin\""),
            (with(op: "delete"), "values"),
            (with(values: good.values.filter { $0.key != "name" }), "values.name"),
        ]
        for (change, field) in cases {
            let refusal = check.refusal(of: change, county: "130202", nowMs: now)
            #expect(refusal?.code == .malformedChange && refusal?.field == field, "\(field): \(String(describing: refusal))")
        }
        // A delete with no values and an insert of a row deleted before it was sent are well formed.
        #expect(check.refusal(of: with(op: "delete", values: [:]), county: "130202", nowMs: now) == nil)
        #expect(check.refusal(of: with(values: [:]), county: "130202", nowMs: now) == nil)
        #expect(check.refusal(of: with(op: "update", values: ["remarks": .text("ok")]), county: "130202", nowMs: now) == nil)
    }

    @Test func clockReadingsAreBoundedByTheReceiversClock() {
        let bound = SyncLimits().maxClockOffsetMs
        let justInside = HLCTimestamp(physicalMs: now + bound, logical: 9).rawValue
        #expect(check.refusal(of: insert("platform", hlc: justInside), county: "130202", nowMs: now) == nil)
        let ahead = HLCTimestamp(physicalMs: now + bound + 1, logical: 0).rawValue
        let refusal = check.refusal(of: insert("platform", hlc: ahead), county: "130202", nowMs: now)
        #expect(refusal?.code == .clockAhead && refusal?.field == "hlc")
        #expect(check.refusal(of: insert("platform", hlc: Int64.max), county: "130202", nowMs: now)?.code == .clockAhead)
        #expect(check.refusal(of: insert("platform", hlc: -1), county: "130202", nowMs: now)?.code == .malformedChange)
        let year2099 = HLCTimestamp(physicalMs: 4_070_908_800_000, logical: 0)
        let base = check.refusal(of: insert("platform", bases: ["name": ColumnVersion(hlc: year2099, node: "county-130202-aaaa")]),
                                 county: "130202", nowMs: now)
        #expect(base?.code == .clockAhead && base?.field == "bases.name.hlc")
    }

    @Test func theClockSaturatesInsteadOfWrapping() {
        var clock = HybridLogicalClock(last: .zero)
        clock.receive(HLCTimestamp(rawValue: Int64.max), wallMs: now)
        let next = clock.tick(wallMs: now)
        #expect(next.rawValue == Int64.max && next.rawValue > 0)
        #expect(HLCTimestamp(physicalMs: Int64.max, logical: 0).rawValue > 0)
        #expect(HLCTimestamp(physicalMs: -5, logical: 0).physicalMs == 0)
    }
}
