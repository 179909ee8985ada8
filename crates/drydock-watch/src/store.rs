//! Persistent state: SQLite (a file in the data directory) or PostgreSQL,
//! through one set of queries on sqlx's `Any` driver (`$N` parameters work
//! on both) and separate migrations (`migrations/sqlite`, `migrations/postgres`).
//!
//! Every state change that produces an event writes the new state, the
//! event and its outbox rows in one transaction, so a crash either loses
//! the whole change (it is detected again on the next check) or keeps all
//! of it (and the outbox delivers it).

use std::borrow::Cow;

use serde::Serialize;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Row};

/// A database error, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("database: {what}: {source}")]
pub struct StoreError {
    what: &'static str,
    #[source]
    source: sqlx::Error,
}

type Result<T> = std::result::Result<T, StoreError>;

fn ctx(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError { what, source }
}

/// The database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
}

/// What is known about one polled reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefState {
    /// The reference.
    pub reference: String,
    /// What the tag pointed to (index or manifest digest).
    pub digest: Option<String>,
    /// The platform's image manifest digest.
    pub image_digest: Option<String>,
    /// Last successful check (Unix ms).
    pub checked_at: Option<i64>,
    /// When `image_digest` last changed (Unix ms).
    pub changed_at: Option<i64>,
    /// The last check's error, if it failed.
    pub error: Option<String>,
    /// When that error happened.
    pub error_at: Option<i64>,
}

/// One tracked image's derived state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImageRow {
    /// The tracked reference.
    pub reference: String,
    /// Its base (a tag reference), if known.
    pub base: Option<String>,
    /// Where the base came from: `config`, `label`, `dockerfile`.
    pub base_source: Option<String>,
    /// The base digest the current image was built on.
    pub built_on: Option<String>,
    /// The image config's `created` (Unix ms).
    pub created_at: Option<i64>,
    /// Pending security fixes (JSON array of [`crate::PackageFix`]).
    pub pending_fixes: Option<String>,
    /// When pending fixes were last evaluated.
    pub security_checked: Option<i64>,
    /// `fresh`, `stale`, `error` or `unknown`.
    pub status: String,
    /// Why.
    pub status_reason: String,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRow {
    /// Sequence number.
    pub id: i64,
    /// Idempotency key.
    pub key: String,
    /// Unix ms.
    pub at: i64,
    /// `base-updated`, `image-updated`, `security-updates`.
    pub kind: String,
    /// The reference that changed.
    pub reference: String,
    /// Old digest.
    pub old_digest: Option<String>,
    /// New digest.
    pub new_digest: Option<String>,
    /// The JSON document notifiers receive.
    pub payload: String,
}

/// A new event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Idempotency key (deterministic from the change).
    pub key: String,
    /// Unix ms.
    pub at: i64,
    /// Kind.
    pub kind: String,
    /// The reference that changed.
    pub reference: String,
    /// Old digest.
    pub old_digest: Option<String>,
    /// New digest.
    pub new_digest: Option<String>,
    /// The JSON document notifiers receive.
    pub payload: String,
    /// Tracked images affected.
    pub images: Vec<String>,
    /// Outbox rows: (target, subject).
    pub deliveries: Vec<(String, String)>,
}

/// An outbox row due for delivery, with its event.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Row id.
    pub id: i64,
    /// The event's idempotency key.
    pub event_key: String,
    /// Notifier name or `rebuild:NAME`.
    pub target: String,
    /// The image a rebuild is for (empty for notifications).
    pub subject: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The event payload.
    pub payload: String,
}

/// A change to apply in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// New reference state.
    pub refs: Vec<RefState>,
    /// New image rows.
    pub images: Vec<ImageRow>,
    /// Events (with their outbox rows).
    pub events: Vec<NewEvent>,
}

fn migration(sql: &'static str) -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        Cow::Borrowed("init"),
        MigrationType::Simple,
        sqlx::SqlSafeStr::into_sql_str(sql),
        false,
    )])
}

impl Store {
    /// Connects to `url` (`sqlite://PATH?mode=rwc` or `postgres://…`),
    /// creating the SQLite file's directory, and runs the migrations.
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        if sqlite
            && let Some(path) = url
                .strip_prefix("sqlite://")
                .map(|p| p.split('?').next().unwrap_or(p))
            && let Some(dir) = std::path::Path::new(path).parent()
        {
            let _ = std::fs::create_dir_all(dir);
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 8 })
            .connect(url)
            .await
            .map_err(ctx("connecting"))?;
        if sqlite {
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&pool)
                .await
                .map_err(ctx("enabling WAL"))?;
        }
        let migrator = if sqlite {
            migration(include_str!("../migrations/sqlite/0001_init.sql"))
        } else {
            migration(include_str!("../migrations/postgres/0001_init.sql"))
        };
        migrator.run(&pool).await.map_err(|e| StoreError {
            what: "migrating",
            source: sqlx::Error::Migrate(Box::new(e)),
        })?;
        Ok(Self { pool })
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Every reference's state.
    pub async fn refs(&self) -> Result<Vec<RefState>> {
        let rows = sqlx::query(
            "SELECT reference, digest, image_digest, checked_at, changed_at, error, error_at FROM refs ORDER BY reference",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(ctx("reading refs"))?;
        rows.iter().map(ref_row).collect()
    }

    /// Marks `references` as checked and unchanged at `at` (clears errors).
    pub async fn mark_checked(&self, references: &[String], at: i64) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(ctx("begin"))?;
        for r in references {
            sqlx::query("UPDATE refs SET checked_at = $1, error = NULL, error_at = NULL WHERE reference = $2")
                .bind(at)
                .bind(r.as_str())
                .execute(&mut *tx)
                .await
                .map_err(ctx("marking checked"))?;
        }
        tx.commit().await.map_err(ctx("commit"))
    }

    /// Records a failed check of `reference` (digests are kept).
    pub async fn record_error(&self, reference: &str, error: &str, at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO refs (reference, error, error_at) VALUES ($1, $2, $3) \
             ON CONFLICT (reference) DO UPDATE SET error = $2, error_at = $3",
        )
        .bind(reference)
        .bind(error)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(ctx("recording an error"))?;
        Ok(())
    }

    /// Applies `change` atomically. Events whose key exists are skipped
    /// (with their outbox rows).
    pub async fn apply(&self, change: &Change) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(ctx("begin"))?;
        for r in &change.refs {
            sqlx::query(
                "INSERT INTO refs (reference, digest, image_digest, checked_at, changed_at, error, error_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (reference) DO UPDATE SET \
                 digest = $2, image_digest = $3, checked_at = $4, changed_at = $5, error = $6, error_at = $7",
            )
            .bind(r.reference.as_str())
            .bind(r.digest.as_deref())
            .bind(r.image_digest.as_deref())
            .bind(r.checked_at)
            .bind(r.changed_at)
            .bind(r.error.as_deref())
            .bind(r.error_at)
            .execute(&mut *tx)
            .await
            .map_err(ctx("writing a ref"))?;
        }
        for i in &change.images {
            sqlx::query(
                "INSERT INTO images (reference, base, base_source, built_on, created_at, pending_fixes, security_checked, status, status_reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (reference) DO UPDATE SET \
                 base = $2, base_source = $3, built_on = $4, created_at = $5, pending_fixes = $6, \
                 security_checked = $7, status = $8, status_reason = $9",
            )
            .bind(i.reference.as_str())
            .bind(i.base.as_deref())
            .bind(i.base_source.as_deref())
            .bind(i.built_on.as_deref())
            .bind(i.created_at)
            .bind(i.pending_fixes.as_deref())
            .bind(i.security_checked)
            .bind(i.status.as_str())
            .bind(i.status_reason.as_str())
            .execute(&mut *tx)
            .await
            .map_err(ctx("writing an image"))?;
        }
        for e in &change.events {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO events (key, at, kind, reference, old_digest, new_digest, payload) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key) DO NOTHING RETURNING id",
            )
            .bind(e.key.as_str())
            .bind(e.at)
            .bind(e.kind.as_str())
            .bind(e.reference.as_str())
            .bind(e.old_digest.as_deref())
            .bind(e.new_digest.as_deref())
            .bind(e.payload.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(ctx("writing an event"))?;
            let Some(id) = id else { continue };
            for image in &e.images {
                sqlx::query("INSERT INTO event_images (event_id, reference) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(image.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(ctx("linking an event"))?;
            }
            for (target, subject) in &e.deliveries {
                sqlx::query(
                    "INSERT INTO outbox (event_key, target, subject, next_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(e.key.as_str())
                .bind(target.as_str())
                .bind(subject.as_str())
                .bind(e.at)
                .execute(&mut *tx)
                .await
                .map_err(ctx("queueing a delivery"))?;
            }
        }
        tx.commit().await.map_err(ctx("commit"))
    }

    /// Every tracked image's row.
    pub async fn images(&self) -> Result<Vec<ImageRow>> {
        let rows = sqlx::query(
            "SELECT reference, base, base_source, built_on, created_at, pending_fixes, security_checked, status, status_reason \
             FROM images ORDER BY reference",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(ctx("reading images"))?;
        rows.iter().map(image_row).collect()
    }

    /// The latest `limit` events, newest first; only those affecting or
    /// about `reference` if given.
    pub async fn events(&self, reference: Option<&str>, limit: i64) -> Result<Vec<EventRow>> {
        let rows = match reference {
            None => sqlx::query(
                "SELECT id, key, at, kind, reference, old_digest, new_digest, payload FROM events ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(&self.pool)
            .await,
            Some(r) => sqlx::query(
                "SELECT id, key, at, kind, reference, old_digest, new_digest, payload FROM events \
                 WHERE reference = $1 OR id IN (SELECT event_id FROM event_images WHERE reference = $1) \
                 ORDER BY id DESC LIMIT $2",
            )
            .bind(r)
            .bind(limit)
            .fetch_all(&self.pool)
            .await,
        }
        .map_err(ctx("reading events"))?;
        rows.iter()
            .map(|row| {
                Ok(EventRow {
                    id: row.try_get(0)?,
                    key: row.try_get(1)?,
                    at: row.try_get(2)?,
                    kind: row.try_get(3)?,
                    reference: row.try_get(4)?,
                    old_digest: row.try_get(5)?,
                    new_digest: row.try_get(6)?,
                    payload: row.try_get(7)?,
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()
            .map_err(ctx("decoding events"))
    }

    /// Up to `limit` undelivered outbox rows due at `now`, oldest first.
    pub async fn due(&self, now: i64, limit: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(
            "SELECT o.id, o.event_key, o.target, o.subject, o.attempts, e.payload FROM outbox o \
             JOIN events e ON e.key = o.event_key \
             WHERE o.delivered_at IS NULL AND o.next_at <= $1 ORDER BY o.id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(ctx("reading the outbox"))?;
        rows.iter()
            .map(|row| {
                Ok(Delivery {
                    id: row.try_get(0)?,
                    event_key: row.try_get(1)?,
                    target: row.try_get(2)?,
                    subject: row.try_get(3)?,
                    attempts: row.try_get(4)?,
                    payload: row.try_get(5)?,
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()
            .map_err(ctx("decoding the outbox"))
    }

    /// Marks an outbox row delivered.
    pub async fn delivered(&self, id: i64, at: i64) -> Result<()> {
        sqlx::query("UPDATE outbox SET delivered_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(ctx("marking delivered"))?;
        Ok(())
    }

    /// Records a failed attempt; the next one is due at `next_at`.
    pub async fn failed(&self, id: i64, next_at: i64, error: &str) -> Result<()> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, next_at = $1, last_error = $2 WHERE id = $3")
            .bind(next_at)
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(ctx("recording a failed delivery"))?;
        Ok(())
    }

    /// Undelivered outbox rows.
    pub async fn pending_deliveries(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(ctx("counting the outbox"))
    }

    /// Remembers a registry notification id; false if it was seen before.
    pub async fn first_sighting(&self, id: &str, at: i64) -> Result<bool> {
        let r = sqlx::query("INSERT INTO registry_notifications (id, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(ctx("recording a notification"))?;
        Ok(r.rows_affected() == 1)
    }
}

fn ref_row(row: &AnyRow) -> Result<RefState> {
    (|| {
        Ok(RefState {
            reference: row.try_get(0)?,
            digest: row.try_get(1)?,
            image_digest: row.try_get(2)?,
            checked_at: row.try_get(3)?,
            changed_at: row.try_get(4)?,
            error: row.try_get(5)?,
            error_at: row.try_get(6)?,
        })
    })()
    .map_err(ctx("decoding a ref"))
}

fn image_row(row: &AnyRow) -> Result<ImageRow> {
    (|| {
        Ok(ImageRow {
            reference: row.try_get(0)?,
            base: row.try_get(1)?,
            base_source: row.try_get(2)?,
            built_on: row.try_get(3)?,
            created_at: row.try_get(4)?,
            pending_fixes: row.try_get(5)?,
            security_checked: row.try_get(6)?,
            status: row.try_get(7)?,
            status_reason: row.try_get(8)?,
        })
    })()
    .map_err(ctx("decoding an image"))
}
