import GRDB
import SyncCore

extension CityDatabase {
    /// The number of the document that recognised a platform (认定文号), if the city recorded one.
    public func recognitionDocument(platform id: String) throws -> String? {
        try read("read a recognition document") { db in
            try String.fetchOne(db, sql: "SELECT number FROM recognition_document WHERE platform_id = ?", arguments: [id])
        }
    }

    /// The awards for the finance bureau (`AwardLine`), oldest first: of `status`, `fiscalYear`
    /// and `county` when given. Each step carries its date and its operator from the decision
    /// log (with the second operator, where one confirmed it).
    public func awardLines(status: AwardStatus? = nil, fiscalYear: Int? = nil, county: String? = nil) throws -> [AwardLine] {
        try read("export awards") { db in
            var filters: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let status { filters.append("a.status = ?"); arguments.append(status.rawValue) }
            if let fiscalYear { filters.append("a.fiscal_year = ?"); arguments.append(fiscalYear) }
            if let county { filters.append("a.county = ?"); arguments.append(county) }
            let awards = try Row.fetchAll(db, sql: "SELECT a.* FROM award AS a \(filters.isEmpty ? "" : "WHERE " + filters.joined(separator: " AND ")) ORDER BY a.id",
                                          arguments: StatementArguments(arguments)).map(Award.init(row:))
            var platforms: [String: Platform] = [:]
            return try awards.map { award in
                if platforms[award.platformId] == nil {
                    platforms[award.platformId] = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [award.platformId]).map(Platform.init(row:))
                }
                let platform = platforms[award.platformId]
                /// The last `action` on the award in the decision log: its operator, and the second one.
                func by(_ action: String) throws -> String? {
                    guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT actor, detail FROM decision_log WHERE row_id = ? AND action = ? ORDER BY id DESC LIMIT 1"),
                                                     arguments: [award.id, action]) else { return nil }
                    let actor: String = row["actor"]
                    let detail: String = row["detail"]
                    guard let range = detail.range(of: ", confirmed by ") else { return actor }
                    return "\(actor), 确认 confirmed by \(detail[range.upperBound...].prefix { $0 != "," && $0 != " " })"
                }
                let paidOn = award.status == .disbursed
                    ? try String.fetchOne(db, sql: "SELECT on_date FROM award_decision WHERE award_id = ? AND kind = 'disbursed'", arguments: [award.id]) : nil
                let rule = platform.map { self.policy.rule(for: $0) }
                let document = try String.fetchOne(db, sql: "SELECT number FROM recognition_document WHERE platform_id = ?", arguments: [award.platformId])
                return AwardLine(
                    awardId: award.id, county: award.county, countyName: self.counties[award.county]?.name ?? "", platformId: award.platformId,
                    platformName: platform?.name ?? "", hostOrg: platform?.hostOrg ?? "", creditCode: platform?.creditCode ?? "",
                    category: platform.map { "\($0.category.chineseName) \($0.category.rawValue)" } ?? "",
                    level: platform?.level.map { "\($0.chineseName) \($0.rawValue)" } ?? "", rule: rule?.summary ?? "",
                    clause: platform?.category.planSection ?? "", basis: award.basis, basisRef: award.basisRef, fiscalYear: award.fiscalYear,
                    status: award.status.rawValue, proposed: award.amount,
                    approved: award.status == .approved || award.status == .disbursed ? award.approvedAmount : nil,
                    approvedOn: award.status == .rejected ? nil : award.approvedOn?.description,
                    approvedBy: award.status == .approved || award.status == .disbursed ? try by("approve") : nil,
                    disbursed: paidOn == nil ? nil : award.approvedAmount, disbursedOn: paidOn, disbursedBy: paidOn == nil ? nil : try by("disburse"),
                    recognitionDocument: document)
            }
        }
    }
}
