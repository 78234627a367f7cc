package dev.berth.manifest;

import static dev.berth.manifest.Content.OCI_MANIFEST;
import static dev.berth.manifest.Content.config;
import static dev.berth.manifest.Content.layer;
import static dev.berth.manifest.Content.sha256;
import static dev.berth.manifest.Content.utf8;
import static dev.berth.manifest.ErrorAssert.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.manifest.Content.Blob;
import dev.berth.manifest.Content.Json;
import dev.berth.manifest.Registry.Reply;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest size cap ({@code http.maxmanifestbytes}): 413 past it, whether the length is declared or not. */
class ManifestLimitsTest {

    private static final int SMALL_CAP = 2048;
    private static final String REPO = "limits/app";

    @TempDir
    static Path dir;

    private static Registry small;
    private static Registry standard;

    @BeforeAll
    static void start() throws Exception {
        small = Registry.start(dir.resolve("small"), false, SMALL_CAP);
        standard = Registry.start(dir.resolve("standard"), false);
        for (Registry r : new Registry[] {small, standard}) {
            r.push(REPO, config("limits"));
            r.push(REPO, layer("limits"));
        }
    }

    @AfterAll
    static void stop() {
        try {
            if (small != null) {
                small.close();
            }
        } finally {
            if (standard != null) {
                standard.close();
            }
        }
    }

    /** A valid OCI image manifest over the pushed blobs, padded with an annotation to exactly {@code size} bytes. */
    private static byte[] manifestOfSize(int size) {
        Blob c = config("limits");
        Blob l = layer("limits");
        String shell = Json.of(OCI_MANIFEST).config(c).layers(l).annotations("pad", "").text();
        int padding = size - utf8(shell).length;
        assertThat(padding).as("room for padding").isNotNegative();
        byte[] bytes = utf8(Json.of(OCI_MANIFEST).config(c).layers(l).annotations("pad", "x".repeat(padding)).text());
        assertThat(bytes).hasSize(size);
        return bytes;
    }

    @Test
    void put_exactlyAtTheCap_isAccepted() {
        byte[] body = manifestOfSize(SMALL_CAP);

        Reply r = small.put("/v2/" + REPO + "/manifests/at-cap", OCI_MANIFEST, body);

        assertThat(r.status()).as("%s", r).isEqualTo(201);
        assertThat(small.get("/v2/" + REPO + "/manifests/at-cap").body()).isEqualTo(body);
    }

    @Test
    void put_overTheCapWithContentLength_returns413() {
        byte[] body = manifestOfSize(SMALL_CAP + 1);

        assertError(small.put("/v2/" + REPO + "/manifests/over", OCI_MANIFEST, body), 413, "MANIFEST_INVALID");
        assertError(small.put("/v2/" + REPO + "/manifests/" + sha256(body), OCI_MANIFEST, body), 413,
                "MANIFEST_INVALID");
        assertThat(small.get("/v2/" + REPO + "/manifests/over").status()).isEqualTo(404);
    }

    @Test
    void put_overTheCapChunked_returns413() {
        byte[] body = manifestOfSize(SMALL_CAP * 4);

        assertError(small.putChunked("/v2/" + REPO + "/manifests/chunked", OCI_MANIFEST, body), 413,
                "MANIFEST_INVALID");
        assertThat(small.get("/v2/" + REPO + "/manifests/chunked").status()).isEqualTo(404);
    }

    @Test
    void put_chunkedWithinTheCap_isAccepted() {
        byte[] body = manifestOfSize(SMALL_CAP - 100);

        Reply r = small.putChunked("/v2/" + REPO + "/manifests/chunked-ok", OCI_MANIFEST, body);

        assertThat(r.status()).as("%s", r).isEqualTo(201);
        assertThat(small.get("/v2/" + REPO + "/manifests/chunked-ok").body()).isEqualTo(body);
    }

    @Test
    void defaultCap_acceptsFourMebibytesAndRefusesOneByteMore() {
        int fourMiB = 4 * 1024 * 1024;
        byte[] atCap = manifestOfSize(fourMiB);
        byte[] over = manifestOfSize(fourMiB + 1);

        assertThat(standard.put("/v2/" + REPO + "/manifests/big", OCI_MANIFEST, atCap).status()).isEqualTo(201);
        assertThat(standard.get("/v2/" + REPO + "/manifests/big").body()).isEqualTo(atCap);
        // with Expect: 100-continue the refusal comes before the body is sent (without it, the server answers 413 and
        // closes while the client is still writing 4 MiB, and the JDK client reports the failed write instead)
        assertError(standard.putExpectingContinue("/v2/" + REPO + "/manifests/too-big", OCI_MANIFEST, over), 413,
                "MANIFEST_INVALID");
        assertThat(standard.get("/v2/" + REPO + "/manifests/too-big").status()).isEqualTo(404);
    }

    @Test
    void put_expectContinueWithinTheCap_isAccepted() {
        byte[] body = manifestOfSize(SMALL_CAP);

        Reply r = small.putExpectingContinue("/v2/" + REPO + "/manifests/continued", OCI_MANIFEST, body);

        assertThat(r.status()).as("%s", r).isEqualTo(201);
        assertThat(small.get("/v2/" + REPO + "/manifests/continued").body()).isEqualTo(body);
    }
}
