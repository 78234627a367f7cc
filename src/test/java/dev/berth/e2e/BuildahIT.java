package dev.berth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * buildah against a real Berth, with its own vfs storage in a temporary directory: an image built
 * {@code from scratch} with {@code buildah copy} and {@code buildah config}, committed, pushed (as OCI and as
 * Docker schema 2), then checked with skopeo, byte for byte, and pulled back by buildah. Nothing is run inside a
 * container.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES) // each test and each set-up; every process has its own, shorter timeout
class BuildahIT {

    @TempDir
    static Path tmp;

    private Berth berth;

    @BeforeAll
    void setUp() throws Exception {
        Cmd.require("buildah");
        Cmd.require("skopeo");
        berth = Berth.start(tmp.resolve("berth"));
    }

    @AfterAll
    void stop() {
        if (berth != null) {
            berth.close();
        }
    }

    @Test
    void fromScratchCopyCommitPush_thenSkopeoSeesTheSameImage() throws Exception {
        Path store = tmp.resolve("store-oci");
        String content = "hello from buildah " + UUID.randomUUID() + "\n";
        build(store, "bh-oci", "localhost/bh-app:oci", content);
        Path digestFile = tmp.resolve("digest-oci");

        buildah(store, "push", "--quiet", "--tls-verify=false", "--digestfile", digestFile.toString(),
                "localhost/bh-app:oci", berth.docker("bh/app:1"));
        String digest = Files.readString(digestFile).strip();

        JsonNode info = OciLayout.parse(Cmd.of("skopeo", "inspect", "--tls-verify=false", berth.docker("bh/app:1"))
                .ok().stdout());
        assertThat(info.path("Digest").asText()).isEqualTo(digest);
        assertThat(info.path("RepoTags")).extracting(JsonNode::asText).containsExactly("1");
        assertThat(info.path("Labels").path("dev.berth.e2e").asText()).isEqualTo("buildah");
        assertThat(info.path("Layers")).hasSize(1);

        DirImage pulled = DirImage.pull(berth.docker("bh/app:1"), tmp.resolve("pulled-oci"));
        assertThat(pulled.manifestDigest()).isEqualTo(digest);
        JsonNode manifest = pulled.manifest();
        assertThat(manifest.path("mediaType").asText()).isEqualTo(Media.OCI_MANIFEST);
        JsonNode config = OciLayout.parse(pulled.blob(manifest.path("config").path("digest").asText()));
        assertThat(config.path("config").path("Cmd")).extracting(JsonNode::asText).containsExactly("/hello");
        assertThat(config.path("config").path("Env")).extracting(JsonNode::asText).contains("BERTH_E2E=buildah");
        Map<String, byte[]> files = DirImage.untarGz(
                pulled.blob(manifest.path("layers").get(0).path("digest").asText()));
        assertThat(files).containsKey("hello.txt");
        assertThat(new String(files.get("hello.txt"), StandardCharsets.UTF_8)).isEqualTo(content);

        HttpResponse<byte[]> get = berth.get("/v2/bh/app/manifests/1", Media.ACCEPT_ALL);
        assertThat(get.headers().firstValue("Content-Type")).hasValue(Media.OCI_MANIFEST);
        assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    }

    @Test
    void pushAsDockerV2s2_thenBuildahPullsItBack() throws Exception {
        Path store = tmp.resolve("store-docker");
        String content = "docker format " + UUID.randomUUID() + "\n";
        build(store, "bh-docker", "localhost/bh-app:docker", content);
        Path digestFile = tmp.resolve("digest-docker");

        buildah(store, "push", "--quiet", "--tls-verify=false", "--format", "docker",
                "--digestfile", digestFile.toString(), "localhost/bh-app:docker", berth.docker("bh/app:docker"));
        String digest = Files.readString(digestFile).strip();

        HttpResponse<byte[]> get = berth.get("/v2/bh/app/manifests/docker", Media.ACCEPT_ALL);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.headers().firstValue("Content-Type")).hasValue(Media.DOCKER_MANIFEST);
        assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(digest)
                .hasValue(OciLayout.sha256(get.body()));
        JsonNode manifest = OciLayout.parse(get.body());
        assertThat(manifest.path("config").path("mediaType").asText())
                .isEqualTo(Media.DOCKER_CONFIG);
        String configDigest = manifest.path("config").path("digest").asText();

        Path other = tmp.resolve("store-pull");
        String id = buildah(other, "pull", "--quiet", "--tls-verify=false", berth.docker("bh/app:docker"))
                .stdout().strip();
        assertThat("sha256:" + id).as("image id = config digest").isEqualTo(configDigest);
        JsonNode pulled = OciLayout.parse(buildah(other, "inspect", "--type", "image", berth.ref("bh/app:docker"))
                .stdout());
        assertThat(pulled.path("FromImageDigest").asText()).isEqualTo(digest);
        assertThat(pulled.path("OCIv1").path("config").path("Labels").path("dev.berth.e2e").asText())
                .isEqualTo("buildah");
    }

    /** {@code buildah from scratch}, copy one file to {@code /hello.txt}, set the config, commit as {@code image}. */
    private void build(Path store, String container, String image, String content) throws Exception {
        Path file = tmp.resolve(container + ".txt");
        Files.writeString(file, content);
        buildah(store, "from", "--quiet", "--name", container, "scratch");
        buildah(store, "copy", "--quiet", container, file.toString(), "/hello.txt");
        buildah(store, "config", "--cmd", "/hello", "--env", "BERTH_E2E=buildah",
                "--label", "dev.berth.e2e=buildah", container);
        buildah(store, "commit", "--quiet", container, image);
    }

    /** buildah with its own storage under {@code store}: nothing of the machine's containers storage is touched. */
    private static Cmd.Result buildah(Path store, String... args) {
        List<String> argv = new ArrayList<>(List.of("buildah",
                "--root", store.resolve("root").toString(),
                "--runroot", store.resolve("runroot").toString(),
                "--storage-driver", "vfs"));
        argv.addAll(List.of(args));
        return Cmd.of(argv).ok();
    }
}
