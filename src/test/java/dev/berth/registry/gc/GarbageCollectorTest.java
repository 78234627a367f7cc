package dev.berth.registry.gc;

import dev.berth.api.RegistryException;
import dev.berth.metadata.jdbc.JdbcMetadataStore;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import dev.berth.oci.Tag;
import dev.berth.registry.Blobs;
import dev.berth.registry.EventListener;
import dev.berth.registry.Manifests;
import dev.berth.registry.Uploads;
import dev.berth.storage.Layout;
import dev.berth.storage.memory.MemoryDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Garbage collection over the real services (uploads, manifests, blobs), SQLite and the in-memory driver, with a
 * clock the test moves: what is removed, what is kept, in which order, and what a dry run says.
 */
class GarbageCollectorTest {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final Duration GRACE = Duration.ofHours(6);
    static final Duration LATER = Duration.ofHours(7);

    /** A clock the test moves by hand. */
    static final class MovableClock extends Clock {
        private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @TempDir
    Path dir;
    MovableClock clock;
    JdbcMetadataStore metadata;
    MemoryDriver storage;
    Uploads uploads;
    Manifests manifests;
    Blobs blobs;
    GarbageCollector gc;
    final List<Finding> findings = new ArrayList<>();
    long seed;

    final RepositoryName app = RepositoryName.of("team/app");
    final RepositoryName other = RepositoryName.of("team/other");

    @BeforeEach
    void setUp() {
        clock = new MovableClock();
        metadata = JdbcMetadataStore.open("jdbc:sqlite:" + dir.resolve("berth.db"), null, null, 4);
        storage = new MemoryDriver(clock);
        uploads = new Uploads(storage, metadata, clock, () -> UUID.randomUUID().toString());
        manifests = new Manifests(storage, metadata, clock, true, 4 << 20);
        blobs = new Blobs(storage, metadata, true, clock, EventListener.NONE, Duration.ofHours(1));
        gc = new GarbageCollector(storage, metadata, uploads, clock, "test-node");
    }

    @AfterEach
    void tearDown() {
        metadata.close();
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    GcReport collect() {
        return collect(false, false, List.of());
    }

    GcReport collect(boolean dryRun, boolean deleteUntagged, List<RetentionPolicy> retention) {
        findings.clear();
        return gc.run(new GarbageCollector.Options(dryRun, GRACE, deleteUntagged, retention, Optional.empty()),
                findings::add);
    }

    List<String> lines(boolean dryRun) {
        return findings.stream().map(f -> f.line(dryRun)).toList();
    }

    byte[] randomBytes(int size) {
        byte[] b = new byte[size];
        new SplittableRandom(++seed).nextBytes(b);
        return b;
    }

    Digest pushBlob(RepositoryName repository, byte[] content) throws IOException {
        Digest d = Digest.sha256(content);
        uploads.monolithic(repository, d, new ByteArrayInputStream(content), content.length);
        return d;
    }

    static String descriptor(String mediaType, Digest d, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + d + "\",\"size\":" + size + "}";
    }

    /** An image: its manifest digest, config and layers. */
    record Image(Digest manifest, byte[] bytes, Digest config, List<Digest> layers) {
        List<Digest> blobs() {
            List<Digest> all = new ArrayList<>(layers);
            all.add(config);
            return all;
        }
    }

    /** Pushes the layers, a fresh config and the manifest (by tag when given, else by digest). */
    Image pushImage(RepositoryName repository, String tag, byte[]... layers) throws IOException {
        return pushImage(repository, tag, null, layers);
    }

    Image pushImage(RepositoryName repository, String tag, Image subject, byte[]... layers) throws IOException {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":" + (++seed) + "}")
                .getBytes(StandardCharsets.UTF_8);
        Digest configDigest = pushBlob(repository, config);
        List<Digest> layerDigests = new ArrayList<>();
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\","
                + "\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", configDigest, config.length)
                + ",\"layers\":[");
        for (int i = 0; i < layers.length; i++) {
            Digest d = pushBlob(repository, layers[i]);
            layerDigests.add(d);
            json.append(i > 0 ? "," : "")
                    .append(descriptor("application/vnd.oci.image.layer.v1.tar+gzip", d, layers[i].length));
        }
        json.append("]");
        if (subject != null) {
            json.append(",\"artifactType\":\"application/vnd.example.signature\",\"subject\":")
                    .append(descriptor(OCI_MANIFEST, subject.manifest(), subject.bytes().length));
        }
        json.append("}");
        byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256(bytes);
        manifests.put(repository, tag == null ? digest : Tag.of(tag), bytes, OCI_MANIFEST);
        return new Image(digest, bytes, configDigest, layerDigests);
    }

    Digest pushIndex(RepositoryName repository, String tag, Image... children) throws IOException {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX
                + "\",\"manifests\":[");
        for (int i = 0; i < children.length; i++) {
            json.append(i > 0 ? "," : "").append(descriptor(OCI_MANIFEST, children[i].manifest(),
                    children[i].bytes().length));
        }
        byte[] bytes = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256(bytes);
        manifests.put(repository, tag == null ? digest : Tag.of(tag), bytes, OCI_INDEX);
        return digest;
    }

    boolean hasBytes(Digest d) throws IOException {
        return storage.stat(Layout.blobData(d)).isPresent();
    }

    boolean recorded(Digest d) {
        return metadata.blobSize(d).isPresent();
    }

    /** Pulls an image as a client would: manifest by tag, then every blob; fails when anything is missing. */
    void assertPullable(RepositoryName repository, String tag, Image image) throws IOException {
        Manifests.Stored stored = manifests.get(repository, Tag.of(tag));
        assertThat(stored.entry().digest()).isEqualTo(image.manifest());
        for (Digest d : image.blobs()) {
            assertThat(blobs.stat(repository, d).size()).as("blob %s in %s", d, repository).isPositive();
            try (var in = blobs.open(d, 0)) {
                assertThat(Digest.sha256(in.readAllBytes())).isEqualTo(d);
            }
        }
    }

    // ---- blobs and links -----------------------------------------------------------------------------------

    @Test
    void run_blobNoManifestRefersTo_olderThanGrace_isDeletedWithItsLinkAndBytes() throws IOException {
        Digest loose = pushBlob(app, randomBytes(1000));
        clock.advance(LATER);

        GcReport report = collect();

        assertThat(report.links()).isEqualTo(1);
        assertThat(report.blobs()).isEqualTo(1);
        assertThat(report.bytes()).isEqualTo(1000);
        assertThat(recorded(loose)).isFalse();
        assertThat(hasBytes(loose)).isFalse();
        assertThat(metadata.contentDeletionPending(loose)).isFalse();
        assertThatThrownBy(() -> blobs.stat(app, loose)).isInstanceOf(RegistryException.class);
        assertThat(lines(false)).contains("deleted link team/app@" + loose
                        + " (no manifest of the repository refers to it)",
                "deleted blob " + loose + " (1000 B)");
    }

    @Test
    void run_pushInProgress_blobsYoungerThanGrace_areKeptAndTheManifestStillGoesIn() throws IOException {
        byte[] layer = randomBytes(500);
        Digest early = pushBlob(app, layer); // the push's blobs arrive first ...
        clock.advance(Duration.ofHours(5));

        GcReport report = collect();

        assertThat(report.blobs()).isZero();
        assertThat(hasBytes(early)).isTrue();
        clock.advance(Duration.ofMinutes(30));
        Image image = pushImage(app, "v1", layer); // ... and the manifest after
        assertPullable(app, "v1", image);
    }

    @Test
    void run_deletedManifest_itsOwnLayersGo_sharedLayersStay() throws IOException {
        byte[] shared = randomBytes(300);
        Image gone = pushImage(app, "old", shared, randomBytes(400));
        Image stays = pushImage(other, "v1", shared, randomBytes(500));
        long configSize = metadata.blobSize(gone.config()).orElseThrow();
        manifests.delete(app, gone.manifest());
        clock.advance(LATER);

        GcReport report = collect();

        assertThat(report.manifests()).as("deleted through the API, not by the collection").isZero();
        assertThat(report.blobs()).isEqualTo(3);
        assertThat(report.bytes()).isEqualTo(400 + configSize + gone.bytes().length);
        assertThat(hasBytes(gone.layers().get(1))).isFalse();
        assertThat(hasBytes(gone.config())).isFalse();
        assertThat(hasBytes(gone.manifest())).as("the manifest's own bytes").isFalse();
        assertThat(hasBytes(gone.layers().get(0))).isTrue();
        assertThatThrownBy(() -> blobs.stat(app, gone.layers().get(0))).as("unlinked from team/app")
                .isInstanceOf(RegistryException.class);
        assertPullable(other, "v1", stays);
    }

    @Test
    void run_linkConfirmedByAHeadJustBefore_isKept_andTheManifestPushSucceeds() throws IOException {
        byte[] layer = randomBytes(700);
        Image first = pushImage(app, "v1", layer);
        manifests.delete(app, first.manifest());
        clock.advance(LATER);

        // a client about to push the same layer again finds it in the repository (HEAD) and skips the upload
        assertThat(blobs.stat(app, first.layers().get(0)).size()).isEqualTo(700);
        collect();

        Image again = pushImage(app, "v2", layer);
        assertPullable(app, "v2", again);
    }

    @Test
    void run_blobPushedAgainAfterItWasCollected_isStoredAndServedAgain() throws IOException {
        byte[] content = randomBytes(800);
        Digest d = pushBlob(app, content);
        clock.advance(LATER);
        collect();
        assertThat(hasBytes(d)).isFalse();

        pushBlob(app, content);

        assertThat(hasBytes(d)).isTrue();
        try (var in = blobs.open(d, 0)) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
    }

    // ---- manifests ------------------------------------------------------------------------------------------

    @Test
    void run_withoutDeleteUntagged_keepsUntaggedManifests() throws IOException {
        Image loose = pushImage(app, null, randomBytes(100));
        clock.advance(LATER);

        GcReport report = collect();

        assertThat(report.manifests()).isZero();
        assertThat(metadata.manifest(app, loose.manifest())).isPresent();
        assertThat(hasBytes(loose.layers().get(0))).isTrue();
    }

    @Test
    void run_deleteUntagged_removesAnUntaggedIndexThenItsChildren_keepsTaggedAndReferrersOfPresentSubjects()
            throws IOException {
        Image amd64 = pushImage(app, null, randomBytes(100));
        Image arm64 = pushImage(app, null, randomBytes(110));
        Digest index = pushIndex(app, null, amd64, arm64);
        Image tagged = pushImage(app, "v1", randomBytes(120));
        Image signature = pushImage(app, null, tagged, randomBytes(30));
        Image orphanedSignature = pushImage(app, null, amd64, randomBytes(40));
        clock.advance(LATER);

        GcReport report = collect(false, true, List.of());

        assertThat(report.manifests()).isEqualTo(4);
        assertThat(lines(false)).startsWith("deleted manifest team/app@" + index + " (unused)");
        assertThat(metadata.manifest(app, amd64.manifest())).isEmpty();
        assertThat(metadata.manifest(app, arm64.manifest())).isEmpty();
        assertThat(metadata.manifest(app, orphanedSignature.manifest())).as("its subject went").isEmpty();
        assertThat(hasBytes(amd64.layers().get(0))).isFalse();
        assertThat(hasBytes(index)).isFalse();
        assertPullable(app, "v1", tagged);
        assertThat(metadata.manifest(app, signature.manifest())).as("refers to a tagged manifest").isPresent();
        assertThat(hasBytes(signature.layers().get(0))).isTrue();
    }

    // ---- dry run --------------------------------------------------------------------------------------------

    @Test
    void dryRun_reportsExactlyWhatARealRunThenDeletes_andChangesNothing() throws IOException {
        Image gone = pushImage(app, "old", randomBytes(400), randomBytes(500));
        Image stays = pushImage(app, "v1", randomBytes(600));
        manifests.delete(app, Tag.of("old"));
        pushBlob(other, randomBytes(50));
        storage.putContent(Layout.blobData(Digest.sha256(new byte[] {1, 2, 3})), new byte[] {1, 2, 3});
        clock.advance(LATER);

        GcReport dry = collect(true, true, List.of());
        List<String> wouldDelete = lines(true);

        assertThat(dry.dryRun()).isTrue();
        assertThat(dry.manifests()).isEqualTo(1);
        assertThat(dry.blobs()).isEqualTo(5); // 2 layers + config + manifest bytes + the loose blob
        assertThat(dry.contents()).isEqualTo(1);
        assertThat(dry.summary()).startsWith("dry run: would delete 0 tags, 1 manifest, 4 links, 5 blobs, "
                + "1 unrecorded content, 0 uploads and free ");
        assertThat(metadata.manifest(app, gone.manifest())).isPresent();
        assertThat(hasBytes(gone.layers().get(0))).isTrue();
        assertThat(wouldDelete).allMatch(l -> l.startsWith("would delete "));

        GcReport real = collect(false, true, List.of());

        assertThat(lines(true)).containsExactlyInAnyOrderElementsOf(wouldDelete);
        assertThat(real.bytes()).isEqualTo(dry.bytes());
        assertThat(hasBytes(gone.layers().get(0))).isFalse();
        assertPullable(app, "v1", stays);
        assertThat(collect(true, true, List.of()).summary())
                .startsWith("dry run: would delete 0 tags, 0 manifests, 0 links, 0 blobs");
    }

    // ---- retention ------------------------------------------------------------------------------------------

    @Test
    void retention_keepsTheNewestAndTheProtectedTags_deletesTheRestWithWhatOnlyTheyNeeded() throws IOException {
        List<Image> versions = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            versions.add(pushImage(app, "v" + i, randomBytes(100 + i)));
            clock.advance(Duration.ofMinutes(1));
        }
        Image latest = pushImage(app, "latest", randomBytes(90));
        clock.advance(Duration.ofMinutes(1));
        pushImage(app, "v0-stable", randomBytes(80));
        Image untouched = pushImage(other, "v1", randomBytes(70));
        RetentionPolicy policy = RetentionPolicy.parse("team/app:keepnewest=2,keeptags=latest|*-stable",
                dev.berth.config.ConfigLoader::parseDuration);
        clock.advance(LATER);

        GcReport report = collect(false, false, List.of(policy));

        assertThat(metadata.tags(app, Optional.empty(), 100)).containsExactly("latest", "v0-stable", "v4", "v5");
        assertThat(report.tags()).isEqualTo(3);
        assertThat(report.manifests()).as("the manifests of v1..v3, even without --delete-untagged").isEqualTo(3);
        assertThat(hasBytes(versions.get(0).layers().get(0))).isFalse();
        assertThat(lines(false)).contains("deleted tag team/app:v1 (retention policy team/app)");
        assertPullable(app, "v5", versions.get(4));
        assertPullable(app, "latest", latest);
        assertPullable(other, "v1", untouched);
    }

    @Test
    void retention_olderThan_deletesOnlyTagsPushedLongerAgo() throws IOException {
        pushImage(app, "old", randomBytes(10));
        clock.advance(Duration.ofDays(10));
        pushImage(app, "new", randomBytes(11));
        clock.advance(LATER);
        RetentionPolicy policy = RetentionPolicy.parse("team/*:olderthan=168h",
                dev.berth.config.ConfigLoader::parseDuration);

        GcReport dry = collect(true, false, List.of(policy));

        assertThat(lines(true)).contains("would delete tag team/app:old (retention policy team/*)");
        assertThat(dry.tags()).isEqualTo(1);
        assertThat(metadata.tags(app, Optional.empty(), 100)).containsExactly("new", "old");
        collect(false, false, List.of(policy));
        assertThat(metadata.tags(app, Optional.empty(), 100)).containsExactly("new");
    }

    // ---- storage -------------------------------------------------------------------------------------------

    @Test
    void run_contentNoRecordNames_isDeletedOnceOlderThanGrace() throws IOException {
        byte[] old = randomBytes(64);
        storage.putContent(Layout.blobData(Digest.sha256(old)), old);
        clock.advance(LATER);
        byte[] young = randomBytes(65);
        storage.putContent(Layout.blobData(Digest.sha256(young)), young);

        GcReport report = collect();

        assertThat(report.contents()).isEqualTo(1);
        assertThat(hasBytes(Digest.sha256(old))).isFalse();
        assertThat(hasBytes(Digest.sha256(young))).isTrue();
        assertThat(lines(false)).containsExactly("deleted content " + Digest.sha256(old) + " (64 B, not recorded)");
    }

    @Test
    void run_recordedBlobWhoseBytesAreGone_isReportedAndNeverDropped() throws IOException {
        Image image = pushImage(app, "v1", randomBytes(2048));
        Digest layer = image.layers().get(0);
        storage.delete(Layout.blobDirectory(layer));
        clock.advance(LATER);

        GcReport report = collect(false, true, List.of());

        assertThat(report.missing()).isEqualTo(1);
        assertThat(recorded(layer)).isTrue();
        assertThat(metadata.manifest(app, image.manifest())).isPresent();
        assertThat(lines(false)).containsExactly("MISSING blob " + layer + " (2.0 KiB): recorded but its content is"
                + " not in storage; needed by team/app (link), team/app@" + image.manifest());
        assertThat(report.summary()).contains("; 1 recorded blob missing from storage");
    }

    @Test
    void run_afterARunDiedBetweenRecordAndBytes_deletesTheBytes() throws IOException {
        Digest d = pushBlob(app, randomBytes(333));
        clock.advance(LATER);
        metadata.unlinkBlob(app, d);
        // what a collection that died right after deleting the record leaves
        assertThat(metadata.deleteBlobIfUnused(d, clock.instant())).contains(333L);
        assertThat(hasBytes(d)).isTrue();

        GcReport dry = collect(true, false, List.of());
        assertThat(lines(true)).containsExactly("would delete content " + d
                + " (333 B, record deleted by an earlier collection)");
        assertThat(dry.contents()).isEqualTo(1);

        GcReport report = collect();

        assertThat(report.contents()).isEqualTo(1);
        assertThat(report.bytes()).isEqualTo(333);
        assertThat(hasBytes(d)).isFalse();
        assertThat(metadata.contentDeletionPending(d)).isFalse();
    }

    @Test
    void run_recordPushedAgainBeforeTheBytesWereDeleted_keepsTheBytes() throws IOException {
        byte[] content = randomBytes(222);
        Digest d = pushBlob(app, content);
        clock.advance(LATER);
        metadata.unlinkBlob(app, d);
        metadata.deleteBlobIfUnused(d, clock.instant());
        pushBlob(other, content);

        collect();

        assertThat(hasBytes(d)).isTrue();
        assertThat(blobs.stat(other, d).size()).isEqualTo(222);
        assertThat(metadata.contentDeletionPending(d)).isFalse();
    }

    // ---- uploads -------------------------------------------------------------------------------------------

    @Test
    void run_uploadDataWithoutASession_isDeleted_idleSessionsPurgedWhenAsked() throws IOException {
        var abandoned = uploads.start(app);
        uploads.append(app, abandoned.id(), new ByteArrayInputStream(new byte[100]), 100, Optional.empty());
        metadata.deleteUpload(abandoned.id()); // a crash between forgetting the session and deleting its data
        var idle = uploads.start(other);
        uploads.append(other, idle.id(), new ByteArrayInputStream(new byte[50]), 50, Optional.empty());
        clock.advance(LATER);

        GcReport report = gc.run(new GarbageCollector.Options(false, GRACE, false, List.of(),
                Optional.of(Duration.ofHours(1))), findings::add);

        assertThat(report.uploads()).isEqualTo(2);
        assertThat(storage.stat(Layout.upload(app, abandoned.id()))).isEmpty();
        assertThat(metadata.upload(idle.id())).isEmpty();
        assertThat(storage.stat(Layout.upload(other, idle.id()))).isEmpty();
        assertThat(report.bytes()).isEqualTo(150);
    }

    // ---- one collector at a time ---------------------------------------------------------------------------

    @Test
    void run_whileAnotherNodeHoldsTheLease_refusesUntilTheLeaseLapses() throws IOException {
        Digest d = pushBlob(app, randomBytes(10));
        clock.advance(LATER);
        assertThat(metadata.acquireLease(GarbageCollector.LEASE, "node-that-died", clock.instant(),
                GarbageCollector.LEASE_TTL)).isTrue();

        assertThatThrownBy(this::collect).isInstanceOf(GarbageCollector.LeaseBusyException.class)
                .hasMessageContaining("node-that-died");
        assertThat(hasBytes(d)).isTrue();

        clock.advance(GarbageCollector.LEASE_TTL);
        assertThat(collect().blobs()).isEqualTo(1);
        assertThat(metadata.lease(GarbageCollector.LEASE).orElseThrow().expiresAt())
                .as("released after the run").isBefore(clock.instant());
    }

    @Test
    void twoCollectorsAtOnce_theSecondIsRefusedWhileTheFirstRuns() throws Exception {
        pushBlob(app, randomBytes(10));
        pushBlob(app, randomBytes(11));
        clock.advance(LATER);
        GarbageCollector otherNode = new GarbageCollector(storage, metadata, uploads, clock, "other-node");
        java.util.concurrent.CountDownLatch midway = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch proceed = new java.util.concurrent.CountDownLatch(1);
        var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            var first = pool.submit(() -> gc.run(new GarbageCollector.Options(false, GRACE, false, List.of(),
                    Optional.empty()), f -> {
                        midway.countDown();
                        try {
                            proceed.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }));
            assertThat(midway.await(1, java.util.concurrent.TimeUnit.MINUTES)).isTrue();

            assertThatThrownBy(() -> otherNode.run(new GarbageCollector.Options(true, GRACE, false, List.of(),
                    Optional.empty()), f -> { }))
                    .isInstanceOf(GarbageCollector.LeaseBusyException.class)
                    .hasMessageContaining("test-node");

            proceed.countDown();
            assertThat(first.get(1, java.util.concurrent.TimeUnit.MINUTES).blobs()).isEqualTo(2);
        } finally {
            proceed.countDown();
            pool.shutdownNow();
        }
        assertThat(otherNode.run(new GarbageCollector.Options(false, GRACE, false, List.of(), Optional.empty()),
                f -> { }).blobs()).as("free again once the first is done").isZero();
    }

    @Test
    void aCollectorThatDiedMidSweep_leavesNothingTheNextRunCannotFinish() throws IOException {
        Image gone = pushImage(app, "old", randomBytes(100), randomBytes(200));
        manifests.delete(app, gone.manifest());
        clock.advance(LATER);
        Instant cutoff = clock.instant().minus(GRACE);
        // the dead node: took the lease, marked everything, deleted one link, one blob record (not its bytes)
        assertThat(metadata.acquireLease(GarbageCollector.LEASE, "dead-node", clock.instant(),
                GarbageCollector.LEASE_TTL)).isTrue();
        metadata.markUnusedLinks(app, cutoff);
        metadata.markUnusedBlobs(Optional.empty(), metadata.blobDigests(Optional.empty(), 100).getLast(), cutoff);
        Digest layer = gone.layers().get(0);
        assertThat(metadata.deleteLinkIfUnused(app, layer, cutoff)).isTrue();
        assertThat(metadata.deleteBlobIfUnused(layer, cutoff)).contains(100L);
        assertThatThrownBy(this::collect).isInstanceOf(GarbageCollector.LeaseBusyException.class);

        clock.advance(GarbageCollector.LEASE_TTL);
        GcReport report = collect();

        assertThat(report.contents()).as("the bytes the dead node left").isEqualTo(1);
        assertThat(report.blobs()).as("config, second layer, manifest bytes").isEqualTo(3);
        for (Digest d : List.of(layer, gone.layers().get(1), gone.config(), gone.manifest())) {
            assertThat(recorded(d)).as("record of %s", d).isFalse();
            assertThat(hasBytes(d)).as("bytes of %s", d).isFalse();
        }
        for (dev.berth.metadata.ReviewItem.Kind kind : dev.berth.metadata.ReviewItem.Kind.values()) {
            assertThat(metadata.reviewItems(kind, Optional.empty(), 10)).as("review queue %s", kind).isEmpty();
        }
    }

    @Test
    void scheduled_tellsItsListenerWhetherItRanOrWasSkipped_andNeverThrows() throws IOException {
        pushBlob(app, randomBytes(10));
        clock.advance(LATER);
        List<String> told = new ArrayList<>();
        GarbageCollector.RunListener listener = new GarbageCollector.RunListener() {
            @Override
            public void ran(GcReport report) {
                told.add("ran " + report.blobs());
            }

            @Override
            public void skipped() {
                told.add("skipped");
            }
        };
        Runnable task = gc.scheduled(GcSettings.defaults(), listener);

        task.run();
        metadata.acquireLease(GarbageCollector.LEASE, "elsewhere", clock.instant(), GarbageCollector.LEASE_TTL);
        task.run();

        assertThat(told).containsExactly("ran 1", "skipped");
    }
}
