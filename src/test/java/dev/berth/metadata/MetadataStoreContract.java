package dev.berth.metadata;

import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The behaviour every {@link MetadataStore} must have. An implementation's test extends this class and says how to
 * open a fresh, empty store.
 */
public abstract class MetadataStoreContract {

    protected static final Instant T0 = Instant.ofEpochMilli(1_700_000_000_000L);

    protected static final RepositoryName A = RepositoryName.of("a");
    protected static final RepositoryName B = RepositoryName.of("b");
    protected static final RepositoryName A_SLASH_B = RepositoryName.of("a/b");
    protected static final RepositoryName AB = RepositoryName.of("ab");

    protected static final Digest D1 = digest("one");
    protected static final Digest D2 = digest("two");

    protected MetadataStore store;

    /** A new store with no data in it; the contract closes it after each test. */
    protected abstract MetadataStore openStore() throws Exception;

    @BeforeEach
    void openFreshStore() throws Exception {
        store = openStore();
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    protected static Digest digest(String content) {
        return Digest.sha256(content.getBytes(StandardCharsets.UTF_8));
    }

    protected static Instant t(long seconds) {
        return T0.plusSeconds(seconds);
    }

    // ---- blobs -------------------------------------------------------------------------------------------

    @Test
    void blobSize_unknownDigest_isEmpty() {
        assertThat(store.blobSize(D1)).isEmpty();
    }

    @Test
    void putBlob_recordsSizeAndLinksToRepository() {
        store.putBlob(A, D1, 1234, T0);

        assertThat(store.blobSize(D1)).contains(1234L);
        assertThat(store.linkedBlobSize(A, D1)).contains(1234L);
        assertThat(store.blobSize(D2)).isEmpty();
        assertThat(store.linkedBlobSize(A, D2)).isEmpty();
    }

    @Test
    void putBlob_createsRepository() {
        assertThat(store.repositoryExists(A)).isFalse();

        store.putBlob(A, D1, 1, T0);

        assertThat(store.repositoryExists(A)).isTrue();
    }

    @Test
    void putBlob_twice_isIdempotent() {
        store.putBlob(A, D1, 10, T0);
        store.putBlob(A, D1, 10, t(5));

        assertThat(store.blobSize(D1)).contains(10L);
        assertThat(store.linkedBlobSize(A, D1)).contains(10L);
        assertThat(store.unlinkBlob(A, D1)).isTrue();
        assertThat(store.unlinkBlob(A, D1)).as("only one link was recorded").isFalse();
    }

    @Test
    void putBlob_knownBlobInAnotherRepository_linksItThereToo() {
        store.putBlob(A, D1, 10, T0);
        store.putBlob(B, D1, 10, t(1));

        assertThat(store.linkedBlobSize(A, D1)).contains(10L);
        assertThat(store.linkedBlobSize(B, D1)).contains(10L);
    }

    @Test
    void putBlob_zeroSize_isRecorded() {
        store.putBlob(A, D1, 0, T0);

        assertThat(store.linkedBlobSize(A, D1)).contains(0L);
    }

    @Test
    void linkedBlobSize_otherRepository_isEmpty() {
        store.putBlob(A, D1, 7, T0);
        store.putBlob(B, D2, 8, T0);
        store.putBlob(A_SLASH_B, D2, 8, T0);
        store.putBlob(AB, D2, 8, T0);

        assertThat(store.linkedBlobSize(A, D1)).contains(7L);
        assertThat(store.linkedBlobSize(B, D1)).isEmpty();
        assertThat(store.linkedBlobSize(A_SLASH_B, D1)).isEmpty();
        assertThat(store.linkedBlobSize(AB, D1)).isEmpty();
        assertThat(store.blobSize(D1)).as("the blob itself is known registry-wide").contains(7L);
    }

    @Test
    void linkedBlobSize_nestedRepository_isNotServedByParent() {
        store.putBlob(A_SLASH_B, D1, 7, T0);
        store.putBlob(A, D2, 8, T0);

        assertThat(store.linkedBlobSize(A_SLASH_B, D1)).contains(7L);
        assertThat(store.linkedBlobSize(A, D1)).isEmpty();
    }

    @Test
    void linkedBlobSize_unknownRepository_isEmpty() {
        store.putBlob(A, D1, 7, T0);

        assertThat(store.linkedBlobSize(RepositoryName.of("nowhere"), D1)).isEmpty();
    }

    @Test
    void linkBlob_fromRepositoryThatLinksIt_linksAndReturnsSize() {
        store.putBlob(A, D1, 42, T0);

        assertThat(store.linkBlob(B, D1, Optional.of(A), t(1))).contains(42L);

        assertThat(store.linkedBlobSize(B, D1)).contains(42L);
        assertThat(store.linkedBlobSize(A, D1)).as("the source keeps its link").contains(42L);
        assertThat(store.repositoryExists(B)).isTrue();
    }

    @Test
    void linkBlob_withoutFrom_knownBlob_linksAndReturnsSize() {
        store.putBlob(A, D1, 42, T0);

        assertThat(store.linkBlob(B, D1, Optional.empty(), t(1))).contains(42L);

        assertThat(store.linkedBlobSize(B, D1)).contains(42L);
    }

    @Test
    void linkBlob_withoutFrom_unknownBlob_isEmptyAndLinksNothing() {
        assertThat(store.linkBlob(B, D1, Optional.empty(), T0)).isEmpty();

        assertThat(store.linkedBlobSize(B, D1)).isEmpty();
        assertThat(store.blobSize(D1)).isEmpty();
        assertThat(store.repositoryExists(B)).isFalse();
    }

    @Test
    void linkBlob_fromRepositoryLackingBlob_isEmptyAndLinksNothing() {
        store.putBlob(A, D1, 42, T0);
        store.putBlob(AB, D2, 5, T0);

        assertThat(store.linkBlob(B, D1, Optional.of(AB), t(1))).isEmpty();

        assertThat(store.linkedBlobSize(B, D1)).isEmpty();
        assertThat(store.linkedBlobSize(AB, D1)).isEmpty();
        assertThat(store.repositoryExists(B)).as("a failed mount creates no repository").isFalse();
    }

    @Test
    void linkBlob_fromUnknownRepository_isEmptyAndLinksNothing() {
        store.putBlob(A, D1, 42, T0);

        assertThat(store.linkBlob(B, D1, Optional.of(RepositoryName.of("nowhere")), t(1))).isEmpty();

        assertThat(store.linkedBlobSize(B, D1)).isEmpty();
        assertThat(store.repositoryExists(RepositoryName.of("nowhere"))).isFalse();
    }

    @Test
    void linkBlob_fromRepositoryThatUnlinkedIt_isEmpty() {
        store.putBlob(A, D1, 42, T0);
        store.unlinkBlob(A, D1);

        assertThat(store.linkBlob(B, D1, Optional.of(A), t(1))).isEmpty();
        assertThat(store.linkedBlobSize(B, D1)).isEmpty();
    }

    @Test
    void linkBlob_alreadyLinked_returnsSizeAndKeepsOneLink() {
        store.putBlob(A, D1, 42, T0);
        store.putBlob(B, D1, 42, T0);

        assertThat(store.linkBlob(B, D1, Optional.of(A), t(1))).contains(42L);
        assertThat(store.linkBlob(B, D1, Optional.empty(), t(2))).contains(42L);

        assertThat(store.unlinkBlob(B, D1)).isTrue();
        assertThat(store.linkedBlobSize(B, D1)).isEmpty();
    }

    @Test
    void linkBlob_intoExistingRepository_keepsItsOtherLinks() {
        store.putBlob(A, D1, 42, T0);
        store.putBlob(B, D2, 43, T0);

        store.linkBlob(B, D1, Optional.of(A), t(1));

        assertThat(store.linkedBlobSize(B, D1)).contains(42L);
        assertThat(store.linkedBlobSize(B, D2)).contains(43L);
        assertThat(store.linkedBlobSize(A, D2)).isEmpty();
    }

    @Test
    void unlinkBlob_linked_removesLinkButKeepsBlobAndOtherLinks() {
        store.putBlob(A, D1, 9, T0);
        store.putBlob(B, D1, 9, T0);

        assertThat(store.unlinkBlob(A, D1)).isTrue();

        assertThat(store.linkedBlobSize(A, D1)).isEmpty();
        assertThat(store.linkedBlobSize(B, D1)).contains(9L);
        assertThat(store.blobSize(D1)).contains(9L);
        assertThat(store.repositoryExists(A)).isTrue();
    }

    @Test
    void unlinkBlob_notLinked_returnsFalse() {
        store.putBlob(A, D1, 9, T0);

        assertThat(store.unlinkBlob(B, D1)).isFalse();
        assertThat(store.unlinkBlob(A, D2)).isFalse();
        assertThat(store.unlinkBlob(RepositoryName.of("nowhere"), D1)).isFalse();
        assertThat(store.linkedBlobSize(A, D1)).contains(9L);
    }

    @Test
    void unlinkBlob_thenPutBlobAgain_linksAgain() {
        store.putBlob(A, D1, 9, T0);
        store.unlinkBlob(A, D1);

        store.putBlob(A, D1, 9, t(1));

        assertThat(store.linkedBlobSize(A, D1)).contains(9L);
    }

    @Test
    void unlinkBlob_thenMountWithoutFrom_linksAgain() {
        store.putBlob(A, D1, 9, T0);
        store.unlinkBlob(A, D1);

        assertThat(store.linkBlob(A, D1, Optional.empty(), t(1))).contains(9L);
        assertThat(store.linkedBlobSize(A, D1)).contains(9L);
    }

    // ---- repositories ------------------------------------------------------------------------------------

    @Test
    void repositoryExists_unknown_isFalse() {
        store.putBlob(A_SLASH_B, D1, 1, T0);

        assertThat(store.repositoryExists(A)).isFalse();
        assertThat(store.repositoryExists(AB)).isFalse();
        assertThat(store.repositoryExists(A_SLASH_B)).isTrue();
    }

    // ---- upload sessions ---------------------------------------------------------------------------------

    @Test
    void createUpload_thenUpload_returnsSession() {
        UploadSession session = new UploadSession("u1", A, 0, T0, T0);

        store.createUpload(session);

        assertThat(store.upload("u1")).contains(session);
    }

    @Test
    void createUpload_createsRepository() {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));

        assertThat(store.repositoryExists(A)).isTrue();
        assertThat(store.repositoryExists(B)).isFalse();
    }

    @Test
    void createUpload_keepsSizeAndTimes() {
        UploadSession session = new UploadSession("u1", A_SLASH_B, 512, T0, t(3));

        store.createUpload(session);

        assertThat(store.upload("u1")).contains(session);
    }

    @Test
    void upload_unknownId_isEmpty() {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));

        assertThat(store.upload("u2")).isEmpty();
    }

    @Test
    void advanceUpload_expectedSize_movesSizeAndTouches() {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));

        assertThat(store.advanceUpload("u1", 0, 100, t(10))).isTrue();
        assertThat(store.advanceUpload("u1", 100, 250, t(20))).isTrue();

        assertThat(store.upload("u1")).contains(new UploadSession("u1", A, 250, T0, t(20)));
    }

    @Test
    void advanceUpload_staleExpectedSize_returnsFalseAndChangesNothing() {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));
        store.advanceUpload("u1", 0, 100, t(10));

        assertThat(store.advanceUpload("u1", 0, 50, t(20))).isFalse();

        assertThat(store.upload("u1")).contains(new UploadSession("u1", A, 100, T0, t(10)));
    }

    @Test
    void advanceUpload_unknownId_returnsFalse() {
        assertThat(store.advanceUpload("nope", 0, 10, T0)).isFalse();
        assertThat(store.upload("nope")).isEmpty();
    }

    @Test
    void advanceUpload_onlyTouchesThatSession() {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));
        store.createUpload(new UploadSession("u2", A, 0, T0, T0));

        store.advanceUpload("u1", 0, 10, t(1));

        assertThat(store.upload("u2")).contains(new UploadSession("u2", A, 0, T0, T0));
    }

    @Test
    void deleteUpload_existing_returnsTrueAndForgetsIt() {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));
        store.createUpload(new UploadSession("u2", A, 0, T0, T0));

        assertThat(store.deleteUpload("u1")).isTrue();

        assertThat(store.upload("u1")).isEmpty();
        assertThat(store.upload("u2")).isPresent();
        assertThat(store.advanceUpload("u1", 0, 10, t(1))).isFalse();
        assertThat(store.deleteUpload("u1")).as("second delete").isFalse();
    }

    @Test
    void deleteUpload_unknown_returnsFalse() {
        assertThat(store.deleteUpload("nope")).isFalse();
    }

    @Test
    void uploadsIdleSince_returnsOldestFirstUpToLimit() {
        store.createUpload(new UploadSession("c", A, 0, T0, t(30)));
        store.createUpload(new UploadSession("a", B, 0, T0, t(10)));
        store.createUpload(new UploadSession("d", A, 0, T0, t(40)));
        store.createUpload(new UploadSession("b", A, 0, T0, t(20)));

        assertThat(store.uploadsIdleSince(t(100), 10)).extracting(UploadSession::id)
                .containsExactly("a", "b", "c", "d");
        assertThat(store.uploadsIdleSince(t(100), 2)).extracting(UploadSession::id)
                .containsExactly("a", "b");
        assertThat(store.uploadsIdleSince(t(100), 0)).isEmpty();
    }

    @Test
    void uploadsIdleSince_excludesSessionsTouchedAtOrAfterCutoff() {
        store.createUpload(new UploadSession("old", A, 0, T0, t(10)));
        store.createUpload(new UploadSession("atCutoff", A, 0, T0, t(20)));
        store.createUpload(new UploadSession("new", A, 0, T0, t(30)));

        assertThat(store.uploadsIdleSince(t(20), 10)).extracting(UploadSession::id).containsExactly("old");
    }

    @Test
    void uploadsIdleSince_advancedSession_isNoLongerIdle() {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));
        store.createUpload(new UploadSession("u2", A, 0, T0, T0));

        store.advanceUpload("u1", 0, 10, t(60));

        assertThat(store.uploadsIdleSince(t(30), 10)).containsExactly(new UploadSession("u2", A, 0, T0, T0));
    }

    @Test
    void uploadsIdleSince_deletedSession_isNotListed() {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));
        store.deleteUpload("u1");

        assertThat(store.uploadsIdleSince(t(30), 10)).isEmpty();
    }

    // ---- concurrency ---------------------------------------------------------------------------------------

    @Test
    void concurrentPutBlobMountAndAdvance_allSucceedWithRightFinalState() throws Exception {
        int threads = 8;
        int perThread = 200;
        Digest shared = digest("shared");
        store.createUpload(new UploadSession("shared-upload", A, 0, T0, T0));
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> results = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await();
                    RepositoryName own = RepositoryName.of("thread" + thread);
                    int casFailures = 0;
                    for (int i = 0; i < perThread; i++) {
                        Digest d = digest("blob-" + thread + "-" + i);
                        store.putBlob(own, d, i, T0);
                        store.putBlob(A, shared, 99, T0);
                        if (i % 10 == 0) {
                            store.linkBlob(B, d, Optional.of(own), T0);
                        }
                        if (store.linkedBlobSize(own, d).isEmpty()) {
                            throw new AssertionError("just-put blob not linked: " + d);
                        }
                        while (true) {
                            long size = store.upload("shared-upload").orElseThrow().size();
                            if (store.advanceUpload("shared-upload", size, size + 1, T0)) {
                                break;
                            }
                            casFailures++;
                        }
                    }
                    return casFailures;
                }));
            }
            start.countDown();
            for (Future<Integer> f : results) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        }

        assertThat(store.upload("shared-upload").orElseThrow().size()).isEqualTo((long) threads * perThread);
        assertThat(store.blobSize(shared)).contains(99L);
        assertThat(store.linkedBlobSize(A, shared)).contains(99L);
        for (int t = 0; t < threads; t++) {
            RepositoryName own = RepositoryName.of("thread" + t);
            for (int i = 0; i < perThread; i++) {
                Digest d = digest("blob-" + t + "-" + i);
                assertThat(store.linkedBlobSize(own, d)).contains((long) i);
                assertThat(store.linkedBlobSize(B, d)).isEqualTo(i % 10 == 0 ? Optional.of((long) i) : Optional.empty());
            }
            assertThat(store.linkedBlobSize(own, shared)).isEmpty();
        }
    }

    @Test
    void concurrentAdvance_sameExpectedSize_exactlyOneWins() throws Exception {
        int threads = 8;
        int rounds = 50;
        store.createUpload(new UploadSession("race", A, 0, T0, T0));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < rounds; round++) {
                long expected = round;
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Boolean>> attempts = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    attempts.add(pool.submit(() -> {
                        start.await();
                        return store.advanceUpload("race", expected, expected + 1, T0.plus(Duration.ofMillis(expected)));
                    }));
                }
                start.countDown();
                int wins = 0;
                for (Future<Boolean> f : attempts) {
                    if (f.get(1, TimeUnit.MINUTES)) {
                        wins++;
                    }
                }
                assertThat(wins).as("winners of round %d", round).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        }
        assertThat(store.upload("race").orElseThrow().size()).isEqualTo(rounds);
    }
}
