//! The store on both databases: SQLite (a temporary file) and PostgreSQL (a
//! private cluster from drydock-rig), the same assertions on each.

use std::sync::OnceLock;

use drydock_rig::Postgres;
use drydock_watch::store::{Change, ImageRow, NewEvent, RefState, Store};

fn postgres() -> &'static Postgres {
    static PG: OnceLock<Postgres> = OnceLock::new();
    PG.get_or_init(|| Postgres::start().expect("private PostgreSQL cluster"))
}

async fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("sub/watch.db").display()
    );
    (dir, Store::open(&url).await.unwrap())
}

async fn pg(name: &str) -> Store {
    let url = postgres().create_database(name).unwrap();
    Store::open(&url).await.unwrap()
}

fn event(key: &str, reference: &str, images: &[&str], targets: &[&str]) -> NewEvent {
    NewEvent {
        key: key.into(),
        at: 1_000,
        kind: "base-updated".into(),
        reference: reference.into(),
        old_digest: Some("sha256:old".into()),
        new_digest: Some("sha256:new".into()),
        payload: format!("{{\"id\":\"{key}\"}}"),
        images: images.iter().map(|s| (*s).to_owned()).collect(),
        deliveries: targets
            .iter()
            .map(|t| ((*t).to_owned(), String::new()))
            .collect(),
    }
}

async fn exercise(store: Store) {
    // Refs and images round-trip, NULLs included.
    let r = RefState {
        reference: "reg/base:1".into(),
        digest: Some("sha256:idx".into()),
        image_digest: Some("sha256:img".into()),
        checked_at: Some(5),
        changed_at: None,
        error: None,
        error_at: None,
    };
    let image = ImageRow {
        reference: "reg/app:1".into(),
        base: Some("reg/base:1".into()),
        base_source: Some("dockerfile".into()),
        built_on: Some("sha256:img".into()),
        created_at: Some(1),
        pending_fixes: None,
        security_checked: None,
        status: "fresh".into(),
        status_reason: "ok".into(),
    };
    store
        .apply(&Change {
            refs: vec![r.clone()],
            images: vec![image.clone()],
            events: vec![event("k1", "reg/base:1", &["reg/app:1"], &["ops", "chat"])],
        })
        .await
        .unwrap();
    assert_eq!(store.refs().await.unwrap(), vec![r.clone()]);
    assert_eq!(store.images().await.unwrap(), vec![image]);

    // Errors keep the digests; a later success clears them.
    store
        .record_error("reg/base:1", "HTTP 503", 7)
        .await
        .unwrap();
    let got = &store.refs().await.unwrap()[0];
    assert_eq!(got.error.as_deref(), Some("HTTP 503"));
    assert_eq!(got.image_digest.as_deref(), Some("sha256:img"));
    store.mark_checked(&["reg/base:1".into()], 9).await.unwrap();
    let got = &store.refs().await.unwrap()[0];
    assert_eq!((got.error.as_deref(), got.checked_at), (None, Some(9)));

    // The same event key twice: one event, no duplicate deliveries.
    store
        .apply(&Change {
            events: vec![event("k1", "reg/base:1", &["reg/app:1"], &["ops", "chat"])],
            ..Change::default()
        })
        .await
        .unwrap();
    assert_eq!(store.events(None, 10).await.unwrap().len(), 1);
    assert_eq!(store.pending_deliveries().await.unwrap(), 2);

    // Events are found by the reference that changed and by affected image.
    assert_eq!(store.events(Some("reg/app:1"), 10).await.unwrap().len(), 1);
    assert_eq!(store.events(Some("reg/base:1"), 10).await.unwrap().len(), 1);
    assert!(
        store
            .events(Some("reg/other:1"), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Outbox: due rows, a failure postpones, a delivery finishes.
    let due = store.due(1_000, 10).await.unwrap();
    assert_eq!(due.len(), 2);
    assert_eq!(due[0].payload, "{\"id\":\"k1\"}");
    store.failed(due[0].id, 5_000, "HTTP 500").await.unwrap();
    store.delivered(due[1].id, 1_001).await.unwrap();
    assert!(store.due(4_999, 10).await.unwrap().is_empty());
    let again = store.due(5_000, 10).await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 1));
    assert_eq!(store.pending_deliveries().await.unwrap(), 1);

    // Registry notification ids are remembered.
    assert!(store.first_sighting("evt-1", 1).await.unwrap());
    assert!(!store.first_sighting("evt-1", 2).await.unwrap());
    store.close().await;
}

#[tokio::test]
async fn sqlite_store() {
    let (_dir, store) = sqlite().await;
    exercise(store).await;
}

#[tokio::test]
async fn postgres_store() {
    exercise(pg("store_test").await).await;
}

#[tokio::test]
async fn migrations_are_idempotent_on_both() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
    Store::open(&url).await.unwrap().close().await;
    Store::open(&url).await.unwrap().close().await;
    let url = postgres().create_database("migrate_twice").unwrap();
    Store::open(&url).await.unwrap().close().await;
    Store::open(&url).await.unwrap().close().await;
}
