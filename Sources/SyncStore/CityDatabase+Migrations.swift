import GRDB
import SyncCore
import SyncProtocol

extension CityDatabase {
    /// The city schema, as named, append-only migrations. `Schemas/city.sql` is what they produce.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-replica") { db in
            try db.execute(sql: ReplicaSchema.replicaTableSQL)
        }
        migrator.registerMigration("v1-data") { db in
            for sql in ReplicaSchema.dataTablesSQL { try db.execute(sql: sql) }
            try db.execute(sql: "CREATE INDEX platform_by_county ON platform (county)")
            try db.execute(sql: "CREATE INDEX award_by_county ON award (county)")
        }
        migrator.registerMigration("v1-change-log") { db in
            let tables = ReplicaSchema.tableList
            // The city's own writes: approvals, recognitions, edits, and values it re-asserts after
            // refusing a county's change. Each county pulls the entries of its rows.
            try db.execute(sql: """
                CREATE TABLE change_log (
                  seq INTEGER PRIMARY KEY AUTOINCREMENT,
                  county TEXT NOT NULL,
                  tbl TEXT NOT NULL CHECK (tbl IN (\(tables))),
                  row_id TEXT NOT NULL,
                  op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
                  columns INTEGER NOT NULL CHECK (columns >= 0),
                  wall_ms INTEGER NOT NULL,
                  hlc INTEGER,
                  bases TEXT CHECK (bases IS NULL OR json_valid(bases)),
                  "values" TEXT CHECK ("values" IS NULL OR json_valid("values")),
                  CHECK ((hlc IS NULL) = (bases IS NULL) AND (hlc IS NULL) = ("values" IS NULL))
                )
                """)
            try db.execute(sql: "CREATE INDEX change_log_by_county ON change_log (county, seq)")
            try db.execute(sql: "CREATE INDEX change_log_unstamped ON change_log (seq) WHERE hlc IS NULL")
            try db.execute(sql: ReplicaSchema.rowVersionSQL)
            for table in SyncedTable.all {
                for sql in table.captureTriggersSQL(role: .city) { try db.execute(sql: sql) }
            }
        }
        migrator.registerMigration("v1-sync") { db in
            try db.execute(sql: """
                CREATE TABLE node_state (
                  node TEXT NOT NULL PRIMARY KEY,
                  county TEXT NOT NULL,
                  high_water INTEGER NOT NULL DEFAULT 0 CHECK (high_water >= 0),
                  last_contact_at INTEGER,
                  last_push_at INTEGER,
                  last_pull_at INTEGER,
                  pending INTEGER,
                  oldest_pending_age_seconds INTEGER,
                  last_error TEXT,
                  heartbeat_at INTEGER
                ) WITHOUT ROWID
                """)
            try db.execute(sql: ReplicaSchema.conflictSQL)
            try db.execute(sql: ReplicaSchema.parkedSQL)
        }
        migrator.registerMigration("v2-admin") { db in
            for sql in ReplicaSchema.parkedResolutionSQL { try db.execute(sql: sql) }
            try db.execute(sql: "ALTER TABLE node_state ADD COLUMN last_verified_at INTEGER")
            try db.execute(sql: "CREATE INDEX change_log_by_row ON change_log (tbl, row_id)")
        }
        migrator.registerMigration("v3-epochs") { db in
            // A digest of every change applied, by node and seq: a re-sent change must be the same
            // change, or the node's history diverged (a replica restored from a backup).
            try db.execute(sql: """
                CREATE TABLE applied_seq (
                  node TEXT NOT NULL,
                  seq INTEGER NOT NULL,
                  hash TEXT NOT NULL,
                  PRIMARY KEY (node, seq)
                ) WITHOUT ROWID
                """)
        }
        migrator.registerMigration("v4-trust") { db in
            // A row's id and county never change at the city either, whatever a sender claims.
            for table in SyncedTable.all {
                try db.execute(sql: table.immutableKeyTriggerSQL)
            }
            // Every node is admitted once, with the evidence that admitted it.
            try db.execute(sql: "ALTER TABLE node_state ADD COLUMN admitted_at INTEGER")
            try db.execute(sql: "ALTER TABLE node_state ADD COLUMN admission TEXT")
            // The offset of the node's machine clock from the city's, as the node measured and reported it.
            try db.execute(sql: "ALTER TABLE node_state ADD COLUMN clock_offset_ms INTEGER")
            // The city is the reference clock: its offset stays 0, but stamping reads the same column on both sides.
            for sql in ReplicaSchema.clockOffsetSQL { try db.execute(sql: sql) }
        }
        migrator.registerMigration("v5-award-decisions") { db in
            // City decisions about an award that its replicated columns do not hold: an approval
            // overriding the plan's start date (with the reason), the day it was paid out.
            try db.execute(sql: """
                CREATE TABLE award_decision (
                  award_id TEXT NOT NULL,
                  kind TEXT NOT NULL CHECK (kind IN ('recognized_before_plan', 'match_adjusted', 'disbursed')),
                  note TEXT,
                  on_date TEXT NOT NULL CHECK (on_date GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
                  recorded_at INTEGER NOT NULL,
                  PRIMARY KEY (award_id, kind)
                ) WITHOUT ROWID
                """)
        }
        migrator.registerMigration("v6-enterprise-index") { db in
            // Every enterprise a county registers is looked up by credit code (one enterprise per
            // code across the city): an index, not a scan of every platform per insert.
            try db.execute(sql: "CREATE INDEX platform_by_credit_code ON platform (credit_code, category)")
        }
        migrator.registerMigration("v7-decision-log") { db in
            // Who made each of the city's decisions: an operator of the console
            // (`operator-NAME`) or a user at the server's shell (`shell:USER`), for `explain`.
            try db.execute(sql: """
                CREATE TABLE decision_log (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  at_ms INTEGER NOT NULL,
                  actor TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
                  action TEXT NOT NULL,
                  tbl TEXT NOT NULL,
                  row_id TEXT NOT NULL,
                  county TEXT NOT NULL,
                  detail TEXT NOT NULL
                )
                """)
            try db.execute(sql: "CREATE INDEX decision_log_by_row ON decision_log (row_id)")
            try db.execute(sql: "CREATE INDEX decision_log_by_county ON decision_log (county, at_ms)")
        }
        migrator.registerMigration("v8-tombstones") { db in
            for sql in ReplicaSchema.tombstoneSQL { try db.execute(sql: sql) }
        }
        migrator.registerMigration("v9-reported-positions") { db in
            // What each node last reported it had acknowledged and pulled: a node ahead of the
            // city's mark shows the city database went back in time (restored from a backup).
            try db.execute(sql: "ALTER TABLE node_state ADD COLUMN reported_acknowledged INTEGER")
            try db.execute(sql: "ALTER TABLE node_state ADD COLUMN reported_pulled INTEGER")
        }
        migrator.registerMigration("v10-applied-at") { db in
            // When each county change was applied, so the digests of changes older than the
            // retention can go; rows from before this migration count from it.
            try db.execute(sql: "ALTER TABLE applied_seq ADD COLUMN applied_at INTEGER NOT NULL DEFAULT 0")
            try db.execute(sql: "UPDATE applied_seq SET applied_at = ?", arguments: [CountyDatabase.wallClockMs()])
        }
        migrator.registerMigration("v11-feed-floor") { db in
            // Per county, the feed seq up to which entries may have been compacted away: a node
            // that pulls from below it merges the city's snapshot instead.
            try db.execute(sql: """
                CREATE TABLE feed_floor (
                  county TEXT NOT NULL PRIMARY KEY,
                  seq INTEGER NOT NULL CHECK (seq >= 0),
                  compacted_at INTEGER NOT NULL
                ) WITHOUT ROWID
                """)
        }
        migrator.registerMigration("v12-enterprise-index-only") { db in
            // Only an enterprise is looked up by credit code (one registration per code): an
            // index over every platform cost each county insert a write at a random place of it.
            // One index per enterprise category: SQLite uses a partial index when the query names
            // its category literally (`category = 'tech_sme'`), not when a list only contains it.
            try db.execute(sql: "DROP INDEX platform_by_credit_code")
            for category in PlatformCategory.allCases where category.isEnterprise {
                try db.execute(sql: "CREATE INDEX \(category.rawValue)_by_credit_code ON platform (credit_code) WHERE category = '\(category.rawValue)'")
            }
        }
        migrator.registerMigration("v13-plain-checks") { db in
            // The same constraints without IN lists, which SQLite evaluates at a table's cost on
            // every row written: every write, capture and sync apply pays for them
            // (`TableRebuild.comparisonsForInLists`).
            try TableRebuild.rebuild(db, tables: ["platform", "award", "change_log", "row_version", "tombstone"], transform: TableRebuild.comparisonsForInLists)
        }
        migrator.registerMigration("v14-live-values") { db in try ReplicaSchema.keepValuesInRows(db, role: .city) }
        migrator.registerMigration("v15-platform-key-by-county") { db in
            // The key a county's awards refer to, (id, county), indexed county first: the same
            // index then finds a county's platforms, and an insert writes one index fewer.
            try db.execute(sql: "DROP INDEX platform_by_county")
            try TableRebuild.rebuild(db, tables: ["platform"]) { $0.replacingOccurrences(of: "UNIQUE (id, county)", with: "UNIQUE (county, id)") }
        }
        migrator.registerMigration("v16-above-ceiling-decision") { db in
            // An approval that takes a platform's case-by-case or matching awards above the
            // ceiling keeps its reason and operator, like the other overrides.
            try TableRebuild.rebuild(db, tables: ["award_decision"]) {
                $0.replacingOccurrences(of: "'match_adjusted', 'disbursed')", with: "'match_adjusted', 'disbursed', 'above_ceiling')")
            }
        }
        migrator.registerMigration("v17-feed-key") { db in
            // The fingerprint of the key this database's feed is sealed with (`FeedSeal`):
            // counties hold changes sealed with it, so the aggregator refuses to start with
            // another key, or with none, once it is recorded.
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN feed_key TEXT")
        }
        migrator.registerMigration("v18-node-retirement") { db in
            // A node the city retired (by hand, or silent past the setting): its slot is free,
            // and it is refused from then on.
            try db.execute(sql: "ALTER TABLE node_state ADD COLUMN retired_at INTEGER")
            try db.execute(sql: "ALTER TABLE node_state ADD COLUMN retired_reason TEXT")
        }
        migrator.registerMigration("v19-basis-reference") { db in
            // Every proportional or matching award names the source of its basis; an approval on a
            // basis other than the one first approved on that source keeps its reason.
            try ReplicaSchema.addBasisReference(db, role: .city)
            try TableRebuild.rebuild(db, tables: ["award_decision"]) {
                $0.replacingOccurrences(of: "'disbursed', 'above_ceiling')", with: "'disbursed', 'above_ceiling', 'basis_differs')")
            }
        }
        migrator.registerMigration("v20-decision-chain") { db in
            // Each decision carries the hash of the one before (`DecisionChain`): the entries made
            // so far are chained in their order, and from now on the log is append-only.
            try db.execute(sql: "ALTER TABLE decision_log ADD COLUMN hash TEXT CHECK (hash IS NULL OR length(hash) = 64)")
            var previous = DecisionChain.genesis
            let rows = try Row.fetchAll(db, sql: "SELECT id, at_ms, actor, action, tbl, row_id, county, detail FROM decision_log ORDER BY id")
            for row in rows {
                let id: Int64 = row["id"]
                previous = DecisionChain.hash(previous: previous, id: id, atMs: row["at_ms"], actor: row["actor"], action: row["action"],
                                              table: row["tbl"], rowId: row["row_id"], county: row["county"], detail: row["detail"])
                try db.execute(sql: "UPDATE decision_log SET hash = ? WHERE id = ?", arguments: [previous, id])
            }
            try db.execute(sql: """
                CREATE TRIGGER decision_log_no_update BEFORE UPDATE ON decision_log
                BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END
                """)
            try db.execute(sql: """
                CREATE TRIGGER decision_log_no_delete BEFORE DELETE ON decision_log
                BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END
                """)
        }
        migrator.registerMigration("v21-evaluations") { db in
            // Every performance evaluation the city recorded, per platform and year; the
            // platform's `evaluation` column shows the latest.
            try db.execute(sql: """
                CREATE TABLE platform_evaluation (
                  platform_id TEXT NOT NULL,
                  year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
                  result TEXT NOT NULL CHECK (result IN ('excellent', 'good', 'pass', 'fail')),
                  recorded_at INTEGER NOT NULL,
                  PRIMARY KEY (platform_id, year)
                ) WITHOUT ROWID
                """)
        }
        migrator.registerMigration("v22-reversals") { db in
            // A payment recorded by mistake is reversed (红冲) with its reason, never deleted.
            try TableRebuild.rebuild(db, tables: ["award_decision"]) {
                $0.replacingOccurrences(of: "'above_ceiling', 'basis_differs')", with: "'above_ceiling', 'basis_differs', 'reversed')")
            }
        }
        migrator.registerMigration("v23-pending-decisions") { db in
            // Decisions that wait for a second operator (a large amount, an override).
            try db.execute(sql: """
                CREATE TABLE pending_decision (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  action TEXT NOT NULL CHECK (action IN ('approve', 'disburse', 'recognize')),
                  record_id TEXT NOT NULL,
                  county TEXT NOT NULL,
                  summary TEXT NOT NULL,
                  params TEXT NOT NULL CHECK (json_valid(params)),
                  proposed_by TEXT NOT NULL,
                  proposed_at INTEGER NOT NULL,
                  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'confirmed', 'refused')),
                  decided_by TEXT,
                  decided_at INTEGER,
                  note TEXT
                )
                """)
            try db.execute(sql: "CREATE UNIQUE INDEX pending_decision_open ON pending_decision (action, record_id) WHERE state = 'pending'")
        }
        migrator.registerMigration("v24-revocation-dates") { db in
            // The day a platform was revoked: a report as of an earlier day counts it recognised.
            try db.execute(sql: """
                CREATE TABLE platform_revocation (
                  platform_id TEXT NOT NULL PRIMARY KEY,
                  on_date TEXT NOT NULL CHECK (on_date GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
                  recorded_at INTEGER NOT NULL
                ) WITHOUT ROWID
                """)
        }
        migrator.registerMigration("v25-recognition-documents") { db in
            // The recognition document's number (认定文号): one document recognises one platform
            // of its category.
            try db.execute(sql: """
                CREATE TABLE recognition_document (
                  platform_id TEXT NOT NULL PRIMARY KEY,
                  category TEXT NOT NULL,
                  number TEXT NOT NULL CHECK (length(number) BETWEEN 1 AND 64),
                  recorded_at INTEGER NOT NULL,
                  UNIQUE (category, number)
                ) WITHOUT ROWID
                """)
        }
        migrator.registerMigration("v26-entered-figures") { db in
            // The figures the city enters per year for the targets the register cannot count.
            try db.execute(sql: """
                CREATE TABLE entered_figure (
                  key TEXT NOT NULL,
                  year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
                  value TEXT NOT NULL,
                  entered_at INTEGER NOT NULL,
                  PRIMARY KEY (key, year)
                ) WITHOUT ROWID
                """)
        }
        migrator.registerMigration("v27-conflict-resolver") { db in try ReplicaSchema.addConflictResolver(db) }
        migrator.registerMigration("v28-change-actors") { db in try ReplicaSchema.addChangeActors(db, role: .city) }
        migrator.registerMigration("v29-return-gap") { db in
            // The city's changes a restore took that a county had been handed (`ServedRecord`),
            // and what the county gave back, kept until nothing is missing (`ReturnGap`).
            try db.execute(sql: """
                CREATE TABLE return_gap (
                  county TEXT NOT NULL,
                  tbl TEXT NOT NULL,
                  row_id TEXT NOT NULL,
                  hlc INTEGER NOT NULL,
                  op TEXT NOT NULL,
                  columns TEXT NOT NULL,
                  seq INTEGER NOT NULL,
                  served_at INTEGER,
                  found_at INTEGER NOT NULL,
                  given_op TEXT,
                  given_node TEXT,
                  given_seq INTEGER,
                  given_values TEXT,
                  given_bases TEXT,
                  given_at INTEGER,
                  settled_at INTEGER,
                  PRIMARY KEY (county, tbl, row_id, hlc)
                ) WITHOUT ROWID
                """)
        }
        return migrator
    }
}
