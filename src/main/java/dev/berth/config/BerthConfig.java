package dev.berth.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The whole configuration, immutable, validated on construction. Its YAML shape follows CNCF distribution's
 * {@code config.yml} ({@code http.addr}, {@code storage.filesystem.rootdirectory}, {@code storage.delete.enabled},
 * {@code notifications}, {@code log}) with Berth's own keys beside it ({@code database}, {@code tracing},
 * {@code health}). See docs/configuration.md.
 */
public record BerthConfig(Http http, Storage storage, Database database, Log log, Notifications notifications,
                          Tracing tracing, Health health, AuthConfig auth, TlsConfig tls) {

    /** Shown instead of a secret. */
    public static final String MASK = "*****";

    public BerthConfig {
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(notifications, "notifications");
        Objects.requireNonNull(tracing, "tracing");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(auth, "auth");     // tls: null means plain HTTP
    }

    /** Without authentication and TLS (see {@link AuthConfig}, {@link TlsConfig}). */
    public BerthConfig(Http http, Storage storage, Database database, Log log, Notifications notifications,
                       Tracing tracing, Health health) {
        this(http, storage, database, log, notifications, tracing, health, AuthConfig.OFF, null);
    }

    /** The three original sections; the others at their defaults. */
    public BerthConfig(Http http, Storage storage, Database database) {
        this(http, storage, database, Log.defaults(), Notifications.NONE, Tracing.OFF, Health.defaults());
    }

    /** The embedded default: filesystem storage and SQLite under {@code ./data}, HTTP on 127.0.0.1:5050. */
    public static BerthConfig defaults() {
        return new BerthConfig(Http.defaults(), Storage.defaults(), Database.defaults());
    }

    /**
     * @param host             address to listen on
     * @param port             port to listen on; 0 picks a free port (tests)
     * @param idleTimeout      a connection with no traffic either way for this long is closed
     * @param maxManifestBytes cap on a manifest body
     * @param maxPageSize      most entries in one page of tags, catalog or referrers (more follow behind a Link)
     * @param drainTimeout     on shutdown, how long requests in flight may take to finish
     * @param headers          headers added to every response (distribution's {@code http.headers})
     * @param debug            the operations listener: metrics, health, admin
     * @param secret           signs upload URLs ({@code http.secret}); every node of a scale-out shares it. Null when
     *                         not configured (a single node then uses one generated at first start). Never shown
     */
    public record Http(String host, int port, Duration idleTimeout, long maxManifestBytes, int maxPageSize,
                       Duration drainTimeout, Map<String, List<String>> headers, Debug debug, String secret) {
        public static final int DEFAULT_PORT = 5050;
        public static final int DEFAULT_MAX_PAGE_SIZE = 1000;
        public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);

        public Http(String host, int port, Duration idleTimeout, long maxManifestBytes) {
            this(host, port, idleTimeout, maxManifestBytes, DEFAULT_MAX_PAGE_SIZE);
        }

        public Http(String host, int port, Duration idleTimeout, long maxManifestBytes, int maxPageSize) {
            this(host, port, idleTimeout, maxManifestBytes, maxPageSize, DEFAULT_DRAIN_TIMEOUT, Map.of(), Debug.OFF);
        }

        /** Without {@code http.secret}. */
        public Http(String host, int port, Duration idleTimeout, long maxManifestBytes, int maxPageSize,
                    Duration drainTimeout, Map<String, List<String>> headers, Debug debug) {
            this(host, port, idleTimeout, maxManifestBytes, maxPageSize, drainTimeout, headers, debug, null);
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
            Objects.requireNonNull(drainTimeout, "http.draintimeout");
            if (drainTimeout.isNegative()) {
                throw new IllegalArgumentException("http.draintimeout must not be negative");
            }
            headers = copyOfLists(headers);
            Objects.requireNonNull(debug, "http.debug");
            if (secret != null && secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    < MIN_SECRET_BYTES) {
                throw new IllegalArgumentException("http.secret must be at least " + MIN_SECRET_BYTES
                        + " bytes long");
            }
        }

        /** The shortest {@code http.secret} accepted, in bytes. */
        public static final int MIN_SECRET_BYTES = 16;

        public static Http defaults() {
            return new Http("127.0.0.1", DEFAULT_PORT, Duration.ofMinutes(5), 4L * 1024 * 1024);
        }

        public Http withPort(int newPort) {
            return new Http(host, newPort, idleTimeout, maxManifestBytes, maxPageSize, drainTimeout, headers, debug,
                    secret);
        }

        public Http withDrainTimeout(Duration d) {
            return new Http(host, port, idleTimeout, maxManifestBytes, maxPageSize, d, headers, debug, secret);
        }

        public Http withHeaders(Map<String, List<String>> h) {
            return new Http(host, port, idleTimeout, maxManifestBytes, maxPageSize, drainTimeout, h, debug, secret);
        }

        public Http withDebug(Debug d) {
            return new Http(host, port, idleTimeout, maxManifestBytes, maxPageSize, drainTimeout, headers, d, secret);
        }

        /** {@code http.secret}; null for none. */
        public Http withSecret(String newSecret) {
            return new Http(host, port, idleTimeout, maxManifestBytes, maxPageSize, drainTimeout, headers, debug,
                    newSecret);
        }

        @Override
        public String toString() {
            return "Http[host=" + host + ", port=" + port + ", idleTimeout=" + idleTimeout + ", maxManifestBytes="
                    + maxManifestBytes + ", maxPageSize=" + maxPageSize + ", drainTimeout=" + drainTimeout
                    + ", headers=" + headers + ", debug=" + debug + ", secret=" + (secret == null ? null : MASK) + "]";
        }

        /** {@code host:port}, the form of {@code http.addr}. */
        public String addr() {
            return hostPort(host, port);
        }
    }

    /**
     * The operations listener ({@code http.debug}, as in distribution): Prometheus metrics, liveness, readiness
     * and the read-only switch, on an address of its own.
     *
     * @param host              where it listens; null when it is off (the default)
     * @param port              its port (0: a free one)
     * @param prometheusEnabled whether metrics are served
     * @param prometheusPath    where
     */
    public record Debug(String host, int port, boolean prometheusEnabled, String prometheusPath) {
        public static final Debug OFF = new Debug(null, 0, true, "/metrics");

        public Debug {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("http.debug.addr: port must be 0-65535, got " + port);
            }
            Objects.requireNonNull(prometheusPath, "http.debug.prometheus.path");
            if (!prometheusPath.startsWith("/")) {
                throw new IllegalArgumentException("http.debug.prometheus.path must start with /");
            }
        }

        /** An operations listener on {@code host:port} with metrics at {@code /metrics}. */
        public static Debug on(String host, int port) {
            return new Debug(host, port, true, "/metrics");
        }

        public boolean enabled() {
            return host != null;
        }

        public String addr() {
            return host == null ? "" : hostPort(host, port);
        }
    }

    /**
     * @param driver         "filesystem", "s3" or "inmemory"
     * @param rootDirectory  the filesystem driver's root
     * @param deleteEnabled  whether DELETE of blobs and manifests is allowed
     * @param uploadPurgeAge upload sessions idle longer than this are removed with their data
     * @param readOnly       whether writes are refused (at start; it can be switched at run time)
     * @param gc             garbage collection: schedule, grace period, retention ({@code storage.maintenance.gc})
     * @param s3             the S3 driver's settings ({@code storage.s3}); only with the "s3" driver, which cannot
     *                       start without them
     * @param redirect       whether blob GETs are redirected to the store ({@code storage.redirect})
     */
    public record Storage(String driver, Path rootDirectory, boolean deleteEnabled, Duration uploadPurgeAge,
                          boolean readOnly, dev.berth.registry.gc.GcSettings gc, dev.berth.storage.s3.S3Settings s3,
                          Redirect redirect) {
        /** The storage drivers, by the name of their configuration section. */
        public static final java.util.Set<String> DRIVERS = java.util.Set.of("filesystem", "s3", "inmemory");

        public Storage(String driver, Path rootDirectory, boolean deleteEnabled, Duration uploadPurgeAge) {
            this(driver, rootDirectory, deleteEnabled, uploadPurgeAge, false);
        }

        public Storage(String driver, Path rootDirectory, boolean deleteEnabled, Duration uploadPurgeAge,
                       boolean readOnly) {
            this(driver, rootDirectory, deleteEnabled, uploadPurgeAge, readOnly,
                    dev.berth.registry.gc.GcSettings.defaults());
        }

        /** Without S3 settings, redirects at their defaults. */
        public Storage(String driver, Path rootDirectory, boolean deleteEnabled, Duration uploadPurgeAge,
                       boolean readOnly, dev.berth.registry.gc.GcSettings gc) {
            this(driver, rootDirectory, deleteEnabled, uploadPurgeAge, readOnly, gc, null, Redirect.DEFAULT);
        }

        public Storage {
            Objects.requireNonNull(driver, "storage driver");
            if (!DRIVERS.contains(driver)) {
                throw new IllegalArgumentException("storage: unknown driver '" + driver
                        + "' (supported: filesystem, s3, inmemory)");
            }
            if (s3 != null && !driver.equals("s3")) {
                throw new IllegalArgumentException("storage.s3: settings given for the " + driver + " driver");
            }
            Objects.requireNonNull(redirect, "storage.redirect");
            Objects.requireNonNull(rootDirectory, "storage.filesystem.rootdirectory");
            Objects.requireNonNull(uploadPurgeAge, "storage.maintenance.uploadpurging.age");
            Objects.requireNonNull(gc, "storage.maintenance.gc");
        }

        public static Storage defaults() {
            return new Storage("filesystem", Path.of("data", "registry"), false, Duration.ofDays(7));
        }

        public Storage withRootDirectory(Path root) {
            return new Storage(driver, root, deleteEnabled, uploadPurgeAge, readOnly, gc, s3, redirect);
        }

        public Storage withDeleteEnabled(boolean enabled) {
            return new Storage(driver, rootDirectory, enabled, uploadPurgeAge, readOnly, gc, s3, redirect);
        }

        public Storage withReadOnly(boolean on) {
            return new Storage(driver, rootDirectory, deleteEnabled, uploadPurgeAge, on, gc, s3, redirect);
        }

        public Storage withGc(dev.berth.registry.gc.GcSettings settings) {
            return new Storage(driver, rootDirectory, deleteEnabled, uploadPurgeAge, readOnly, settings, s3, redirect);
        }

        /** The S3 driver with these settings ({@code storage.s3}). */
        public Storage withS3(dev.berth.storage.s3.S3Settings settings) {
            return new Storage("s3", rootDirectory, deleteEnabled, uploadPurgeAge, readOnly, gc,
                    Objects.requireNonNull(settings, "storage.s3"), redirect);
        }

        /** {@code storage.redirect}. */
        public Storage withRedirect(Redirect r) {
            return new Storage(driver, rootDirectory, deleteEnabled, uploadPurgeAge, readOnly, gc, s3, r);
        }
    }

    /**
     * Distribution's {@code storage.redirect}: a blob GET is answered with a {@code 307} to a URL of the store itself
     * (a pre-signed S3 URL) when the driver offers one, so clients fetch the bytes from the bucket directly.
     *
     * @param disabled {@code storage.redirect.disable}
     * @param expiry   how long a redirect URL is valid ({@code storage.redirect.expiry}, a Berth key)
     */
    public record Redirect(boolean disabled, Duration expiry) {
        public static final Duration DEFAULT_EXPIRY = Duration.ofMinutes(20);
        /** The longest a pre-signed S3 URL may be valid (SigV4). */
        public static final Duration MAX_EXPIRY = Duration.ofDays(7);
        public static final Redirect DEFAULT = new Redirect(false, DEFAULT_EXPIRY);

        public Redirect {
            Objects.requireNonNull(expiry, "storage.redirect.expiry");
            if (expiry.isNegative() || expiry.isZero() || expiry.compareTo(MAX_EXPIRY) > 0) {
                throw new IllegalArgumentException("storage.redirect.expiry must be positive and at most 168h");
            }
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
            return "Database[url=" + ConfigLoader.maskUrl(url) + ", username=" + username + ", password="
                    + (password == null ? "null" : MASK) + ", maxPoolSize=" + maxPoolSize + "]";
        }
    }

    /**
     * @param level      Berth's log level: {@code error}, {@code warn}, {@code info}, {@code debug}, {@code trace}
     * @param formatter  {@code text} (one line a record), {@code json} or {@code logstash} (one JSON object a line)
     * @param fields     fields added to every JSON record (distribution's {@code log.fields})
     * @param accessLog  whether each request is logged ({@code log.accesslog.disabled: true} turns it off)
     */
    public record Log(String level, String formatter, Map<String, String> fields, boolean accessLog) {
        public static final List<String> LEVELS = List.of("error", "warn", "info", "debug", "trace");
        public static final List<String> FORMATTERS = List.of("text", "json", "logstash");

        public Log {
            if (!LEVELS.contains(level)) {
                throw new IllegalArgumentException("log.level must be one of " + LEVELS + ", got " + level);
            }
            if (!FORMATTERS.contains(formatter)) {
                throw new IllegalArgumentException("log.formatter must be one of " + FORMATTERS + ", got "
                        + formatter);
            }
            fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        }

        public static Log defaults() {
            return new Log("info", "text", Map.of(), true);
        }
    }

    /**
     * @param endpoints         webhooks events are sent to (disabled ones are kept, and skipped)
     * @param includeReferences whether manifest events list the descriptors the manifest references
     */
    public record Notifications(List<Endpoint> endpoints, boolean includeReferences) {
        public static final Notifications NONE = new Notifications(List.of(), false);

        public Notifications {
            endpoints = List.copyOf(endpoints);
        }
    }

    /**
     * One webhook (distribution's {@code notifications.endpoints[]}).
     *
     * @param name              a name for logs and metrics
     * @param url               where events are POSTed
     * @param disabled          kept in the configuration but sent nothing
     * @param headers           extra request headers (often a credential: masked when shown)
     * @param timeout           for one attempt
     * @param threshold         failed attempts retried at once before waiting {@code backoff} between attempts
     * @param backoff           the wait between attempts after {@code threshold} failures in a row
     * @param ignoredMediaTypes events for targets of these media types are not sent
     * @param ignoredActions    events with these actions are not sent
     * @param queueSize         events waiting at most; more are dropped and counted (a Berth key)
     */
    public record Endpoint(String name, URI url, boolean disabled, Map<String, List<String>> headers,
                           Duration timeout, int threshold, Duration backoff, List<String> ignoredMediaTypes,
                           List<String> ignoredActions, int queueSize) {
        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
        public static final int DEFAULT_THRESHOLD = 3;
        public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(1);
        public static final int DEFAULT_QUEUE_SIZE = 1000;
        public static final List<String> ACTIONS = List.of("push", "pull", "mount", "delete");

        public Endpoint {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(url, "url");
            headers = copyOfLists(headers);
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(backoff, "backoff");
            ignoredMediaTypes = List.copyOf(ignoredMediaTypes);
            ignoredActions = List.copyOf(ignoredActions);
            if (queueSize < 1 || threshold < 0) {
                throw new IllegalArgumentException("notification endpoint " + name
                        + ": queuesize must be at least 1 and threshold not negative");
            }
        }

        /** An endpoint with every default. */
        public static Endpoint of(String name, URI url) {
            return new Endpoint(name, url, false, Map.of(), DEFAULT_TIMEOUT, DEFAULT_THRESHOLD, DEFAULT_BACKOFF,
                    List.of(), List.of(), DEFAULT_QUEUE_SIZE);
        }

        public Endpoint withHeaders(Map<String, List<String>> h) {
            return new Endpoint(name, url, disabled, h, timeout, threshold, backoff, ignoredMediaTypes,
                    ignoredActions, queueSize);
        }

        public Endpoint withIgnored(List<String> mediaTypes, List<String> actions) {
            return new Endpoint(name, url, disabled, headers, timeout, threshold, backoff, mediaTypes, actions,
                    queueSize);
        }

        public Endpoint withDelivery(Duration newTimeout, int newThreshold, Duration newBackoff, int newQueueSize) {
            return new Endpoint(name, url, disabled, headers, newTimeout, newThreshold, newBackoff,
                    ignoredMediaTypes, ignoredActions, newQueueSize);
        }

        @Override
        public String toString() {
            return "Endpoint[name=" + name + ", url=" + ConfigLoader.maskQuery(ConfigLoader.maskUrl(url.toString()))
                    + ", disabled=" + disabled
                    + ", headers=" + masked(headers) + ", timeout=" + timeout + ", threshold=" + threshold
                    + ", backoff=" + backoff + ", ignoredMediaTypes=" + ignoredMediaTypes + ", ignoredActions="
                    + ignoredActions + ", queueSize=" + queueSize + "]";
        }
    }

    /**
     * OpenTelemetry tracing (a Berth section): spans of requests sent over OTLP/HTTP (JSON) to a collector.
     *
     * @param enabled       off by default; a request's {@code traceparent} is honoured (and logged) either way
     * @param endpoint      the collector's traces URL
     * @param serviceName   {@code service.name} of the spans
     * @param samplingRatio probability that a trace started by Berth is recorded (a caller's choice is kept)
     * @param headers       extra headers for the collector (a credential: masked when shown)
     */
    public record Tracing(boolean enabled, URI endpoint, String serviceName, double samplingRatio,
                          Map<String, String> headers) {
        public static final URI DEFAULT_ENDPOINT = URI.create("http://127.0.0.1:4318/v1/traces");
        public static final Tracing OFF = new Tracing(false, DEFAULT_ENDPOINT, "berth", 1.0, Map.of());

        public Tracing {
            Objects.requireNonNull(endpoint, "tracing.endpoint");
            Objects.requireNonNull(serviceName, "tracing.servicename");
            if (!(samplingRatio >= 0 && samplingRatio <= 1)) {
                throw new IllegalArgumentException("tracing.samplingratio must be from 0 to 1");
            }
            headers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        }

        @Override
        public String toString() {
            return "Tracing[enabled=" + enabled + ", endpoint="
                    + ConfigLoader.maskQuery(ConfigLoader.maskUrl(endpoint.toString()))
                    + ", serviceName=" + serviceName + ", samplingRatio=" + samplingRatio + ", headers="
                    + headers.keySet() + "]";
        }
    }

    /**
     * @param readinessTimeout      how long each readiness check (storage, metadata) may take before it counts as
     *                              failed (a Berth key)
     * @param storageDriverCheck    distribution's {@code health.storagedriver.enabled}: check the storage driver
     *                              every {@code storageDriverInterval}, and answer every API request 503 while the
     *                              check fails
     * @param storageDriverInterval how often
     * @param storageDriverThreshold failures in a row tolerated before requests are refused (0: the first counts)
     */
    public record Health(Duration readinessTimeout, boolean storageDriverCheck, Duration storageDriverInterval,
                         int storageDriverThreshold) {
        public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

        public Health(Duration readinessTimeout) {
            this(readinessTimeout, false, DEFAULT_INTERVAL, 0);
        }

        public Health {
            Objects.requireNonNull(readinessTimeout, "health.readiness.timeout");
            if (readinessTimeout.isNegative() || readinessTimeout.isZero()) {
                throw new IllegalArgumentException("health.readiness.timeout must be positive");
            }
            Objects.requireNonNull(storageDriverInterval, "health.storagedriver.interval");
            if (storageDriverInterval.isNegative() || storageDriverInterval.isZero()) {
                throw new IllegalArgumentException("health.storagedriver.interval must be positive");
            }
            if (storageDriverThreshold < 0) {
                throw new IllegalArgumentException("health.storagedriver.threshold must not be negative");
            }
        }

        public static Health defaults() {
            return new Health(Duration.ofSeconds(2));
        }

        public Health withStorageDriverCheck(Duration interval, int threshold) {
            return new Health(readinessTimeout, true, interval, threshold);
        }
    }

    public BerthConfig withHttp(Http newHttp) {
        return new BerthConfig(newHttp, storage, database, log, notifications, tracing, health, auth, tls);
    }

    public BerthConfig withStorage(Storage newStorage) {
        return new BerthConfig(http, newStorage, database, log, notifications, tracing, health, auth, tls);
    }

    public BerthConfig withDatabase(Database newDatabase) {
        return new BerthConfig(http, storage, newDatabase, log, notifications, tracing, health, auth, tls);
    }

    public BerthConfig withLog(Log newLog) {
        return new BerthConfig(http, storage, database, newLog, notifications, tracing, health, auth, tls);
    }

    public BerthConfig withNotifications(Notifications newNotifications) {
        return new BerthConfig(http, storage, database, log, newNotifications, tracing, health, auth, tls);
    }

    public BerthConfig withTracing(Tracing newTracing) {
        return new BerthConfig(http, storage, database, log, notifications, newTracing, health, auth, tls);
    }

    public BerthConfig withHealth(Health newHealth) {
        return new BerthConfig(http, storage, database, log, notifications, tracing, newHealth, auth, tls);
    }

    public BerthConfig withAuth(AuthConfig newAuth) {
        return new BerthConfig(http, storage, database, log, notifications, tracing, health, newAuth, tls);
    }

    /** {@code http.tls}; null for plain HTTP. */
    public BerthConfig withTls(TlsConfig newTls) {
        return new BerthConfig(http, storage, database, log, notifications, tracing, health, auth, newTls);
    }

    static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private static Map<String, List<String>> copyOfLists(Map<String, List<String>> m) {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        m.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "header name"), List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(copy);
    }

    private static String masked(Map<String, List<String>> headers) {
        Map<String, String> m = new LinkedHashMap<>();
        headers.keySet().forEach(k -> m.put(k, MASK));
        return m.toString();
    }
}
