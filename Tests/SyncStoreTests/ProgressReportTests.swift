import Foundation
import GRDB
import SyncCore
import SyncProtocol
import Testing
@testable import SyncStore

/// The progress report's figures equal counts made directly in SQL on the same database, for a
/// seeded random city of all 18 counties.
@Suite struct ProgressReportTests {
    /// SplitMix64, so a failing seed can be replayed.
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    /// Counties register random platforms of every category and propose awards; the city recognises
    /// some (before and after the plan's start), revokes a few, decides on awards.
    func makeCity(_ dir: TempDirectory, seed: UInt64) throws -> CityDatabase {
        var random = Random(state: seed)
        let city = try CityDatabase.create(at: dir.path("city.db"), node: "city-test")
        var serial = 0
        for (index, county) in CountyRegistry.tangshan.counties.enumerated() where index % 5 != 4 {
            let replica = try CountyDatabase.create(at: dir.path("county-\(county.code).db"), county: county.code)
            var platforms: [Platform] = []
            while platforms.count < 25 {
                serial += 1
                let category = PlatformCategory.allCases[random.next(PlatformCategory.allCases.count)]
                let level = category.allowedLevels.isEmpty ? nil : category.allowedLevels[random.next(category.allowedLevels.count)]
                let subtype = category.subtypes.isEmpty ? nil : category.subtypes[random.next(category.subtypes.count)]
                let prefix = "9113020" + String(format: "%010d", serial)
                let candidate = Platform(county: county.code, name: "平台 \(serial)", category: category, level: level, subtype: subtype,
                                         hostOrg: "依托单位", creditCode: prefix + String(CreditCode.checkCharacter(for: prefix)!), industry: "钢铁冶金")
                if let valid = try? candidate.validated() { platforms.append(try replica.addPlatform(valid)) }
            }
            for platform in platforms where random.next(3) == 0 {
                let amount = Fen.yuan(Int64(1 + random.next(100)) * 1_000)
                _ = try? replica.proposeAward(Award(county: county.code, platformId: platform.id, amount: amount,
                                                    basis: .yuan(10_000_000), fiscalYear: 2022 + random.next(4), basisRef: "TZ-\(platform.id.suffix(8))"))
                _ = try? replica.proposeAward(Award(county: county.code, platformId: platform.id, amount: amount, fiscalYear: 2022 + random.next(4)))
            }
            while let batch = try replica.nextPushBatch(limit: 500) {
                try replica.acknowledge(batch, try city.applyPush(county: county.code, batch))
            }
            _ = try city.recordHeartbeat(county: county.code, try replica.heartbeat())
        }
        /// A decision one operator cannot make alone is confirmed by a second.
        func decided(_ decide: () throws -> Void) throws {
            do { try decide() } catch StoreError.awaitingSecondPerson(let pending, _) {
                try city.confirmPending(id: pending, by: "shell:second-operator")
            }
        }
        let dates = ["2019-03-01", "2022-06-08", "2022-06-09", "2023-10-10", "2025-12-31", "2026-02-01"]
        for platform in try city.platforms() where random.next(4) != 0 {
            let date = try CalendarDate(dates[random.next(dates.count)])
            try decided { _ = try city.recognizePlatform(id: platform.id, on: date, overrideReason: date < CityDatabase.planStart ? "早于方案的认定，市局备案" : nil) }
            // Revoked on a day at or after the recognition: reports as of an earlier day count it.
            if random.next(5) == 0 {
                let later = try ["2022-06-09", "2023-12-01", "2024-08-15", "2026-01-10"].map { try CalendarDate($0) }.filter { $0 >= date }
                if !later.isEmpty { _ = try city.revokePlatform(id: platform.id, on: later[random.next(later.count)]) }
            }
        }
        for award in try city.awards() {
            switch random.next(4) {
            case 0: try? decided { _ = try city.approveAward(id: award.id, overrideReason: "认定早于方案，经市局会议研究") }
            case 1: _ = try? city.rejectAward(id: award.id, reason: "材料不全")
            case 2:
                if (try? decided { _ = try city.approveAward(id: award.id, overrideReason: "认定早于方案，经市局会议研究") }) != nil {
                    try? decided { _ = try city.disburseAward(id: award.id) }
                }
            default: break
            }
        }
        return city
    }

    /// The SQL each target means: categories, the lowest level, a subtype, and for a flow the start date.
    func sqlCount(_ target: TargetProgress, county: String?, asOf: String, _ db: Database) throws -> Int {
        let rules: [String: (categories: [String], levels: [String]?, subtype: String?)] = [
            "high_tech_enterprises": (["high_tech_enterprise"], nil, nil),
            "tech_smes": (["tech_sme"], nil, nil),
            "key_labs": (["key_lab"], ["municipal", "provincial", "national"], nil),
            "innovation_centres": (["tech_innovation_center", "engineering_research_center", "enterprise_tech_center"], ["municipal", "provincial", "national"], nil),
            "industrial_institutes": (["industrial_tech_institute"], ["municipal", "provincial", "national"], nil),
            "new_rd_institutions": (["new_rd_institution"], ["provincial", "national"], nil),
            "pilot_bases": (["pilot_base"], ["municipal"], nil),
            "innovation_parks": (["tech_innovation_park"], ["municipal", "provincial", "national"], nil),
            "industry_alliances": (["industry_alliance"], ["municipal", "provincial", "national"], nil),
            "star_spaces": (["star_innovation_space"], ["provincial", "national"], nil),
            "incubators_makerspaces": (["incubator", "makerspace"], ["municipal", "provincial", "national"], nil),
            "tech_transfer_agencies": (["tech_transfer_agency"], ["provincial", "national"], nil),
            "academician": (["academician_workstation", "academician_partner"], nil, nil),
            "postdoc": (["postdoc_station", "postdoc_base"], nil, nil),
            "intl_coop_bases": (["intl_coop_base"], ["provincial", "national"], nil),
            "external_centres": (["external_innovation_center"], nil, nil),
            "application_scenarios": (["application_scenario"], nil, nil),
            "scenarios_industrial": (["application_scenario"], nil, "industrial"),
            "scenarios_energy_environment": (["application_scenario"], nil, "energy_environment"),
            "scenarios_logistics": (["application_scenario"], nil, "logistics"),
            "scenarios_smart_agriculture": (["application_scenario"], nil, "smart_agriculture"),
        ]
        func list(_ values: [String]) -> String { values.map { "'\($0)'" }.joined(separator: ", ") }
        // Recognised on the report's day: recognised now, or revoked after it.
        var conditions = ["(status = 'recognized' OR (status = 'revoked' AND id IN (SELECT platform_id FROM platform_revocation WHERE on_date > '\(asOf)')))"]
        if target.key == "rd_platforms" {
            conditions.append("""
                ((category IN ('key_lab', 'tech_innovation_center', 'engineering_research_center', 'enterprise_tech_center', 'industrial_tech_institute')
                  AND level IS NOT NULL) OR (category = 'new_rd_institution' AND level IN ('provincial', 'national')))
                """)
        } else {
            let rule = try #require(rules[target.key], "a SQL rule for \(target.key)")
            conditions.append("category IN (\(list(rule.categories)))")
            if let levels = rule.levels { conditions.append("level IN (\(list(levels)))") }
            if let subtype = rule.subtype { conditions.append("subtype = '\(subtype)'") }
        }
        if target.kind == .flow { conditions.append("recognized_on >= '2022-06-09'") }
        // What had happened by the report's day, and by the plan's end.
        let cutoff = min(asOf, "2025-12-31")
        conditions.append(target.kind == .flow ? "recognized_on <= '\(cutoff)'" : "(recognized_on IS NULL OR recognized_on <= '\(cutoff)')")
        if let county { conditions.append("county = '\(county)'") }
        return try Int.fetchOne(db, sql: "SELECT count(*) FROM platform WHERE " + conditions.joined(separator: " AND ")) ?? -1
    }

    @Test(arguments: [UInt64(20261130), 7, 99])
    func reportFiguresEqualCountsMadeInSQL(seed: UInt64) throws {
        let dir = try TempDirectory()
        defer { dir.cleanUp() }
        let city = try makeCity(dir, seed: seed)
        // As of several days: before the plan, during it, its last day, and after it (release
        // 0.15.0 moved only the pace line with --as-of, and counted recognitions of 2026).
        for day in ["2022-06-08", "2023-10-09", "2024-03-20", "2025-12-31", "2026-06-01"] {
          let report = try city.progressReport(asOf: try CalendarDate(day))
          try city.pool.read { db throws in
            for target in report.targets {
                let total = try sqlCount(target, county: nil, asOf: day, db)
                #expect(target.count == total, "\(target.key) as of \(day)")
                #expect(target.byCounty.count == 18, "every county, zeros included")
                for (county, count) in target.byCounty {
                    let inCounty = try sqlCount(target, county: county, asOf: day, db)
                    #expect(count == inCounty, "\(target.key) in \(county) as of \(day)")
                }
                #expect(target.gap == max(0, target.target - target.count))
            }
            let later = try Int.fetchOne(db, sql: "SELECT count(*) FROM platform WHERE status = 'recognized' AND recognized_on > '2025-12-31' AND recognized_on <= ?",
                                         arguments: [day]) ?? 0
            let shownApart = report.targets.filter { $0.parent == nil }.map(\.recognizedAfterPlan).reduce(0, +)
            #expect((later == 0) == (shownApart == 0), "recognitions after the plan, as of \(day): \(later) in SQL, \(shownApart) shown apart")
            func sum(_ sql: String) throws -> Int64 { try Int64.fetchOne(db, sql: sql) ?? 0 }
            let proposed = try sum("SELECT ifnull(sum(amount_fen), 0) FROM award WHERE status = 'proposed'")
            let approved = try sum("SELECT ifnull(sum(approved_amount_fen), 0) FROM award WHERE status = 'approved'")
            let disbursed = try sum("SELECT ifnull(sum(approved_amount_fen), 0) FROM award WHERE status = 'disbursed'")
            let rejected = try sum("SELECT ifnull(sum(amount_fen), 0) FROM award WHERE status = 'rejected'")
            #expect(report.awards.proposedFen == proposed && report.awards.approvedFen == approved)
            #expect(report.awards.disbursedFen == disbursed && report.awards.rejectedFen == rejected)
            for (county, money) in report.awards.byCounty {
                let inCounty = try sum("SELECT ifnull(sum(approved_amount_fen), 0) FROM award WHERE status = 'approved' AND county = '\(county)'")
                #expect(money.approvedFen == inCounty, "\(county)")
            }
            for (year, money) in report.awards.byFiscalYear {
                let inYear = try sum("SELECT ifnull(sum(amount_fen), 0) FROM award WHERE status = 'proposed' AND fiscal_year = \(year)")
                #expect(money.proposedFen == inYear, "\(year)")
            }
            #expect(disbursed > 0 && rejected > 0, "the seeded city exercises every status")
          }
        }
        let report = try city.progressReport(asOf: try CalendarDate("2024-03-20"))
        #expect(report.targets.filter { $0.count > 0 }.count >= 8, "the seeded city counts toward many targets")
        // Completeness: the counties left out of the seeded city are named as never synced.
        #expect(report.countiesNeverSynced == CountyRegistry.tangshan.counties.enumerated().filter { $0.offset % 5 == 4 }.map(\.element.code))
        #expect(report.countiesInContact == 18 - report.countiesNeverSynced.count)
        // The pace line: 2024-03-20 is about half-way through the plan's period.
        #expect(abs(report.elapsed - 0.49) < 0.02, "\(report.elapsed)")
        let labs = try #require(report.targets.first { $0.key == "key_labs" })
        #expect(labs.expected == Int((15 * report.elapsed).rounded(.down)))
    }
}
