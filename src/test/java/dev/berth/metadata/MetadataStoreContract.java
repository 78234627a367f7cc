package dev.berth.metadata;

import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    // ---- manifests and tags ------------------------------------------------------------------------------

    protected static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    protected static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    protected static final String SBOM = "application/vnd.example.sbom.v1";
    protected static final String SIGNATURE = "application/vnd.example.signature.v1";

    /** An image manifest entry with no artifact type, subject or annotations. */
    protected static ManifestEntry image(Digest digest, long size) {
        return new ManifestEntry(digest, OCI_MANIFEST, size, null, null, null);
    }

    /** An artifact manifest entry referring to {@code subject}. */
    protected static ManifestEntry referrer(Digest digest, String artifactType, Digest subject) {
        return new ManifestEntry(digest, OCI_MANIFEST, 100, artifactType, subject,
                "{\"org.example.name\":\"" + digest.hex().substring(0, 8) + "\"}");
    }

    protected void putManifest(RepositoryName repository, ManifestEntry entry, String... tags) {
        if (tags.length == 0) {
            store.putManifest(repository, entry, List.of(), List.of(), Optional.empty(), T0);
        }
        for (String tag : tags) {
            store.putManifest(repository, entry, List.of(), List.of(), Optional.of(tag), T0);
        }
    }

    protected List<String> allTags(RepositoryName repository) {
        return store.tags(repository, Optional.empty(), 10_000);
    }

    @Test
    void putManifest_thenManifestByDigest_returnsEveryField() {
        ManifestEntry entry = new ManifestEntry(D1, OCI_MANIFEST, 1234, SBOM, D2, "{\"k\":\"v\",\"a\":\"b\"}");

        store.putManifest(A, entry, List.of(), List.of(), Optional.empty(), T0);

        assertThat(store.manifest(A, D1)).contains(entry);
        assertThat(store.manifest(A, D2)).isEmpty();
    }

    @Test
    void putManifest_withoutOptionalFields_returnsNulls() {
        ManifestEntry entry = new ManifestEntry(D1, OCI_INDEX, 77, null, null, null);

        store.putManifest(A, entry, List.of(), List.of(D2), Optional.empty(), T0);

        assertThat(store.manifest(A, D1)).contains(entry);
    }

    @Test
    void putManifest_createsRepository() {
        putManifest(A_SLASH_B, image(D1, 10));

        assertThat(store.repositoryExists(A_SLASH_B)).isTrue();
        assertThat(store.repositoryExists(A)).isFalse();
        assertThat(store.repositories(Optional.empty(), 10)).containsExactly("a/b");
    }

    @Test
    void putManifest_recordsItsBytesAsBlob() {
        putManifest(A, image(D1, 321), "latest");

        assertThat(store.blobSize(D1)).as("the manifest's bytes are a blob of the registry").contains(321L);
    }

    @Test
    void putManifest_withTag_pointsTagAtIt() {
        ManifestEntry entry = image(D1, 10);

        putManifest(A, entry, "latest");

        assertThat(store.taggedManifest(A, "latest")).contains(entry);
        assertThat(store.taggedManifest(A, "other")).isEmpty();
        assertThat(allTags(A)).containsExactly("latest");
    }

    @Test
    void putManifest_withoutTag_createsNoTag() {
        putManifest(A, image(D1, 10));

        assertThat(store.manifest(A, D1)).isPresent();
        assertThat(allTags(A)).isEmpty();
    }

    @Test
    void putManifest_sameManifestUnderSeveralTags_allPointAtIt() {
        ManifestEntry entry = image(D1, 10);

        putManifest(A, entry, "1", "1.0", "latest");

        assertThat(allTags(A)).containsExactly("1", "1.0", "latest");
        for (String tag : List.of("1", "1.0", "latest")) {
            assertThat(store.taggedManifest(A, tag)).contains(entry);
        }
    }

    @Test
    void putManifest_existingTag_movesTagToNewManifest() {
        ManifestEntry first = image(D1, 10);
        ManifestEntry second = image(D2, 20);
        putManifest(A, first, "latest", "v1");

        putManifest(A, second, "latest");

        assertThat(store.taggedManifest(A, "latest")).contains(second);
        assertThat(store.taggedManifest(A, "v1")).contains(first);
        assertThat(store.manifest(A, D1)).as("the untagged manifest stays").contains(first);
        assertThat(allTags(A)).containsExactly("latest", "v1");
    }

    @Test
    void putManifest_knownManifestAgain_onlyMovesTagAndKeepsFirstRecord() {
        ManifestEntry original = new ManifestEntry(D1, OCI_MANIFEST, 10, SBOM, null, "{\"x\":\"1\"}");
        ManifestEntry other = image(D2, 20);
        putManifest(A, original, "a");
        putManifest(A, other, "b");

        ManifestEntry again = new ManifestEntry(D1, OCI_MANIFEST, 10, SIGNATURE, D2, "{\"x\":\"2\"}");
        store.putManifest(A, again, List.of(), List.of(), Optional.of("b"), t(10));

        assertThat(store.manifest(A, D1)).as("a known manifest is not rewritten").contains(original);
        assertThat(store.taggedManifest(A, "b")).contains(original);
        assertThat(store.taggedManifest(A, "a")).contains(original);
        assertThat(store.manifest(A, D2)).contains(other);
        assertThat(store.referrers(A, D2, Optional.empty(), Optional.empty(), 10)).isEmpty();
    }

    @Test
    void putManifest_sameDigestInTwoRepositories_recordedInEach() {
        putManifest(A, image(D1, 10), "a-tag");
        putManifest(B, image(D1, 10), "b-tag");

        assertThat(store.manifest(A, D1)).isPresent();
        assertThat(store.manifest(B, D1)).isPresent();
        assertThat(allTags(A)).containsExactly("a-tag");
        assertThat(allTags(B)).containsExactly("b-tag");
        assertThat(store.taggedManifest(A, "b-tag")).isEmpty();
    }

    @Test
    void manifest_otherOrUnknownRepository_isEmpty() {
        putManifest(A_SLASH_B, image(D1, 10), "latest");

        assertThat(store.manifest(A, D1)).isEmpty();
        assertThat(store.manifest(AB, D1)).isEmpty();
        assertThat(store.manifest(RepositoryName.of("nowhere"), D1)).isEmpty();
        assertThat(store.taggedManifest(A, "latest")).isEmpty();
        assertThat(store.taggedManifest(RepositoryName.of("nowhere"), "latest")).isEmpty();
    }

    @Test
    void taggedManifest_isCaseSensitive() {
        putManifest(A, image(D1, 10), "Latest");

        assertThat(store.taggedManifest(A, "Latest")).isPresent();
        assertThat(store.taggedManifest(A, "latest")).isEmpty();
        assertThat(store.taggedManifest(A, "LATEST")).isEmpty();
    }

    @Test
    void deleteManifest_removesItAndEveryTagPointingToIt() {
        ManifestEntry doomed = image(D1, 10);
        ManifestEntry kept = image(D2, 20);
        putManifest(A, doomed, "v1", "latest");
        putManifest(A, kept, "v2");

        assertThat(store.deleteManifest(A, D1)).isTrue();

        assertThat(store.manifest(A, D1)).isEmpty();
        assertThat(store.taggedManifest(A, "v1")).isEmpty();
        assertThat(store.taggedManifest(A, "latest")).isEmpty();
        assertThat(store.taggedManifest(A, "v2")).contains(kept);
        assertThat(allTags(A)).containsExactly("v2");
        assertThat(store.deleteManifest(A, D1)).as("second delete").isFalse();
    }

    @Test
    void deleteManifest_onlyInThatRepository() {
        putManifest(A, image(D1, 10), "latest");
        putManifest(AB, image(D1, 10), "latest");
        putManifest(A_SLASH_B, image(D1, 10), "latest");

        assertThat(store.deleteManifest(A, D1)).isTrue();

        assertThat(store.manifest(AB, D1)).isPresent();
        assertThat(store.manifest(A_SLASH_B, D1)).isPresent();
        assertThat(store.taggedManifest(AB, "latest")).isPresent();
        assertThat(store.taggedManifest(A_SLASH_B, "latest")).isPresent();
        assertThat(store.blobSize(D1)).as("the bytes' blob row stays").contains(10L);
    }

    @Test
    void deleteManifest_thenPutAgain_recordsItAfreshWithoutOldTags() {
        Digest layer = digest("layer");
        Digest config = digest("config");
        store.putBlob(A, layer, 5, T0);
        store.putBlob(A, config, 2, T0);
        store.putManifest(A, image(D1, 10), List.of(config, layer), List.of(), Optional.of("latest"), T0);

        assertThat(store.deleteManifest(A, D1)).isTrue();
        store.putManifest(A, image(D1, 10), List.of(config), List.of(), Optional.of("again"), t(1));

        assertThat(store.taggedManifest(A, "again")).contains(image(D1, 10));
        assertThat(store.taggedManifest(A, "latest")).as("the old tag does not come back").isEmpty();
        assertThat(store.linkedBlobSize(A, layer)).as("blob links are not the manifest's to remove").contains(5L);
    }

    @Test
    void deleteManifest_unknown_returnsFalseAndChangesNothing() {
        putManifest(A, image(D1, 10), "latest");

        assertThat(store.deleteManifest(A, D2)).isFalse();
        assertThat(store.deleteManifest(B, D1)).isFalse();
        assertThat(store.deleteManifest(RepositoryName.of("nowhere"), D1)).isFalse();

        assertThat(store.taggedManifest(A, "latest")).isPresent();
    }

    @Test
    void deleteManifest_ofAReferrer_removesItFromReferrers() {
        putManifest(A, image(D1, 10));
        Digest sbom = digest("sbom");
        Digest sig = digest("sig");
        putManifest(A, referrer(sbom, SBOM, D1));
        putManifest(A, referrer(sig, SIGNATURE, D1));

        store.deleteManifest(A, sbom);

        assertThat(store.referrers(A, D1, Optional.empty(), Optional.empty(), 10))
                .extracting(ManifestEntry::digest).containsExactly(sig);
    }

    @Test
    void deleteTag_removesOnlyThatTag_manifestStays() {
        ManifestEntry entry = image(D1, 10);
        putManifest(A, entry, "v1", "latest");

        assertThat(store.deleteTag(A, "v1")).isTrue();

        assertThat(store.taggedManifest(A, "v1")).isEmpty();
        assertThat(store.taggedManifest(A, "latest")).contains(entry);
        assertThat(store.manifest(A, D1)).contains(entry);
        assertThat(allTags(A)).containsExactly("latest");
        assertThat(store.deleteTag(A, "v1")).as("second delete").isFalse();
    }

    @Test
    void deleteTag_lastTag_keepsManifest() {
        putManifest(A, image(D1, 10), "only");

        assertThat(store.deleteTag(A, "only")).isTrue();

        assertThat(store.manifest(A, D1)).isPresent();
        assertThat(allTags(A)).isEmpty();
    }

    @Test
    void deleteTag_unknownOrOtherRepository_returnsFalse() {
        putManifest(A, image(D1, 10), "latest");

        assertThat(store.deleteTag(A, "nope")).isFalse();
        assertThat(store.deleteTag(B, "latest")).isFalse();
        assertThat(store.deleteTag(A, "LATEST")).isFalse();
        assertThat(store.deleteTag(RepositoryName.of("nowhere"), "latest")).isFalse();

        assertThat(store.taggedManifest(A, "latest")).isPresent();
    }

    /** Tags in the order their bytes sort: '-' < '.' < digits < upper case < '_' < lower case. */
    private static final List<String> TAGS_IN_BYTE_ORDER = List.of(
            "0", "1", "1-rc", "1.0", "1.0-rc.1", "1.0.0", "10", "2", "9", "A", "LATEST", "Latest", "Z", "_", "_a",
            "a", "a-b", "a.b", "a0", "aB", "a_b", "ab", "latest", "latest-1", "latest.1", "latest_1", "z");

    @Test
    void tags_areInLexicalByteOrder() {
        List<String> shuffled = new ArrayList<>(TAGS_IN_BYTE_ORDER);
        java.util.Collections.shuffle(shuffled, new java.util.Random(7));
        putManifest(A, image(D1, 10), shuffled.toArray(String[]::new));

        assertThat(allTags(A)).containsExactlyElementsOf(TAGS_IN_BYTE_ORDER);
        assertThat(TAGS_IN_BYTE_ORDER).as("the list itself is in byte order").isSorted();
    }

    @Test
    void tags_pagedWithLastAndLimit_visitEveryTagOnceInOrder() {
        putManifest(A, image(D1, 10), TAGS_IN_BYTE_ORDER.toArray(String[]::new));

        for (int limit : new int[] {1, 2, 5, TAGS_IN_BYTE_ORDER.size(), 100}) {
            List<String> seen = new ArrayList<>();
            Optional<String> last = Optional.empty();
            for (int pages = 0; pages < 100; pages++) {
                List<String> page = store.tags(A, last, limit);
                assertThat(page.size()).as("page size with limit %d", limit).isLessThanOrEqualTo(limit);
                if (page.isEmpty()) {
                    break;
                }
                seen.addAll(page);
                last = Optional.of(page.getLast());
            }
            assertThat(seen).as("limit %d", limit).containsExactlyElementsOf(TAGS_IN_BYTE_ORDER);
        }
    }

    @Test
    void tags_lastNeedNotBeATag_startsStrictlyAfterIt() {
        putManifest(A, image(D1, 10), TAGS_IN_BYTE_ORDER.toArray(String[]::new));

        assertThat(store.tags(A, Optional.of("Latest"), 3)).containsExactly("Z", "_", "_a");
        assertThat(store.tags(A, Optional.of("Lz"), 2)).as("between tags").containsExactly("Z", "_");
        assertThat(store.tags(A, Optional.of("a."), 2)).containsExactly("a.b", "a0");
        assertThat(store.tags(A, Optional.of("z"), 10)).isEmpty();
        assertThat(store.tags(A, Optional.of("zz"), 10)).isEmpty();
        assertThat(store.tags(A, Optional.of(""), 2)).containsExactly("0", "1");
    }

    @Test
    void tags_limitZero_isEmpty() {
        putManifest(A, image(D1, 10), "latest");

        assertThat(store.tags(A, Optional.empty(), 0)).isEmpty();
    }

    @Test
    void tags_onlyOfThatRepository() {
        putManifest(A, image(D1, 10), "in-a");
        putManifest(AB, image(D1, 10), "in-ab");
        putManifest(A_SLASH_B, image(D2, 20), "in-a-slash-b");

        assertThat(allTags(A)).containsExactly("in-a");
        assertThat(allTags(AB)).containsExactly("in-ab");
        assertThat(allTags(A_SLASH_B)).containsExactly("in-a-slash-b");
        assertThat(allTags(RepositoryName.of("nowhere"))).isEmpty();
    }

    @Test
    void repositories_areInLexicalByteOrder_pagedWithLastAndLimit() {
        List<String> inByteOrder = List.of("0", "9z", "a", "a-b", "a.b", "a/b", "a/b/c", "a0", "a__b", "a_b", "ab",
                "b", "library/alpine", "library/busybox", "z");
        List<String> shuffled = new ArrayList<>(inByteOrder);
        java.util.Collections.shuffle(shuffled, new java.util.Random(3));
        int i = 0;
        for (String name : shuffled) {
            // every way a repository comes to exist
            switch (i++ % 3) {
                case 0 -> store.putBlob(RepositoryName.of(name), D1, 1, T0);
                case 1 -> putManifest(RepositoryName.of(name), image(D2, 2), "latest");
                default -> store.createUpload(new UploadSession("up-" + name, RepositoryName.of(name), 0, T0, T0));
            }
        }

        assertThat(store.repositories(Optional.empty(), 100)).containsExactlyElementsOf(inByteOrder);
        assertThat(store.repositories(Optional.empty(), 3)).containsExactly("0", "9z", "a");
        assertThat(store.repositories(Optional.of("a"), 4)).containsExactly("a-b", "a.b", "a/b", "a/b/c");
        assertThat(store.repositories(Optional.of("a/b/c"), 3)).containsExactly("a0", "a__b", "a_b");
        assertThat(store.repositories(Optional.of("library"), 10))
                .containsExactly("library/alpine", "library/busybox", "z");
        assertThat(store.repositories(Optional.of("z"), 10)).isEmpty();
        assertThat(store.repositories(Optional.empty(), 0)).isEmpty();
        List<String> paged = new ArrayList<>();
        Optional<String> last = Optional.empty();
        List<String> page;
        while (!(page = store.repositories(last, 4)).isEmpty()) {
            paged.addAll(page);
            last = Optional.of(page.getLast());
        }
        assertThat(paged).containsExactlyElementsOf(inByteOrder);
    }

    @Test
    void referrers_areManifestsWithThatSubjectInThatRepository_inDigestOrder() {
        Digest subject = D1;
        putManifest(A, image(subject, 10), "latest");
        List<Digest> mine = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Digest d = digest("referrer-" + i);
            mine.add(d);
            putManifest(A, referrer(d, i % 2 == 0 ? SBOM : SIGNATURE, subject));
        }
        putManifest(A, referrer(digest("of-another-subject"), SBOM, D2));
        putManifest(B, referrer(digest("in-another-repository"), SBOM, subject));
        putManifest(AB, referrer(digest("in-a-similar-repository"), SBOM, subject));
        mine.sort(java.util.Comparator.comparing(Digest::toString));

        List<ManifestEntry> all = store.referrers(A, subject, Optional.empty(), Optional.empty(), 100);

        assertThat(all).extracting(ManifestEntry::digest).containsExactlyElementsOf(mine);
        assertThat(all).allSatisfy(e -> {
            assertThat(e.subject()).isEqualTo(subject);
            assertThat(e.annotations()).startsWith("{\"org.example.name\"");
        });
    }

    @Test
    void referrers_filteredByArtifactType_onlyThatType() {
        putManifest(A, image(D1, 10));
        List<Digest> sboms = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Digest d = digest("referrer-" + i);
            boolean sbom = i != 2;
            if (sbom) {
                sboms.add(d);
            }
            putManifest(A, referrer(d, sbom ? SBOM : SIGNATURE, D1));
        }
        putManifest(A, new ManifestEntry(digest("untyped"), OCI_INDEX, 50, null, D1, null));
        sboms.sort(java.util.Comparator.comparing(Digest::toString));

        assertThat(store.referrers(A, D1, Optional.of(SBOM), Optional.empty(), 100))
                .extracting(ManifestEntry::digest).containsExactlyElementsOf(sboms);
        assertThat(store.referrers(A, D1, Optional.of(SIGNATURE), Optional.empty(), 100))
                .extracting(ManifestEntry::digest).containsExactly(digest("referrer-2"));
        assertThat(store.referrers(A, D1, Optional.of("application/vnd.example.unknown"), Optional.empty(), 100))
                .isEmpty();
        assertThat(store.referrers(A, D1, Optional.of(SBOM.toUpperCase()), Optional.empty(), 100))
                .as("artifact types match exactly").isEmpty();
        assertThat(store.referrers(A, D1, Optional.empty(), Optional.empty(), 100)).hasSize(6);
    }

    @Test
    void referrers_pagedByDigest_visitEachOnce() {
        putManifest(A, image(D1, 10));
        List<Digest> all = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            Digest d = digest("referrer-" + i);
            all.add(d);
            putManifest(A, referrer(d, i < 5 ? SBOM : SIGNATURE, D1));
        }
        all.sort(java.util.Comparator.comparing(Digest::toString));

        List<Digest> seen = new ArrayList<>();
        Optional<Digest> after = Optional.empty();
        List<ManifestEntry> page;
        while (!(page = store.referrers(A, D1, Optional.empty(), after, 3)).isEmpty()) {
            assertThat(page.size()).isLessThanOrEqualTo(3);
            page.forEach(e -> seen.add(e.digest()));
            after = Optional.of(page.getLast().digest());
        }
        assertThat(seen).containsExactlyElementsOf(all);

        List<ManifestEntry> firstTwoSboms = store.referrers(A, D1, Optional.of(SBOM), Optional.empty(), 2);
        List<ManifestEntry> restOfSboms = store.referrers(A, D1, Optional.of(SBOM),
                Optional.of(firstTwoSboms.getLast().digest()), 10);
        assertThat(firstTwoSboms).hasSize(2);
        assertThat(restOfSboms).hasSize(3).allSatisfy(e -> assertThat(e.artifactType()).isEqualTo(SBOM));
    }

    @Test
    void referrers_subjectNeedNotExist() {
        putManifest(A, referrer(D2, SBOM, D1));

        assertThat(store.referrers(A, D1, Optional.empty(), Optional.empty(), 10))
                .extracting(ManifestEntry::digest).containsExactly(D2);
        assertThat(store.referrers(RepositoryName.of("nowhere"), D1, Optional.empty(), Optional.empty(), 10))
                .isEmpty();
    }

    @Test
    void missingBlobs_areThoseTheRepositoryDoesNotLink() {
        Digest linked = digest("linked");
        Digest elsewhere = digest("elsewhere");
        Digest unlinked = digest("unlinked");
        Digest unknown = digest("unknown");
        store.putBlob(A, linked, 1, T0);
        store.putBlob(B, elsewhere, 1, T0);
        store.putBlob(A, unlinked, 1, T0);
        store.unlinkBlob(A, unlinked);

        assertThat(store.missingBlobs(A, List.of(linked, elsewhere, unlinked, unknown)))
                .containsExactlyInAnyOrder(elsewhere, unlinked, unknown);
        assertThat(store.missingBlobs(A, List.of(linked))).isEmpty();
        assertThat(store.missingBlobs(A, List.of())).isEmpty();
        assertThat(store.missingBlobs(RepositoryName.of("nowhere"), List.of(linked))).containsExactly(linked);
    }

    @Test
    void missingBlobs_manifestIsNotABlobLink() {
        putManifest(A, image(D1, 10), "latest");

        assertThat(store.missingBlobs(A, List.of(D1))).containsExactly(D1);
    }

    @Test
    void missingManifests_areThoseNotManifestsOfTheRepository() {
        Digest here = digest("here");
        Digest elsewhere = digest("elsewhere");
        Digest deleted = digest("deleted");
        Digest blob = digest("blob");
        putManifest(A, image(here, 1));
        putManifest(B, image(elsewhere, 1));
        putManifest(A, image(deleted, 1));
        store.deleteManifest(A, deleted);
        store.putBlob(A, blob, 1, T0);

        assertThat(store.missingManifests(A, List.of(here, elsewhere, deleted, blob)))
                .containsExactlyInAnyOrder(elsewhere, deleted, blob);
        assertThat(store.missingManifests(A, List.of(here))).isEmpty();
        assertThat(store.missingManifests(A, List.of())).isEmpty();
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
    void advanceUpload_withHashState_keepsTheStateOfTheNewSize_andAStaleAdvanceKeepsIt() {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));
        String state = "c2hhAz" + "A".repeat(138);     // the base64 of a 108-byte state is 144 characters

        assertThat(store.advanceUpload("u1", 0, 100, t(10), state)).isTrue();
        assertThat(store.upload("u1")).contains(new UploadSession("u1", A, 100, T0, t(10), state));
        assertThat(store.uploadsIdleSince(t(11), 10)).extracting(UploadSession::hashState).containsExactly(state);

        assertThat(store.advanceUpload("u1", 0, 50, t(20), "other")).isFalse();
        assertThat(store.upload("u1").orElseThrow().hashState()).isEqualTo(state);

        // an advance without a state must not leave the old one behind: it belongs to the old size
        assertThat(store.advanceUpload("u1", 100, 150, t(30))).isTrue();
        assertThat(store.upload("u1")).contains(new UploadSession("u1", A, 150, T0, t(30), null));
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
    void commitUpload_recordsTheBlob_andForgetsTheSession_together() throws IOException {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));
        store.createUpload(new UploadSession("u2", A, 0, T0, T0));
        boolean[] guarded = {false};

        store.commitUpload("u1", A, D1, 77, t(1), () -> guarded[0] = true);

        assertThat(guarded[0]).isTrue();
        assertThat(store.linkedBlobSize(A, D1)).contains(77L);
        assertThat(store.upload("u1")).isEmpty();
        assertThat(store.upload("u2")).as("other sessions stay").isPresent();
    }

    @Test
    void commitUpload_guardFails_changesNothing() {
        store.createUpload(new UploadSession("u1", A, 0, T0, T0));
        IOException failure = new IOException("disk full");

        assertThatThrownBy(() -> store.commitUpload("u1", A, D1, 77, t(1), () -> {
            throw failure;
        })).isSameAs(failure);

        assertThat(store.blobSize(D1)).isEmpty();
        assertThat(store.upload("u1")).as("the session is kept for a retry").isPresent();
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

    // ---- settings ----------------------------------------------------------------------------------------

    @Test
    void setting_storesTheFirstValueAndKeepsIt() {
        assertThat(store.setting("upload_secret", "first", T0)).isEqualTo("first");
        assertThat(store.setting("upload_secret", "second", t(1))).isEqualTo("first");
        assertThat(store.setting("other", "x", t(2))).isEqualTo("x");
    }

    @Test
    void setting_askedByManyAtOnce_allGetTheSameValue() throws Exception {
        int threads = 8;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        var start = new java.util.concurrent.CountDownLatch(1);
        try {
            List<java.util.concurrent.Future<String>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < threads; i++) {
                String mine = "value-" + i;
                answers.add(pool.submit(() -> {
                    start.await();
                    return store.setting("raced", mine, T0);
                }));
            }
            start.countDown();
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (var f : answers) {
                seen.add(f.get(1, java.util.concurrent.TimeUnit.MINUTES));
            }
            assertThat(seen).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
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

    // ---- garbage collection ------------------------------------------------------------------------------------
    // Times: T0 is "long ago", t(n) n seconds later; a cutoff of t(10) treats everything recorded at T0 as old.

    protected static final Digest CONFIG = digest("config");
    protected static final Digest LAYER = digest("layer");
    protected static final Digest EXTRA = digest("extra");

    /** A pretend blob store for guards: the digests whose bytes are "in storage". */
    protected final java.util.Set<Digest> stored = java.util.concurrent.ConcurrentHashMap.newKeySet();

    protected ContentGuard storeBytes(Digest d) {
        return () -> stored.add(d);
    }

    protected ContentGuard removeBytes(Digest d) {
        return () -> stored.remove(d);
    }

    /** An image {@code m} in {@code r} with CONFIG and LAYER linked and referred to, recorded at {@code at}. */
    protected void putImage(RepositoryName r, Digest m, Optional<String> tag, Instant at) throws IOException {
        store.putBlob(r, CONFIG, 2, at, storeBytes(CONFIG));
        store.putBlob(r, LAYER, 3, at, storeBytes(LAYER));
        store.putManifest(r, image(m, 50), List.of(CONFIG, LAYER), List.of(), tag, at, storeBytes(m));
    }

    protected List<String> marked(ReviewItem.Kind kind) {
        return store.reviewItems(kind, Optional.empty(), 1000).stream()
                .map(i -> (i.repository() == null ? "" : i.repository() + "@") + i.item()
                        + (kind == ReviewItem.Kind.MANIFEST ? "#" + i.round() : ""))
                .toList();
    }

    @Test
    void putBlobGuarded_runsGuardThenRecords() throws IOException {
        store.putBlob(A, D1, 5, T0, storeBytes(D1));

        assertThat(stored).containsExactly(D1);
        assertThat(store.linkedBlobSize(A, D1)).contains(5L);
    }

    @Test
    void putBlobGuarded_guardFails_recordsNothingAndRethrows() {
        assertThatThrownBy(() -> store.putBlob(A, D1, 5, T0, () -> {
            throw new java.nio.file.NoSuchFileException("/blob");
        })).isInstanceOf(java.nio.file.NoSuchFileException.class);

        assertThat(store.blobSize(D1)).isEmpty();
        assertThat(store.repositoryExists(A)).as("repository created in the rolled back transaction").isFalse();
    }

    @Test
    void putManifestGuarded_blobNoLongerLinked_throwsMissingReferencesAndRecordsNothing() throws IOException {
        store.putBlob(A, CONFIG, 2, T0, storeBytes(CONFIG));
        Digest m = digest("manifest");

        assertThatThrownBy(() -> store.putManifest(A, image(m, 50), List.of(CONFIG, LAYER), List.of(D2),
                Optional.of("v1"), T0, storeBytes(m)))
                .isInstanceOfSatisfying(MissingReferencesException.class, e -> {
                    assertThat(e.blobs()).containsExactly(LAYER);
                    assertThat(e.manifests()).containsExactly(D2);
                });

        assertThat(store.manifest(A, m)).isEmpty();
        assertThat(store.blobSize(m)).isEmpty();
        assertThat(allTags(A)).isEmpty();
    }

    @Test
    void putManifestGuarded_referencesPresent_recordsWithTagAndRunsGuard() throws IOException {
        Digest m = digest("manifest");

        putImage(A, m, Optional.of("v1"), T0);

        assertThat(stored).contains(m, CONFIG, LAYER);
        assertThat(store.taggedManifest(A, "v1")).map(ManifestEntry::digest).contains(m);
        assertThat(store.blobSize(m)).contains(50L);
    }

    @Test
    void touchLink_staleLink_isConfirmedSoCollectionKeepsIt() {
        store.putBlob(A, D1, 7, T0);

        assertThat(store.touchLink(A, D1, t(100), t(50))).contains(7L);

        assertThat(store.deleteLinkIfUnused(A, D1, t(60))).as("confirmed at t(100)").isFalse();
        assertThat(store.deleteLinkIfUnused(A, D1, t(101))).isTrue();
    }

    @Test
    void touchLink_freshLink_keepsItsTime() {
        store.putBlob(A, D1, 7, t(100));

        assertThat(store.touchLink(A, D1, t(200), t(50))).contains(7L);

        assertThat(store.deleteLinkIfUnused(A, D1, t(150))).as("still linked at t(100)").isTrue();
    }

    @Test
    void touchLink_notLinked_isEmpty() {
        store.putBlob(B, D1, 7, T0);

        assertThat(store.touchLink(A, D1, t(100), t(50))).isEmpty();
        assertThat(store.touchLink(A, D2, t(100), t(50))).isEmpty();
        assertThat(store.repositoryExists(A)).isFalse();
    }

    @Test
    void putBlobAndMount_existingLink_confirmIt() {
        store.putBlob(A, D1, 7, T0);
        store.putBlob(B, D1, 7, T0);

        store.putBlob(A, D1, 7, t(100));
        store.linkBlob(B, D1, Optional.of(A), t(100));

        assertThat(store.deleteLinkIfUnused(A, D1, t(50))).isFalse();
        assertThat(store.deleteLinkIfUnused(B, D1, t(50))).isFalse();
    }

    @Test
    void acquireLease_heldByAnother_isRefusedUntilItExpires() {
        assertThat(store.acquireLease("gc", "node-1", T0, Duration.ofMinutes(5))).isTrue();

        assertThat(store.acquireLease("gc", "node-2", t(60), Duration.ofMinutes(5))).isFalse();
        assertThat(store.lease("gc")).hasValueSatisfying(l -> {
            assertThat(l.holder()).isEqualTo("node-1");
            assertThat(l.expiresAt()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
        });
        assertThat(store.acquireLease("gc", "node-2", t(300), Duration.ofMinutes(5))).as("expired").isTrue();
        assertThat(store.lease("gc")).map(Lease::holder).contains("node-2");
        assertThat(store.acquireLease("gc", "node-1", t(301), Duration.ofMinutes(5))).isFalse();
    }

    @Test
    void acquireLease_byItsHolder_renewsIt() {
        assertThat(store.acquireLease("gc", "node-1", T0, Duration.ofMinutes(5))).isTrue();

        assertThat(store.acquireLease("gc", "node-1", t(200), Duration.ofMinutes(5))).isTrue();

        assertThat(store.lease("gc")).hasValueSatisfying(l -> {
            assertThat(l.acquiredAt()).isEqualTo(T0);
            assertThat(l.expiresAt()).isEqualTo(t(200).plus(Duration.ofMinutes(5)));
        });
        assertThat(store.acquireLease("gc", "node-2", t(400), Duration.ofMinutes(5))).isFalse();
    }

    @Test
    void releaseLease_letsAnotherTakeItAtOnce_butOnlyTheHolderReleases() {
        store.acquireLease("gc", "node-1", T0, Duration.ofMinutes(5));

        store.releaseLease("gc", "node-2");
        assertThat(store.acquireLease("gc", "node-2", t(1), Duration.ofMinutes(5))).isFalse();
        store.releaseLease("gc", "node-1");

        assertThat(store.acquireLease("gc", "node-2", t(1), Duration.ofMinutes(5))).isTrue();
        assertThat(store.lease("other")).isEmpty();
    }

    @Test
    void acquireLease_manyAtOnce_exactlyOneWins() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> attempts = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                String holder = "node-" + i;
                attempts.add(pool.submit(() -> {
                    start.await();
                    return store.acquireLease("gc", holder, T0, Duration.ofMinutes(5));
                }));
            }
            start.countDown();
            int wins = 0;
            for (Future<Boolean> f : attempts) {
                wins += f.get(1, TimeUnit.MINUTES) ? 1 : 0;
            }
            assertThat(wins).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void markUnusedManifests_untagged_marksInRoundsAndKeepsTaggedListedAndReferrersOfPresentSubjects()
            throws IOException {
        Digest tagged = digest("tagged");
        Digest loose = digest("loose");
        Digest child = digest("child");
        Digest index = digest("index");
        Digest signature = digest("signature");
        Digest young = digest("young");
        putImage(A, tagged, Optional.of("v1"), T0);
        putImage(A, loose, Optional.empty(), T0);
        putImage(A, child, Optional.empty(), T0);
        store.putManifest(A, new ManifestEntry(index, OCI_INDEX, 80, null, null, null), List.of(), List.of(child),
                Optional.empty(), T0, storeBytes(index));
        store.putManifest(A, referrer(signature, SIGNATURE, tagged), List.of(), List.of(), Optional.empty(), T0,
                storeBytes(signature));
        putImage(A, young, Optional.empty(), t(20));

        assertThat(store.markUnusedManifests(A, t(10), 1, true)).isEqualTo(2);
        assertThat(store.markUnusedManifests(A, t(10), 2, true)).isEqualTo(1);
        assertThat(store.markUnusedManifests(A, t(10), 3, true)).isZero();

        assertThat(marked(ReviewItem.Kind.MANIFEST)).containsExactly(
                "a@" + min(index, loose) + "#1", "a@" + max(index, loose) + "#1", "a@" + child + "#2");
    }

    @Test
    void markUnusedManifests_onlyRetention_marksWhatLostItsLastTagAndItsReferrers() throws IOException {
        Digest old = digest("old");
        Digest kept = digest("kept");
        Digest loose = digest("loose");
        Digest signature = digest("signature");
        putImage(A, old, Optional.of("v1"), T0);
        putImage(A, kept, Optional.of("v2"), T0);
        store.putManifest(A, image(old, 50), List.of(), List.of(), Optional.of("v1b"), T0);
        putImage(A, loose, Optional.empty(), T0);
        store.putManifest(A, referrer(signature, SIGNATURE, old), List.of(), List.of(), Optional.empty(), T0,
                storeBytes(signature));
        for (TagRecord tag : store.tagRecords(A)) {
            if (tag.name().startsWith("v1")) {
                store.markTag(A, tag);
            }
        }

        store.markUnusedManifests(A, t(10), 1, false);
        store.markUnusedManifests(A, t(10), 2, false);

        assertThat(marked(ReviewItem.Kind.TAG)).containsExactly("a@v1", "a@v1b");
        assertThat(marked(ReviewItem.Kind.MANIFEST)).containsExactly("a@" + old + "#1", "a@" + signature + "#2");
    }

    @Test
    void markUnusedLinks_andBlobs_followTheMarkedManifests() throws IOException {
        Digest m = digest("m");
        putImage(A, m, Optional.empty(), T0);
        putImage(B, digest("in-b"), Optional.of("v1"), T0);
        store.putBlob(A, EXTRA, 4, T0, storeBytes(EXTRA));
        store.putBlob(A, D1, 4, t(20), storeBytes(D1)); // young

        assertThat(store.markUnusedLinks(A, t(10))).as("only EXTRA while m stays").isEqualTo(1);
        store.clearReview(List.of(ReviewItem.Kind.LINK));
        store.markUnusedManifests(A, t(10), 1, true);
        store.markUnusedLinks(A, t(10));
        store.markUnusedLinks(B, t(10));
        store.markUnusedBlobs(Optional.empty(), store.blobDigests(Optional.empty(), 1000).getLast(), t(10));

        assertThat(marked(ReviewItem.Kind.LINK)).containsExactlyInAnyOrder("a@" + CONFIG, "a@" + LAYER,
                "a@" + EXTRA);
        assertThat(marked(ReviewItem.Kind.BLOB)).as("CONFIG and LAYER are still needed by b")
                .containsExactlyInAnyOrder(m.toString(), EXTRA.toString());
    }

    @Test
    void markUnusedBlobs_onlyWithinTheRange() {
        List<Digest> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Digest d = digest("blob-" + i);
            store.putBlob(A, d, i, T0);
            store.unlinkBlob(A, d);
            all.add(d);
        }
        List<Digest> ordered = store.blobDigests(Optional.empty(), 100);
        assertThat(ordered).containsExactlyElementsOf(all.stream().sorted(
                java.util.Comparator.comparing(Digest::toString)).toList());
        assertThat(store.blobDigests(Optional.of(ordered.get(1)), 2)).containsExactly(ordered.get(2), ordered.get(3));

        assertThat(store.markUnusedBlobs(Optional.of(ordered.get(1)), ordered.get(3), t(10))).isEqualTo(2);

        assertThat(marked(ReviewItem.Kind.BLOB)).containsExactly(ordered.get(2).toString(), ordered.get(3).toString());
    }

    @Test
    void reviewItems_pageInSweepingOrder_andForgetRemovesOne() throws IOException {
        for (int i = 0; i < 5; i++) {
            putImage(A, digest("m" + i), Optional.empty(), T0);
            putImage(B, digest("m" + i), Optional.empty(), T0);
        }
        store.markUnusedManifests(B, t(10), 1, true);
        store.markUnusedManifests(A, t(10), 1, true);
        List<ReviewItem> all = store.reviewItems(ReviewItem.Kind.MANIFEST, Optional.empty(), 100);
        assertThat(all).hasSize(10);

        List<ReviewItem> paged = new ArrayList<>();
        Optional<ReviewItem> after = Optional.empty();
        while (true) {
            List<ReviewItem> page = store.reviewItems(ReviewItem.Kind.MANIFEST, after, 3);
            if (page.isEmpty()) {
                break;
            }
            paged.addAll(page);
            after = Optional.of(page.getLast());
        }
        assertThat(paged).isEqualTo(all);
        store.forget(all.get(4));
        assertThat(store.reviewItems(ReviewItem.Kind.MANIFEST, Optional.empty(), 100)).hasSize(9)
                .doesNotContain(all.get(4));
        store.clearReview(List.of(ReviewItem.Kind.MANIFEST));
        assertThat(store.reviewItems(ReviewItem.Kind.MANIFEST, Optional.empty(), 100)).isEmpty();
    }

    @Test
    void deleteTagIfUnchanged_tagPushedAgain_keepsIt() throws IOException {
        Digest m = digest("m");
        putImage(A, m, Optional.of("v1"), T0);
        TagRecord tag = store.tagRecords(A).getFirst();
        putImage(A, m, Optional.of("v1"), t(5));

        assertThat(store.deleteTagIfUnchanged(A, "v1", m, tag.updatedAt())).isFalse();
        assertThat(store.deleteTagIfUnchanged(A, "v1", m, t(5))).isTrue();
        assertThat(allTags(A)).isEmpty();
        assertThat(store.manifest(A, m)).isPresent();
    }

    @Test
    void deleteManifestIfUnused_keepsTaggedListedYoungAndReferrersOfPresentSubjects() throws IOException {
        Digest tagged = digest("tagged");
        Digest child = digest("child");
        Digest index = digest("index");
        Digest signature = digest("signature");
        putImage(A, tagged, Optional.of("v1"), T0);
        putImage(A, child, Optional.empty(), T0);
        store.putManifest(A, new ManifestEntry(index, OCI_INDEX, 80, null, null, null), List.of(), List.of(child),
                Optional.of("list"), T0, storeBytes(index));
        store.putManifest(A, referrer(signature, SIGNATURE, tagged), List.of(), List.of(), Optional.empty(), T0,
                storeBytes(signature));

        assertThat(store.deleteManifestIfUnused(A, tagged, t(10))).isFalse();
        assertThat(store.deleteManifestIfUnused(A, child, t(10))).isFalse();
        assertThat(store.deleteManifestIfUnused(A, signature, t(10))).isFalse();
        assertThat(store.deleteManifestIfUnused(A, index, T0)).as("not older than the cutoff").isFalse();

        store.deleteTag(A, "list");
        assertThat(store.deleteManifestIfUnused(A, index, t(10))).isTrue();
        assertThat(store.deleteManifestIfUnused(A, child, t(10))).as("its index is gone").isTrue();
        store.deleteTag(A, "v1");
        assertThat(store.deleteManifestIfUnused(A, tagged, t(10))).isTrue();
        assertThat(store.deleteManifestIfUnused(A, signature, t(10))).as("its subject is gone").isTrue();
        assertThat(store.referrers(A, tagged, Optional.empty(), Optional.empty(), 10)).isEmpty();
        assertThat(store.deleteLinkIfUnused(A, LAYER, t(10))).as("no manifest refers to it any more").isTrue();
    }

    @Test
    void deleteLinkIfUnused_referredToByAManifestOfTheRepository_keepsIt() throws IOException {
        putImage(A, digest("m"), Optional.empty(), T0);
        store.putBlob(A, EXTRA, 4, T0, storeBytes(EXTRA));

        assertThat(store.deleteLinkIfUnused(A, LAYER, t(10))).isFalse();
        assertThat(store.deleteLinkIfUnused(A, EXTRA, T0)).as("not older than the cutoff").isFalse();
        assertThat(store.deleteLinkIfUnused(A, EXTRA, t(10))).isTrue();
        assertThat(store.linkedBlobSize(A, EXTRA)).isEmpty();
        assertThat(store.blobSize(EXTRA)).as("the blob row stays").contains(4L);
    }

    @Test
    void deleteBlobIfUnused_keepsLinkedReferencedAndManifestBytes_deletesAndQueuesTheRest() throws IOException {
        Digest m = digest("m");
        putImage(A, m, Optional.empty(), T0);
        store.unlinkBlob(A, LAYER); // still referred to by m
        store.putBlob(A, EXTRA, 4, T0, storeBytes(EXTRA));
        store.unlinkBlob(A, EXTRA);

        assertThat(store.deleteBlobIfUnused(CONFIG, t(10))).as("linked").isEmpty();
        assertThat(store.deleteBlobIfUnused(LAYER, t(10))).as("referred to").isEmpty();
        assertThat(store.deleteBlobIfUnused(m, t(10))).as("a manifest's bytes").isEmpty();
        assertThat(store.deleteBlobIfUnused(EXTRA, T0)).as("not older than the cutoff").isEmpty();
        assertThat(store.contentDeletionPending(EXTRA)).isFalse();

        assertThat(store.deleteBlobIfUnused(EXTRA, t(10))).contains(4L);

        assertThat(store.blobSize(EXTRA)).isEmpty();
        assertThat(store.contentDeletionPending(EXTRA)).isTrue();
        assertThat(store.reviewItems(ReviewItem.Kind.CONTENT, Optional.empty(), 10))
                .singleElement().satisfies(i -> {
                    assertThat(i.digest()).isEqualTo(EXTRA);
                    assertThat(i.size()).isEqualTo(4L);
                });
        assertThat(stored).as("bytes stay until deleteContentIfUnrecorded").contains(EXTRA);
    }

    @Test
    void deleteContentIfUnrecorded_unrecorded_removesBytesAndForgetsTheEntry() throws IOException {
        store.putBlob(A, EXTRA, 4, T0, storeBytes(EXTRA));
        store.unlinkBlob(A, EXTRA);
        store.deleteBlobIfUnused(EXTRA, t(10));

        assertThat(store.deleteContentIfUnrecorded(EXTRA, removeBytes(EXTRA))).isTrue();

        assertThat(stored).doesNotContain(EXTRA);
        assertThat(store.contentDeletionPending(EXTRA)).isFalse();
    }

    @Test
    void deleteContentIfUnrecorded_pushedAgainMeanwhile_keepsBytes() throws IOException {
        store.putBlob(A, EXTRA, 4, T0, storeBytes(EXTRA));
        store.unlinkBlob(A, EXTRA);
        store.deleteBlobIfUnused(EXTRA, t(10));
        store.putBlob(B, EXTRA, 4, t(20), storeBytes(EXTRA));

        assertThat(store.deleteContentIfUnrecorded(EXTRA, removeBytes(EXTRA))).isFalse();

        assertThat(stored).contains(EXTRA);
        assertThat(store.contentDeletionPending(EXTRA)).isFalse();
        assertThat(store.linkedBlobSize(B, EXTRA)).contains(4L);
    }

    @Test
    void deleteContentIfUnrecorded_removerFails_keepsTheEntryForTheNextRun() throws IOException {
        store.putBlob(A, EXTRA, 4, T0, storeBytes(EXTRA));
        store.unlinkBlob(A, EXTRA);
        store.deleteBlobIfUnused(EXTRA, t(10));

        assertThatThrownBy(() -> store.deleteContentIfUnrecorded(EXTRA, () -> {
            throw new IOException("disk on fire");
        })).hasMessage("disk on fire");

        assertThat(store.contentDeletionPending(EXTRA)).isTrue();
    }

    @Test
    void blobsWithPrefix_returnsThatPrefixOnlyInOrder() {
        List<Digest> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Digest d = digest("p" + i);
            store.putBlob(A, d, i, T0);
            all.add(d);
        }
        String prefix = "sha256:" + all.getFirst().hex().substring(0, 2);

        List<BlobRecord> found = store.blobsWithPrefix(prefix);

        assertThat(found).extracting(BlobRecord::digest).containsExactlyElementsOf(all.stream()
                .filter(d -> d.toString().startsWith(prefix)).sorted(
                        java.util.Comparator.comparing(Digest::toString)).toList());
        assertThat(found.getFirst().createdAt()).isEqualTo(T0);
        assertThat(store.blobsWithPrefix("sha512:00")).isEmpty();
    }

    @Test
    void usersOf_namesLinksManifestBytesAndReferences() throws IOException {
        Digest m = digest("m");
        putImage(A, m, Optional.of("v1"), T0);

        assertThat(store.usersOf(LAYER, 10)).containsExactlyInAnyOrder("a (link)", "a@" + m);
        assertThat(store.usersOf(m, 10)).containsExactly("a@" + m + " (its bytes)");
        assertThat(store.usersOf(EXTRA, 10)).isEmpty();
        assertThat(store.usersOf(LAYER, 1)).hasSize(1);
    }

    @Test
    void tagRecords_newestFirstThenByName() throws IOException {
        Digest m = digest("m");
        putImage(A, m, Optional.of("b"), t(1));
        putImage(A, m, Optional.of("a"), t(1));
        putImage(A, m, Optional.of("c"), t(2));

        assertThat(store.tagRecords(A)).containsExactly(new TagRecord("c", m, t(2)), new TagRecord("b", m, t(1)),
                new TagRecord("a", m, t(1)));
        assertThat(store.tagRecords(B)).isEmpty();
    }

    @Test
    void usage_countsASharedBlobInEachRepositoryAndOnceInTheTotal() throws IOException {
        putImage(A, digest("m"), Optional.of("v1"), T0); // CONFIG 2 + LAYER 3 + manifest 50
        putImage(B, digest("m"), Optional.of("v1"), T0);
        store.putBlob(B, EXTRA, 4, T0, storeBytes(EXTRA));
        store.putBlob(A, D1, 100, T0);
        store.unlinkBlob(A, D1);
        store.createUpload(new UploadSession("u", RepositoryName.of("empty"), 0, T0, T0));

        StorageUsage usage = store.usage();

        assertThat(usage.repositories()).containsExactly(new RepositoryUsage("a", 3, 55),
                new RepositoryUsage("b", 4, 59), new RepositoryUsage("empty", 0, 0));
        assertThat(usage.blobs()).isEqualTo(4);
        assertThat(usage.bytes()).isEqualTo(59);
        assertThat(usage.unusedBlobs()).isEqualTo(1);
        assertThat(usage.unusedBytes()).isEqualTo(100);
    }

    /**
     * A pusher records a blob (its guard puts the bytes back when missing) while a collector keeps deleting its row
     * and bytes whenever it is unused: whenever the pusher holds a link the bytes are there, each time the pusher
     * lets go the collector's next full pass removes the blob, and at the end a row exists only with its bytes.
     */
    @Test
    void concurrentPushesAndCollection_neverLeaveARecordWithoutBytes() throws Exception {
        int rounds = 150;
        Digest blob = digest("contended");
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger passes = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> pusher = pool.submit(() -> {
                for (int i = 0; i < rounds; i++) {
                    store.putBlob(A, blob, 9, T0, storeBytes(blob));
                    assertThat(stored).as("bytes while linked, round %d", i).contains(blob);
                    assertThat(store.unlinkBlob(A, blob)).isTrue();
                    int seen = passes.get();
                    while (passes.get() < seen + 2) { // one whole pass after the unlink
                        Thread.onSpinWait();
                    }
                }
                return null;
            });
            Future<Integer> collector = pool.submit(() -> {
                int deleted = 0;
                while (!done.get()) {
                    if (store.deleteBlobIfUnused(blob, t(10)).isPresent()) {
                        deleted++;
                    }
                    store.deleteContentIfUnrecorded(blob, removeBytes(blob));
                    passes.incrementAndGet();
                }
                return deleted;
            });
            pusher.get(2, TimeUnit.MINUTES);
            done.set(true);
            assertThat(collector.get(1, TimeUnit.MINUTES)).isEqualTo(rounds);
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        assertThat(store.blobSize(blob)).isEmpty();
        assertThat(stored).doesNotContain(blob);
    }

    /**
     * A manifest push that refers to a blob the collector is removing either records the manifest with the blob
     * still linked and stored, or fails with MissingReferencesException and records nothing.
     */
    @Test
    void concurrentManifestPushesAndCollection_neverReferToMissingBlobs() throws Exception {
        int rounds = 150;
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        int[] outcomes = new int[2];
        try {
            Future<?> pusher = pool.submit(() -> {
                for (int i = 0; i < rounds; i++) {
                    Digest m = digest("manifest-" + i);
                    if (store.linkedBlobSize(A, LAYER).isEmpty()) {
                        store.putBlob(A, LAYER, 3, T0, storeBytes(LAYER));
                    }
                    try {
                        store.putManifest(A, image(m, 50), List.of(LAYER), List.of(), Optional.empty(), T0,
                                storeBytes(m));
                        outcomes[0]++;
                        assertThat(store.linkedBlobSize(A, LAYER)).as("linked, round %d", i).isPresent();
                        assertThat(stored).as("stored, round %d", i).contains(LAYER);
                        assertThat(store.deleteManifest(A, m)).isTrue();
                    } catch (MissingReferencesException e) {
                        outcomes[1]++;
                        assertThat(store.manifest(A, m)).isEmpty();
                    }
                }
                return null;
            });
            Future<?> collector = pool.submit(() -> {
                while (!done.get()) {
                    store.deleteLinkIfUnused(A, LAYER, t(10));
                    store.deleteBlobIfUnused(LAYER, t(10));
                    store.deleteContentIfUnrecorded(LAYER, removeBytes(LAYER));
                }
                return null;
            });
            pusher.get(2, TimeUnit.MINUTES);
            done.set(true);
            collector.get(1, TimeUnit.MINUTES);
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        assertThat(outcomes[0] + outcomes[1]).isEqualTo(rounds);
    }

    private static Digest min(Digest a, Digest b) {
        return a.toString().compareTo(b.toString()) <= 0 ? a : b;
    }

    private static Digest max(Digest a, Digest b) {
        return a.toString().compareTo(b.toString()) <= 0 ? b : a;
    }
}
