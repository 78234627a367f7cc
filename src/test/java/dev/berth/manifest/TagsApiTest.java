package dev.berth.manifest;

import static dev.berth.manifest.Content.config;
import static dev.berth.manifest.Content.layer;
import static dev.berth.manifest.Content.ociImage;
import static dev.berth.manifest.ErrorAssert.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.manifest.Content.Doc;
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

/** {@code GET /v2/<name>/tags/list}: lexical order, {@code n}, {@code last} and Link paging, errors. */
class TagsApiTest {

    private static final String REPO = "tags/mixed";

    /** Byte order: '-' < '.' < digits < upper case < '_' < lower case; a prefix sorts before its extensions. */
    private static final List<String> TAGS = List.of(
            "0", "1", "1-rc", "1.0", "1.0-rc.1", "1.0.0", "10", "2", "9", "A", "LATEST", "Latest", "Z", "_", "_a",
            "a", "a-b", "a.b", "a0", "aB", "a_b", "ab", "latest", "latest-1", "latest.1", "latest_1", "z");

    @TempDir
    static Path dir;

    private static Registry registry;

    @BeforeAll
    static void start() throws Exception {
        registry = Registry.start(dir.resolve("registry"), false);
        Doc image = registry.pushImage(REPO, "seed", ociImage(config("tags"), layer("tags")), config("tags"),
                layer("tags"));
        List<String> shuffled = new ArrayList<>(TAGS);
        Collections.shuffle(shuffled, new Random(11));
        for (String tag : shuffled) {
            registry.putManifest(REPO, tag, image);
        }
        // tags of neighbouring repositories must not leak in
        registry.pushImage("tags/mixed-other", "other", image, config("tags"), layer("tags"));
        registry.pushImage("tags/mixed/sub", "sub", image, config("tags"), layer("tags"));
        registry.push("tags/blobs-only", layer("only"));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static List<String> allTags() {
        List<String> all = new ArrayList<>(TAGS);
        all.add("seed");
        Collections.sort(all);
        return all;
    }

    private static List<String> tags(Reply r) {
        return Links.texts(r.json().get("tags"));
    }

    @Test
    void tagsList_returnsEveryTagInLexicalByteOrder() {
        Reply r = registry.get("/v2/" + REPO + "/tags/list");

        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.header("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(r.json().get("name").asText()).isEqualTo(REPO);
        assertThat(tags(r)).containsExactlyElementsOf(allTags());
        assertThat(tags(r)).as("byte order is Java's String order for ASCII").isSorted();
        assertThat(r.header("Link")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 27, 28, 29, 100})
    void tagsList_withN_pagesThroughLinkHeaders(int n) {
        List<Reply> pages = new ArrayList<>();

        List<String> seen = Links.collect(registry, "/v2/" + REPO + "/tags/list?n=" + n, n, TagsApiTest::tagsOf,
                pages);

        assertThat(seen).containsExactlyElementsOf(allTags());
        assertThat(pages).hasSize(Math.max(1, (allTags().size() + n - 1) / n));
        for (Reply page : pages.subList(0, pages.size() - 1)) {
            String link = Links.next(page).orElseThrow();
            List<String> items = tags(page);
            assertThat(link).startsWith("/v2/" + REPO + "/tags/list?").contains("n=" + n)
                    .contains("last=" + items.getLast());
        }
        assertThat(pages.getLast().header("Link")).as("no Link after the last page").isEmpty();
    }

    private static List<String> tagsOf(JsonNode json) {
        return Links.texts(json.get("tags"));
    }

    @Test
    void tagsList_nZero_returnsEmptyListWithoutLink() {
        Reply r = registry.get("/v2/" + REPO + "/tags/list?n=0");

        assertThat(r.status()).isEqualTo(200);
        assertThat(tags(r)).isEmpty();
        assertThat(r.json().get("name").asText()).isEqualTo(REPO);
        assertThat(r.header("Link")).isEmpty();
    }

    @Test
    void tagsList_lastWithoutN_returnsEveryTagAfterIt() {
        Reply r = registry.get("/v2/" + REPO + "/tags/list?last=Latest");

        assertThat(r.status()).isEqualTo(200);
        List<String> all = allTags();
        assertThat(tags(r)).containsExactlyElementsOf(all.subList(all.indexOf("Latest") + 1, all.size()));
    }

    @Test
    void tagsList_lastAndN_returnsNAfterLast_evenWhenLastIsNoTag() {
        assertThat(tags(registry.get("/v2/" + REPO + "/tags/list?n=3&last=1.0"))).containsExactly("1.0-rc.1",
                "1.0.0", "10");
        assertThat(tags(registry.get("/v2/" + REPO + "/tags/list?last=Lz&n=2"))).containsExactly("Z", "_");
        assertThat(tags(registry.get("/v2/" + REPO + "/tags/list?n=5&last=zzz"))).isEmpty();
        assertThat(registry.get("/v2/" + REPO + "/tags/list?n=5&last=zzz").header("Link")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "abc", "1.5", "99999999999", "0x10", "1e3"})
    void tagsList_invalidN_returns400PaginationNumberInvalid(String n) {
        assertError(registry.get("/v2/" + REPO + "/tags/list?n=" + n), 400, "PAGINATION_NUMBER_INVALID");
    }

    @Test
    void tagsList_unknownRepository_returns404NameUnknown() {
        assertError(registry.get("/v2/tags/nowhere/tags/list"), 404, "NAME_UNKNOWN");
        assertError(registry.get("/v2/tags/tags/list"), 404, "NAME_UNKNOWN");
    }

    @Test
    void tagsList_invalidRepositoryName_returns400NameInvalid() {
        assertError(registry.get("/v2/Tags/Mixed/tags/list"), 400, "NAME_INVALID");
    }

    @Test
    void tagsList_repositoryWithoutTags_returnsEmptyList() {
        Reply r = registry.get("/v2/tags/blobs-only/tags/list");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("name").asText()).isEqualTo("tags/blobs-only");
        assertThat(tags(r)).isEmpty();
    }

    @Test
    void tagsList_onlyThatRepositorysTags() {
        assertThat(tags(registry.get("/v2/tags/mixed-other/tags/list"))).containsExactly("other");
        assertThat(tags(registry.get("/v2/tags/mixed/sub/tags/list"))).containsExactly("sub");
    }
}
