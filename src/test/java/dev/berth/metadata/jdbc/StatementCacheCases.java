package dev.berth.metadata.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** What the store's {@link StatementCache} must do on either database; run by the SQLite and PostgreSQL tests. */
final class StatementCacheCases {

    private static final RepositoryName REPO = RepositoryName.of("cache/test");
    private static final Digest DIGEST = Digest.sha256("statement cache".getBytes(StandardCharsets.UTF_8));

    private StatementCacheCases() {
    }

    /** A cached statement runs on the borrowed connection, inside its transaction, and is prepared only once. */
    static void cachedStatement_runsInTheBorrowersTransaction(JdbcMetadataStore store) throws SQLException {
        StatementCache cache = store.statementCache();
        try (Connection c = store.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement insert = c.prepareStatement(JdbcMetadataStore.INSERT_BLOB)) {
                insert.setString(1, DIGEST.toString());
                insert.setLong(2, 42);
                insert.setLong(3, 0);
                insert.executeUpdate();
            }
            PreparedStatement ps = cache.prepare(c, JdbcMetadataStore.BLOB_SIZE);
            ps.setString(1, DIGEST.toString());
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("sees the transaction's own, uncommitted row").isTrue();
                assertThat(rs.getLong(1)).isEqualTo(42);
            }
            assertThat(cache.prepare(c, JdbcMetadataStore.BLOB_SIZE)).isSameAs(ps);
            c.rollback();
            c.setAutoCommit(true);
        }
        assertThat(store.blobSize(DIGEST)).as("rolled back with the transaction").isEmpty();
    }

    /**
     * Connections the pool retires are replaced, lookups keep working on the new ones, and the statements of the
     * closed ones are dropped: the cache does not grow with every connection the pool ever had.
     */
    static void retiredConnections_areReplacedAndTheirStatementsDropped(JdbcMetadataStore store, int poolSize)
            throws InterruptedException {
        store.putBlob(REPO, DIGEST, 7, Instant.now());
        HikariPoolMXBean pool = ((HikariDataSource) store.dataSource()).getHikariPoolMXBean();
        for (int i = 0; i < 20; i++) {
            pool.softEvictConnections();
            assertThat(store.linkedBlobSize(REPO, DIGEST)).contains(7L);
            assertThat(store.touchLink(REPO, DIGEST, Instant.now(), Instant.EPOCH)).contains(7L);
        }
        // the pool closes evicted connections asynchronously: one still open when a new one was first seen stays
        // until the next new one is
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.statementCache().connections() > poolSize && System.nanoTime() < deadline) {
            Thread.sleep(20);
            pool.softEvictConnections();
            assertThat(store.linkedBlobSize(REPO, DIGEST)).contains(7L);
        }
        assertThat(store.statementCache().connections()).isLessThanOrEqualTo(poolSize);
    }
}
