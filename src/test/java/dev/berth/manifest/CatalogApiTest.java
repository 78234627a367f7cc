package dev.berth.manifest;

import static dev.berth.manifest.Content.config;
import static dev.berth.manifest.Content.layer;
import static dev.berth.manifest.Content.ociImage;
import static dev.berth.manifest.ErrorAssert.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.manifest.Registry.Reply;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code GET /v2/_catalog}: every repository in lexical byte order, paged by {@code n}, {@code last} and Link. */
class CatalogApiTest {

    /** Byte order: '-' < '.' < '/' < digits < '_' < lower case. */
    private static final List<String> REPOSITORIES = List.of("0", "9z", "a", "a-b", "a.b", "a/b", "a/b/c", "a0",
            "a__b", "a_b", "ab", "b", "library/alpine", "library/busybox", "z");

    @TempDir
    static Path dir;

    private static Registry registry;

    @BeforeAll
    static void start() throws Exception {
        registry = Registry.start(dir.resolve("registry"), false);
        List<String> shuffled = new ArrayList<>(REPOSITORIES);
        Collections.shuffle(shuffled, new Random(5));
        for (int i = 0; i < shuffled.size(); i++) {
            String repo = shuffled.get(i);
            if (i % 2 == 0) {
                registry.push(repo, layer("catalog"));
            } else {
                registry.pushImage(repo, "latest", ociImage(config("catalog"), layer("catalog")), config("catalog"),
                        layer("catalog"));
            }
        }
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static List<String> repositories(Reply r) {
        return Links.texts(r.json().get("repositories"));
    }

    @Test
    void catalog_listsEveryRepositoryInLexicalByteOrder() {
        Reply r = registry.get("/v2/_catalog");

        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.header("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(repositories(r)).containsExactlyElementsOf(REPOSITORIES);
        assertThat(REPOSITORIES).isSorted();
        assertThat(r.header("Link")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 14, 15, 16, 1000})
    void catalog_withN_pagesThroughLinkHeaders(int n) {
        List<Reply> pages = new ArrayList<>();

        List<String> seen = Links.collect(registry, "/v2/_catalog?n=" + n, n,
                json -> Links.texts(json.get("repositories")), pages);

        assertThat(seen).containsExactlyElementsOf(REPOSITORIES);
        assertThat(pages).hasSize(Math.max(1, (REPOSITORIES.size() + n - 1) / n));
        for (Reply page : pages.subList(0, pages.size() - 1)) {
            assertThat(Links.next(page).orElseThrow()).startsWith("/v2/_catalog?").contains("n=" + n);
        }
        assertThat(pages.getLast().header("Link")).isEmpty();
    }

    @Test
    void catalog_linkAfterANestedName_encodesTheSlashAndResumesAfterIt() {
        Reply first = registry.get("/v2/_catalog?n=6");

        assertThat(repositories(first)).endsWith("a/b");
        String next = Links.next(first).orElseThrow();
        assertThat(next).contains("last=a%2Fb");
        assertThat(repositories(registry.get(next))).startsWith("a/b/c", "a0");
    }

    @Test
    void catalog_last_startsStrictlyAfterIt() {
        assertThat(repositories(registry.get("/v2/_catalog?last=a"))).containsExactlyElementsOf(
                REPOSITORIES.subList(REPOSITORIES.indexOf("a") + 1, REPOSITORIES.size()));
        assertThat(repositories(registry.get("/v2/_catalog?last=library&n=2")))
                .containsExactly("library/alpine", "library/busybox");
        assertThat(repositories(registry.get("/v2/_catalog?last=zz"))).isEmpty();
    }

    @Test
    void catalog_nZero_returnsEmptyListWithoutLink() {
        Reply r = registry.get("/v2/_catalog?n=0");

        assertThat(r.status()).isEqualTo(200);
        assertThat(repositories(r)).isEmpty();
        assertThat(r.header("Link")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "x", "2.0", "99999999999"})
    void catalog_invalidN_returns400PaginationNumberInvalid(String n) {
        assertError(registry.get("/v2/_catalog?n=" + n), 400, "PAGINATION_NUMBER_INVALID");
    }
}
