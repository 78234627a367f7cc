package dev.berth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * podman against a real Berth, with its own storage in a temporary directory ({@code --root}, {@code --runroot},
 * {@code --tmpdir}, the {@code vfs} driver: no fuse, no overlay mounts, works as root in a container): pull an
 * image skopeo pushed from a umoci layout, push images back as OCI and as Docker schema 2 and pull them into fresh
 * storage, and push a two-platform manifest list / index whose platforms then pull one by one. No container is run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES) // each test and each set-up; every process has its own, shorter timeout
class PodmanIT {

    @TempDir
    static Path tmp;

    private Berth berth;
    private OciLayout image;
    /** podman storage that pushes (and pulls from Berth first). */
    private Path storeA;

    @BeforeAll
    void setUp() throws Exception {
        Cmd.require("podman");
        Cmd.require("skopeo");
        Cmd.require("umoci");
        berth = Berth.start(tmp.resolve("berth"));
        image = OciLayout.sample(tmp.resolve("image"), "amd64", 1, 1024 * 1024);
        // the second "platform": the same layer, a configuration that says arm64
        image.config("amd64", "--tag", "arm64", "--architecture", "arm64");
        assertThat(image.config("arm64").path("architecture").asText()).isEqualTo("arm64");
        for (String arch : List.of("amd64", "arm64")) {
            Cmd.of("skopeo", "copy", "--quiet", "--dest-tls-verify=false", image.ref(arch),
                    berth.docker("base/app:" + arch)).ok();
        }
        storeA = tmp.resolve("store-a");
    }

    @AfterAll
    void stop() {
        if (berth != null) {
            berth.close();
        }
    }

    @Test
    void pull_storesImageWithRegistryDigestAndConfig() {
        podman(storeA, "pull", "--quiet", "--tls-verify=false", berth.ref("base/app:amd64"));

        JsonNode img = inspect(storeA, berth.ref("base/app:amd64"));
        assertThat("sha256:" + img.path("Id").asText()).as("image id = config digest")
                .isEqualTo(image.configDigest("amd64"));
        assertThat(img.path("Digest").asText()).isEqualTo(image.manifestDigest("amd64"));
        assertThat(texts(img.path("RepoDigests")))
                .contains(berth.ref("base/app") + "@" + image.manifestDigest("amd64"));
        assertThat(img.path("Architecture").asText()).isEqualTo("amd64");
        assertThat(texts(img.path("Config").path("Cmd"))).containsExactly("/bin/app");
    }

    @Test
    void pushAsOciAndAsV2s2_storesThoseMediaTypes_andBothPullBack() throws Exception {
        podman(storeA, "pull", "--quiet", "--tls-verify=false", berth.ref("base/app:amd64"));
        // an image no registry has seen, so podman compresses and uploads its layer itself
        byte[] random = new byte[512 * 1024];
        new Random().nextBytes(random);
        Path tarball = tmp.resolve("rootfs.tar");
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("imported.txt", "imported by podman\n".getBytes(StandardCharsets.UTF_8));
        files.put("random.bin", random);
        Files.write(tarball, DirImage.tar(files));
        podman(storeA, "import", "--quiet", tarball.toString(), "localhost/imported:1");

        Map<String, String> pushed = new LinkedHashMap<>(); // registry reference -> media type
        Map<String, String> digests = new HashMap<>();
        int mark = berth.accessMark();
        for (String[] p : new String[][] {
                {"localhost/imported:1", "pm/imported:v2s2", "v2s2", Media.DOCKER_MANIFEST},
                {"localhost/imported:1", "pm/imported:oci", "oci", Media.OCI_MANIFEST},
                {berth.ref("base/app:amd64"), "pm/app:oci", "oci", Media.OCI_MANIFEST},
                {berth.ref("base/app:amd64"), "pm/app:v2s2", "v2s2", Media.DOCKER_MANIFEST}}) {
            Path digestFile = tmp.resolve("digest-" + p[1].replace('/', '-').replace(':', '-'));
            podman(storeA, "push", "--quiet", "--tls-verify=false", "--format", p[2],
                    "--digestfile", digestFile.toString(), p[0], berth.ref(p[1]));
            pushed.put(p[1], p[3]);
            digests.put(p[1], Files.readString(digestFile).strip());
        }
        assertThat(berth.accessSince(mark, "PUT /v2/pm/app/manifests/v2s2 "))
                .as("podman uploaded the new layer through an upload session")
                .anyMatch(l -> l.startsWith("PATCH /v2/pm/imported/blobs/uploads/") && l.contains(" 202 "))
                .anyMatch(l -> l.startsWith("PUT /v2/pm/imported/blobs/uploads/") && l.contains(" 201 "));

        Map<String, String> configs = new HashMap<>();
        for (Map.Entry<String, String> e : pushed.entrySet()) {
            String repo = e.getKey().substring(0, e.getKey().indexOf(':'));
            String tag = e.getKey().substring(e.getKey().indexOf(':') + 1);
            JsonNode manifest = assertStored(repo, tag, e.getValue(), digests.get(e.getKey()));
            boolean oci = e.getValue().equals(Media.OCI_MANIFEST);
            assertThat(manifest.path("config").path("mediaType").asText()).isEqualTo(oci
                    ? Media.OCI_CONFIG : Media.DOCKER_CONFIG);
            assertThat(manifest.path("layers")).isNotEmpty().allSatisfy(l -> assertThat(l.path("mediaType").asText())
                    .isEqualTo(oci ? Media.OCI_LAYER_GZIP
                            : Media.DOCKER_LAYER_GZIP));
            configs.put(e.getKey(), manifest.path("config").path("digest").asText());
        }
        assertThat(configs.get("pm/app:oci")).as("podman kept the config of the pulled image")
                .isEqualTo(image.configDigest("amd64")).isEqualTo(configs.get("pm/app:v2s2"));

        // pull every pushed image into fresh storage
        Path storeB = tmp.resolve("store-b");
        for (String ref : pushed.keySet()) {
            podman(storeB, "pull", "--quiet", "--tls-verify=false", berth.ref(ref));
            JsonNode img = inspect(storeB, berth.ref(ref));
            assertThat("sha256:" + img.path("Id").asText()).as("image id of " + ref).isEqualTo(configs.get(ref));
            assertThat(texts(img.path("RepoDigests"))).as("repo digests of " + ref)
                    .contains(berth.ref(ref.substring(0, ref.indexOf(':'))) + "@" + digests.get(ref));
        }
    }

    @Test
    void manifestListOfTwoPlatforms_pushAll_thenEachPlatformPulls() throws Exception {
        String list = "localhost/multi:1";
        podman(storeA, "manifest", "create", list);
        for (String arch : List.of("amd64", "arm64")) {
            podman(storeA, "manifest", "add", "--tls-verify=false", list, berth.docker("base/app:" + arch));
        }
        podman(storeA, "manifest", "push", "--all", "--quiet", "--tls-verify=false", "--format", "oci",
                list, berth.docker("pm/multi:oci"));
        podman(storeA, "manifest", "push", "--all", "--quiet", "--tls-verify=false", "--format", "v2s2",
                list, berth.docker("pm/multi:v2s2"));

        for (String[] c : new String[][] {{"oci", Media.OCI_INDEX, Media.OCI_MANIFEST}, {"v2s2", Media.DOCKER_LIST, Media.DOCKER_MANIFEST}}) {
            String tag = c[0];
            byte[] raw = Cmd.of("skopeo", "inspect", "--raw", "--tls-verify=false", berth.docker("pm/multi:" + tag))
                    .ok().stdout().getBytes(StandardCharsets.UTF_8);
            JsonNode index = assertStored("pm/multi", tag, c[1], OciLayout.sha256(raw));
            assertThat(index.path("mediaType").asText()).isEqualTo(c[1]);
            assertThat(index.path("manifests")).hasSize(2);
            Map<String, String> byArch = new HashMap<>();
            for (JsonNode m : index.path("manifests")) {
                assertThat(m.path("mediaType").asText()).isEqualTo(c[2]);
                assertThat(m.path("platform").path("os").asText()).isEqualTo("linux");
                byArch.put(m.path("platform").path("architecture").asText(), m.path("digest").asText());
            }
            assertThat(byArch).containsOnlyKeys("amd64", "arm64");
            if (tag.equals("oci")) {
                assertThat(byArch).as("the OCI index lists the very manifests skopeo pushed")
                        .containsEntry("amd64", image.manifestDigest("amd64"))
                        .containsEntry("arm64", image.manifestDigest("arm64"));
            }
            for (String arch : byArch.keySet()) {
                // every platform's manifest is stored in the list's repository, as its own type
                assertStored("pm/multi", byArch.get(arch), c[2], byArch.get(arch));
                DirImage one = DirImage.pull(berth.docker("pm/multi:" + tag), tmp.resolve("multi-" + tag + "-" + arch),
                        "--override-arch", arch, "--override-os", "linux");
                assertThat(one.manifestDigest()).as(arch + " from the " + tag + " list").isEqualTo(byArch.get(arch));
                JsonNode config = OciLayout.parse(one.blob(one.manifest().path("config").path("digest").asText()));
                assertThat(config.path("architecture").asText()).isEqualTo(arch);
            }
        }

        Path storeC = tmp.resolve("store-c");
        podman(storeC, "pull", "--quiet", "--tls-verify=false", "--arch", "arm64", berth.ref("pm/multi:oci"));
        JsonNode img = inspect(storeC, berth.ref("pm/multi:oci"));
        assertThat(img.path("Architecture").asText()).isEqualTo("arm64");
        assertThat("sha256:" + img.path("Id").asText()).isEqualTo(image.configDigest("arm64"));
    }

    /**
     * GET and HEAD of a stored manifest: the Content-Type is {@code mediaType}, the digest header is the digest of
     * the body and equals {@code expectedDigest}. Returns the parsed manifest.
     */
    private JsonNode assertStored(String repo, String reference, String mediaType, String expectedDigest)
            throws IOException, InterruptedException {
        String path = "/v2/" + repo + "/manifests/" + reference;
        HttpResponse<byte[]> get = berth.get(path, Media.ACCEPT_ALL);
        assertThat(get.statusCode()).as("GET " + path).isEqualTo(200);
        assertThat(get.headers().firstValue("Content-Type")).as("Content-Type of " + path).hasValue(mediaType);
        assertThat(get.headers().firstValue("Docker-Content-Digest")).as("digest of " + path)
                .hasValue(OciLayout.sha256(get.body())).hasValue(expectedDigest);
        JsonNode manifest = OciLayout.parse(get.body());
        if (manifest.has("mediaType")) {
            assertThat(manifest.path("mediaType").asText()).isEqualTo(mediaType);
        }
        HttpResponse<byte[]> head = berth.head(path, Media.ACCEPT_ALL);
        assertThat(head.statusCode()).as("HEAD " + path).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Type")).hasValue(mediaType);
        assertThat(head.headers().firstValue("Docker-Content-Digest")).hasValue(expectedDigest);
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(get.body().length);
        return manifest;
    }

    /** podman with its own storage under {@code store}: nothing of the machine's containers storage is touched. */
    private static Cmd.Result podman(Path store, String... args) {
        List<String> argv = new ArrayList<>(List.of("podman",
                "--root", store.resolve("root").toString(),
                "--runroot", store.resolve("runroot").toString(),
                "--tmpdir", store.resolve("tmp").toString(),
                "--storage-driver", "vfs",
                "--events-backend", "none"));
        argv.addAll(List.of(args));
        return Cmd.of(argv).ok();
    }

    private static JsonNode inspect(Path store, String ref) {
        JsonNode all = OciLayout.parse(podman(store, "image", "inspect", ref).stdout());
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
