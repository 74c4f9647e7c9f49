import GRDB
import SyncCore

extension CountyDatabase {
    /// The county schema, as named, append-only migrations. `Schemas/county.sql` is what they produce.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-replica") { db in
            try db.execute(sql: ReplicaSchema.replicaTableSQL)
        }
        migrator.registerMigration("v1-data") { db in
            for sql in ReplicaSchema.dataTablesSQL { try db.execute(sql: sql) }
        }
        migrator.registerMigration("v1-change-log") { db in
            let tables = ReplicaSchema.tableList
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
            try db.execute(sql: ReplicaSchema.rowVersionSQL)
            for table in SyncedTable.all {
                for sql in table.captureTriggersSQL(role: .county) + table.ownershipTriggersSQL {
                    try db.execute(sql: sql)
                }
            }
        }
        migrator.registerMigration("v2-sync") { db in
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN pulled_seq INTEGER NOT NULL DEFAULT 0 CHECK (pulled_seq >= 0)")
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN last_push_at INTEGER")
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN last_pull_at INTEGER")
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN last_error TEXT")
            try db.execute(sql: ReplicaSchema.conflictSQL)
            try db.execute(sql: ReplicaSchema.parkedSQL)
        }
        migrator.registerMigration("v3-admin") { db in
            for sql in ReplicaSchema.parkedResolutionSQL { try db.execute(sql: sql) }
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN last_verified_at INTEGER")
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN last_verify_result TEXT")
            // The city's changes as they were applied here, for `syncctl explain`.
            try db.execute(sql: """
                CREATE TABLE received (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  node TEXT NOT NULL,
                  seq INTEGER NOT NULL,
                  tbl TEXT NOT NULL,
                  row_id TEXT NOT NULL,
                  op TEXT NOT NULL,
                  columns TEXT NOT NULL,
                  hlc INTEGER NOT NULL,
                  outcome TEXT NOT NULL,
                  reason TEXT,
                  applied_at INTEGER NOT NULL
                )
                """)
            try db.execute(sql: "CREATE INDEX received_by_row ON received (tbl, row_id)")
        }
        migrator.registerMigration("v4-epochs") { db in
            // When and why this replica last began a new epoch (a new node id after the city
            // found its history diverged).
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN epoch_started_at INTEGER")
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN epoch_reason TEXT")
        }
        migrator.registerMigration("v5-epoch-merge") { db in
            // 0 from the start of a new epoch until the city's copy of the county's rows is merged
            // whole, so a merge cut short is finished on the next sync instead of forgotten.
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN snapshot_merged INTEGER NOT NULL DEFAULT 1 CHECK (snapshot_merged IN (0, 1))")
        }
        migrator.registerMigration("v6-clock-offset") { db in
            // How far this machine's wall clock is off the city's, as last measured: stamping adds
            // it, so a county whose clock is wrong stamps its writes with the city's time.
            for sql in ReplicaSchema.clockOffsetSQL { try db.execute(sql: sql) }
        }
        migrator.registerMigration("v7-certificate") { db in
            // When the certificate the daemon presents to the city expires (ms since 1970), for status.
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN certificate_expires_at INTEGER")
        }
        migrator.registerMigration("v8-frozen-values") { db in
            // The values of each change, frozen when it is stamped (before anything is sent): a
            // change sent again is byte for byte the change sent first, whatever was written since.
            // Entries stamped by an older release have none and are read from the row, as then.
            try db.execute(sql: #"ALTER TABLE change_log ADD COLUMN "values" TEXT CHECK ("values" IS NULL OR json_valid("values"))"#)
        }
        migrator.registerMigration("v9-tombstones") { db in
            for sql in ReplicaSchema.tombstoneSQL { try db.execute(sql: sql) }
        }
        migrator.registerMigration("v10-city-restore") { db in
            // When the city was found restored from a backup (it lost changes it had acknowledged,
            // or its feed went back), the evidence, and the seq up to which this replica re-sends.
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN city_restored_at INTEGER")
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN city_restore_evidence TEXT")
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN resend_until INTEGER NOT NULL DEFAULT 0 CHECK (resend_until >= 0)")
            // The highest mark the city returned for the current node, and the seq its epoch
            // started after: a city answering below the first lost what it had acknowledged.
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN node_acked_seq INTEGER NOT NULL DEFAULT 0 CHECK (node_acked_seq >= 0)")
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN epoch_base_seq INTEGER NOT NULL DEFAULT 0 CHECK (epoch_base_seq >= 0)")
            try db.execute(sql: "UPDATE replica SET node_acked_seq = pushed_seq WHERE epoch_started_at IS NULL")
        }
        migrator.registerMigration("v11-log-compaction") { db in
            // When acknowledged changes and applied city changes were last compacted, and the
            // cutoff: history before it is no longer kept here (`explain` says so).
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN log_compacted_at INTEGER")
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN log_compacted_before INTEGER")
        }
        migrator.registerMigration("v12-returnable") { db in
            // Each city change as it was applied here, with the city's seal: after the city is
            // restored from a backup, the changes it lost are given back to it (`to_return` = 1
            // until it has them). `received_repair_id` is the last entry a city restore already
            // looked at: entries after it belong to the city's current feed.
            try db.execute(sql: #"ALTER TABLE received ADD COLUMN "values" TEXT"#)
            try db.execute(sql: "ALTER TABLE received ADD COLUMN bases TEXT")
            try db.execute(sql: "ALTER TABLE received ADD COLUMN seal TEXT")
            try db.execute(sql: "ALTER TABLE received ADD COLUMN to_return INTEGER NOT NULL DEFAULT 0 CHECK (to_return IN (0, 1))")
            try db.execute(sql: "CREATE INDEX received_to_return ON received (id) WHERE to_return = 1")
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN received_repair_id INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v13-plain-checks") { db in
            // The same constraints without IN lists, which SQLite evaluates at a table's cost on
            // every row written: every write, capture and sync apply pays for them
            // (`TableRebuild.comparisonsForInLists`).
            try TableRebuild.rebuild(db, tables: ["platform", "award", "change_log", "row_version", "tombstone", "received"], transform: TableRebuild.comparisonsForInLists)
        }
        migrator.registerMigration("v14-live-values") { db in try ReplicaSchema.keepValuesInRows(db, role: .county) }
        migrator.registerMigration("v15-platform-key-by-county") { db in
            // The key a county's awards refer to, (id, county), indexed county first: the same
            // index then finds a county's platforms, and an insert writes one index fewer.
            try TableRebuild.rebuild(db, tables: ["platform"]) { $0.replacingOccurrences(of: "UNIQUE (id, county)", with: "UNIQUE (county, id)") }
        }
        migrator.registerMigration("v16-refused-returns") { db in
            // City changes the city refused to take back (a lost feed key, a refusal for good):
            // kept here with the city's answer, shown by `status`, and never a reason to stop pulling.
            try db.execute(sql: """
                CREATE TABLE refused_return (
                  received_id INTEGER NOT NULL PRIMARY KEY,
                  code TEXT NOT NULL,
                  message TEXT NOT NULL,
                  refused_at INTEGER NOT NULL
                )
                """)
        }
        migrator.registerMigration("v17-basis-reference") { db in try ReplicaSchema.addBasisReference(db, role: .county) }
        migrator.registerMigration("v18-decision-heads") { db in
            // The last entry of the city's decision log this replica saw (`DecisionChain`), and
            // what the city's log said of it later when it no longer agreed.
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN decisions_seen_id INTEGER")
            try db.execute(sql: "ALTER TABLE replica ADD COLUMN decisions_seen_hash TEXT")
            try db.execute(sql: """
                CREATE TABLE decision_alarm (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  decision_id INTEGER NOT NULL,
                  seen_hash TEXT NOT NULL,
                  city_hash TEXT,
                  message TEXT NOT NULL,
                  detected_at INTEGER NOT NULL
                )
                """)
        }
        migrator.registerMigration("v19-conflict-resolver") { db in try ReplicaSchema.addConflictResolver(db) }
        migrator.registerMigration("v20-change-actors") { db in try ReplicaSchema.addChangeActors(db, role: .county) }
        return migrator
    }
}
