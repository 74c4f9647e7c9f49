-- City database schema, as the migrations in Sources/SyncStore produce it.
-- Checked by SchemaTests; regenerate with UPDATE_SCHEMAS=1 swift test --filter SchemaTests.

CREATE TABLE replica (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  role TEXT NOT NULL CHECK (role IN ('county', 'city')),
  county TEXT CHECK ((role = 'county') = (county IS NOT NULL)),
  node TEXT NOT NULL CHECK (length(node) > 0),
  created_at TEXT NOT NULL,
  hlc INTEGER NOT NULL DEFAULT 0 CHECK (hlc >= 0),
  pushed_seq INTEGER NOT NULL DEFAULT 0 CHECK (pushed_seq >= 0),
  capture INTEGER NOT NULL DEFAULT 1 CHECK (capture IN (0, 1))
, clock_offset_ms INTEGER NOT NULL DEFAULT 0, clock_offset_at INTEGER, feed_key TEXT);

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
, last_verified_at INTEGER, admitted_at INTEGER, admission TEXT, clock_offset_ms INTEGER, reported_acknowledged INTEGER, reported_pulled INTEGER, retired_at INTEGER, retired_reason TEXT) WITHOUT ROWID;

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
  resolved_at INTEGER, resolved_by TEXT,
  UNIQUE (tbl, row_id, column_name, loser_version, winner_version)
);

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
  parked_at INTEGER NOT NULL, resolution TEXT CHECK (resolution IN ('retried', 'discarded')), resolved_at INTEGER,
  UNIQUE (node, seq)
);

CREATE TABLE applied_seq (
  node TEXT NOT NULL,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL, applied_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (node, seq)
) WITHOUT ROWID;

CREATE TABLE decision_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
  action TEXT NOT NULL,
  tbl TEXT NOT NULL,
  row_id TEXT NOT NULL,
  county TEXT NOT NULL,
  detail TEXT NOT NULL
, hash TEXT CHECK (hash IS NULL OR length(hash) = 64));

CREATE INDEX decision_log_by_row ON decision_log (row_id);

CREATE INDEX decision_log_by_county ON decision_log (county, at_ms);

CREATE TABLE feed_floor (
  county TEXT NOT NULL PRIMARY KEY,
  seq INTEGER NOT NULL CHECK (seq >= 0),
  compacted_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE "award" (
  id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
  county TEXT NOT NULL CHECK (length(county) = 6),
  platform_id TEXT NOT NULL,
  amount_fen INTEGER NOT NULL CHECK (typeof(amount_fen) = 'integer' AND amount_fen > 0),
  basis_fen INTEGER CHECK (basis_fen IS NULL OR (typeof(basis_fen) = 'integer' AND basis_fen >= 0)),
  fiscal_year INTEGER NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2100),
  status TEXT NOT NULL DEFAULT 'proposed' CHECK ((status = 'proposed' OR status = 'approved' OR status = 'rejected' OR status = 'disbursed')),
  approved_amount_fen INTEGER CHECK (approved_amount_fen IS NULL OR (typeof(approved_amount_fen) = 'integer' AND approved_amount_fen > 0)),
  approved_on TEXT CHECK (approved_on GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
  reject_reason TEXT,
  remarks TEXT, basis_ref TEXT CHECK (basis_ref IS NULL OR (typeof(basis_ref) = 'text' AND length(basis_ref) BETWEEN 1 AND 64)),
  FOREIGN KEY (platform_id, county) REFERENCES platform (id, county)
) WITHOUT ROWID;

CREATE INDEX award_by_county ON award (county);

CREATE INDEX award_by_platform ON award (platform_id, county);

CREATE TABLE "change_log" (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  county TEXT NOT NULL,
  tbl TEXT NOT NULL CHECK ((tbl = 'platform' OR tbl = 'award')),
  row_id TEXT NOT NULL,
  op TEXT NOT NULL CHECK ((op = 'insert' OR op = 'update' OR op = 'delete')),
  columns INTEGER NOT NULL CHECK (columns >= 0),
  wall_ms INTEGER NOT NULL,
  hlc INTEGER,
  bases TEXT CHECK (bases IS NULL OR json_valid(bases)),
  "values" TEXT CHECK ("values" IS NULL OR json_valid("values")), actor TEXT CHECK (actor IS NULL OR length(CAST(actor AS BLOB)) BETWEEN 1 AND 200),
  CHECK ((hlc IS NULL) = (bases IS NULL) AND (hlc IS NULL) = ("values" IS NULL))
);

CREATE INDEX change_log_by_county ON change_log (county, seq);

CREATE INDEX change_log_by_row ON change_log (tbl, row_id);

CREATE INDEX change_log_unstamped ON change_log (seq) WHERE hlc IS NULL;

CREATE TABLE "row_version" (
  tbl TEXT NOT NULL CHECK ((tbl = 'platform' OR tbl = 'award')),
  row_id TEXT NOT NULL,
  versions TEXT NOT NULL CHECK (json_valid(versions)),
  PRIMARY KEY (tbl, row_id)
) WITHOUT ROWID;

CREATE TABLE "tombstone" (
  tbl TEXT NOT NULL CHECK ((tbl = 'platform' OR tbl = 'award')),
  row_id TEXT NOT NULL,
  county TEXT NOT NULL,
  hlc INTEGER NOT NULL,
  node TEXT NOT NULL,
  deleted_at INTEGER NOT NULL,
  PRIMARY KEY (tbl, row_id)
) WITHOUT ROWID;

CREATE INDEX tombstone_by_age ON tombstone (deleted_at);

CREATE INDEX tombstone_by_county ON tombstone (county, tbl, row_id);

CREATE INDEX change_log_live ON change_log (tbl, row_id) WHERE "values" = 'null';

CREATE TABLE "platform" (
  id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
  county TEXT NOT NULL CHECK (length(county) = 6),
  name TEXT NOT NULL CHECK (length(trim(name)) > 0),
  category TEXT NOT NULL CHECK ((category = 'key_lab' OR category = 'tech_innovation_center' OR category = 'engineering_research_center' OR category = 'enterprise_tech_center' OR category = 'industrial_tech_institute' OR category = 'new_rd_institution' OR category = 'pilot_base' OR category = 'tech_innovation_park' OR category = 'industry_alliance' OR category = 'star_innovation_space' OR category = 'incubator' OR category = 'makerspace' OR category = 'tech_transfer_agency' OR category = 'academician_workstation' OR category = 'academician_partner' OR category = 'postdoc_station' OR category = 'postdoc_base' OR category = 'intl_coop_base' OR category = 'external_innovation_center' OR category = 'application_scenario' OR category = 'high_tech_enterprise' OR category = 'tech_sme')),
  level TEXT CHECK ((level = 'national' OR level = 'provincial' OR level = 'municipal')),
  subtype TEXT,
  host_org TEXT NOT NULL CHECK (length(trim(host_org)) > 0),
  credit_code TEXT NOT NULL CHECK (length(credit_code) = 18),
  industry TEXT NOT NULL CHECK (length(trim(industry)) > 0),
  recognized_on TEXT CHECK (recognized_on GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
  status TEXT NOT NULL DEFAULT 'registered' CHECK ((status = 'registered' OR status = 'recognized' OR status = 'revoked')),
  evaluation TEXT,
  contact TEXT,
  remarks TEXT,
  UNIQUE (county, id)
) WITHOUT ROWID;

CREATE INDEX high_tech_enterprise_by_credit_code ON platform (credit_code) WHERE category = 'high_tech_enterprise';

CREATE INDEX tech_sme_by_credit_code ON platform (credit_code) WHERE category = 'tech_sme';

CREATE INDEX award_by_basis_ref ON award (basis_ref) WHERE basis_ref IS NOT NULL;

CREATE TABLE platform_evaluation (
  platform_id TEXT NOT NULL,
  year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  result TEXT NOT NULL CHECK (result IN ('excellent', 'good', 'pass', 'fail')),
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (platform_id, year)
) WITHOUT ROWID;

CREATE TABLE "award_decision" (
  award_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('recognized_before_plan', 'match_adjusted', 'disbursed', 'above_ceiling', 'basis_differs', 'reversed')),
  note TEXT,
  on_date TEXT NOT NULL CHECK (on_date GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (award_id, kind)
) WITHOUT ROWID;

CREATE TRIGGER award_capture_delete AFTER DELETE ON award
BEGIN
  UPDATE change_log SET "values" = json_object('amount_fen', OLD.amount_fen, 'approved_amount_fen', OLD.approved_amount_fen, 'approved_on', OLD.approved_on, 'basis_fen', OLD.basis_fen, 'basis_ref', OLD.basis_ref, 'county', OLD.county, 'fiscal_year', OLD.fiscal_year, 'platform_id', OLD.platform_id, 'reject_reason', OLD.reject_reason, 'remarks', OLD.remarks, 'status', OLD.status)
  WHERE "values" = 'null' AND tbl = 'award' AND row_id = OLD.id;
  INSERT INTO change_log (county, tbl, row_id, op, columns, wall_ms)
  SELECT OLD.county, 'award', OLD.id, 'delete', 0, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)
  WHERE (SELECT capture FROM replica WHERE id = 1) = 1;
END;

CREATE TRIGGER award_capture_insert AFTER INSERT ON award
WHEN (SELECT capture FROM replica WHERE id = 1) = 1
BEGIN
  INSERT INTO change_log (county, tbl, row_id, op, columns, wall_ms)
  VALUES (NEW.county, 'award', NEW.id, 'insert', 2047, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER));
END;

CREATE TRIGGER award_capture_update AFTER UPDATE ON award
BEGIN
  UPDATE change_log SET "values" = json_object('amount_fen', OLD.amount_fen, 'approved_amount_fen', OLD.approved_amount_fen, 'approved_on', OLD.approved_on, 'basis_fen', OLD.basis_fen, 'basis_ref', OLD.basis_ref, 'county', OLD.county, 'fiscal_year', OLD.fiscal_year, 'platform_id', OLD.platform_id, 'reject_reason', OLD.reject_reason, 'remarks', OLD.remarks, 'status', OLD.status)
  WHERE "values" = 'null' AND tbl = 'award' AND row_id = OLD.id;
  INSERT INTO change_log (county, tbl, row_id, op, columns, wall_ms)
  SELECT NEW.county, 'award', NEW.id, 'update', changed, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)
  FROM (SELECT ((OLD.county IS NOT NEW.county) << 0)
      | ((OLD.platform_id IS NOT NEW.platform_id) << 1)
      | ((OLD.amount_fen IS NOT NEW.amount_fen) << 2)
      | ((OLD.basis_fen IS NOT NEW.basis_fen) << 3)
      | ((OLD.fiscal_year IS NOT NEW.fiscal_year) << 4)
      | ((OLD.status IS NOT NEW.status) << 5)
      | ((OLD.approved_amount_fen IS NOT NEW.approved_amount_fen) << 6)
      | ((OLD.approved_on IS NOT NEW.approved_on) << 7)
      | ((OLD.reject_reason IS NOT NEW.reject_reason) << 8)
      | ((OLD.remarks IS NOT NEW.remarks) << 9)
      | ((OLD.basis_ref IS NOT NEW.basis_ref) << 10) AS changed)
  WHERE changed <> 0 AND (SELECT capture FROM replica WHERE id = 1) = 1;
END;

CREATE TRIGGER award_immutable_key BEFORE UPDATE OF id, county ON award
WHEN NEW.id IS NOT OLD.id OR NEW.county IS NOT OLD.county
BEGIN
  SELECT RAISE(ABORT, 'award.id and award.county cannot change');
END;

CREATE TRIGGER decision_log_no_delete BEFORE DELETE ON decision_log
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;

CREATE TRIGGER decision_log_no_update BEFORE UPDATE ON decision_log
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;

CREATE TRIGGER platform_capture_delete AFTER DELETE ON platform
BEGIN
  UPDATE change_log SET "values" = json_object('category', OLD.category, 'contact', OLD.contact, 'county', OLD.county, 'credit_code', OLD.credit_code, 'evaluation', OLD.evaluation, 'host_org', OLD.host_org, 'industry', OLD.industry, 'level', OLD.level, 'name', OLD.name, 'recognized_on', OLD.recognized_on, 'remarks', OLD.remarks, 'status', OLD.status, 'subtype', OLD.subtype)
  WHERE "values" = 'null' AND tbl = 'platform' AND row_id = OLD.id;
  INSERT INTO change_log (county, tbl, row_id, op, columns, wall_ms)
  SELECT OLD.county, 'platform', OLD.id, 'delete', 0, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)
  WHERE (SELECT capture FROM replica WHERE id = 1) = 1;
END;

CREATE TRIGGER platform_capture_insert AFTER INSERT ON platform
WHEN (SELECT capture FROM replica WHERE id = 1) = 1
BEGIN
  INSERT INTO change_log (county, tbl, row_id, op, columns, wall_ms)
  VALUES (NEW.county, 'platform', NEW.id, 'insert', 8191, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER));
END;

CREATE TRIGGER platform_capture_update AFTER UPDATE ON platform
BEGIN
  UPDATE change_log SET "values" = json_object('category', OLD.category, 'contact', OLD.contact, 'county', OLD.county, 'credit_code', OLD.credit_code, 'evaluation', OLD.evaluation, 'host_org', OLD.host_org, 'industry', OLD.industry, 'level', OLD.level, 'name', OLD.name, 'recognized_on', OLD.recognized_on, 'remarks', OLD.remarks, 'status', OLD.status, 'subtype', OLD.subtype)
  WHERE "values" = 'null' AND tbl = 'platform' AND row_id = OLD.id;
  INSERT INTO change_log (county, tbl, row_id, op, columns, wall_ms)
  SELECT NEW.county, 'platform', NEW.id, 'update', changed, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)
  FROM (SELECT ((OLD.county IS NOT NEW.county) << 0)
      | ((OLD.name IS NOT NEW.name) << 1)
      | ((OLD.category IS NOT NEW.category) << 2)
      | ((OLD.level IS NOT NEW.level) << 3)
      | ((OLD.subtype IS NOT NEW.subtype) << 4)
      | ((OLD.host_org IS NOT NEW.host_org) << 5)
      | ((OLD.credit_code IS NOT NEW.credit_code) << 6)
      | ((OLD.industry IS NOT NEW.industry) << 7)
      | ((OLD.recognized_on IS NOT NEW.recognized_on) << 8)
      | ((OLD.status IS NOT NEW.status) << 9)
      | ((OLD.evaluation IS NOT NEW.evaluation) << 10)
      | ((OLD.contact IS NOT NEW.contact) << 11)
      | ((OLD.remarks IS NOT NEW.remarks) << 12) AS changed)
  WHERE changed <> 0 AND (SELECT capture FROM replica WHERE id = 1) = 1;
END;

CREATE TRIGGER platform_immutable_key BEFORE UPDATE OF id, county ON platform
WHEN NEW.id IS NOT OLD.id OR NEW.county IS NOT OLD.county
BEGIN
  SELECT RAISE(ABORT, 'platform.id and platform.county cannot change');
END;

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
);

CREATE UNIQUE INDEX pending_decision_open ON pending_decision (action, record_id) WHERE state = 'pending';

CREATE TABLE platform_revocation (
  platform_id TEXT NOT NULL PRIMARY KEY,
  on_date TEXT NOT NULL CHECK (on_date GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
  recorded_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE recognition_document (
  platform_id TEXT NOT NULL PRIMARY KEY,
  category TEXT NOT NULL,
  number TEXT NOT NULL CHECK (length(number) BETWEEN 1 AND 64),
  recorded_at INTEGER NOT NULL,
  UNIQUE (category, number)
) WITHOUT ROWID;

CREATE TABLE entered_figure (
  key TEXT NOT NULL,
  year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  value TEXT NOT NULL,
  entered_at INTEGER NOT NULL,
  PRIMARY KEY (key, year)
) WITHOUT ROWID;

CREATE TABLE county_change (
  node TEXT NOT NULL,
  seq INTEGER NOT NULL,
  county TEXT NOT NULL,
  tbl TEXT NOT NULL,
  row_id TEXT NOT NULL,
  op TEXT NOT NULL,
  columns TEXT NOT NULL,
  hlc INTEGER NOT NULL,
  actor TEXT CHECK (actor IS NULL OR length(CAST(actor AS BLOB)) BETWEEN 1 AND 200),
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (node, seq)
) WITHOUT ROWID;

CREATE INDEX county_change_by_row ON county_change (row_id);

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
) WITHOUT ROWID;
