import type { Database } from "better-sqlite3"

/**
 * Schema migrations, applied in order inside one IMMEDIATE transaction when a store opens (the admin
 * CLI and the server may open the same file at once; the second one finds the work done). Never
 * edit a released migration: append a new one.
 *
 * Layout notes:
 * - devices, groups and bodies have integer row ids that the hot tables (members, queue) reference,
 *   so queue rows stay small; public ids (base64url text) appear once, in a UNIQUE column.
 * - queue_counters.last_seq is each device's queue counter: seq values are never reused, even after
 *   the items are acknowledged and deleted, and survive restarts. It lives in its own narrow table
 *   (not in `devices`, where migration 1 put it) because every queued item bumps it: a commit then
 *   rewrites a few small pages instead of one wide devices page per recipient. A trigger adds the row
 *   for every new device, whoever inserts it.
 * - a message body is stored once in `bodies` with a reference count of the queue rows that carry it;
 *   message bodies also keep their SHA-256 for duplicate detection. Migration 1 indexed it by
 *   (group, hash); being random, that index cost one dirty page per message, so migration 4 replaced it
 *   with one ordered by body id (appended at its end) that the server reads once at start-up into its
 *   in-memory map of held hashes (held-hashes.ts).
 */
const migrations: readonly string[] = [
  `
  CREATE TABLE entries (
    handle        TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    title         TEXT,
    organisation  TEXT,
    country       TEXT,
    kind          TEXT NOT NULL CHECK (kind IN ('member', 'guest')),
    search_text   TEXT NOT NULL,
    created_at    INTEGER NOT NULL
  );
  CREATE TABLE devices (
    id              INTEGER PRIMARY KEY,
    device_id       TEXT NOT NULL UNIQUE,
    handle          TEXT NOT NULL REFERENCES entries (handle),
    name            TEXT NOT NULL,
    signature_key   BLOB NOT NULL UNIQUE,
    tracemark_key   BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER,
    last_seq        INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX devices_by_handle ON devices (handle, id);
  CREATE TABLE invites (
    hash        BLOB PRIMARY KEY,
    handle      TEXT NOT NULL REFERENCES entries (handle),
    kind        TEXT NOT NULL CHECK (kind IN ('operator', 'device')),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    used_by     INTEGER REFERENCES devices (id)
  ) WITHOUT ROWID;
  CREATE TABLE key_packages (
    id          INTEGER PRIMARY KEY,
    device_ref  INTEGER NOT NULL,
    data        BLOB NOT NULL
  );
  CREATE INDEX key_packages_by_device ON key_packages (device_ref, id);
  CREATE TABLE last_resort_key_packages (
    device_ref  INTEGER PRIMARY KEY,
    data        BLOB NOT NULL
  );
  CREATE TABLE groups (
    id                  INTEGER PRIMARY KEY,
    group_id            TEXT NOT NULL UNIQUE,
    epoch               INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    last_commit_hash    BLOB,
    last_commit_sender  INTEGER
  );
  CREATE TABLE members (
    group_ref   INTEGER NOT NULL,
    device_ref  INTEGER NOT NULL,
    since       INTEGER NOT NULL,
    PRIMARY KEY (group_ref, device_ref)
  ) WITHOUT ROWID;
  CREATE TABLE bodies (
    id          INTEGER PRIMARY KEY,
    group_ref   INTEGER NOT NULL,
    hash        BLOB,
    data        BLOB NOT NULL,
    refs        INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX bodies_message_hash ON bodies (group_ref, hash) WHERE hash IS NOT NULL;
  CREATE TABLE queue (
    device_ref  INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    kind        INTEGER NOT NULL,
    group_ref   INTEGER,
    sender_ref  INTEGER,
    body_ref    INTEGER,
    event       TEXT,
    at          INTEGER NOT NULL,
    PRIMARY KEY (device_ref, seq)
  ) WITHOUT ROWID;
  `,
  // 2: message expiry set by the sender (confidentiality terms) and operator settings.
  `
  ALTER TABLE bodies ADD COLUMN expires_at INTEGER;
  CREATE INDEX bodies_by_expiry ON bodies (expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 3: queue counters out of the wide devices rows (see the layout notes).
  `
  CREATE TABLE queue_counters (
    device_ref  INTEGER PRIMARY KEY,
    device_id   TEXT NOT NULL,
    last_seq    INTEGER NOT NULL
  );
  INSERT INTO queue_counters (device_ref, device_id, last_seq) SELECT id, device_id, last_seq FROM devices;
  CREATE TRIGGER devices_queue_counter AFTER INSERT ON devices BEGIN
    INSERT INTO queue_counters (device_ref, device_id, last_seq) VALUES (new.id, new.device_id, 0);
  END;
  ALTER TABLE devices DROP COLUMN last_seq;
  `,
  // 4: the duplicate check moves to memory (held-hashes.ts); the hashes stay, in id order.
  `
  DROP INDEX bodies_message_hash;
  CREATE INDEX bodies_hashed ON bodies (id, hash) WHERE hash IS NOT NULL;
  `,
]

export const schemaVersion = migrations.length

/** Brings the file to `target` (default: the newest version); tests migrate to older versions. */
export function migrate(db: Database, target = migrations.length): void {
  db.exec("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
  const apply = db.transaction(() => {
    const row = db.prepare("SELECT MAX(version) AS v FROM migrations").get() as { v: number | null }
    const current = row.v ?? 0
    if (current > migrations.length) {
      throw new Error(`database schema version ${current} is newer than this server (${migrations.length})`)
    }
    for (let version = current + 1; version <= target; version++) {
      db.exec(migrations[version - 1] ?? "")
      db.prepare("INSERT INTO migrations (version, applied_at) VALUES (?, ?)").run(version, Date.now())
    }
  })
  apply.immediate()
}
