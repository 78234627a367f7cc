package dev.berth.manifest;

import dev.berth.config.BerthConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.berth.manifest.Content.Json;
import static dev.berth.manifest.Content.config;
import static dev.berth.manifest.Content.emptyConfig;
import static dev.berth.manifest.Content.layer;
import static dev.berth.manifest.Content.ociImage;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code http.maxpagesize} caps every listing page, with or without {@code n}, and a Link leads on. */
class PageSizeLimitTest {

    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    @TempDir
    static Path dir;
    private static Registry registry;
    private static Content.Doc subject;

    @BeforeAll
    static void start() throws Exception {
        BerthConfig base = Registry.config(dir, true, Registry.DEFAULT_MAX_MANIFEST_BYTES);
        BerthConfig.Http h = base.http();
        registry = Registry.start(dir, base.withHttp(new BerthConfig.Http(h.host(), h.port(), h.idleTimeout(),
                h.maxManifestBytes(), 3)));
        subject = registry.pushImage("page/repo", "t0", ociImage(config("p"), layer("p")), config("p"), layer("p"));
        Content.Blob empty = registry.push("page/repo", emptyConfig());
        for (int i = 1; i <= 4; i++) {
            registry.putManifest("page/repo", "t" + i, Json.of(OCI_MANIFEST).artifactType("application/x-test")
                    .config(empty).raw("layers", "[]").subject(subject).annotations("i", "" + i).doc());
        }
        for (int i = 0; i < 4; i++) {
            registry.push("page/other" + i, emptyConfig());
        }
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Test
    void tags_withoutN_areCappedAtMaxPageSize_withLink() {
        Registry.Reply r = registry.get("/v2/page/repo/tags/list");
        assertThat(r.json().get("tags")).hasSize(3);
        assertThat(r.header("Link")).hasValueSatisfying(l -> assertThat(l).contains("last=t2").contains("rel=\"next\""));
    }

    @Test
    void tags_nAboveTheCap_isCapped() {
        assertThat(registry.get("/v2/page/repo/tags/list?n=50").json().get("tags")).hasSize(3);
    }

    @Test
    void referrers_withoutN_areCappedAtMaxPageSize_withLink() {
        Registry.Reply r = registry.get("/v2/page/repo/referrers/" + subject.digest());
        assertThat(r.json().get("manifests")).hasSize(3);
        assertThat(r.header("Link")).isPresent();
    }

    @Test
    void catalog_withoutN_isCappedAtMaxPageSize_withLink() {
        Registry.Reply r = registry.get("/v2/_catalog");
        assertThat(r.json().get("repositories")).hasSize(3);
        assertThat(r.header("Link")).hasValueSatisfying(l -> assertThat(l).contains("/v2/_catalog?last="));
    }
}
