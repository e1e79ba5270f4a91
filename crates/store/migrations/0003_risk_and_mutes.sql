-- Risk context per result (JSON {"risk": rampart_findings::Risk, "mute":
-- rampart_findings::MuteNote}; NULL when there is none), and mutes: accepted
-- risks with a reason, an owner and an expiry.
ALTER TABLE scan_results ADD COLUMN context TEXT;

CREATE TABLE mutes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    rule       TEXT,                                  -- rule id, or a prefix ending in '*'
    resource   TEXT,                                  -- resource uid or name
    account    TEXT,
    region     TEXT,
    tag_key    TEXT,
    tag_value  TEXT,                                  -- NULL: any value of tag_key
    reason     TEXT    NOT NULL CHECK (length(trim(reason)) > 0),
    owner      TEXT    NOT NULL CHECK (length(trim(owner)) > 0),
    expires_at TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    created_by TEXT    NOT NULL,                      -- user@host
    removed_at TEXT,                                  -- set by `mute remove`; kept for audit
    CHECK (rule IS NOT NULL OR resource IS NOT NULL OR account IS NOT NULL
           OR region IS NOT NULL OR tag_key IS NOT NULL)
);
