package dev.berth.manifest;

import static dev.berth.manifest.Content.OCI_MANIFEST;
import static dev.berth.manifest.Content.config;
import static dev.berth.manifest.Content.layer;
import static dev.berth.manifest.Content.ociImage;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.manifest.Content.Doc;
import dev.berth.manifest.Registry.Reply;
import dev.berth.metadata.ManifestEntry;
import dev.berth.metadata.jdbc.BulkLoad;
import dev.berth.metadata.jdbc.JdbcMetadataStore;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listings stay right at scale: 100,000 tags in one repository and 10,000 repositories, written straight into the
 * metadata store, then paged over HTTP. Elapsed times go to the test output; nothing here asserts on time.
 */
class ListingScaleTest {

    private static final int TAGS = 100_000;
    private static final int REPOSITORIES = 10_000;
    private static final String BIG = "scale/big";
    /** BerthServer's largest page. */
    private static final int MAX_PAGE = 1000;

    @TempDir
    Path dir;

    /** Tags whose byte order is far from their insertion order: mixed case, '_' and '-' prefixes, digits. */
    private static String tag(int i) {
        return switch (i % 4) {
            case 0 -> "v" + i;
            case 1 -> "V" + i;
            case 2 -> "_" + i;
            default -> "rc-" + (TAGS - i);
        };
    }

    private static String repository(int i) {
        return switch (i % 3) {
            case 0 -> "scale/r" + i;
            case 1 -> "scale-" + i;
            default -> "scale_" + i + "/x";
        };
    }

    @Test
    void hundredThousandTagsAndTenThousandRepositories_firstPagesComeBackRight() throws Exception {
        Path data = dir.resolve("scale");
        Doc image = ociImage(config("scale"), layer("scale"));
        List<String> tags = new ArrayList<>(TAGS);
        List<String> repositories = new ArrayList<>(REPOSITORIES);
        for (int i = 0; i < TAGS; i++) {
            tags.add(tag(i));
        }
        repositories.add(BIG);
        for (int i = 0; repositories.size() < REPOSITORIES; i++) {
            repositories.add(repository(i));
        }
        long started = System.nanoTime();
        try (JdbcMetadataStore store = JdbcMetadataStore.open(Registry.databaseUrl(data), null, null, 4)) {
            RepositoryName big = RepositoryName.of(BIG);
            Digest digest = Digest.parse(image.digest());
            store.putManifest(big, new ManifestEntry(digest, OCI_MANIFEST, image.size(), null, null, null),
                    List.of(), List.of(), Optional.of(tags.getFirst()), Instant.EPOCH);
            BulkLoad.tags(store, big, digest, tags, Instant.EPOCH);
            long tagsDone = System.nanoTime();
            BulkLoad.repositories(store, repositories.stream().map(RepositoryName::of).toList(), Instant.EPOCH);
            System.out.printf("ListingScaleTest: %,d tags in %d ms, %,d repositories in %d ms (batched)%n", TAGS,
                    (tagsDone - started) / 1_000_000, REPOSITORIES, (System.nanoTime() - tagsDone) / 1_000_000);
            assertThat(store.tags(big, Optional.empty(), TAGS + 1)).as("every tag is in the store").hasSize(TAGS);
            assertThat(store.repositories(Optional.empty(), REPOSITORIES + 1)).hasSize(REPOSITORIES);
        }
        Collections.sort(tags);
        Collections.sort(repositories);

        try (Registry registry = Registry.start(data, false)) {
            registry.get("/v2/");   // warm the connection and the server's code paths before timing
            long t = System.nanoTime();
            Reply first = registry.get("/v2/" + BIG + "/tags/list?n=100");
            long firstTagsPage = System.nanoTime() - t;
            assertThat(first.status()).as("%s", first).isEqualTo(200);
            assertThat(Links.texts(first.json().get("tags"))).containsExactlyElementsOf(tags.subList(0, 100));
            String next = Links.next(first).orElseThrow();
            assertThat(next).contains("n=100").contains("last=" + tags.get(99));
            assertThat(Links.texts(registry.get(next).json().get("tags")))
                    .containsExactlyElementsOf(tags.subList(100, 200));

            Reply tail = registry.get("/v2/" + BIG + "/tags/list?n=100&last=" + tags.get(TAGS - 51));
            assertThat(Links.texts(tail.json().get("tags"))).containsExactlyElementsOf(tags.subList(TAGS - 50, TAGS));
            assertThat(tail.header("Link")).isEmpty();

            Reply unbounded = registry.get("/v2/" + BIG + "/tags/list");
            assertThat(Links.texts(unbounded.json().get("tags"))).as("capped at the server's page size")
                    .containsExactlyElementsOf(tags.subList(0, MAX_PAGE));
            assertThat(Links.next(unbounded).orElseThrow()).contains("last=" + tags.get(MAX_PAGE - 1));

            Reply head = registry.head("/v2/" + BIG + "/manifests/" + tags.get(TAGS / 2));
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Docker-Content-Digest")).contains(image.digest());

            t = System.nanoTime();
            Reply catalog = registry.get("/v2/_catalog?n=100");
            long firstCatalogPage = System.nanoTime() - t;
            assertThat(catalog.status()).isEqualTo(200);
            assertThat(Links.texts(catalog.json().get("repositories")))
                    .containsExactlyElementsOf(repositories.subList(0, 100));
            Reply secondCatalog = registry.get(Links.next(catalog).orElseThrow());
            assertThat(Links.texts(secondCatalog.json().get("repositories")))
                    .containsExactlyElementsOf(repositories.subList(100, 200));
            Reply lastCatalog = registry.get("/v2/_catalog?n=100&last=" + repositories.get(REPOSITORIES - 11));
            assertThat(Links.texts(lastCatalog.json().get("repositories")))
                    .containsExactlyElementsOf(repositories.subList(REPOSITORIES - 10, REPOSITORIES));
            assertThat(lastCatalog.header("Link")).isEmpty();

            System.out.printf("ListingScaleTest: first page of tags (n=100) in %.1f ms, of the catalog in %.1f ms;"
                    + " whole test %d ms%n", firstTagsPage / 1e6, firstCatalogPage / 1e6,
                    (System.nanoTime() - started) / 1_000_000);
        }
    }
}
