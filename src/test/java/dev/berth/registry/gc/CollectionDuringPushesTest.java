package dev.berth.registry.gc;

import dev.berth.http.TestClient;
import dev.berth.http.TestServer;
import dev.berth.metadata.jdbc.JdbcMetadataStore;
import dev.berth.oci.Digest;
import dev.berth.registry.Uploads;
import dev.berth.storage.Layout;
import dev.berth.storage.filesystem.FilesystemDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Online collection against a real server: a collector (a separate store on the same SQLite file and storage root,
 * as {@code berth gc} beside {@code berth serve}) runs in a loop while several clients push, over HTTP, images that
 * share layers with images deleted hours ago, into the repositories those were deleted from and into new ones.
 * Every push must succeed and every pushed image must pull completely; what only the deleted images used is gone.
 */
class CollectionDuringPushesTest {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final int SHARED = 6;
    static final int OLD_REPOSITORIES = 3;
    static final int PUSHERS = 4;
    static final int IMAGES_PER_PUSHER = 6;

    @TempDir
    Path dir;

    record Blob(Digest digest, byte[] bytes) {
        static Blob of(byte[] bytes) {
            return new Blob(Digest.sha256(bytes), bytes);
        }
    }

    record Pushed(String repository, String tag, Digest manifest, List<Blob> blobs) {
    }

    static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    static String descriptor(String mediaType, Blob b) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + b.digest() + "\",\"size\":" + b.bytes().length
                + "}";
    }

    static byte[] manifest(Blob config, List<Blob> layers) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", config) + ",\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            json.append(i > 0 ? "," : "").append(descriptor("application/vnd.oci.image.layer.v1.tar+gzip",
                    layers.get(i)));
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Pushes a blob as clients do: HEAD, else a mount from {@code from}, else a monolithic upload. */
    static void pushBlob(TestClient client, String repository, Blob blob, String from) {
        if (client.head("/v2/" + repository + "/blobs/" + blob.digest()).status() == 200) {
            return;
        }
        if (from != null) {
            TestClient.Reply mount = client.send("POST", "/v2/" + repository + "/blobs/uploads/?mount="
                    + blob.digest() + "&from=" + from, Map.of());
            if (mount.status() == 201) {
                return;
            }
            assertThat(mount.status()).as("mount %s: %s", blob.digest(), mount).isEqualTo(202);
            client.delete(mount.headerValue("Location"));
        }
        TestClient.Reply put = client.send("POST", "/v2/" + repository + "/blobs/uploads/?digest=" + blob.digest(),
                Map.of("Content-Type", "application/octet-stream"), blob.bytes());
        assertThat(put.status()).as("upload %s to %s: %s", blob.digest(), repository, put).isEqualTo(201);
    }

    /** Pushes an image and returns what was pushed; fails unless the manifest PUT is accepted. */
    static Pushed pushImage(TestClient client, String repository, String tag, Blob config, List<Blob> layers,
                            List<String> mountFrom) {
        for (int i = 0; i < layers.size(); i++) {
            pushBlob(client, repository, layers.get(i), mountFrom.get(i));
        }
        pushBlob(client, repository, config, null);
        byte[] bytes = manifest(config, layers);
        TestClient.Reply put = client.send("PUT", "/v2/" + repository + "/manifests/" + tag,
                Map.of("Content-Type", OCI_MANIFEST), bytes);
        assertThat(put.status()).as("manifest %s:%s: %s", repository, tag, put).isEqualTo(201);
        List<Blob> all = new ArrayList<>(layers);
        all.add(config);
        return new Pushed(repository, tag, Digest.sha256(bytes), all);
    }

    /** Moves every recorded time back, as if everything so far had happened {@code hours} ago. */
    static void backdate(Path database, int hours) throws Exception {
        long millis = Duration.ofHours(hours).toMillis();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database);
             Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout = 10000");
            s.executeUpdate("UPDATE blobs SET created_at = created_at - " + millis);
            s.executeUpdate("UPDATE repository_blobs SET created_at = created_at - " + millis);
            s.executeUpdate("UPDATE manifests SET created_at = created_at - " + millis);
            s.executeUpdate("UPDATE tags SET updated_at = updated_at - " + millis);
        }
    }

    @Test
    void collectingInALoop_whileClientsPushImagesSharingLayersWithDeletedOnes_everyPushedImagePullsCompletely()
            throws Exception {
        List<Blob> shared = new ArrayList<>();
        for (int i = 0; i < SHARED; i++) {
            shared.add(Blob.of(random(1000 + i, 32 * 1024)));
        }
        List<Blob> deletedOnly = new ArrayList<>();
        try (TestServer server = TestServer.start(dir, true)) {
            TestClient client = server.client();

            // images pushed and deleted long ago: old/r<k> held shared[k] and shared[k+3] and a layer of its own
            for (int k = 0; k < OLD_REPOSITORIES; k++) {
                Blob own = Blob.of(random(2000 + k, 16 * 1024));
                Blob config = Blob.of(("{\"old\":" + k + "}").getBytes(StandardCharsets.UTF_8));
                Pushed old = pushImage(client, "old/r" + k, "v1", config,
                        List.of(shared.get(k), shared.get(k + 3), own), java.util.Arrays.asList(null, null, null));
                assertThat(client.delete("/v2/old/r" + k + "/manifests/" + old.manifest()).status()).isEqualTo(202);
                deletedOnly.add(own);
                deletedOnly.add(config);
                deletedOnly.add(new Blob(old.manifest(), new byte[0]));
            }
            backdate(dir.resolve("berth.db"), 7);

            Path root = server.storageRoot();
            List<Pushed> pushed = new ArrayList<>();
            try (JdbcMetadataStore store = JdbcMetadataStore.open("jdbc:sqlite:" + dir.resolve("berth.db"), null,
                    null, 2);
                 FilesystemDriver storage = new FilesystemDriver(root)) {
                Uploads uploads = new Uploads(storage, store, Clock.systemUTC(), () -> UUID.randomUUID().toString());
                GarbageCollector gc = new GarbageCollector(storage, store, uploads, Clock.systemUTC(), "gc-loop");
                GarbageCollector.Options options = new GarbageCollector.Options(false, Duration.ofHours(6), true,
                        List.of(), Optional.empty());
                AtomicBoolean stop = new AtomicBoolean();
                ConcurrentLinkedQueue<GcReport> reports = new ConcurrentLinkedQueue<>();
                ExecutorService pool = Executors.newFixedThreadPool(PUSHERS + 1);
                try {
                    Future<?> collector = pool.submit(() -> {
                        do {
                            reports.add(gc.run(options, f -> { }));
                        } while (!stop.get());
                        return null;
                    });
                    List<Future<List<Pushed>>> pushers = new ArrayList<>();
                    for (int t = 0; t < PUSHERS; t++) {
                        int thread = t;
                        pushers.add(pool.submit(() -> {
                            // half the clients push into the repositories the old images were deleted from
                            String repository = thread % 2 == 0 ? "old/r" + (thread / 2) : "new/p" + thread;
                            List<Pushed> mine = new ArrayList<>();
                            for (int i = 0; i < IMAGES_PER_PUSHER; i++) {
                                int a = (thread + i) % SHARED;
                                int b = (thread + i + 1) % SHARED;
                                Blob fresh = Blob.of(random(10_000L * (thread + 1) + i, 8 * 1024));
                                Blob config = Blob.of(("{\"pusher\":" + thread + ",\"image\":" + i + "}")
                                        .getBytes(StandardCharsets.UTF_8));
                                mine.add(pushImage(client, repository, "t" + thread + "-" + i, config,
                                        List.of(shared.get(a), shared.get(b), fresh),
                                        java.util.Arrays.asList("old/r" + (a % 3), "old/r" + (b % 3), null)));
                            }
                            return mine;
                        }));
                    }
                    for (Future<List<Pushed>> f : pushers) {
                        pushed.addAll(f.get(3, TimeUnit.MINUTES));
                    }
                    stop.set(true);
                    collector.get(3, TimeUnit.MINUTES);
                } finally {
                    stop.set(true);
                    pool.shutdownNow();
                }
                reports.add(gc.run(options, f -> { }));

                assertThat(reports.stream().mapToInt(GcReport::blobs).sum())
                        .as("the collections removed what only the deleted images used")
                        .isGreaterThanOrEqualTo(deletedOnly.size());
                for (Blob gone : deletedOnly) {
                    assertThat(store.blobSize(gone.digest())).as("record of %s", gone.digest()).isEmpty();
                    assertThat(Files.exists(root.resolve(Layout.blobData(gone.digest()).substring(1))))
                            .as("bytes of %s", gone.digest()).isFalse();
                }
                assertThat(reports.stream().mapToInt(GcReport::missing).sum()).isZero();
            }

            assertThat(pushed).hasSize(PUSHERS * IMAGES_PER_PUSHER);
            for (Pushed p : pushed) {
                TestClient.Reply m = client.send("GET", "/v2/" + p.repository() + "/manifests/" + p.tag(),
                        Map.of("Accept", OCI_MANIFEST));
                assertThat(m.status()).as("manifest %s:%s", p.repository(), p.tag()).isEqualTo(200);
                assertThat(Digest.sha256(m.body())).isEqualTo(p.manifest());
                for (Blob b : p.blobs()) {
                    TestClient.Reply r = client.get("/v2/" + p.repository() + "/blobs/" + b.digest());
                    assertThat(r.status()).as("blob %s of %s:%s", b.digest(), p.repository(), p.tag())
                            .isEqualTo(200);
                    assertThat(r.body()).isEqualTo(b.bytes());
                }
            }
        }
    }
}
