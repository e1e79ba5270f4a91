-- Rampart store, schema version 1.
--
-- Timestamps are RFC 3339 UTC text with nanoseconds ("2026-11-24T14:30:00.000000000Z"),
-- fixed width so that they sort as text. JSON columns hold serde_json text.

-- One row per `rampart scan`. Registered as 'running' in its own transaction
-- before any work starts; completed, failed or interrupted later.
CREATE TABLE scans (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    who               TEXT    NOT NULL,               -- user@host
    scope             TEXT    NOT NULL,               -- JSON: the command and its scope
    started_at        TEXT    NOT NULL,
    finished_at       TEXT,
    duration_ms       INTEGER,
    status            TEXT    NOT NULL
        CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
    summary           TEXT,                           -- JSON rampart_findings::Summary
    collection_errors TEXT,                           -- JSON [CollectionError]
    rules_evaluated   INTEGER,
    coverage          TEXT,                           -- JSON {rules, accounts, regions}
    message           TEXT,                           -- why it failed or was interrupted
    pid               INTEGER NOT NULL,               -- the writer process
    host              TEXT    NOT NULL,               -- the writer's host name
    pid_start         TEXT                            -- the writer's start time token, if known
);
CREATE INDEX scans_running ON scans (status) WHERE status = 'running';

-- The inventory saved with a scan: its scope and collection errors ...
CREATE TABLE scan_inventories (
    scan_id      INTEGER PRIMARY KEY REFERENCES scans (id) ON DELETE CASCADE,
    collected_at TEXT,
    accounts     TEXT NOT NULL,                       -- JSON [String]
    regions      TEXT NOT NULL,                       -- JSON [String]
    services     TEXT NOT NULL,                       -- JSON [String]
    errors       TEXT NOT NULL,                       -- JSON [CollectionError]
    resources    INTEGER NOT NULL
);

-- ... the resource documents, stored once per distinct content: a resource
-- unchanged between scans (the common case) costs one row of
-- scan_resources per scan and no new document.
CREATE TABLE resource_docs (
    hash   BLOB PRIMARY KEY,                          -- first 16 bytes of SHA-256 of tags, props, errors
    tags   TEXT NOT NULL,                             -- JSON object
    props  TEXT NOT NULL,                             -- JSON object
    errors TEXT                                       -- JSON [PropError], NULL when none
) WITHOUT ROWID;

-- ... and which resources each scan saw, in collection order.
CREATE TABLE scan_resources (
    scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    uid     TEXT    NOT NULL,
    type    TEXT    NOT NULL,
    account TEXT    NOT NULL,
    region  TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    doc     BLOB    NOT NULL REFERENCES resource_docs (hash),
    PRIMARY KEY (scan_id, seq)
) WITHOUT ROWID;
CREATE INDEX scan_resources_by_uid ON scan_resources (uid, scan_id);

-- One row per finding id (rule on resource) ever evaluated, with its
-- lifecycle. `state` is 'never_failed' until it first fails, then 'open'
-- or 'resolved'.
CREATE TABLE findings (
    fid           INTEGER PRIMARY KEY,
    id            TEXT    NOT NULL UNIQUE,            -- rampart_findings::finding_id
    rule_id       TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    resource_uid  TEXT    NOT NULL,
    resource_type TEXT    NOT NULL,
    service       TEXT    NOT NULL,
    resource_name TEXT    NOT NULL,
    account       TEXT    NOT NULL,
    region        TEXT    NOT NULL,
    state         TEXT    NOT NULL
        CHECK (state IN ('never_failed', 'open', 'resolved')),
    first_seen    TEXT,                               -- first failure
    last_seen     TEXT    NOT NULL,                   -- latest scan with a result for it
    resolved_at   TEXT,
    reopen_count  INTEGER NOT NULL DEFAULT 0,
    last_scan_id  INTEGER NOT NULL
);
CREATE INDEX findings_open ON findings (rule_id, account, region) WHERE state = 'open';

-- Each scan's result for each finding it evaluated.
CREATE TABLE scan_results (
    scan_id  INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    fid      INTEGER NOT NULL REFERENCES findings (fid),
    status   TEXT    NOT NULL CHECK (status IN ('pass', 'fail', 'error', 'muted')),
    severity TEXT    NOT NULL
        CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    reason   TEXT    NOT NULL,
    PRIMARY KEY (scan_id, fid)
) WITHOUT ROWID;
CREATE INDEX scan_results_by_finding ON scan_results (fid, scan_id);

-- Every change of lifecycle state, for history, MTTR and "opened/closed this month".
CREATE TABLE finding_events (
    id      INTEGER PRIMARY KEY,
    fid     INTEGER NOT NULL REFERENCES findings (fid),
    scan_id INTEGER NOT NULL REFERENCES scans (id),
    at      TEXT    NOT NULL,
    event   TEXT    NOT NULL CHECK (event IN ('opened', 'resolved', 'reopened'))
);
CREATE INDEX finding_events_by_finding ON finding_events (fid, id);
CREATE INDEX finding_events_by_time ON finding_events (at);
