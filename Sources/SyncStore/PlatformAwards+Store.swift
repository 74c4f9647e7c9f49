import GRDB
import SyncCore

extension PlatformAwards {
    /// Checks `amount` for `award` against the other awards of `platform` held in `db` (see
    /// `PlatformAwards.check`); throws `invalidInput` naming the rule and the awards counted.
    static func check(_ amount: Fen, for award: Award, of platform: Platform, policy: AwardPolicy, db: Database) throws {
        let others = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM award WHERE platform_id = ? AND id <> ? ORDER BY id"),
                                      arguments: [platform.id, award.id]).map(Award.init(row:))
        do {
            try check(amount, for: award, of: platform, others: others, policy: policy)
        } catch {
            throw StoreError.invalidInput(error)
        }
    }
}
