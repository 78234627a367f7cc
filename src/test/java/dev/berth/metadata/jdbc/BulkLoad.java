package dev.berth.metadata.jdbc;

import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * Test-only bulk writes for scale tests: many tags or repositories in a few transactions, with the store's own
 * statements ({@link JdbcMetadataStore#UPSERT_TAG}, {@link JdbcMetadataStore#INSERT_REPOSITORY}). One transaction
 * per {@code MetadataStore} call is right for a registry but makes 100,000 tags take many seconds on a busy machine.
 * Bypasses the store's write lock: use it only while nothing else writes to the store.
 */
public final class BulkLoad {

    private static final int BATCH = 10_000;

    private BulkLoad() {
    }

    /** Points every tag at {@code digest}, which must already be a manifest of {@code repository}. */
    public static void tags(JdbcMetadataStore store, RepositoryName repository, Digest digest, List<String> tags,
                            Instant now) throws SQLException {
        try (Connection c = store.dataSource().getConnection()) {
            long repositoryId;
            try (PreparedStatement ps = c.prepareStatement(JdbcMetadataStore.REPOSITORY_ID_OF)) {
                ps.setString(1, repository.value());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("no repository " + repository);
                    }
                    repositoryId = rs.getLong(1);
                }
            }
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(JdbcMetadataStore.UPSERT_TAG)) {
                for (int i = 0; i < tags.size(); i++) {
                    ps.setLong(1, repositoryId);
                    ps.setString(2, tags.get(i));
                    ps.setString(3, digest.toString());
                    ps.setLong(4, now.toEpochMilli());
                    ps.addBatch();
                    if ((i + 1) % BATCH == 0 || i == tags.size() - 1) {
                        ps.executeBatch();
                        c.commit();
                    }
                }
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /** Creates repositories (empty: no blobs, manifests or tags). */
    public static void repositories(JdbcMetadataStore store, List<RepositoryName> names, Instant now)
            throws SQLException {
        try (Connection c = store.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(JdbcMetadataStore.INSERT_REPOSITORY)) {
                for (int i = 0; i < names.size(); i++) {
                    ps.setString(1, names.get(i).value());
                    ps.setLong(2, now.toEpochMilli());
                    ps.addBatch();
                    if ((i + 1) % BATCH == 0 || i == names.size() - 1) {
                        ps.executeBatch();
                        c.commit();
                    }
                }
            } finally {
                c.setAutoCommit(true);
            }
        }
    }
}
