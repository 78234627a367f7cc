package dev.berth.metadata.jdbc;

import static dev.berth.metadata.jdbc.JdbcRows.rows;
import dev.berth.metadata.MetadataException;
import dev.berth.metadata.MetadataStore;
import dev.berth.metadata.MetadataStoreContract;
import dev.berth.metadata.UploadSession;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@link MetadataStoreContract} on SQLite, plus what is particular to a database file: restarts, migrations. */
class SqliteMetadataStoreTest extends MetadataStoreContract {

    @TempDir
    Path dir;

    private String url() {
        return "jdbc:sqlite:" + dir.resolve("metadata/berth.db");
    }

    @Override
    protected MetadataStore openStore() {
        return JdbcMetadataStore.open(url(), null, null, 4);
    }

    private JdbcMetadataStore jdbc() {
        return (JdbcMetadataStore) store;
    }

    /**
     * SQLite's plan of {@code sql} (its steps' details); asserts it neither scans a whole table nor sorts in a
     * temporary tree.
     */
    private static List<String> plan(Connection c, String sql) throws SQLException {
        List<String> plan = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
            for (int i = 1; i <= ps.getParameterMetaData().getParameterCount(); i++) {
                ps.setString(i, "x");
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.add(rs.getString("detail"));
                }
            }
        }
        assertThat(plan).as("plan of %s", sql)
                .noneMatch(step -> step.startsWith("SCAN") || step.contains("TEMP B-TREE"));
        return plan;
    }

    @Test
    void open_missingParentDirectory_createsIt() {
        assertThat(dir.resolve("metadata/berth.db")).isRegularFile();

        try (JdbcMetadataStore deep = JdbcMetadataStore.open(
                "jdbc:sqlite:" + dir.resolve("x/y/z/meta.db"), null, null, 1)) {
            deep.putBlob(A, D1, 1, T0);
        }

        assertThat(dir.resolve("x/y/z/meta.db")).isRegularFile();
    }

    @Test
    void reopen_keepsData() {
        store.putBlob(A, D1, 11, T0);
        store.linkBlob(B, D1, Optional.of(A), t(1));
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));
        store.advanceUpload("u1", 0, 77, t(2));
        store.close();

        store = openStore();

        assertThat(store.blobSize(D1)).contains(11L);
        assertThat(store.linkedBlobSize(A, D1)).contains(11L);
        assertThat(store.linkedBlobSize(B, D1)).contains(11L);
        assertThat(store.repositoryExists(B)).isTrue();
        assertThat(store.upload("u1")).contains(new UploadSession("u1", A, 77, T0, t(2)));
    }

    @Test
    void open_recordsAppliedMigrationsInSchemaVersion() throws SQLException {
        try (Connection c = jdbc().dataSource().getConnection()) {
            assertThat(rows(c, "SELECT version, description FROM schema_version ORDER BY version"))
                    .containsExactly("1|init", "2|gc", "3|settings", "4|upload hash state");
            assertThat(rows(c, "SELECT applied_at > 0 FROM schema_version")).containsOnly("1");
            assertThat(Migrations.currentVersion(c)).isEqualTo(Migrations.LATEST);
        }
    }

    @Test
    void migrate_whenSchemaIsCurrent_isNoOp() throws SQLException {
        List<String> before;
        try (Connection c = jdbc().dataSource().getConnection()) {
            before = rows(c, "SELECT version, description, applied_at FROM schema_version");
        }

        assertThat(Migrations.migrate(jdbc().dataSource(), jdbc().dialect())).isEmpty();
        store.close();
        store = openStore();

        try (Connection c = jdbc().dataSource().getConnection()) {
            assertThat(rows(c, "SELECT version, description, applied_at FROM schema_version"))
                    .isEqualTo(before);
        }
    }

    @Test
    void migrate_emptyDatabase_appliesAllKnownVersionsInOrder() throws SQLException {
        String other = "jdbc:sqlite:" + dir.resolve("fresh.db");
        try (JdbcMetadataStore fresh = JdbcMetadataStore.open(other, null, null, 1);
             Connection c = fresh.dataSource().getConnection()) {
            assertThat(rows(c, "SELECT version FROM schema_version ORDER BY version"))
                    .containsExactlyElementsOf(Migrations.KNOWN.stream().map(m -> "" + m.version()).toList());
        }
    }

    @Test
    void open_databaseWithFutureSchemaVersion_isRefusedWithClearMessage() throws SQLException {
        store.putBlob(A, D1, 5, T0);
        store.close();
        store = null;
        int future = Migrations.LATEST + 1;
        try (Connection c = DriverManager.getConnection(url());
             PreparedStatement ps = c.prepareStatement(
                     "INSERT INTO schema_version (version, description, applied_at) VALUES (?, 'from the future', 1)")) {
            ps.setInt(1, future);
            ps.executeUpdate();
        }

        assertThatThrownBy(this::openStore)
                .isInstanceOf(MetadataException.class)
                .hasMessageContaining("schema version " + future)
                .hasMessageContaining("newer than this Berth knows (" + Migrations.LATEST + ")");

        try (Connection c = DriverManager.getConnection(url())) {
            assertThat(rows(c, "SELECT MAX(version) FROM schema_version")).containsExactly("" + future);
            assertThat(rows(c, "SELECT size FROM blobs")).as("data untouched").containsExactly("5");
        }
    }

    @Test
    void connections_useWalNormalSyncBusyTimeoutAndForeignKeys() throws SQLException {
        List<Connection> held = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                held.add(jdbc().dataSource().getConnection());
            }
            for (Connection c : held) {
                assertThat(rows(c, "PRAGMA journal_mode")).containsExactly("wal");
                assertThat(rows(c, "PRAGMA synchronous")).as("NORMAL").containsExactly("1");
                assertThat(rows(c, "PRAGMA foreign_keys")).containsExactly("1");
                assertThat(rows(c, "PRAGMA busy_timeout"))
                        .containsExactly("" + JdbcMetadataStore.SQLITE_BUSY_TIMEOUT_MILLIS);
            }
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
    }

    @Test
    void foreignKeys_linkToUnknownBlob_isRejected() throws SQLException {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));
        try (Connection c = jdbc().dataSource().getConnection(); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeUpdate("INSERT INTO repository_blobs (repository_id, digest, created_at)"
                    + " SELECT id, 'sha256:unknown', 0 FROM repositories"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("FOREIGN KEY");
        }
    }

    @Test
    void createUpload_duplicateId_throwsMetadataExceptionAndRollsBackWholeTransaction() {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));
        RepositoryName c = RepositoryName.of("c");

        assertThatThrownBy(() -> store.createUpload(new UploadSession("u1", c, 5, T0, T0)))
                .isInstanceOf(MetadataException.class)
                .hasMessageContaining("createUpload")
                .hasCauseInstanceOf(SQLException.class);

        assertThat(store.repositoryExists(c)).as("repository created in the failed transaction").isFalse();
        assertThat(store.upload("u1")).contains(new UploadSession("u1", A, 0, T0, T0));
        store.putBlob(c, D1, 3, T0);
        assertThat(store.linkedBlobSize(c, D1)).as("store still writable afterwards").contains(3L);
    }

    @Test
    void queries_useIndexesNeverFullScans() throws SQLException {
        List<String> statements = List.of(JdbcMetadataStore.BLOB_SIZE, JdbcMetadataStore.LINKED_BLOB_SIZE,
                JdbcMetadataStore.INSERT_BLOB, JdbcMetadataStore.INSERT_REPOSITORY, JdbcMetadataStore.INSERT_LINK,
                JdbcMetadataStore.DELETE_LINK, JdbcMetadataStore.REPOSITORY_EXISTS, JdbcMetadataStore.INSERT_UPLOAD,
                JdbcMetadataStore.UPLOAD, JdbcMetadataStore.ADVANCE_UPLOAD, JdbcMetadataStore.DELETE_UPLOAD,
                JdbcMetadataStore.UPLOADS_IDLE_SINCE);
        try (Connection c = jdbc().dataSource().getConnection()) {
            for (String sql : statements) {
                List<String> plan = plan(c, sql);
                if (sql.contains("WHERE")) {
                    assertThat(plan).as("plan of %s", sql).anyMatch(step -> step.startsWith("SEARCH"));
                }
            }
        }
    }

    @Test
    void deleteManifest_removesItsReferenceRowsOnlyInThatRepository() throws SQLException {
        Digest config = digest("config");
        Digest layer = digest("layer");
        Digest child = digest("child");
        for (RepositoryName r : List.of(A, B)) {
            store.putBlob(r, config, 2, T0);
            store.putBlob(r, layer, 3, T0);
            store.putManifest(r, image(child, 5), List.of(config, layer), List.of(), Optional.empty(), T0);
            store.putManifest(r, new dev.berth.metadata.ManifestEntry(D1, OCI_INDEX, 9, null, null, null),
                    List.of(), List.of(child), Optional.of("latest"), T0);
        }
        String references = "SELECT r.name, m.manifest_digest, m.child_digest, m.kind FROM manifest_references m"
                + " JOIN repositories r ON r.id = m.repository_id ORDER BY r.name, m.manifest_digest, m.child_digest";
        try (Connection c = jdbc().dataSource().getConnection()) {
            assertThat(rows(c, references)).hasSize(6).contains(
                    "a|" + child + "|" + config + "|b", "a|" + child + "|" + layer + "|b", "a|" + D1 + "|" + child + "|m");
        }

        assertThat(store.deleteManifest(A, child)).isTrue();
        assertThat(store.deleteManifest(A, D1)).isTrue();

        try (Connection c = jdbc().dataSource().getConnection()) {
            assertThat(rows(c, references)).hasSize(3).allMatch(row -> row.startsWith("b|"));
            assertThat(rows(c, "SELECT COUNT(*) FROM tags")).containsExactly("1");
        }
    }

    @Test
    void manifestQueries_useIndexesNeverFullScans() throws SQLException {
        List<String> statements = List.of(JdbcMetadataStore.REPOSITORIES, JdbcMetadataStore.REPOSITORY_ID_OF,
                JdbcMetadataStore.INSERT_MANIFEST, JdbcMetadataStore.INSERT_REFERENCE, JdbcMetadataStore.UPSERT_TAG,
                JdbcMetadataStore.MANIFEST, JdbcMetadataStore.TAGGED_MANIFEST, JdbcMetadataStore.MANIFEST_EXISTS,
                JdbcMetadataStore.LINK_EXISTS, JdbcMetadataStore.DELETE_TAGS_OF_MANIFEST,
                JdbcMetadataStore.DELETE_REFERENCES_OF_MANIFEST, JdbcMetadataStore.DELETE_MANIFEST,
                JdbcMetadataStore.DELETE_TAG, JdbcMetadataStore.TAGS, JdbcMetadataStore.REFERRERS,
                JdbcMetadataStore.REFERRERS_OF_TYPE);
        try (Connection c = jdbc().dataSource().getConnection()) {
            for (String sql : statements) {
                plan(c, sql);
            }
        }
    }

    @Test
    void garbageCollectionPerItemStatements_useIndexesNeverFullScans() throws SQLException {
        // the marking statements read whole tables by design; everything run once per item must not
        List<String> statements = List.of(JdbcMetadataStore.LINK_SIZE_AND_TIME, JdbcMetadataStore.TOUCH_LINK,
                JdbcMetadataStore.LEASE_TAKE, JdbcMetadataStore.LEASE_INSERT, JdbcMetadataStore.LEASE_RELEASE,
                JdbcMetadataStore.LEASE, JdbcMetadataStore.MARK_TAG, JdbcMetadataStore.BLOB_DIGESTS,
                JdbcMetadataStore.REVIEW_PAGE, JdbcMetadataStore.FORGET, JdbcMetadataStore.CONTENT_PENDING,
                JdbcMetadataStore.QUEUE_CONTENT, JdbcMetadataStore.DELETE_TAG_IF_UNCHANGED,
                JdbcMetadataStore.DELETE_MANIFEST_IF_UNUSED, JdbcMetadataStore.DELETE_LINK_IF_UNUSED,
                JdbcMetadataStore.DELETE_BLOB_IF_UNUSED, JdbcMetadataStore.BLOBS_IN_RANGE, JdbcMetadataStore.USERS_OF);
        try (Connection c = jdbc().dataSource().getConnection()) {
            for (String sql : statements) {
                plan(c, sql);
            }
        }
    }

    @Test
    void twoStoresOnOneFile_concurrentPutsAndMounts_neverReportBusy() throws Exception {
        try (JdbcMetadataStore second = JdbcMetadataStore.open(url(), null, null, 4)) {
            MetadataStore[] stores = {store, second};
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> futures = new ArrayList<>();
            try {
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < 100; i++) {
                            stores[(thread + i) % 2].putBlob(A, digest(thread + "/" + i), i, T0);
                            // a mount reads before it writes: the case where a deferred transaction meets BUSY
                            stores[(thread + i + 1) % 2].linkBlob(B, digest(thread + "/" + i), Optional.of(A), T0);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(2, TimeUnit.MINUTES);
                }
            } finally {
                pool.shutdownNow();
            }
            for (int t = 0; t < 4; t++) {
                for (int i = 0; i < 100; i++) {
                    Digest d = digest(t + "/" + i);
                    assertThat(second.linkedBlobSize(A, d)).contains((long) i);
                    assertThat(store.linkedBlobSize(A, d)).contains((long) i);
                    assertThat(store.linkedBlobSize(B, d)).contains((long) i);
                }
            }
        }
    }

    @Test
    void open_severalAtOnceOnFreshFile_allSucceedAndMigrateOnce() throws Exception {
        String fresh = "jdbc:sqlite:" + dir.resolve("race/berth.db");
        int openers = 6;
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(openers);
        List<Future<JdbcMetadataStore>> opened = new ArrayList<>();
        List<JdbcMetadataStore> stores = new ArrayList<>();
        try {
            for (int i = 0; i < openers; i++) {
                opened.add(pool.submit(() -> {
                    start.await();
                    return JdbcMetadataStore.open(fresh, null, null, 2);
                }));
            }
            start.countDown();
            for (Future<JdbcMetadataStore> f : opened) {
                stores.add(f.get(2, TimeUnit.MINUTES));
            }
            try (Connection c = stores.getFirst().dataSource().getConnection()) {
                assertThat(rows(c, "SELECT version FROM schema_version ORDER BY version"))
                        .containsExactly("1", "2", "3", "4");
            }
            stores.getLast().putBlob(A, D1, 3, T0);
            assertThat(stores.getFirst().linkedBlobSize(A, D1)).contains(3L);
        } finally {
            pool.shutdownNow();
            stores.forEach(JdbcMetadataStore::close);
        }
    }

    @Test
    void open_unsupportedUrl_isRefused() {
        assertThatThrownBy(() -> JdbcMetadataStore.open("jdbc:mysql://db/berth?password=secret", null, null, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:sqlite:")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> JdbcMetadataStore.open(url(), null, null, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sqliteFile_namesTheDatabaseFileOrNothingForMemory() {
        assertThat(JdbcMetadataStore.sqliteFile("jdbc:sqlite:/var/lib/berth/metadata.db"))
                .contains(Path.of("/var/lib/berth/metadata.db"));
        assertThat(JdbcMetadataStore.sqliteFile("jdbc:sqlite:data/m.db?journal_mode=WAL"))
                .contains(Path.of("data/m.db"));
        assertThat(JdbcMetadataStore.sqliteFile("jdbc:sqlite:file:/srv/m.db")).contains(Path.of("/srv/m.db"));
        assertThat(JdbcMetadataStore.sqliteFile("jdbc:sqlite::memory:")).isEmpty();
        assertThat(JdbcMetadataStore.sqliteFile("jdbc:sqlite:file:m?mode=memory&cache=shared")).isEmpty();
        assertThat(JdbcMetadataStore.sqliteFile("jdbc:sqlite:")).isEmpty();
    }

    @Test
    void migrationStatements_substituteTheDialectsIdentityColumn() {
        Migrations.Migration v1 = Migrations.KNOWN.getFirst();

        List<String> sqlite = Migrations.statements(v1, JdbcMetadataStore.Dialect.SQLITE);
        List<String> postgres = Migrations.statements(v1, JdbcMetadataStore.Dialect.POSTGRESQL);

        assertThat(sqlite).hasSize(postgres.size()).noneMatch(s -> s.contains(Migrations.IDENTITY_PLACEHOLDER));
        assertThat(String.join("\n", sqlite)).contains("id          INTEGER PRIMARY KEY");
        assertThat(String.join("\n", postgres))
                .contains("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
                .doesNotContain("AUTOINCREMENT");
    }

    // ---- statement cache -----------------------------------------------------------------------------------

    @Test
    void cachedStatement_runsInTheBorrowersTransaction() throws SQLException {
        StatementCacheCases.cachedStatement_runsInTheBorrowersTransaction(jdbc());
    }

    @Test
    void retiredConnections_areReplacedAndTheirStatementsDropped() throws InterruptedException {
        StatementCacheCases.retiredConnections_areReplacedAndTheirStatementsDropped(jdbc(), 4);
    }
}
