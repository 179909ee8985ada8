-- drydock watch: state, events and the delivery outbox (PostgreSQL).
-- Times are Unix milliseconds. Keep in step with ../sqlite/0001_init.sql.

CREATE TABLE refs (
    reference      TEXT PRIMARY KEY,
    digest         TEXT,
    image_digest   TEXT,
    checked_at     BIGINT,
    changed_at     BIGINT,
    error          TEXT,
    error_at       BIGINT
);

CREATE TABLE images (
    reference        TEXT PRIMARY KEY,
    base             TEXT,
    base_source      TEXT,
    built_on         TEXT,
    created_at       BIGINT,
    pending_fixes    TEXT,
    security_checked BIGINT,
    status           TEXT NOT NULL DEFAULT 'unknown',
    status_reason    TEXT NOT NULL DEFAULT ''
);

CREATE TABLE events (
    id         BIGSERIAL PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    reference  TEXT NOT NULL,
    old_digest TEXT,
    new_digest TEXT,
    payload    TEXT NOT NULL
);
CREATE INDEX events_reference ON events (reference);

CREATE TABLE event_images (
    event_id  BIGINT NOT NULL REFERENCES events (id),
    reference TEXT NOT NULL,
    PRIMARY KEY (event_id, reference)
);
CREATE INDEX event_images_reference ON event_images (reference);

CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    event_key    TEXT NOT NULL,
    target       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    next_at      BIGINT NOT NULL,
    delivered_at BIGINT,
    last_error   TEXT,
    UNIQUE (event_key, target, subject)
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_at);

CREATE TABLE registry_notifications (
    id          TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);
