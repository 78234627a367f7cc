package dev.berth.metadata.jdbc;

import static dev.berth.metadata.jdbc.JdbcRows.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import dev.berth.metadata.MetadataException;
import dev.berth.metadata.MetadataStore;
import dev.berth.metadata.MetadataStoreContract;
import dev.berth.metadata.UploadSession;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link MetadataStoreContract} on a real PostgreSQL (15 in CI), plus what is particular to it: several nodes
 * migrating one database at once, byte-wise ordering whatever the database's locale, plans that use indexes.
 *
 * <p>The server is found through {@code BERTH_TEST_POSTGRES_URL}, {@code BERTH_TEST_POSTGRES_USER} and
 * {@code BERTH_TEST_POSTGRES_PASSWORD} (defaults {@code jdbc:postgresql://127.0.0.1:5432/berth_test},
 * {@code berth}, {@code berth}); the user must be allowed to create schemas there. Every test works in a schema of
 * its own ({@code currentSchema=}), created before and dropped after it, so runs never see each other's data. When
 * the server cannot be reached every test fails, saying how to start it: this test is never skipped.
 */
class PostgresMetadataStoreTest extends MetadataStoreContract {

    static final String URL = env("BERTH_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/berth_test");
    static final String USER = env("BERTH_TEST_POSTGRES_USER", "berth");
    static final String PASSWORD = env("BERTH_TEST_POSTGRES_PASSWORD", "berth");

    private final List<String> schemas = new ArrayList<>();
    private String schema;

    @BeforeAll
    static void requirePostgres() {
        DriverManager.setLoginTimeout(10);
        try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD)) {
            assertThat(c.getMetaData().getDatabaseProductName()).isEqualTo("PostgreSQL");
        } catch (SQLException e) {
            fail("PostgreSQL is not reachable at " + URL + " as " + USER + " (" + e.getMessage() + ").\n"
                    + "Start it and create the role and database, as .ci/run does:\n"
                    + "  apt-get install -y postgresql && pg_ctlcluster 15 main start\n"
                    + "  su postgres -c \"psql -c \\\"CREATE ROLE berth LOGIN PASSWORD 'berth'\\\"\"\n"
                    + "  su postgres -c \"createdb -O berth berth_test\"\n"
                    + "or point BERTH_TEST_POSTGRES_URL, BERTH_TEST_POSTGRES_USER and BERTH_TEST_POSTGRES_PASSWORD"
                    + " at another server.", e);
        }
    }

    @Override
    protected MetadataStore openStore() throws SQLException {
        schema = newSchema();
        return JdbcMetadataStore.open(url(schema), USER, PASSWORD, 4);
    }

    @AfterEach
    void dropSchemas() throws SQLException {
        if (store != null) {
            store.close();
            store = null;
        }
        try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD); Statement s = c.createStatement()) {
            for (String name : schemas) {
                s.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
            }
        }
    }

    /** Creates an empty schema this test owns (dropped after it). */
    private String newSchema() throws SQLException {
        String name = "berth_test_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + name);
        }
        schemas.add(name);
        return name;
    }

    private static String url(String schema) {
        return URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    private JdbcMetadataStore jdbc() {
        return (JdbcMetadataStore) store;
    }

    // ---- migrations ----------------------------------------------------------------------------------------

    @Test
    void open_usesThePostgresDialectAndRecordsEveryMigration() throws SQLException {
        assertThat(jdbc().dialect()).isEqualTo(JdbcMetadataStore.Dialect.POSTGRESQL);
        try (Connection c = jdbc().dataSource().getConnection()) {
            assertThat(rows(c, "SELECT current_schema()")).containsExactly(schema);
            assertThat(rows(c, "SELECT version FROM schema_version ORDER BY version"))
                    .containsExactlyElementsOf(Migrations.KNOWN.stream().map(m -> "" + m.version()).toList());
            assertThat(Migrations.currentVersion(c)).isEqualTo(Migrations.LATEST);
        }
    }

    @Test
    void open_severalNodesAtOnceOnAFreshDatabase_allSucceedAndEachMigrationRunsOnce() throws Exception {
        String fresh = newSchema();
        int nodes = 6;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(nodes);
        List<Future<JdbcMetadataStore>> opened = new ArrayList<>();
        List<JdbcMetadataStore> stores = new ArrayList<>();
        try {
            for (int i = 0; i < nodes; i++) {
                opened.add(pool.submit(() -> {
                    start.await();
                    return JdbcMetadataStore.open(url(fresh), USER, PASSWORD, 2);
                }));
            }
            start.countDown();
            for (Future<JdbcMetadataStore> f : opened) {
                stores.add(f.get(2, TimeUnit.MINUTES));
            }
            try (Connection c = stores.getFirst().dataSource().getConnection()) {
                assertThat(rows(c, "SELECT version, COUNT(*) FROM schema_version GROUP BY version ORDER BY version"))
                        .containsExactlyElementsOf(Migrations.KNOWN.stream().map(m -> m.version() + "|1").toList());
            }
            stores.getLast().putBlob(A, D1, 3, T0);
            assertThat(stores.getFirst().linkedBlobSize(A, D1)).contains(3L);
        } finally {
            pool.shutdownNow();
            stores.forEach(JdbcMetadataStore::close);
        }
    }

    @Test
    void migrate_whenSchemaIsCurrent_isNoOp() throws SQLException {
        List<String> before;
        try (Connection c = jdbc().dataSource().getConnection()) {
            before = rows(c, "SELECT version, description, applied_at FROM schema_version ORDER BY version");
        }

        assertThat(Migrations.migrate(jdbc().dataSource(), jdbc().dialect())).isEmpty();

        try (Connection c = jdbc().dataSource().getConnection()) {
            assertThat(rows(c, "SELECT version, description, applied_at FROM schema_version ORDER BY version"))
                    .isEqualTo(before);
        }
    }

    @Test
    void open_databaseWithFutureSchemaVersion_isRefusedWithClearMessage() throws SQLException {
        store.putBlob(A, D1, 5, T0);
        store.close();
        store = null;
        int future = Migrations.LATEST + 1;
        try (Connection c = DriverManager.getConnection(url(schema), USER, PASSWORD);
             PreparedStatement ps = c.prepareStatement(
                     "INSERT INTO schema_version (version, description, applied_at) VALUES (?, 'from the future', 1)")) {
            ps.setInt(1, future);
            ps.executeUpdate();
        }

        assertThatThrownBy(() -> JdbcMetadataStore.open(url(schema), USER, PASSWORD, 2))
                .isInstanceOf(MetadataException.class)
                .hasMessageContaining("schema version " + future)
                .hasMessageContaining("newer than this Berth knows (" + Migrations.LATEST + ")");

        try (Connection c = DriverManager.getConnection(url(schema), USER, PASSWORD)) {
            assertThat(rows(c, "SELECT size FROM blobs")).as("data untouched").containsExactly("5");
        }
    }

    @Test
    void open_wrongPassword_isMetadataExceptionWithoutThePassword() {
        assertThatThrownBy(() -> JdbcMetadataStore.open(url(schema), USER, "not-the-password", 1))
                .isInstanceOf(MetadataException.class)
                .hasMessageNotContaining("not-the-password");
    }

    // ---- where PostgreSQL could differ from SQLite ---------------------------------------------------------

    @Test
    void namesAndTags_sortByteWiseLikeSqlite_evenWhereTheDatabaseLocaleWouldNot(@TempDir Path dir)
            throws SQLException {
        List<String> byteOrder = List.of("-", "0", "A", "_", "a");
        List<String> names = List.of("a", "0", "a-b", "a_b", "a.b", "a/b", "ab", "A0");
        try (JdbcMetadataStore sqlite = JdbcMetadataStore.open("jdbc:sqlite:" + dir.resolve("m.db"), null, null, 2)) {
            for (MetadataStore s : List.of(store, sqlite)) {
                for (String tag : List.of("a", "_", "0", "A", "-")) {
                    s.putManifest(A, image(D1, 10), List.of(), List.of(), Optional.of(tag), T0);
                }
                for (String name : names) {
                    s.putBlob(RepositoryName.of(name.toLowerCase(java.util.Locale.ROOT)), D2, 1, T0);
                }
            }

            assertThat(store.tags(A, Optional.empty(), 10)).containsExactlyElementsOf(byteOrder)
                    .isEqualTo(sqlite.tags(A, Optional.empty(), 10));
            assertThat(store.tags(A, Optional.of("A"), 10)).containsExactly("_", "a")
                    .isEqualTo(sqlite.tags(A, Optional.of("A"), 10));
            assertThat(store.repositories(Optional.empty(), 20))
                    .containsExactly("0", "a", "a-b", "a.b", "a/b", "a0", "a_b", "ab")
                    .isEqualTo(sqlite.repositories(Optional.empty(), 20));
            assertThat(store.repositories(Optional.of("a."), 3))
                    .isEqualTo(sqlite.repositories(Optional.of("a."), 3));
        }
        try (Connection c = jdbc().dataSource().getConnection()) {
            assertThat(rows(c, "SELECT table_name, column_name, collation_name FROM information_schema.columns"
                    + " WHERE table_schema = current_schema() AND table_name IN ('repositories', 'tags')"
                    + " AND column_name = 'name' ORDER BY table_name"))
                    .containsExactly("repositories|name|C", "tags|name|C");
            // the point of COLLATE "C": a linguistic collation orders the same tags otherwise
            List<String> icu = rows(c, "SELECT collname FROM pg_collation WHERE collname = 'und-x-icu'");
            if (!icu.isEmpty()) {
                assertThat(rows(c, "SELECT name FROM tags ORDER BY name COLLATE \"und-x-icu\""))
                        .isNotEqualTo(byteOrder);
            }
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
        assertThat(store.linkedBlobSize(c, D1)).as("pool still usable afterwards").contains(3L);
    }

    @Test
    void timesAndSizes_keepEveryBitOf64BitValues() {
        long huge = 5L * 1024 * 1024 * 1024 * 1024; // 5 TiB, S3's largest object
        store.putBlob(A, D1, huge, T0);
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));

        assertThat(store.advanceUpload("u1", 0, huge, t(1))).isTrue();

        assertThat(store.blobSize(D1)).contains(huge);
        assertThat(store.upload("u1").orElseThrow().size()).isEqualTo(huge);
        assertThat(store.upload("u1").orElseThrow().updatedAt()).isEqualTo(t(1));
    }

    @Test
    void twoNodesOnOneDatabase_concurrentPutsAndMounts_allSucceed() throws Exception {
        try (JdbcMetadataStore second = JdbcMetadataStore.open(url(schema), USER, PASSWORD, 4)) {
            MetadataStore[] stores = {store, second};
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> futures = new ArrayList<>();
            try {
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < 100; i++) {
                            Digest d = digest(thread + "/" + i);
                            stores[(thread + i) % 2].putBlob(A, d, i, T0);
                            stores[(thread + i + 1) % 2].linkBlob(B, d, Optional.of(A), T0);
                            stores[i % 2].putManifest(RepositoryName.of("m" + (i % 3)), image(digest("m" + i), i),
                                    List.of(), List.of(), Optional.of("t" + (i % 5)), T0);
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
                    assertThat(second.linkedBlobSize(B, d)).contains((long) i);
                    assertThat(store.linkedBlobSize(A, d)).contains((long) i);
                }
            }
            assertThat(store.tags(RepositoryName.of("m0"), Optional.empty(), 10)).hasSize(5);
        }
    }

    @Test
    void queries_useIndexesNeverFullScansOrSorts() throws SQLException {
        // a few rows, so statistics exist; with sequential scans priced out, a plan still scanning or sorting
        // means no index serves the query
        putManifest(A, image(D1, 10), "latest");
        store.putBlob(A, D2, 1, T0);
        List<String> statements = List.of(JdbcMetadataStore.BLOB_SIZE, JdbcMetadataStore.LINKED_BLOB_SIZE,
                JdbcMetadataStore.DELETE_LINK, JdbcMetadataStore.REPOSITORY_EXISTS, JdbcMetadataStore.UPLOAD,
                JdbcMetadataStore.ADVANCE_UPLOAD, JdbcMetadataStore.DELETE_UPLOAD, JdbcMetadataStore.UPLOADS_IDLE_SINCE,
                JdbcMetadataStore.REPOSITORIES, JdbcMetadataStore.REPOSITORY_ID_OF, JdbcMetadataStore.MANIFEST,
                JdbcMetadataStore.TAGGED_MANIFEST, JdbcMetadataStore.MANIFEST_EXISTS, JdbcMetadataStore.LINK_EXISTS,
                JdbcMetadataStore.DELETE_TAGS_OF_MANIFEST, JdbcMetadataStore.DELETE_REFERENCES_OF_MANIFEST,
                JdbcMetadataStore.DELETE_MANIFEST, JdbcMetadataStore.DELETE_TAG, JdbcMetadataStore.TAGS,
                JdbcMetadataStore.REFERRERS, JdbcMetadataStore.REFERRERS_OF_TYPE);
        try (Connection c = jdbc().dataSource().getConnection()) {
            c.setAutoCommit(false); // EXPLAIN of a DELETE does not run it, but keep the settings to this test
            try (Statement s = c.createStatement()) {
                s.execute("ANALYZE");
                s.execute("SET LOCAL enable_seqscan = off");
            }
            for (String sql : statements) {
                List<String> plan = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + sql)) {
                    bindDummies(ps);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            plan.add(rs.getString(1));
                        }
                    }
                }
                assertThat(plan).as("plan of %s", sql)
                        .noneMatch(step -> step.contains("Seq Scan") || step.strip().startsWith("->  Sort")
                                || step.startsWith("Sort"));
            }
            c.rollback();
        }
    }

    /** Binds a value of each parameter's type (as PostgreSQL describes it). */
    private static void bindDummies(PreparedStatement ps) throws SQLException {
        ParameterMetaData meta = ps.getParameterMetaData();
        for (int i = 1; i <= meta.getParameterCount(); i++) {
            switch (meta.getParameterType(i)) {
                case Types.BIGINT, Types.INTEGER, Types.SMALLINT -> ps.setLong(i, 1);
                default -> ps.setString(i, "x");
            }
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
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
