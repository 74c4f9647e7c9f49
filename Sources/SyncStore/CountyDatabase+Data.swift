import GRDB
import SyncCore

extension CountyDatabase {
    /// Validates and inserts a platform of this county; returns it as stored.
    @discardableResult
    public func addPlatform(_ platform: Platform) throws -> Platform {
        let valid = try validateNew(platform)
        try write("add platform") { db in
            try db.cachedStatement(sql: Platform.insertSQL).execute(arguments: valid.insertArguments)
        }
        return valid
    }

    /// Validates and inserts many platforms in one transaction: all of them or none.
    public func addPlatforms(_ platforms: [Platform]) throws {
        let valid = try platforms.map(validateNew)
        try write("add platforms") { db in
            let statement = try db.cachedStatement(sql: Platform.insertSQL)
            for platform in valid { try statement.execute(arguments: platform.insertArguments) }
        }
    }

    /// Applies `edit` to a platform and stores the result if it is still valid; returns it.
    @discardableResult
    public func updatePlatform(id: String, _ edit: @Sendable (inout Platform) throws -> Void) throws -> Platform {
        try write("update platform") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [id]) else {
                throw StoreError.invalidInput(.notFound(kind: "platform", id: id))
            }
            let before = try Platform(row: row)
            var platform = before
            try edit(&platform)
            let valid = try self.validate(platform)
            guard valid.id == id, valid.county == self.county else {
                throw StoreError.notAllowed("a platform's id and county cannot change")
            }
            if let column = Self.cityColumnChanged(from: before, to: valid) {
                throw StoreError.notAllowed("platform \(id): \(column) is set by the city; a county cannot change it")
            }
            if let column = before.cityOwnedClassification(changedTo: valid) {
                throw StoreError.notAllowed("platform \(id) was \(before.status.rawValue) by the city as \(before.category.rawValue) \(before.level?.rawValue ?? ""); its \(column) is the city's now (the award follows the level at recognition)")
            }
            try db.cachedStatement(sql: Platform.updateSQL).execute(arguments: valid.updateArguments)
            return valid
        }
    }

    /// Validates a proposal against its platform and the policy, and inserts it; returns it as stored.
    @discardableResult
    public func proposeAward(_ award: Award, confirmAboveCeiling: Bool = false) throws -> Award {
        try write("propose award") { db in try self.propose(award, confirmAboveCeiling: confirmAboveCeiling, db: db) }
    }

    /// `proposeAward` inside the caller's transaction (an import proposes many in one).
    func propose(_ award: Award, confirmAboveCeiling: Bool, db: Database) throws -> Award {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [award.platformId]) else {
            throw StoreError.invalidInput(.notFound(kind: "platform", id: award.platformId))
        }
        var proposal = award
        proposal.county = self.county
        let platform = try Platform(row: row)
        let valid = try proposal.validated(for: platform, policy: self.policy)
        guard valid.status == .proposed else {
            throw StoreError.notAllowed("a county proposes awards; approvals are made at the city")
        }
        try PlatformAwards.check(valid.amount, for: valid, of: platform, policy: self.policy, db: db)
        try PlatformAwards.checkCeiling(valid.amount, for: valid, of: platform, policy: self.policy, confirmed: confirmAboveCeiling, db: db)
        try BasisSource.checkStored(valid.amount, for: valid, of: platform, policy: self.policy, county: self.county, committedOnly: false, db: db)
        try db.cachedStatement(sql: Award.insertSQL).execute(arguments: valid.insertArguments)
        return valid
    }

    /// Applies `edit` to a proposed award and stores it if it still satisfies its rule.
    @discardableResult
    public func updateAward(id: String, confirmAboveCeiling: Bool = false, _ edit: @Sendable (inout Award) throws -> Void) throws -> Award {
        try write("update award") { db in try self.revise(id: id, confirmAboveCeiling: confirmAboveCeiling, db: db, edit) }
    }

    /// `updateAward` inside the caller's transaction.
    func revise(id: String, confirmAboveCeiling: Bool = false, db: Database, _ edit: (inout Award) throws -> Void) throws -> Award {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM award WHERE id = ?", arguments: [id]) else {
            throw StoreError.invalidInput(.notFound(kind: "award", id: id))
        }
        let before = try Award(row: row)
        guard before.status == .proposed else {
            throw StoreError.notAllowed("award \(id) is \(before.status.rawValue) by the city; a county can only change a proposed award")
        }
        var award = before
        try edit(&award)
        guard award.id == id, award.county == before.county, award.platformId == before.platformId else {
            throw StoreError.notAllowed("an award's id, county and platform cannot change")
        }
        guard award.status == before.status, award.approvedAmount == before.approvedAmount,
              award.approvedOn == before.approvedOn, award.rejectReason == before.rejectReason else {
            throw StoreError.notAllowed("approvals are made at the city; a county can change only its proposal")
        }
        guard let platformRow = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [award.platformId]) else {
            throw StoreError.invalidInput(.notFound(kind: "platform", id: award.platformId))
        }
        let platform = try Platform(row: platformRow)
        let valid = try award.validated(for: platform, policy: self.policy)
        try PlatformAwards.check(valid.amount, for: valid, of: platform, policy: self.policy, db: db)
        // A changed amount passes the ceiling as a proposed one does: confirmed, or not at all.
        try PlatformAwards.checkCeiling(valid.amount, for: valid, of: platform, policy: self.policy, confirmed: confirmAboveCeiling, db: db)
        try BasisSource.checkStored(valid.amount, for: valid, of: platform, policy: self.policy, county: self.county, committedOnly: false, db: db)
        try db.cachedStatement(sql: Award.updateSQL).execute(arguments: valid.updateArguments)
        return valid
    }

    /// Checks a platform against the domain rules and this replica's county.
    /// A new platform is registered: its recognition, recognition date and evaluation are the
    /// city's to set, and the city would refuse a county's row that set them.
    func validateNew(_ platform: Platform) throws -> Platform {
        let valid = try validate(platform)
        if valid.status != .registered {
            throw StoreError.invalidInput(.invalid(field: "status", value: valid.status.rawValue, rule: "a county registers a platform; the city recognises or revokes it"))
        }
        if let date = valid.recognizedOn {
            throw StoreError.invalidInput(.invalid(field: "recognized_on", value: date.description, rule: "the recognition date is the city's, set when it recognises the platform"))
        }
        if let evaluation = valid.evaluation {
            throw StoreError.invalidInput(.invalid(field: "evaluation", value: evaluation, rule: "the performance evaluation is the city's"))
        }
        return valid
    }

    func validate(_ platform: Platform) throws -> Platform {
        guard platform.county == county else {
            throw StoreError.invalidInput(.invalid(field: "county", value: platform.county, rule: "this replica holds only county \(county)'s rows"))
        }
        do {
            return try platform.validated(counties: counties)
        } catch {
            throw StoreError.invalidInput(error)
        }
    }
}

extension CountyDatabase {
    /// Deletes a platform this county registered and the city has not decided on: registered,
    /// with no awards. The delete syncs like any change, carrying the versions this replica saw;
    /// the city applies it unless it changed the platform since (then the platform comes back, and
    /// the delete is parked with its reason). A recognised or revoked platform is the city's: it
    /// revokes it.
    public func deletePlatform(id: String) throws {
        try write("delete platform") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM platform WHERE id = ?", arguments: [id]) else {
                throw StoreError.invalidInput(.notFound(kind: "platform", id: id))
            }
            let platform = try Platform(row: row)
            guard platform.status == .registered else {
                throw StoreError.notAllowed("platform \(id) was \(platform.status.rawValue) by the city; only the city withdraws it (syncctl platform revoke at the city)")
            }
            let awards = try String.fetchAll(db, sql: "SELECT id FROM award WHERE platform_id = ? ORDER BY id", arguments: [id])
            guard awards.isEmpty else {
                throw StoreError.notAllowed("platform \(id) has \(awards.count) award(s) (\(awards.joined(separator: ", "))); withdraw them first (syncctl award withdraw)")
            }
            try db.execute(sql: "DELETE FROM platform WHERE id = ?", arguments: [id])
        }
    }

    /// Withdraws this county's own proposal: deletes an award that is proposed or rejected. An
    /// approved or disbursed award is the city's decision and stays. Syncs as a delete, which the
    /// city refuses if it decided on the award meanwhile (the award then comes back, decided).
    public func withdrawAward(id: String) throws {
        try write("withdraw award") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM award WHERE id = ?", arguments: [id]) else {
                throw StoreError.invalidInput(.notFound(kind: "award", id: id))
            }
            let award = try Award(row: row)
            guard award.status == .proposed || award.status == .rejected else {
                throw StoreError.notAllowed("award \(id) was \(award.status.rawValue) by the city; a county withdraws only a proposed or rejected award")
            }
            try db.execute(sql: "DELETE FROM award WHERE id = ?", arguments: [id])
        }
    }
}
