import GRDB
import SyncCore

/// SQL shared by the county and city schemas: the data tables, row versions, conflicts and parked
/// changes are the same on both sides, so the same merge code runs on both.
enum ReplicaSchema {
    static var tableList: String { SyncedTable.all.map { "'\($0.name)'" }.joined(separator: ", ") }

    static let replicaTableSQL = """
        CREATE TABLE replica (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          role TEXT NOT NULL CHECK (role IN ('county', 'city')),
          county TEXT CHECK ((role = 'county') = (county IS NOT NULL)),
          node TEXT NOT NULL CHECK (length(node) > 0),
          created_at TEXT NOT NULL,
          hlc INTEGER NOT NULL DEFAULT 0 CHECK (hlc >= 0),
          pushed_seq INTEGER NOT NULL DEFAULT 0 CHECK (pushed_seq >= 0),
          capture INTEGER NOT NULL DEFAULT 1 CHECK (capture IN (0, 1))
        )
        """

    static var dataTablesSQL: [String] {
        let categories = PlatformCategory.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let levels = Level.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let platformStatuses = PlatformStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let awardStatuses = AwardStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let date = "GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'"
        return [
            """
            CREATE TABLE platform (
              id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
              county TEXT NOT NULL CHECK (length(county) = 6),
              name TEXT NOT NULL CHECK (length(trim(name)) > 0),
              category TEXT NOT NULL CHECK (category IN (\(categories))),
              level TEXT CHECK (level IN (\(levels))),
              subtype TEXT,
              host_org TEXT NOT NULL CHECK (length(trim(host_org)) > 0),
              credit_code TEXT NOT NULL CHECK (length(credit_code) = 18),
              industry TEXT NOT NULL CHECK (length(trim(industry)) > 0),
              recognized_on TEXT CHECK (recognized_on \(date)),
              status TEXT NOT NULL DEFAULT 'registered' CHECK (status IN (\(platformStatuses))),
              evaluation TEXT,
              contact TEXT,
              remarks TEXT,
              UNIQUE (id, county)
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE award (
              id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
              county TEXT NOT NULL CHECK (length(county) = 6),
              platform_id TEXT NOT NULL,
              amount_fen INTEGER NOT NULL CHECK (typeof(amount_fen) = 'integer' AND amount_fen > 0),
              basis_fen INTEGER CHECK (basis_fen IS NULL OR (typeof(basis_fen) = 'integer' AND basis_fen >= 0)),
              fiscal_year INTEGER NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2100),
              status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN (\(awardStatuses))),
              approved_amount_fen INTEGER CHECK (approved_amount_fen IS NULL OR (typeof(approved_amount_fen) = 'integer' AND approved_amount_fen > 0)),
              approved_on TEXT CHECK (approved_on \(date)),
              reject_reason TEXT,
              remarks TEXT,
              FOREIGN KEY (platform_id, county) REFERENCES platform (id, county)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX award_by_platform ON award (platform_id, county)",
        ]
    }

    static var rowVersionSQL: String {
        """
        CREATE TABLE row_version (
          tbl TEXT NOT NULL CHECK (tbl IN (\(tableList))),
          row_id TEXT NOT NULL,
          versions TEXT NOT NULL CHECK (json_valid(versions)),
          PRIMARY KEY (tbl, row_id)
        ) WITHOUT ROWID
        """
    }

    /// Every concurrent edit whose values differed: both values, the base and the rule that decided.
    static let conflictSQL = """
        CREATE TABLE conflict (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          tbl TEXT NOT NULL,
          row_id TEXT NOT NULL,
          county TEXT NOT NULL,
          column_name TEXT NOT NULL,
          winner_value TEXT NOT NULL CHECK (json_valid(winner_value)),
          winner_version TEXT NOT NULL CHECK (json_valid(winner_version)),
          loser_value TEXT NOT NULL CHECK (json_valid(loser_value)),
          loser_version TEXT CHECK (loser_version IS NULL OR json_valid(loser_version)),
          base_version TEXT CHECK (base_version IS NULL OR json_valid(base_version)),
          rule TEXT NOT NULL,
          decided_at INTEGER NOT NULL,
          resolved_at INTEGER,
          UNIQUE (tbl, row_id, column_name, loser_version, winner_version)
        )
        """

    /// Changes refused by a rule: kept with their reason, never retried by themselves.
    static let parkedSQL = """
        CREATE TABLE parked (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          node TEXT NOT NULL,
          county TEXT NOT NULL,
          seq INTEGER NOT NULL,
          tbl TEXT NOT NULL,
          row_id TEXT NOT NULL,
          op TEXT NOT NULL,
          change TEXT NOT NULL CHECK (json_valid(change)),
          reason TEXT NOT NULL,
          message TEXT NOT NULL,
          parked_at INTEGER NOT NULL,
          UNIQUE (node, seq)
        )
        """

    /// The measured offset of this machine's clock from the city's (ms, city minus local) and when it was measured.
    static let clockOffsetSQL = [
        "ALTER TABLE replica ADD COLUMN clock_offset_ms INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE replica ADD COLUMN clock_offset_at INTEGER",
    ]

    /// Deleted rows, on both sides: which row, whose, and the version of the delete. A snapshot
    /// carries them, so a replica restored from a backup loses its deleted rows again; they are
    /// purged after the retention period (`CityServerConfiguration.tombstoneRetentionDays`).
    static let tombstoneSQL = [
        """
        CREATE TABLE tombstone (
          tbl TEXT NOT NULL CHECK (tbl IN ('platform', 'award')),
          row_id TEXT NOT NULL,
          county TEXT NOT NULL,
          hlc INTEGER NOT NULL,
          node TEXT NOT NULL,
          deleted_at INTEGER NOT NULL,
          PRIMARY KEY (tbl, row_id)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX tombstone_by_county ON tombstone (county, tbl, row_id)",
        "CREATE INDEX tombstone_by_age ON tombstone (deleted_at)",
    ]

    /// A parked change is retried (as a new local change) or discarded by a person.
    static let parkedResolutionSQL = [
        "ALTER TABLE parked ADD COLUMN resolution TEXT CHECK (resolution IN ('retried', 'discarded'))",
        "ALTER TABLE parked ADD COLUMN resolved_at INTEGER",
    ]

    /// Migration `v14-live-values`, on both sides: a bulk stamp leaves an entry's values in its
    /// row (`"values" = 'null'`), and the capture triggers of update and delete freeze them before
    /// the row changes, whoever writes.
    /// Adds the award's basis reference (county v17, city v19): the column, an index to find the
    /// awards on one source, and the award's capture triggers made again with the column in their
    /// mask and frozen values.
    static func addBasisReference(_ db: Database, role: NodeRole) throws {
        try db.execute(sql: "ALTER TABLE award ADD COLUMN basis_ref TEXT CHECK (basis_ref IS NULL OR (typeof(basis_ref) = 'text' AND length(basis_ref) BETWEEN 1 AND \(BasisSource.maxLength)))")
        try db.execute(sql: "CREATE INDEX award_by_basis_ref ON award (basis_ref) WHERE basis_ref IS NOT NULL")
        let award = SyncedTable.award
        for op in ["insert", "update", "delete"] { try db.execute(sql: "DROP TRIGGER award_capture_\(op)") }
        try db.execute(sql: award.captureTriggersSQL(role: role)[0])
        for sql in award.freezingCaptureTriggersSQL(role: role) { try db.execute(sql: sql) }
    }

    /// Who closed a conflict: the actor at the city; `city` at a county when a later write of the
    /// city's (its resolution, or an edit since) reached it, `local` when a person here chose.
    static func addConflictResolver(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE conflict ADD COLUMN resolved_by TEXT")
    }

    /// Who made each change (`ChangeActor`): in the change log on both sides; at the county also
    /// with each city change received; at the city also with each county change it applied, in
    /// `county_change`, which is kept as long as the decision log (the applied digests are compacted).
    static func addChangeActors(_ db: Database, role: NodeRole) throws {
        let actor = "actor TEXT CHECK (actor IS NULL OR length(CAST(actor AS BLOB)) BETWEEN 1 AND \(ChangeActor.maxBytes))"
        try db.execute(sql: "ALTER TABLE change_log ADD COLUMN \(actor)")
        switch role {
        case .county:
            try db.execute(sql: "ALTER TABLE received ADD COLUMN \(actor)")
        case .city:
            try db.execute(sql: """
                CREATE TABLE county_change (
                  node TEXT NOT NULL,
                  seq INTEGER NOT NULL,
                  county TEXT NOT NULL,
                  tbl TEXT NOT NULL,
                  row_id TEXT NOT NULL,
                  op TEXT NOT NULL,
                  columns TEXT NOT NULL,
                  hlc INTEGER NOT NULL,
                  \(actor),
                  applied_at INTEGER NOT NULL,
                  PRIMARY KEY (node, seq)
                ) WITHOUT ROWID
                """)
            try db.execute(sql: "CREATE INDEX county_change_by_row ON county_change (row_id)")
        }
    }

    static func keepValuesInRows(_ db: Database, role: NodeRole) throws {
        try db.execute(sql: #"CREATE INDEX change_log_live ON change_log (tbl, row_id) WHERE "values" = 'null'"#)
        for table in SyncedTable.all {
            try db.execute(sql: "DROP TRIGGER \(table.name)_capture_update")
            try db.execute(sql: "DROP TRIGGER \(table.name)_capture_delete")
            for sql in table.freezingCaptureTriggersSQL(role: role) { try db.execute(sql: sql) }
        }
    }
}
