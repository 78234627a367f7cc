package dev.berth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The docker CLI against a real Berth, without a daemon: {@code docker manifest inspect --insecure} talks to the
 * registry itself. Images are put there by skopeo from a umoci layout (as Docker schema 2 and as OCI), and a
 * Docker manifest list over two platforms is PUT over plain HTTP.
 *
 * <p>Debian 12's {@code docker.io} (20.10) does not know the OCI image manifest at all: it does not list it in
 * {@code Accept} and cannot parse it. With that client the OCI case checks that exact refusal (which also shows
 * Berth labelled the manifest with its OCI media type); with docker 23 or newer it must print the manifest.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES) // each test and each set-up; every process has its own, shorter timeout
class DockerCliIT {

    @TempDir
    static Path tmp;

    private Berth berth;
    private OciLayout image;
    private Path dockerConfig;

    @BeforeAll
    void setUp() throws Exception {
        Cmd.require("docker");
        Cmd.require("skopeo");
        Cmd.require("umoci");
        berth = Berth.start(tmp.resolve("berth"));
        dockerConfig = Files.createDirectories(tmp.resolve("docker-config"));
        image = OciLayout.sample(tmp.resolve("image"), "amd64", 1, 256 * 1024);
        image.config("amd64", "--tag", "arm64", "--architecture", "arm64");
        skopeo("copy", "--dest-tls-verify=false", image.ref("amd64"), berth.docker("dk/app:oci"));
        for (String arch : List.of("amd64", "arm64")) {
            skopeo("copy", "--dest-tls-verify=false", "--format", "v2s2", image.ref(arch),
                    berth.docker("dk/app:v2s2-" + arch));
        }
    }

    @AfterAll
    void stop() {
        if (berth != null) {
            berth.close();
        }
    }

    @Test
    void manifestInspect_dockerV2s2_printsTheStoredManifest() throws Exception {
        JsonNode stored = stored("dk/app", "v2s2-amd64", Media.DOCKER_MANIFEST);

        JsonNode printed = OciLayout.parse(docker("manifest", "inspect", "--insecure", berth.ref("dk/app:v2s2-amd64"))
                .ok().stdout());

        assertThat(printed).isEqualTo(stored);
        assertThat(printed.path("layers").get(0).path("digest").asText())
                .isEqualTo(image.layerDigests("amd64").get(0));
    }

    @Test
    void manifestInspect_manifestList_printsListAndEachPlatform() throws Exception {
        ObjectNode list = OciLayout.JSON.createObjectNode();
        list.put("schemaVersion", 2);
        list.put("mediaType", Media.DOCKER_LIST);
        ArrayNode manifests = list.putArray("manifests");
        List<String> digests = new ArrayList<>();
        for (String arch : List.of("amd64", "arm64")) {
            HttpResponse<byte[]> m = berth.get("/v2/dk/app/manifests/v2s2-" + arch, Media.DOCKER_MANIFEST);
            assertThat(m.statusCode()).isEqualTo(200);
            String digest = OciLayout.sha256(m.body());
            digests.add(digest);
            ObjectNode d = manifests.addObject();
            d.put("mediaType", Media.DOCKER_MANIFEST);
            d.put("size", m.body().length);
            d.put("digest", digest);
            d.putObject("platform").put("architecture", arch).put("os", "linux");
        }
        byte[] body = OciLayout.JSON.writeValueAsBytes(list);
        HttpResponse<byte[]> put = berth.put("/v2/dk/app/manifests/list", Media.DOCKER_LIST, body);
        assertThat(put.statusCode()).as(new String(put.body())).isEqualTo(201);

        JsonNode printed = OciLayout.parse(docker("manifest", "inspect", "--insecure", berth.ref("dk/app:list"))
                .ok().stdout());
        assertThat(printed).isEqualTo(list);

        JsonNode verbose = OciLayout.parse(docker("manifest", "inspect", "--verbose", "--insecure",
                berth.ref("dk/app:list")).ok().stdout());
        assertThat(verbose).hasSize(2);
        for (int i = 0; i < 2; i++) {
            JsonNode entry = verbose.get(i);
            assertThat(entry.path("Descriptor").path("digest").asText()).isEqualTo(digests.get(i));
            assertThat(entry.path("Descriptor").path("platform").path("architecture").asText())
                    .isEqualTo(i == 0 ? "amd64" : "arm64");
            assertThat(entry.path("Ref").asText()).isEqualTo(berth.ref("dk/app:list") + "@" + digests.get(i));
            assertThat(entry.path("SchemaV2Manifest").path("layers").get(0).path("digest").asText())
                    .isEqualTo(image.layerDigests("amd64").get(0));
        }
    }

    @Test
    void manifestInspect_ociManifest_printedByDocker23AndNewer() throws Exception {
        JsonNode stored = stored("dk/app", "oci", Media.OCI_MANIFEST);

        Cmd.Result r = docker("manifest", "inspect", "--insecure", berth.ref("dk/app:oci"));

        if (dockerMajorVersion() >= 23) {
            r.ok();
            assertThat(OciLayout.parse(r.stdout())).isEqualTo(stored);
        } else {
            // docker 20.10 (Debian 12's docker.io) cannot parse an OCI image manifest
            r.failed();
            assertThat(r.output()).as(r.describe())
                    .contains("unsupported manifest media type and no default available: " + Media.OCI_MANIFEST);
        }
    }

    @Test
    void manifestInspect_unknownTag_saysNoSuchManifest() {
        Cmd.Result r = docker("manifest", "inspect", "--insecure", berth.ref("dk/app:nope")).failed();
        assertThat(r.output()).as(r.describe()).contains("no such manifest: " + berth.ref("dk/app:nope"));
    }

    /** GET of a manifest as stored, checking its Content-Type. */
    private JsonNode stored(String repo, String reference, String mediaType) throws Exception {
        HttpResponse<byte[]> get = berth.get("/v2/" + repo + "/manifests/" + reference, Media.ACCEPT_ALL);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.headers().firstValue("Content-Type")).hasValue(mediaType);
        return OciLayout.parse(get.body());
    }

    /** The docker CLI with an empty configuration of its own; needs no daemon for {@code docker manifest}. */
    private Cmd.Result docker(String... args) {
        List<String> argv = new ArrayList<>(List.of("docker"));
        argv.addAll(List.of(args));
        return Cmd.of(argv).env("DOCKER_CONFIG", dockerConfig.toString()).env("DOCKER_CLI_EXPERIMENTAL", "enabled")
                .run();
    }

    /** From {@code docker --version}: "Docker version 20.10.24+dfsg1, build 297e128". */
    private int dockerMajorVersion() {
        String v = docker("--version").ok().stdout();
        Matcher m = Pattern.compile("version (\\d+)\\.").matcher(v);
        assertThat(m.find()).as("docker --version: " + v).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static void skopeo(String... args) {
        List<String> argv = new ArrayList<>(List.of("skopeo"));
        argv.addAll(List.of(args));
        Cmd.of(argv).ok();
    }
}
