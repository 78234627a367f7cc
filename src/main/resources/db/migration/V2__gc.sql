-- Berth metadata schema, version 2: garbage collection. A lease so that at most one node collects at a time, and
-- the review queue a collection marks its candidates in before sweeping them (see docs/gc.md).
-- Portable SQL for SQLite and PostgreSQL. Times are epoch milliseconds.
--
-- From this version on, repository_blobs.created_at is the time the link was made or last confirmed (a push, a
-- mount, or a HEAD/GET of the blob in that repository): garbage collection keeps links confirmed within its grace
-- period.

-- One row per lease (only 'gc' today). A holder keeps it by renewing before expires_at; a node that dies simply
-- stops renewing, and the lease lapses.
CREATE TABLE gc_leases (
    name         VARCHAR(64) NOT NULL PRIMARY KEY,
    holder       VARCHAR(255) NOT NULL,
    acquired_at  BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

-- The review queue. Kinds: 't' a tag a retention policy deletes, 'm' a manifest, 'l' a repository's link to a blob,
-- 'b' a blob row, 'f' a blob's content whose row is already deleted (the bytes are removed next). 't', 'm', 'l'
-- and 'b' are the marks of the collection in progress, rebuilt by every run; 'f' entries persist until done, so a
-- collection interrupted between deleting a row and deleting its bytes is finished by the next one.
CREATE TABLE gc_review (
    kind            CHAR(1) NOT NULL,
    repository_id   BIGINT NOT NULL,
    item            VARCHAR(200) NOT NULL,
    round           INTEGER NOT NULL,
    size            BIGINT NOT NULL,
    tag_digest      VARCHAR(200),
    tag_updated_at  BIGINT,
    PRIMARY KEY (kind, repository_id, item)
);

-- Manifest marks are swept in the order they were marked (an index before the manifests it lists).
CREATE INDEX gc_review_by_round ON gc_review (kind, round, repository_id, item);
