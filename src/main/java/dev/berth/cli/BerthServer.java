package dev.berth.cli;

import dev.berth.api.telemetry.Instrumented;
import dev.berth.api.telemetry.JvmMetrics;
import dev.berth.api.telemetry.Metrics;
import dev.berth.api.telemetry.OtlpExporter;
import dev.berth.api.telemetry.Tracer;
import dev.berth.config.BerthConfig;
import dev.berth.http.BlobApi;
import dev.berth.http.HealthGate;
import dev.berth.http.ManifestApi;
import dev.berth.http.OpsServer;
import dev.berth.http.ReadOnlySwitch;
import dev.berth.http.Router;
import dev.berth.http.netty.NettyHttpServer;
import dev.berth.metadata.MetadataStore;
import dev.berth.metadata.jdbc.JdbcMetadataStore;
import dev.berth.registry.Blobs;
import dev.berth.registry.gc.GarbageCollector;
import dev.berth.registry.gc.GcReport;
import dev.berth.registry.gc.GcSettings;
import dev.berth.registry.EventListener;
import dev.berth.registry.Listings;
import dev.berth.registry.Manifests;
import dev.berth.registry.Uploads;
import dev.berth.registry.notifications.Endpoint;
import dev.berth.registry.notifications.Notifier;
import dev.berth.storage.FileInfo;
import dev.berth.storage.StorageDriver;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running registry: the storage driver and metadata store the configuration names (each wrapped so its calls are
 * timed into the metrics), the services over them, the HTTP server in front, and around it what operators need:
 * notifications, tracing, and the operations listener (metrics, health, read-only switch).
 *
 * <p>{@link #close()} stops it gracefully: readiness turns to 503, the HTTP server stops accepting and lets requests
 * in flight finish within {@code http.draintimeout}, then notifications and tracing stop, then the metadata store
 * and the storage driver close, and last the operations listener.
 */
public final class BerthServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BerthServer.class.getName());

    private final BerthConfig config;
    private final Metrics metrics;
    private final StorageDriver storage;
    private final MetadataStore metadata;
    private final ReadOnlySwitch readOnly;
    private final GcMetrics gcMetrics;
    private final HealthGate healthGate = new HealthGate();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "berth-maintenance");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService healthChecks = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "berth-health");
        t.setDaemon(true);
        return t;
    });
    private NettyHttpServer http;
    private Notifier notifier;
    private Tracer tracer = Tracer.OFF;
    private OpsServer ops;
    private volatile boolean closing;
    private boolean closed;

    private BerthServer(BerthConfig config, Metrics metrics, StorageDriver storage, MetadataStore metadata) {
        this.config = config;
        this.metrics = metrics;
        this.storage = storage;
        this.metadata = metadata;
        this.readOnly = new ReadOnlySwitch(config.storage().readOnly());
        this.gcMetrics = new GcMetrics(metrics);
    }

    public static BerthServer start(BerthConfig config) throws Exception {
        return start(config, Clock.systemUTC());
    }

    public static BerthServer start(BerthConfig config, Clock clock) throws Exception {
        Metrics metrics = new Metrics();
        JvmMetrics.register(metrics);
        ScaleOut.check(config);     // scale-out: http.secret with PostgreSQL, storage.s3 settings
        StorageDriver rawStorage = ScaleOut.openStorage(config.storage(), clock);
        StorageDriver storage = instrument(rawStorage, metrics);
        BerthConfig.Database db = config.database();
        MetadataStore metadata;
        try {
            metadata = instrument(JdbcMetadataStore.open(db.url(), db.username(), db.password(), db.maxPoolSize()),
                    metrics);
        } catch (RuntimeException e) {
            storage.close();
            throw e;
        }
        BerthServer server = new BerthServer(config, metrics, storage, metadata);
        try {
            server.startServices(clock);
            LOG.info("storage: " + rawStorage.name() + ", metadata: " + db.url().replaceAll("\\?.*", "")
                    + (server.readOnly.enabled() ? "; read-only mode is on" : ""));
            return server;
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
    }

    /** The storage driver with every call timed ({@code berth_storage_operation_seconds}) and failures counted. */
    static StorageDriver instrument(StorageDriver driver, Metrics metrics) {
        return Instrumented.wrap(StorageDriver.class, driver,
                metrics.histogram("berth_storage_operation_seconds",
                        "Time of storage driver calls (the call itself, not the streams it returns), in seconds.",
                        Metrics.LATENCY_BUCKETS, "driver", "operation"),
                metrics.counter("berth_storage_errors_total",
                        "Storage driver calls that failed (a missing object is not a failure).", "driver",
                        "operation"),
                e -> !(e instanceof NoSuchFileException || e instanceof FileNotFoundException
                        || e instanceof IllegalArgumentException),
                driver.name());
    }

    /** The metadata store with every call timed ({@code berth_metadata_operation_seconds}) and failures counted. */
    static MetadataStore instrument(MetadataStore store, Metrics metrics) {
        return Instrumented.wrap(MetadataStore.class, store,
                metrics.histogram("berth_metadata_operation_seconds", "Time of metadata store calls, in seconds.",
                        Metrics.LATENCY_BUCKETS, "operation"),
                metrics.counter("berth_metadata_errors_total", "Metadata store calls that failed.", "operation"),
                e -> true);
    }

    private void startServices(Clock clock) throws Exception {
        // ---- auth and TLS (docs/auth.md): the files are read now, so a bad one stops the start ----
        Security security = Security.of(config, clock);
        // ---- end of auth and TLS ----
        EventListener events = EventListener.NONE;
        List<Endpoint> endpoints = new ArrayList<>();
        for (BerthConfig.Endpoint e : config.notifications().endpoints()) {
            if (!e.disabled()) {
                endpoints.add(new Endpoint(e.name(), e.url(), e.headers(), e.timeout(), e.threshold(), e.backoff(),
                        new LinkedHashSet<>(e.ignoredMediaTypes()), new LinkedHashSet<>(e.ignoredActions()),
                        e.queueSize()));
            }
        }
        String instance = UUID.randomUUID().toString();
        if (!endpoints.isEmpty()) {
            notifier = new Notifier(endpoints, config.notifications().includeReferences(),
                    new Notifier.Source(config.http().addr(), instance), security.scheme(), metrics);
            events = notifier;
            LOG.info("notifications to " + endpoints.size() + " endpoint(s): "
                    + endpoints.stream().map(Endpoint::name).toList());
        }
        BerthConfig.Tracing t = config.tracing();
        if (t.enabled()) {
            tracer = new OtlpExporter(t.endpoint(), t.headers(), t.serviceName(), instance, t.samplingRatio(), metrics);
            LOG.info("tracing: spans to " + t.endpoint() + " (sampling ratio " + t.samplingRatio() + ")");
        }

        GcSettings gc = config.storage().gc();
        // ---- scale-out (docs/scale-out.md): signed upload URLs, blob GETs redirected to the bucket ----
        Blobs blobs = new Blobs(storage, metadata, config.storage().deleteEnabled(), clock, events,
                gc.linkConfirmationAge(), ScaleOut.redirectExpiry(config.storage()));
        Uploads uploads = new Uploads(storage, metadata, clock, () -> UUID.randomUUID().toString(), events,
                ScaleOut.uploadLocations(config, metadata, clock));
        // ---- end of scale-out ----
        Manifests manifests = new Manifests(storage, metadata, clock, config.storage().deleteEnabled(),
                config.http().maxManifestBytes(), events);
        Listings listings = new Listings(metadata, config.http().maxPageSize());
        Router router = new Router().readOnly(readOnly).health(healthGate).extraHeaders(config.http().headers());
        new BlobApi(blobs, uploads).register(router);
        new ManifestApi(manifests, listings).register(router);
        security.register(router);      // auth: the authenticator and the token server's route
        metrics.gauge("berth_readonly", "1 while read-only mode is on (writes refused), else 0.",
                () -> readOnly.enabled() ? 1 : 0);

        http = new NettyHttpServer(config.http().host(), config.http().port(), config.http().idleTimeout(), router,
                new NettyHttpServer.Options(config.http().drainTimeout(), config.log().accessLog(), metrics, tracer)
                        .withTls(security.tls()));
        if (notifier != null && config.http().port() == 0) {
            notifier.source(new Notifier.Source(config.http().host() + ":" + http.port(), instance));
        }

        BerthConfig.Debug debug = config.http().debug();
        if (debug.enabled()) {
            ops = new OpsServer(debug.host(), debug.port(), metrics,
                    debug.prometheusEnabled() ? debug.prometheusPath() : null, checks(),
                    config.health().readinessTimeout(), readOnly, () -> closing);
        }
        schedulePurge(uploads, config.storage().uploadPurgeAge());
        scheduleGc(new GarbageCollector(storage, metadata, uploads, clock, GarbageCollector.nodeId()), gc);
        if (config.health().storageDriverCheck()) {
            scheduleStorageCheck(config.health());
        }
    }

    /**
     * Distribution's {@code health.storagedriver}: the storage check every interval; after more failures in a row
     * than the threshold, every API request is answered 503 until a check passes again.
     */
    private void scheduleStorageCheck(BerthConfig.Health health) {
        OpsServer.Check check = checks().get(0);
        int[] failures = {0};
        long every = health.storageDriverInterval().toNanos();
        healthChecks.scheduleWithFixedDelay(() -> {
            String problem = OpsServer.run(check, health.readinessTimeout());
            if (problem == null) {
                if (healthGate.failure() != null) {
                    LOG.info("storage driver check passes again: answering requests");
                }
                failures[0] = 0;
                healthGate.pass();
            } else if (++failures[0] > health.storageDriverThreshold()) {
                if (healthGate.failure() == null) {
                    LOG.warning("storage driver check failed " + failures[0] + " time(s) in a row: " + problem
                            + "; answering 503 until it passes");
                }
                healthGate.fail("storagedriver_" + storage.name() + ": " + problem);
            }
        }, every, every, TimeUnit.NANOSECONDS);
    }

    /** Readiness: the storage driver answers for its root, the metadata store answers a query. */
    private List<OpsServer.Check> checks() {
        return List.of(
                new OpsServer.Check("storage", () -> {
                    Optional<FileInfo> root = storage.stat("/");
                    if (root.isPresent() && !root.get().directory()) {
                        throw new IOException("the storage root is not a directory");
                    }
                }),
                new OpsServer.Check("metadata", () -> metadata.repositories(Optional.empty(), 1)));
    }

    /** Purges idle upload sessions once a minute after start, then hourly (as distribution's uploadpurging). */
    private void schedulePurge(Uploads uploads, Duration age) {
        maintenance.scheduleWithFixedDelay(() -> {
            if (readOnly.enabled()) {
                return;     // read-only: nothing is written, purges included (as distribution)
            }
            try {
                int purged = uploads.purgeIdle(age);
                if (purged > 0) {
                    LOG.info("purged " + purged + " upload sessions idle for more than " + age);
                }
            } catch (RuntimeException e) {
                LOG.warning("upload purge failed: " + e);
            }
        }, 1, 60, TimeUnit.MINUTES);
    }

    /**
     * Collects garbage in the background when {@code storage.maintenance.gc.enabled}: first after
     * {@link GcSettings#firstRunDelay()}, then every interval; never in read-only mode. Several nodes may schedule
     * it: a database lease lets one collect at a time.
     */
    private void scheduleGc(GarbageCollector collector, GcSettings gc) {
        if (!gc.enabled()) {
            return;
        }
        Runnable task = collector.scheduled(gc, new GarbageCollector.RunListener() {
            @Override
            public void ran(GcReport report) {
                gcMetrics.ran(report);
            }

            @Override
            public void skipped() {
                gcMetrics.skipped();
            }

            @Override
            public void failed(RuntimeException e) {
                gcMetrics.failed();
            }
        });
        maintenance.scheduleWithFixedDelay(() -> {
            if (!readOnly.enabled()) {
                task.run();
            }
        }, gc.firstRunDelay().toSeconds(), gc.interval().toSeconds(), TimeUnit.SECONDS);
    }

    public int port() {
        return http.port();
    }

    /** The port of the operations listener (metrics, health, admin); -1 when it is off. */
    public int opsPort() {
        return ops == null ? -1 : ops.port();
    }

    /** Where every component reports its metrics. */
    public Metrics metrics() {
        return metrics;
    }

    /** Where garbage collections run by this server report (runs, bytes freed). */
    public GcMetrics gcMetrics() {
        return gcMetrics;
    }

    /** The read-only switch (also reachable at run time through the operations listener). */
    public ReadOnlySwitch readOnly() {
        return readOnly;
    }

    /** The outcome of each readiness check, by name ("ok" or what failed), as the readiness endpoint reports. */
    List<OpsServer.Result> checkReadiness() {
        return ops != null ? ops.check() : List.of();
    }

    /** The metadata store (instrumented), for tests in this package. */
    MetadataStore metadata() {
        return metadata;
    }

    /** Stops gracefully; requests in flight get {@code http.draintimeout}. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closing = true;
        maintenance.shutdownNow();
        healthChecks.shutdownNow();
        try {
            if (http != null) {
                LOG.info("stopping: draining requests in flight (up to "
                        + config.http().drainTimeout().toMillis() + "ms)");
                http.close(config.http().drainTimeout());
            }
        } finally {
            closeQuietly("notifications", notifier);
            closeQuietly("tracing", tracer);
            try {
                metadata.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "closing the metadata store", e);
            } finally {
                closeQuietly("storage", storage);
                closeQuietly("operations listener", ops);
                LOG.info("stopped");      // before the latch: once it opens, the process may exit at once
                stopped.countDown();
            }
        }
    }

    private static void closeQuietly(String what, AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warning("closing " + what + ": " + e);
        }
    }

    public void awaitTermination() throws InterruptedException {
        stopped.await();
    }
}
