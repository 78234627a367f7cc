package dev.berth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
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
 * Jib (jib-core, Google's Java image builder, pure Java, its own registry client) pushes to a real Berth over
 * plain HTTP ({@code setAllowInsecureRegistries}): an image from scratch as Docker schema 2 and as OCI, and one on
 * top of a base image in Berth, whose layers Jib mounts instead of uploading. skopeo pulls each back and the
 * digests must be the ones Jib reports.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES) // each test and each set-up; every process has its own, shorter timeout
class JibIT {

    @TempDir
    static Path tmp;

    private Berth berth;
    private final List<String> jibLog = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    void setUp() throws Exception {
        Cmd.require("skopeo");
        Cmd.require("umoci");
        berth = Berth.start(tmp.resolve("berth"));
    }

    @AfterAll
    void stop() {
        if (berth != null) {
            berth.close();
        }
    }

    @Test
    void fromScratch_dockerFormat_skopeoPullsTheDigestJibReported() throws Exception {
        String content = "jib " + UUID.randomUUID() + "\n";
        JibContainer pushed = containerize(Jib.fromScratch()
                .addLayer(List.of(file("hello.txt", content)), AbsoluteUnixPath.get("/app"))
                .setEntrypoint("/app/hello")
                .setFormat(ImageFormat.Docker), "jib/app:1");

        DirImage pulled = DirImage.pull(berth.docker("jib/app:1"), tmp.resolve("pulled-docker"));
        assertThat(pulled.manifestDigest()).as("manifest digest").isEqualTo(pushed.getDigest().toString());
        JsonNode manifest = pulled.manifest();
        assertThat(manifest.path("mediaType").asText()).isEqualTo(Media.DOCKER_MANIFEST);
        assertThat(manifest.path("config").path("digest").asText()).as("config digest = Jib's image id")
                .isEqualTo(pushed.getImageId().toString());
        assertThat(manifest.path("layers")).hasSize(1);
        Map<String, byte[]> files = DirImage.untarGz(
                pulled.blob(manifest.path("layers").get(0).path("digest").asText()));
        assertThat(new String(files.get("app/hello.txt"), StandardCharsets.UTF_8)).isEqualTo(content);

        JsonNode info = OciLayout.parse(Cmd.of("skopeo", "inspect", "--tls-verify=false", berth.docker("jib/app:1"))
                .ok().stdout());
        assertThat(info.path("Digest").asText()).isEqualTo(pushed.getDigest().toString());
    }

    @Test
    void fromScratch_ociFormat_pullsIntoAnOciLayoutWithTheSameDigests() throws Exception {
        JibContainer pushed = containerize(Jib.fromScratch()
                .addLayer(List.of(file("oci.txt", "oci " + UUID.randomUUID())), AbsoluteUnixPath.get("/app"))
                .addLayer(List.of(file("second.txt", "second " + UUID.randomUUID())), AbsoluteUnixPath.get("/etc"))
                .setFormat(ImageFormat.OCI), "jib/oci:1");

        OciLayout pulled = new OciLayout(tmp.resolve("pulled-oci"));
        Cmd.of("skopeo", "copy", "--quiet", "--src-tls-verify=false", berth.docker("jib/oci:1"), pulled.ref("1"))
                .ok();
        assertThat(pulled.manifestDigest("1")).isEqualTo(pushed.getDigest().toString());
        assertThat(pulled.manifestDescriptor("1").path("mediaType").asText()).isEqualTo(Media.OCI_MANIFEST);
        assertThat(pulled.configDigest("1")).isEqualTo(pushed.getImageId().toString());
        assertThat(pulled.layerDigests("1")).hasSize(2).allSatisfy(d -> pulled.blob(d));
    }

    @Test
    void fromBaseInBerth_mountsBaseLayersAndAddsOne() throws Exception {
        OciLayout base = OciLayout.sample(tmp.resolve("base"), "1", 2, 512 * 1024);
        Cmd.of("skopeo", "copy", "--quiet", "--dest-tls-verify=false", base.ref("1"), berth.docker("base/app:1"))
                .ok();
        int mark = berth.accessMark();

        JibContainer pushed = containerize(Jib.from(RegistryImage.named(berth.ref("base/app:1")))
                .addLayer(List.of(file("extra.txt", "extra " + UUID.randomUUID())), AbsoluteUnixPath.get("/extra")),
                "jib/derived:1");

        List<String> log = berth.accessSince(mark, "PUT /v2/jib/derived/manifests/1 ");
        assertThat(log).as("Jib mounted both base layers into jib/derived (POST ...?mount=&from= answered 201)")
                .filteredOn(l -> l.startsWith("POST /v2/jib/derived/blobs/uploads/ 201 ")).hasSize(2);
        // (Jib still downloads the base layers into its local cache first: its own choice when the target lacks them)
        assertThat(log).as("only the new layer and the config went through upload sessions")
                .filteredOn(l -> l.startsWith("POST /v2/jib/derived/blobs/uploads/ 202 ")).hasSize(2);

        DirImage pulled = DirImage.pull(berth.docker("jib/derived:1"), tmp.resolve("pulled-derived"));
        assertThat(pulled.manifestDigest()).isEqualTo(pushed.getDigest().toString());
        List<String> layers = new ArrayList<>();
        pulled.manifest().path("layers").forEach(l -> layers.add(l.path("digest").asText()));
        assertThat(layers).hasSize(3).startsWith(base.layerDigests("1").toArray(String[]::new));
        layers.forEach(pulled::blob);
        JsonNode config = OciLayout.parse(pulled.blob(pulled.manifest().path("config").path("digest").asText()));
        assertThat(config.path("config").path("Env")).extracting(JsonNode::asText).contains("BERTH_E2E=1");
    }

    private JibContainer containerize(JibContainerBuilder builder, String target) throws Exception {
        Containerizer to = Containerizer.to(RegistryImage.named(berth.ref(target)))
                .setAllowInsecureRegistries(true)
                .setBaseImageLayersCache(tmp.resolve("jib-cache/base"))
                .setApplicationLayersCache(tmp.resolve("jib-cache/app"))
                .setToolName("berth-e2e")
                .addEventHandler(LogEvent.class, e -> jibLog.add(e.getLevel() + " " + e.getMessage()));
        try {
            JibContainer c = builder.containerize(to);
            assertThat(c.isImagePushed()).isTrue();
            return c;
        } catch (Exception | AssertionError e) {
            throw new AssertionError("Jib could not push " + target + "; its log:\n  "
                    + String.join("\n  ", jibLog), e);
        }
    }

    private Path file(String name, String content) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("jib-files-" + UUID.randomUUID()));
        return Files.writeString(dir.resolve(name), content);
    }
}
