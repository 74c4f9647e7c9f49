import GRDB
import SyncCore

extension CountyDatabase {
    /// The county schema, as named, append-only migrations. `Schemas/county.sql` is what they produce.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-replica") { db in
            try db.execute(sql: """
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
                """)
        }
        migrator.registerMigration("v1-data") { db in
            let categories = PlatformCategory.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let levels = Level.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let platformStatuses = PlatformStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let awardStatuses = AwardStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let date = "GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'"
            try db.execute(sql: """
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
                """)
            try db.execute(sql: """
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
                """)
            try db.execute(sql: "CREATE INDEX award_by_platform ON award (platform_id, county)")
        }
        migrator.registerMigration("v1-change-log") { db in
            let tables = SyncedTable.all.map { "'\($0.name)'" }.joined(separator: ", ")
            try db.execute(sql: """
                CREATE TABLE change_log (
                  seq INTEGER PRIMARY KEY AUTOINCREMENT,
                  tbl TEXT NOT NULL CHECK (tbl IN (\(tables))),
                  row_id TEXT NOT NULL,
                  op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
                  columns INTEGER NOT NULL CHECK (columns >= 0),
                  wall_ms INTEGER NOT NULL,
                  hlc INTEGER,
                  bases TEXT CHECK (bases IS NULL OR json_valid(bases)),
                  CHECK ((hlc IS NULL) = (bases IS NULL))
                )
                """)
            try db.execute(sql: "CREATE INDEX change_log_unstamped ON change_log (seq) WHERE hlc IS NULL")
            try db.execute(sql: """
                CREATE TABLE row_version (
                  tbl TEXT NOT NULL CHECK (tbl IN (\(tables))),
                  row_id TEXT NOT NULL,
                  versions TEXT NOT NULL CHECK (json_valid(versions)),
                  PRIMARY KEY (tbl, row_id)
                ) WITHOUT ROWID
                """)
            for table in SyncedTable.all {
                for sql in table.captureTriggersSQL + table.ownershipTriggersSQL {
                    try db.execute(sql: sql)
                }
            }
        }
        return migrator
    }
}
