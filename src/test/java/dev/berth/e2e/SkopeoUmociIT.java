package dev.berth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * skopeo and umoci against a real Berth: an image built offline with umoci (two layers of a few MiB of random
 * data, a configuration set with {@code umoci config}) is pushed from an OCI layout, pulled back into another
 * layout with every digest intact, inspected, listed, copied between repositories by cross-repository mount, and
 * deleted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES) // each test and each set-up; every process has its own, shorter timeout
class SkopeoUmociIT {

    private static final String TAG = "v1";

    @TempDir
    static Path tmp;

    private Berth berth;
    private OciLayout image;

    @BeforeAll
    void buildAndPush() throws Exception {
        Cmd.require("skopeo");
        Cmd.require("umoci");
        berth = Berth.start(tmp.resolve("berth"));
        image = OciLayout.sample(tmp.resolve("image"), TAG, 2, 3 * 1024 * 1024);
        assertThat(image.layerDigests(TAG)).hasSize(2);
        skopeo("copy", "--dest-tls-verify=false", image.ref(TAG), berth.docker("e2e/app:" + TAG));
    }

    @AfterAll
    void stop() {
        if (berth != null) {
            berth.close();
        }
    }

    @Test
    void pushThenPull_preservesManifestConfigAndLayerDigests() throws Exception {
        OciLayout pulled = new OciLayout(tmp.resolve("pulled"));
        skopeo("copy", "--src-tls-verify=false", berth.docker("e2e/app:" + TAG), pulled.ref(TAG));

        JsonNode sent = image.manifestDescriptor(TAG);
        JsonNode received = pulled.manifestDescriptor(TAG);
        assertThat(received.path("digest").asText()).as("manifest digest").isEqualTo(sent.path("digest").asText());
        assertThat(received.path("size").asLong()).as("manifest size").isEqualTo(sent.path("size").asLong());
        assertThat(received.path("mediaType").asText()).isEqualTo(Media.OCI_MANIFEST);
        assertThat(pulled.manifest(TAG)).isEqualTo(image.manifest(TAG));
        assertThat(pulled.configDigest(TAG)).as("config digest").isEqualTo(image.configDigest(TAG));
        assertThat(pulled.layerDigests(TAG)).as("layer digests").isEqualTo(image.layerDigests(TAG));
        // every blob is there, and its bytes hash to its name (OciLayout.blob checks)
        assertThat(pulled.blob(pulled.configDigest(TAG))).isEqualTo(image.blob(image.configDigest(TAG)));
        for (String layer : image.layerDigests(TAG)) {
            assertThat(pulled.blob(layer)).as("layer " + layer).isEqualTo(image.blob(layer));
        }

        // and the registry itself says the same over plain HTTP
        HttpResponse<byte[]> get = berth.get("/v2/e2e/app/manifests/" + TAG, Media.OCI_MANIFEST);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.headers().firstValue("Content-Type")).hasValue(Media.OCI_MANIFEST);
        assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(image.manifestDigest(TAG));
        assertThat(OciLayout.sha256(get.body())).isEqualTo(image.manifestDigest(TAG));
    }

    @Test
    void inspect_showsTagDigestLayersAndConfig() {
        JsonNode info = OciLayout.parse(skopeo("inspect", "--tls-verify=false", berth.docker("e2e/app:" + TAG))
                .stdout());
        assertThat(info.path("Name").asText()).isEqualTo(berth.ref("e2e/app"));
        assertThat(info.path("Digest").asText()).isEqualTo(image.manifestDigest(TAG));
        assertThat(texts(info.path("RepoTags"))).contains(TAG);
        assertThat(texts(info.path("Layers"))).isEqualTo(image.layerDigests(TAG));
        assertThat(info.path("Architecture").asText()).isEqualTo("amd64");
        assertThat(info.path("Os").asText()).isEqualTo("linux");
        assertThat(info.path("Labels").path("dev.berth.e2e").asText()).isEqualTo("yes");
        assertThat(texts(info.path("Env"))).contains("BERTH_E2E=1");

        String raw = skopeo("inspect", "--raw", "--tls-verify=false", berth.docker("e2e/app:" + TAG)).stdout();
        assertThat(OciLayout.sha256(raw.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .as("sha256 of the raw manifest skopeo fetched").isEqualTo(image.manifestDigest(TAG));

        String config = skopeo("inspect", "--config", "--raw", "--tls-verify=false",
                berth.docker("e2e/app:" + TAG)).stdout();
        assertThat(OciLayout.sha256(config.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .as("sha256 of the raw config skopeo fetched").isEqualTo(image.configDigest(TAG));
        assertThat(OciLayout.parse(config).path("config").path("Cmd").get(0).asText()).isEqualTo("/bin/app");
    }

    @Test
    void listTags_listsEveryTagPushed() {
        for (String tag : List.of("1.0", "latest", "stable")) {
            skopeo("copy", "--dest-tls-verify=false", image.ref(TAG), berth.docker("e2e/tags:" + tag));
        }
        JsonNode tags = OciLayout.parse(skopeo("list-tags", "--tls-verify=false", berth.docker("e2e/tags"))
                .stdout());
        assertThat(tags.path("Repository").asText()).isEqualTo(berth.ref("e2e/tags"));
        assertThat(texts(tags.path("Tags"))).containsExactlyInAnyOrder("1.0", "latest", "stable");
    }

    @Test
    void copyBetweenRepositories_mountsLayersInsteadOfUploadingThem() throws Exception {
        List<String> layers = image.layerDigests(TAG);
        int mark = berth.accessMark();

        skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                berth.docker("e2e/app:" + TAG), berth.docker("e2e/mounted:" + TAG));

        List<String> log = berth.accessSince(mark, "PUT /v2/e2e/mounted/manifests/" + TAG + " ");
        String uploads = "POST /v2/e2e/mounted/blobs/uploads/ ";
        assertThat(log).as("access log of the copy: each layer mounted (POST ...?mount=&from= answered 201)")
                .filteredOn(l -> l.startsWith(uploads + "201 ")).hasSize(layers.size());
        // only the config (which skopeo does not try to mount) went through an upload session
        assertThat(log).as("upload sessions opened in the destination: the config's only")
                .filteredOn(l -> l.startsWith(uploads + "202 ")).hasSize(1);
        assertThat(log).as("PATCHes to the destination: the config's only")
                .filteredOn(l -> l.startsWith("PATCH /v2/e2e/mounted/")).hasSize(1);
        for (String layer : layers) {
            assertThat(log).as("layer " + layer + " was never downloaded")
                    .noneMatch(l -> l.startsWith("GET /v2/e2e/app/blobs/" + layer));
        }

        JsonNode copied = OciLayout.parse(skopeo("inspect", "--tls-verify=false",
                berth.docker("e2e/mounted:" + TAG)).stdout());
        assertThat(copied.path("Digest").asText()).isEqualTo(image.manifestDigest(TAG));
        for (String layer : layers) {
            HttpResponse<byte[]> head = berth.head("/v2/e2e/mounted/blobs/" + layer);
            assertThat(head.statusCode()).as("HEAD of mounted layer " + layer).isEqualTo(200);
            assertThat(head.headers().firstValueAsLong("Content-Length").orElse(-1))
                    .isEqualTo(image.blob(layer).length);
        }
    }

    @Test
    void delete_thenInspectFailsWithManifestUnknown() throws Exception {
        skopeo("copy", "--dest-tls-verify=false", image.ref(TAG), berth.docker("e2e/doomed:" + TAG));
        skopeo("inspect", "--tls-verify=false", berth.docker("e2e/doomed:" + TAG));
        int mark = berth.accessMark();

        skopeo("delete", "--tls-verify=false", berth.docker("e2e/doomed:" + TAG));

        // skopeo resolves the tag and deletes the manifest by digest
        List<String> log = berth.accessSince(mark, "DELETE /v2/e2e/doomed/manifests/");
        assertThat(log).anyMatch(l -> l.startsWith(
                "DELETE /v2/e2e/doomed/manifests/" + image.manifestDigest(TAG) + " 202 "));
        Cmd.Result inspect = Cmd.of("skopeo", "inspect", "--tls-verify=false", berth.docker("e2e/doomed:" + TAG))
                .run().failed();
        assertThat(inspect.stderr()).as(inspect.describe()).contains("manifest unknown");
        Cmd.Result byDigest = Cmd.of("skopeo", "inspect", "--raw", "--tls-verify=false",
                berth.docker("e2e/doomed@" + image.manifestDigest(TAG))).run().failed();
        assertThat(byDigest.stderr()).as(byDigest.describe()).contains("manifest unknown");

        // the same manifest in another repository is untouched
        JsonNode other = OciLayout.parse(skopeo("inspect", "--tls-verify=false", berth.docker("e2e/app:" + TAG))
                .stdout());
        assertThat(other.path("Digest").asText()).isEqualTo(image.manifestDigest(TAG));
    }

    private static Cmd.Result skopeo(String... args) {
        List<String> argv = new ArrayList<>();
        argv.add("skopeo");
        argv.addAll(List.of(args));
        return Cmd.of(argv).ok();
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
