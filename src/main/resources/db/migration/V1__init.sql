-- Berth metadata schema, version 1: repositories, blobs, which blobs each repository may serve, manifests with
-- what they refer to, tags, upload sessions.
-- Portable SQL for SQLite and PostgreSQL. Times are epoch milliseconds. The one placeholder, IDENTITY_PK, is
-- replaced by the dialect's auto-generated 64-bit primary key column, and BINARY_COLLATION by the clause that
-- makes a text column sort byte-wise (see JdbcMetadataStore.Dialect).

CREATE TABLE repositories (
    id          IDENTITY_PK,
    name        VARCHAR(255) BINARY_COLLATION NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE blobs (
    digest      VARCHAR(200) NOT NULL PRIMARY KEY,
    size        BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- The per-repository link (distribution's _layers). The primary key serves lookups by (repository_id, digest).
CREATE TABLE repository_blobs (
    repository_id  BIGINT NOT NULL REFERENCES repositories (id),
    digest         VARCHAR(200) NOT NULL REFERENCES blobs (digest),
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (repository_id, digest)
);

-- Which repositories link a blob (garbage collection, blob deletion).
CREATE INDEX repository_blobs_by_digest ON repository_blobs (digest);

CREATE TABLE uploads (
    id             VARCHAR(255) NOT NULL PRIMARY KEY,
    repository_id  BIGINT NOT NULL REFERENCES repositories (id),
    size           BIGINT NOT NULL,
    started_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- Idle sessions, oldest first (id breaks ties).
CREATE INDEX uploads_by_updated_at ON uploads (updated_at, id);

-- Manifests of a repository. Their bytes are stored at the blob path of their digest (and have a blobs row).
CREATE TABLE manifests (
    repository_id  BIGINT NOT NULL REFERENCES repositories (id),
    digest         VARCHAR(200) NOT NULL,
    media_type     VARCHAR(255) NOT NULL,
    size           BIGINT NOT NULL,
    artifact_type  VARCHAR(255),
    subject        VARCHAR(200),
    annotations    TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (repository_id, digest)
);

-- The referrers of a subject, in digest order.
CREATE INDEX manifests_by_subject ON manifests (repository_id, subject, digest);
-- Which repositories hold a manifest (garbage collection).
CREATE INDEX manifests_by_digest ON manifests (digest);

-- What a manifest refers to: kind 'b' a blob (config, layer), 'm' a manifest (an index's entries).
CREATE TABLE manifest_references (
    repository_id    BIGINT NOT NULL,
    manifest_digest  VARCHAR(200) NOT NULL,
    child_digest     VARCHAR(200) NOT NULL,
    kind             CHAR(1) NOT NULL,
    PRIMARY KEY (repository_id, manifest_digest, child_digest),
    FOREIGN KEY (repository_id, manifest_digest) REFERENCES manifests (repository_id, digest) ON DELETE CASCADE
);

CREATE INDEX manifest_references_by_child ON manifest_references (child_digest);

-- Tags, in lexical (byte) order per repository.
CREATE TABLE tags (
    repository_id  BIGINT NOT NULL REFERENCES repositories (id),
    name           VARCHAR(128) BINARY_COLLATION NOT NULL,
    digest         VARCHAR(200) NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (repository_id, name),
    FOREIGN KEY (repository_id, digest) REFERENCES manifests (repository_id, digest) ON DELETE CASCADE
);

CREATE INDEX tags_by_digest ON tags (repository_id, digest);
