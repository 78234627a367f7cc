package dev.berth.manifest;

import static dev.berth.manifest.Content.OCI_INDEX;
import static dev.berth.manifest.Content.config;
import static dev.berth.manifest.Content.layer;
import static dev.berth.manifest.Content.ociImage;
import static dev.berth.manifest.Content.sha256;
import static dev.berth.manifest.Content.utf8;
import static dev.berth.manifest.ErrorAssert.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.manifest.Content.Doc;
import dev.berth.manifest.Content.Json;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DELETE of manifests by digest and of tags, with deletes enabled and disabled. */
class ManifestDeleteTest {

    @TempDir
    static Path dir;

    private static Registry deleting;
    private static Registry keeping;

    @BeforeAll
    static void start() throws Exception {
        deleting = Registry.start(dir.resolve("deleting"), true);
        keeping = Registry.start(dir.resolve("keeping"), false);
    }

    @AfterAll
    static void stop() {
        try {
            if (deleting != null) {
                deleting.close();
            }
        } finally {
            if (keeping != null) {
                keeping.close();
            }
        }
    }

    private static Doc push(Registry registry, String repo, String seed, String... tags) {
        Doc image = ociImage(config(seed), layer(seed));
        registry.pushImage(repo, tags.length > 0 ? tags[0] : image.digest(), image, config(seed), layer(seed));
        for (int i = 1; i < tags.length; i++) {
            registry.putManifest(repo, tags[i], image);
        }
        return image;
    }

    private static List<String> tags(Registry registry, String repo) {
        return Links.texts(registry.get("/v2/" + repo + "/tags/list").json().get("tags"));
    }

    @Test
    void deleteByDigest_removesManifestAndEveryTagPointingToIt() {
        String repo = "del/by-digest";
        Doc doomed = push(deleting, repo, "doomed", "v1", "v1.0", "latest");
        Doc kept = push(deleting, repo, "kept", "v2");

        var r = deleting.delete("/v2/" + repo + "/manifests/" + doomed.digest());

        assertThat(r.status()).as("%s", r).isEqualTo(202);
        assertThat(tags(deleting, repo)).containsExactly("v2");
        for (String reference : List.of("v1", "v1.0", "latest", doomed.digest())) {
            assertError(deleting.get("/v2/" + repo + "/manifests/" + reference), 404, "MANIFEST_UNKNOWN");
            assertThat(deleting.head("/v2/" + repo + "/manifests/" + reference).status()).isEqualTo(404);
        }
        assertThat(deleting.get("/v2/" + repo + "/manifests/v2").body()).isEqualTo(kept.bytes());
    }

    @Test
    void deleteByTag_removesOnlyThatTag() {
        String repo = "del/by-tag";
        Doc image = push(deleting, repo, "tagged", "v1", "latest");

        assertThat(deleting.delete("/v2/" + repo + "/manifests/v1").status()).isEqualTo(202);

        assertThat(tags(deleting, repo)).containsExactly("latest");
        assertError(deleting.get("/v2/" + repo + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
        assertThat(deleting.get("/v2/" + repo + "/manifests/latest").body()).isEqualTo(image.bytes());
        assertThat(deleting.get("/v2/" + repo + "/manifests/" + image.digest()).body()).isEqualTo(image.bytes());
        assertError(deleting.delete("/v2/" + repo + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void delete_unknownManifestTagOrRepository_returns404ManifestUnknown() {
        String repo = "del/unknown";
        push(deleting, repo, "unknown", "latest");

        assertError(deleting.delete("/v2/" + repo + "/manifests/" + sha256(utf8("never pushed"))), 404,
                "MANIFEST_UNKNOWN");
        assertError(deleting.delete("/v2/" + repo + "/manifests/nope"), 404, "MANIFEST_UNKNOWN");
        assertError(deleting.delete("/v2/del/nowhere/manifests/latest"), 404, "MANIFEST_UNKNOWN");
        assertError(deleting.delete("/v2/del/nowhere/manifests/" + sha256(utf8("x"))), 404, "MANIFEST_UNKNOWN");
        assertThat(tags(deleting, repo)).containsExactly("latest");
    }

    @Test
    void deleteByDigest_twice_secondReturns404() {
        String repo = "del/twice";
        Doc image = push(deleting, repo, "twice", "latest");

        assertThat(deleting.delete("/v2/" + repo + "/manifests/" + image.digest()).status()).isEqualTo(202);
        assertError(deleting.delete("/v2/" + repo + "/manifests/" + image.digest()), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void deleteByDigest_onlyInThatRepository() {
        Doc image = push(deleting, "del/one", "shared", "latest");
        push(deleting, "del/one-two", "shared", "latest");
        push(deleting, "del/one/two", "shared", "latest");

        assertThat(deleting.delete("/v2/del/one/manifests/" + image.digest()).status()).isEqualTo(202);

        assertThat(deleting.get("/v2/del/one/manifests/latest").status()).isEqualTo(404);
        assertThat(deleting.get("/v2/del/one-two/manifests/latest").body()).isEqualTo(image.bytes());
        assertThat(deleting.get("/v2/del/one/two/manifests/" + image.digest()).body()).isEqualTo(image.bytes());
        assertThat(tags(deleting, "del/one-two")).containsExactly("latest");
    }

    @Test
    void deleteByDigest_thenPushAgain_servesItAgain() {
        String repo = "del/again";
        Doc image = push(deleting, repo, "again", "latest");
        assertThat(deleting.delete("/v2/" + repo + "/manifests/" + image.digest()).status()).isEqualTo(202);

        deleting.putManifest(repo, "back", image);

        assertThat(deleting.get("/v2/" + repo + "/manifests/back").body()).isEqualTo(image.bytes());
        assertThat(tags(deleting, repo)).containsExactly("back");
    }

    @Test
    void deleteByDigest_manifestListedByAnIndex_leavesTheIndexServed() {
        String repo = "del/child";
        Doc child = push(deleting, repo, "child");
        Doc index = deleting.putManifest(repo, "multi", Json.of(OCI_INDEX).manifests(child).doc());

        assertThat(deleting.delete("/v2/" + repo + "/manifests/" + child.digest()).status()).isEqualTo(202);

        assertThat(deleting.get("/v2/" + repo + "/manifests/" + child.digest()).status()).isEqualTo(404);
        assertThat(deleting.get("/v2/" + repo + "/manifests/multi").body()).isEqualTo(index.bytes());
    }

    @Test
    void delete_whenDisabled_returns405UnsupportedAndKeepsEverything() {
        String repo = "del/disabled";
        Doc image = push(keeping, repo, "kept", "v1", "latest");

        assertError(keeping.delete("/v2/" + repo + "/manifests/" + image.digest()), 405, "UNSUPPORTED");
        assertError(keeping.delete("/v2/" + repo + "/manifests/v1"), 405, "UNSUPPORTED");
        assertError(keeping.delete("/v2/" + repo + "/manifests/nope"), 405, "UNSUPPORTED");

        assertThat(tags(keeping, repo)).containsExactly("latest", "v1");
        assertThat(keeping.get("/v2/" + repo + "/manifests/v1").body()).isEqualTo(image.bytes());
        assertThat(keeping.get("/v2/" + repo + "/manifests/" + image.digest()).body()).isEqualTo(image.bytes());
    }
}
