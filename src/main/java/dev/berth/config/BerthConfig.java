package dev.berth.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The whole configuration, immutable, validated on construction. Its YAML shape follows CNCF distribution's
 * {@code config.yml} ({@code http.addr}, {@code storage.filesystem.rootdirectory}, {@code storage.delete.enabled})
 * with Berth's own keys beside it ({@code database}). See docs/configuration.md.
 */
public record BerthConfig(Http http, Storage storage, Database database) {

    public BerthConfig {
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(database, "database");
    }

    /** The embedded default: filesystem storage and SQLite under {@code ./data}, HTTP on 127.0.0.1:5050. */
    public static BerthConfig defaults() {
        return new BerthConfig(Http.defaults(), Storage.defaults(), Database.defaults());
    }

    /**
     * @param host         address to listen on
     * @param port         port to listen on; 0 picks a free port (tests)
     * @param idleTimeout  a connection with no traffic either way for this long is closed
     * @param maxManifestBytes  cap on a manifest body
     * @param maxPageSize  most entries in one page of tags, catalog or referrers (more follow behind a Link)
     */
    public record Http(String host, int port, Duration idleTimeout, long maxManifestBytes, int maxPageSize) {
        public static final int DEFAULT_PORT = 5050;
        public static final int DEFAULT_MAX_PAGE_SIZE = 1000;

        public Http(String host, int port, Duration idleTimeout, long maxManifestBytes) {
            this(host, port, idleTimeout, maxManifestBytes, DEFAULT_MAX_PAGE_SIZE);
        }

        public Http {
            Objects.requireNonNull(host, "http host");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("http.addr: port must be 0-65535, got " + port);
            }
            Objects.requireNonNull(idleTimeout, "http.idletimeout");
            if (idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("http.idletimeout must be positive");
            }
            if (maxManifestBytes <= 0) {
                throw new IllegalArgumentException("http.maxmanifestbytes must be positive");
            }
            if (maxPageSize < 1) {
                throw new IllegalArgumentException("http.maxpagesize must be at least 1");
            }
        }

        public static Http defaults() {
            return new Http("127.0.0.1", DEFAULT_PORT, Duration.ofMinutes(5), 4L * 1024 * 1024);
        }

        public Http withPort(int newPort) {
            return new Http(host, newPort, idleTimeout, maxManifestBytes, maxPageSize);
        }

        /** {@code host:port}, the form of {@code http.addr}. */
        public String addr() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * @param driver         "filesystem" or "inmemory"
     * @param rootDirectory  the filesystem driver's root
     * @param deleteEnabled  whether DELETE of blobs and manifests is allowed
     * @param uploadPurgeAge upload sessions idle longer than this are removed with their data
     */
    public record Storage(String driver, Path rootDirectory, boolean deleteEnabled, Duration uploadPurgeAge) {
        public Storage {
            Objects.requireNonNull(driver, "storage driver");
            if (!driver.equals("filesystem") && !driver.equals("inmemory")) {
                throw new IllegalArgumentException("storage: unknown driver '" + driver
                        + "' (supported: filesystem, inmemory)");
            }
            Objects.requireNonNull(rootDirectory, "storage.filesystem.rootdirectory");
            Objects.requireNonNull(uploadPurgeAge, "storage.maintenance.uploadpurging.age");
        }

        public static Storage defaults() {
            return new Storage("filesystem", Path.of("data", "registry"), false, Duration.ofDays(7));
        }

        public Storage withRootDirectory(Path root) {
            return new Storage(driver, root, deleteEnabled, uploadPurgeAge);
        }

        public Storage withDeleteEnabled(boolean enabled) {
            return new Storage(driver, rootDirectory, enabled, uploadPurgeAge);
        }
    }

    /**
     * @param url      JDBC URL: {@code jdbc:sqlite:<file>} (default) or {@code jdbc:postgresql://...}
     * @param username database user (PostgreSQL)
     * @param password database password (PostgreSQL); never logged
     * @param maxPoolSize connections in the pool
     */
    public record Database(String url, String username, String password, int maxPoolSize) {
        public Database {
            Objects.requireNonNull(url, "database.url");
            if (!url.startsWith("jdbc:sqlite:") && !url.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException("database.url must start with jdbc:sqlite: or jdbc:postgresql:");
            }
            if (maxPoolSize < 1) {
                throw new IllegalArgumentException("database.maxpoolsize must be at least 1");
            }
        }

        public static Database defaults() {
            return new Database("jdbc:sqlite:data/berth.db", null, null, 8);
        }

        public static Database sqlite(Path file) {
            return new Database("jdbc:sqlite:" + file, null, null, 8);
        }

        @Override
        public String toString() {
            return "Database[url=" + url + ", username=" + username + ", password="
                    + (password == null ? "null" : "*****") + ", maxPoolSize=" + maxPoolSize + "]";
        }
    }

    public BerthConfig withHttp(Http newHttp) {
        return new BerthConfig(newHttp, storage, database);
    }

    public BerthConfig withStorage(Storage newStorage) {
        return new BerthConfig(http, newStorage, database);
    }

    public BerthConfig withDatabase(Database newDatabase) {
        return new BerthConfig(http, storage, newDatabase);
    }
}
