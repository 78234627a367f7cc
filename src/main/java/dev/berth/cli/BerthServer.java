package dev.berth.cli;

import dev.berth.config.BerthConfig;
import dev.berth.http.BlobApi;
import dev.berth.http.ManifestApi;
import dev.berth.http.Router;
import dev.berth.http.netty.NettyHttpServer;
import dev.berth.metadata.MetadataStore;
import dev.berth.metadata.jdbc.JdbcMetadataStore;
import dev.berth.registry.Blobs;
import dev.berth.registry.Listings;
import dev.berth.registry.Manifests;
import dev.berth.registry.Uploads;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.filesystem.FilesystemDriver;
import dev.berth.storage.memory.MemoryDriver;

import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A running registry: the storage driver and metadata store the configuration names, the services over them, and
 * the HTTP server in front. {@link #close()} stops it gracefully: no new connections, requests in flight finish,
 * then the metadata store closes.
 */
public final class BerthServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BerthServer.class.getName());

    private final StorageDriver storage;
    private final MetadataStore metadata;
    private final NettyHttpServer http;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "berth-maintenance");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    private BerthServer(StorageDriver storage, MetadataStore metadata, NettyHttpServer http) {
        this.storage = storage;
        this.metadata = metadata;
        this.http = http;
    }

    public static BerthServer start(BerthConfig config) throws Exception {
        return start(config, Clock.systemUTC());
    }

    public static BerthServer start(BerthConfig config, Clock clock) throws Exception {
        StorageDriver storage = switch (config.storage().driver()) {
            case "inmemory" -> new MemoryDriver(clock);
            default -> new FilesystemDriver(config.storage().rootDirectory());
        };
        BerthConfig.Database db = config.database();
        MetadataStore metadata;
        try {
            metadata = JdbcMetadataStore.open(db.url(), db.username(), db.password(), db.maxPoolSize());
        } catch (RuntimeException e) {
            storage.close();
            throw e;
        }
        try {
            Blobs blobs = new Blobs(storage, metadata, config.storage().deleteEnabled());
            Uploads uploads = new Uploads(storage, metadata, clock, () -> UUID.randomUUID().toString());
            Manifests manifests = new Manifests(storage, metadata, clock, config.storage().deleteEnabled(),
                    config.http().maxManifestBytes());
            Listings listings = new Listings(metadata, config.http().maxPageSize());
            Router router = new Router();
            new BlobApi(blobs, uploads).register(router);
            new ManifestApi(manifests, listings).register(router);
            NettyHttpServer http = new NettyHttpServer(config.http().host(), config.http().port(),
                    config.http().idleTimeout(), router);
            LOG.info("storage: " + storage.name() + ", metadata: " + db.url().replaceAll("\\?.*", ""));
            BerthServer server = new BerthServer(storage, metadata, http);
            server.schedulePurge(uploads, config.storage().uploadPurgeAge());
            return server;
        } catch (Exception | Error e) {
            metadata.close();
            storage.close();
            throw e;
        }
    }

    /** Purges idle upload sessions once a minute after start, then hourly (as distribution's uploadpurging). */
    private void schedulePurge(Uploads uploads, Duration age) {
        maintenance.scheduleWithFixedDelay(() -> {
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

    public int port() {
        return http.port();
    }

    /** Stops gracefully; requests in flight get up to 10 seconds. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        maintenance.shutdownNow();
        try {
            http.close(Duration.ofSeconds(10));
        } finally {
            try {
                metadata.close();
            } finally {
                try {
                    storage.close();
                } catch (Exception e) {
                    LOG.warning("closing storage: " + e);
                }
                stopped.countDown();
            }
        }
    }

    public void awaitTermination() throws InterruptedException {
        stopped.await();
    }
}
