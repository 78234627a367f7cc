package dev.berth.metadata;

import java.io.IOException;

/**
 * Work on storage that must happen while a write transaction holds the lock of one digest: making sure a blob's
 * bytes are in storage before its row is recorded, or removing the bytes of a blob that has no row. Every
 * transaction that records a blob row and every one that removes blob bytes holds that digest's lock (on SQLite all
 * write transactions are serialized; on PostgreSQL a transaction-scoped advisory lock keyed by the digest), so the
 * rule "a blob row exists only while its bytes do" holds whatever runs at the same time.
 */
@FunctionalInterface
public interface ContentGuard {

    /** A guard with nothing to do. */
    ContentGuard NONE = () -> { };

    void run() throws IOException;
}
