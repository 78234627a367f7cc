-- Berth metadata schema, version 4: an upload session keeps its running SHA-256 state in its own row, written in
-- the same UPDATE that advances its size, so the size and the state of the hash at that size always go together
-- and a chunk costs no storage request besides its data. The value is the base64 of the 108 bytes of Go's
-- MarshalBinary form (what distribution writes to hashstates/sha256/<offset>); NULL when there is none (a new
-- session, or a JVM without access to the JDK's digest internals), and the next chunk then re-reads the data once.
-- Portable SQL for SQLite and PostgreSQL.

ALTER TABLE uploads ADD COLUMN hash_state VARCHAR(512);
