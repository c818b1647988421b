//! The workspace's database: receipts, periods, upload links, settings, the office's sessions and the
//! log of actions, in SQLite beside the period folders. The schema changes by numbered migrations, each
//! applied once, in order, inside a transaction, and recorded in `PRAGMA user_version`; a database
//! written by a newer taizhang is refused rather than misread.

use rusqlite::{Connection, Transaction};

use super::WorkspaceError;

/// The migrations, in order: `MIGRATIONS[n]` takes the schema from version `n` to `n + 1`.
const MIGRATIONS: &[fn(&Transaction<'_>) -> rusqlite::Result<()>] = &[v1_first_schema, v2_origins_and_live_receipts, v3_sessions_and_actions];

/// Opens the database at `path` and brings its schema up to date.
///
/// # Errors
/// A database error, or a schema newer than this taizhang knows.
pub(super) fn open(path: &std::path::Path) -> Result<Connection, WorkspaceError> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // A command (`collect --workspace`) may write while the console does: wait for the other writer.
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    migrate(&mut conn)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), WorkspaceError> {
    let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > MIGRATIONS.len() {
        return Err(WorkspaceError::NewerSchema { found: version, known: MIGRATIONS.len() });
    }
    for (n, step) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        step(&tx)?;
        tx.pragma_update(None, "user_version", n + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// The schema as the first consoles wrote it (tables created only when missing, so a database of those
/// consoles, which set no version, is taken as version 1).
fn v1_first_schema(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS receipts (
            id INTEGER PRIMARY KEY,
            period TEXT NOT NULL,
            received_at TEXT NOT NULL,
            original_name TEXT NOT NULL,
            stored_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            source TEXT NOT NULL,
            UNIQUE (period, stored_name)
        );
        CREATE TABLE IF NOT EXISTS periods (period TEXT PRIMARY KEY, deadline TEXT);
        CREATE TABLE IF NOT EXISTS links (
            code TEXT PRIMARY KEY,
            token TEXT NOT NULL,
            token_sha256 TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    )
}

/// Where a file came from as a stable code (`office`, `mail`, `link`, `folder`) and its detail (the
/// sender's address, the link's prefecture), in place of a display label; a receipt whose file was
/// removed by hand is kept as removed, releasing its name and its content for a later file.
fn v2_origins_and_live_receipts(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE receipts_v2 (
            id INTEGER PRIMARY KEY,
            period TEXT NOT NULL,
            received_at TEXT NOT NULL,
            original_name TEXT NOT NULL,
            stored_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            origin TEXT NOT NULL,
            origin_detail TEXT,
            removed_at TEXT
        );
        INSERT INTO receipts_v2 (id, period, received_at, original_name, stored_name, sha256, size, origin, origin_detail)
            SELECT id, period, received_at, original_name, stored_name, sha256, size,
                CASE
                    WHEN source = '网页上传' THEN 'office'
                    WHEN source = '文件夹' THEN 'folder'
                    WHEN source LIKE '%上传链接' THEN 'link'
                    ELSE 'mail'
                END,
                CASE
                    WHEN source LIKE '%上传链接' THEN substr(source, 1, length(source) - 4)
                    WHEN source LIKE '邮件(%)' THEN substr(source, 4, length(source) - 4)
                    ELSE NULL
                END
            FROM receipts;
        DROP TABLE receipts;
        ALTER TABLE receipts_v2 RENAME TO receipts;
        CREATE UNIQUE INDEX receipts_live_name ON receipts (period, stored_name) WHERE removed_at IS NULL;
        CREATE INDEX receipts_period ON receipts (period);",
    )
}

/// The office's sessions (kept here so a restart does not log the office out) and the log of every
/// action taken in a period.
fn v3_sessions_and_actions(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE sessions (
            id_sha256 TEXT PRIMARY KEY,
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            period TEXT NOT NULL,
            at TEXT NOT NULL,
            what TEXT NOT NULL,
            ok INTEGER NOT NULL,
            summary TEXT NOT NULL
        );
        ALTER TABLE periods ADD COLUMN started_at TEXT;",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_console_database_is_migrated_keeping_every_receipt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            let tx_conn = conn;
            tx_conn
                .execute_batch(
                    "CREATE TABLE receipts (id INTEGER PRIMARY KEY, period TEXT NOT NULL, received_at TEXT NOT NULL, original_name TEXT NOT NULL,
                        stored_name TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, source TEXT NOT NULL, UNIQUE (period, stored_name));
                     INSERT INTO receipts VALUES (1, '2018Q3', 't', 'a.xlsx', 'a.xlsx', 'h1', 3, '网页上传');
                     INSERT INTO receipts VALUES (2, '2018Q3', 't', 'b.xlsx', 'b.xlsx', 'h2', 3, '宜宾市上传链接');
                     INSERT INTO receipts VALUES (3, '2018Q3', 't', 'c.xlsx', 'c.xlsx', 'h3', 3, '邮件(张明 <z@yb.example.cn>)');
                     INSERT INTO receipts VALUES (4, '2018Q3', 't', 'd.xlsx', 'd.xlsx', 'h4', 3, '文件夹');",
                )
                .unwrap();
        }
        let conn = open(&path).unwrap();
        let rows: Vec<(String, Option<String>)> = conn
            .prepare("SELECT origin, origin_detail FROM receipts ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            rows,
            [
                ("office".to_string(), None),
                ("link".to_string(), Some("宜宾市".to_string())),
                ("mail".to_string(), Some("张明 <z@yb.example.cn>".to_string())),
                ("folder".to_string(), None)
            ]
        );
        let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len());
        drop(conn);
        // Opened again: nothing to do, nothing lost.
        let conn = open(&path).unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM receipts", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 4);
        // A database from a newer taizhang is refused, not misread.
        conn.pragma_update(None, "user_version", MIGRATIONS.len() + 1).unwrap();
        drop(conn);
        assert!(matches!(open(&path), Err(WorkspaceError::NewerSchema { .. })));
    }
}
