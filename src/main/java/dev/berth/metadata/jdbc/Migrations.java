package dev.berth.metadata.jdbc;

import dev.berth.metadata.MetadataException;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Versioned schema migrations: the SQL files {@code db/migration/V<n>__<description>.sql} on the class path, applied
 * in order, each in its own transaction, and recorded in {@code schema_version}. A database whose schema is newer
 * than this code knows is refused.
 *
 * <p>Safe when several processes start at once: every migration transaction first takes a lock that serializes
 * them ({@code pg_advisory_xact_lock} on PostgreSQL; on SQLite the store opens every transaction with
 * {@code BEGIN IMMEDIATE}, which takes the database's write lock), then re-reads the current version.
 */
final class Migrations {

    /** The migration files this code knows, in order. Add a file here when adding one under db/migration. */
    private static final List<String> FILES = List.of("V1__init.sql", "V2__gc.sql", "V3__settings.sql",
            "V4__upload_hash_state.sql");

    private static final String LOCATION = "db/migration/";
    private static final Pattern FILE_NAME = Pattern.compile("V(\\d+)__(\\w+)\\.sql");

    /** Arbitrary but fixed key of the PostgreSQL advisory lock ("berth" in ASCII). */
    static final long LOCK_KEY = 0x6265727468L;

    /** The placeholder in migration files replaced by the dialect's auto-generated 64-bit primary key. */
    static final String IDENTITY_PLACEHOLDER = "IDENTITY_PK";
    /** Marks text columns that must sort byte-wise (tags, repository names) whatever the database's locale. */
    static final String BINARY_COLLATION_PLACEHOLDER = "BINARY_COLLATION";

    /** One migration: its version, a description and the resource holding its SQL. */
    record Migration(int version, String description, String resource) {
    }

    static final List<Migration> KNOWN = FILES.stream().map(Migrations::describe).toList();

    /** The schema version this code expects. */
    static final int LATEST = KNOWN.getLast().version();

    private Migrations() {
    }

    /**
     * Brings the schema up to {@link #LATEST}; returns the versions applied now (empty when the schema was already
     * current). Throws {@link MetadataException} when the database is newer than this code or a migration fails.
     */
    static List<Integer> migrate(DataSource dataSource, JdbcMetadataStore.Dialect dialect) {
        List<Integer> applied = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            while (true) {      // one transaction per version, each under the migration lock
                Migration applying = JdbcMetadataStore.inTransaction(c, tx -> {
                    Migration next = inLockedTransaction(tx, dialect);
                    if (next == null) {
                        return null;
                    }
                    try (Statement st = tx.createStatement()) {
                        for (String sql : statements(next, dialect)) {
                            st.execute(sql);
                        }
                    }
                    try (PreparedStatement ps = tx.prepareStatement(
                            "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)")) {
                        ps.setInt(1, next.version());
                        ps.setString(2, next.description());
                        ps.setLong(3, System.currentTimeMillis());
                        ps.executeUpdate();
                    }
                    return next;
                });
                if (applying == null) {
                    return applied;
                }
                applied.add(applying.version());
            }
        } catch (SQLException e) {
            throw new MetadataException("schema migration failed after applying " + applied + ": " + e.getMessage(),
                    e);
        }
    }

    /** The current schema version recorded in the database; 0 when none is. */
    static int currentVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Within the open transaction: lock, make sure schema_version exists, and pick the next migration (or null). */
    private static Migration inLockedTransaction(Connection c, JdbcMetadataStore.Dialect dialect)
            throws SQLException {
        if (dialect.migrationLockSql() != null) {
            try (PreparedStatement ps = c.prepareStatement(dialect.migrationLockSql())) {
                ps.setLong(1, LOCK_KEY);
                ps.execute();
            }
        }
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                    + "version INTEGER NOT NULL PRIMARY KEY, "
                    + "description VARCHAR(255) NOT NULL, "
                    + "applied_at BIGINT NOT NULL)");
        }
        int current = currentVersion(c);
        if (current > LATEST) {
            throw new MetadataException("the metadata database has schema version " + current
                    + ", newer than this Berth knows (" + LATEST + "); run a Berth release that knows version "
                    + current + " or later, or use another database");
        }
        for (Migration m : KNOWN) {
            if (m.version() > current) {
                return m;
            }
        }
        return null;
    }

    /** The statements of a migration file, for a dialect: comment lines dropped, split at semicolons. */
    static List<String> statements(Migration migration, JdbcMetadataStore.Dialect dialect) {
        String text;
        try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(migration.resource())) {
            if (in == null) {
                throw new MetadataException("migration " + migration.resource() + " is missing from the class path");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new MetadataException("cannot read migration " + migration.resource(), e);
        }
        StringBuilder sql = new StringBuilder();
        for (String line : text.split("\n")) {
            if (!line.strip().startsWith("--")) {
                sql.append(line).append('\n');
            }
        }
        List<String> result = new ArrayList<>();
        for (String statement : sql.toString().replace(IDENTITY_PLACEHOLDER, dialect.identityPrimaryKey())
                .replace(BINARY_COLLATION_PLACEHOLDER, dialect.binaryCollation())
                .split(";")) {
            if (!statement.isBlank()) {
                result.add(statement.strip());
            }
        }
        return result;
    }

    private static Migration describe(String file) {
        Matcher m = FILE_NAME.matcher(file);
        if (!m.matches()) {
            throw new IllegalStateException("migration file name must be V<n>__<description>.sql: " + file);
        }
        return new Migration(Integer.parseInt(m.group(1)), m.group(2).replace('_', ' '), LOCATION + file);
    }
}
