import Foundation
import GRDB
import SyncCore

extension CityDatabase {
    /// Today's date at the city, for approvals and recognitions.
    public static func today() -> CalendarDate {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "Asia/Shanghai")!, from: Date())
        return try! CalendarDate(String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!))
    }

    /// Approves a proposed award, for the proposed amount or an adjusted one within the plan's rule.
    @discardableResult
    public func approveAward(id: String, amount: Fen? = nil, on date: CalendarDate = CityDatabase.today()) throws -> Award {
        try editAward(id: id, op: "approve award") { award, platform in
            guard award.status == .proposed || award.status == .rejected else {
                throw StoreError.notAllowed("award \(id) is \(award.status.rawValue); only a proposed or rejected award can be approved")
            }
            let approved = amount ?? award.amount
            do {
                try self.policy.rule(for: platform).check(amount: approved, basis: award.basis)
            } catch let error as DomainError {
                throw StoreError.invalidInput(error)
            }
            award.status = .approved
            award.approvedAmount = approved
            award.approvedOn = date
            award.rejectReason = nil
        }
    }

    /// Rejects an award with a reason the county will see.
    @discardableResult
    public func rejectAward(id: String, reason: String) throws -> Award {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw StoreError.invalidInput(.invalid(field: "reason", value: reason, rule: "a rejection needs a reason")) }
        return try editAward(id: id, op: "reject award") { award, _ in
            guard award.status == .proposed else {
                throw StoreError.notAllowed("award \(id) is \(award.status.rawValue); only a proposed award can be rejected")
            }
            award.status = .rejected
            award.rejectReason = trimmed
        }
    }

    /// Records that an approved award was paid out.
    @discardableResult
    public func disburseAward(id: String) throws -> Award {
        try editAward(id: id, op: "disburse award") { award, _ in
            guard award.status == .approved else {
                throw StoreError.notAllowed("award \(id) is \(award.status.rawValue); only an approved award can be disbursed")
            }
            award.status = .disbursed
        }
    }

    /// Recognises (认定) a platform.
    @discardableResult
    public func recognizePlatform(id: String, on date: CalendarDate = CityDatabase.today()) throws -> Platform {
        try editPlatform(id: id, op: "recognize platform") { platform in
            guard platform.status != .recognized else { throw StoreError.notAllowed("platform \(id) is already recognized") }
            platform.status = .recognized
            platform.recognizedOn = platform.recognizedOn ?? date
        }
    }

    /// Revokes (有序退出) a platform.
    @discardableResult
    public func revokePlatform(id: String) throws -> Platform {
        try editPlatform(id: id, op: "revoke platform") { platform in
            guard platform.status != .revoked else { throw StoreError.notAllowed("platform \(id) is already revoked") }
            platform.status = .revoked
        }
    }

    /// Edits a platform at the city: shared columns and the city's own, never a county's intake fields.
    @discardableResult
    public func updatePlatform(id: String, _ edit: @escaping @Sendable (inout Platform) throws -> Void) throws -> Platform {
        try editPlatform(id: id, op: "update platform") { platform in
            let before = platform
            try edit(&platform)
            let changed = zip(SyncedTable.platform.columns, zip(before.columnValues, platform.columnValues))
                .filter { $0.1.0 != $0.1.1 }.map(\.0)
            if let owned = changed.first(where: { self.authority.authority("platform", $0) == .county }) {
                throw StoreError.notAllowed("platform.\(owned) is entered by the county; the city cannot change it")
            }
        }
    }

    private func editPlatform(id: String, op: String, _ edit: @escaping @Sendable (inout Platform) throws -> Void) throws -> Platform {
        try write(op) { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [id]) else {
                throw StoreError.invalidInput(.notFound(kind: "platform", id: id))
            }
            var platform = try Platform(row: row)
            try edit(&platform)
            let valid: Platform
            do { valid = try platform.validated(counties: self.counties) } catch let error as DomainError { throw StoreError.invalidInput(error) }
            try db.cachedStatement(sql: Platform.updateSQL).execute(arguments: valid.updateArguments)
            return valid
        }
    }

    private func editAward(id: String, op: String, _ edit: @escaping @Sendable (inout Award, Platform) throws -> Void) throws -> Award {
        try write(op) { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM award WHERE id = ?", arguments: [id]) else {
                throw StoreError.invalidInput(.notFound(kind: "award", id: id))
            }
            var award = try Award(row: row)
            guard let platformRow = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [award.platformId]) else {
                throw StoreError.invalidInput(.notFound(kind: "platform", id: award.platformId))
            }
            try edit(&award, try Platform(row: platformRow))
            try db.cachedStatement(sql: Award.updateSQL).execute(arguments: award.updateArguments)
            return award
        }
    }
}

extension Platform {
    /// The values of the `platform` columns in table order (without the id).
    var columnValues: [String?] {
        sqlValues.dropFirst().map { $0.map { "\($0.databaseValue)" } }
    }
}
