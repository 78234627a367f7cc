package dev.berth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.cli.ImportCommand;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Moving from CNCF distribution to Berth: Debian's {@code docker-registry} (distribution 2.8) runs on loopback,
 * skopeo pushes two images to it (one OCI, one converted to Docker schema 2, in a nested repository), it is
 * stopped, {@code berth import} reads its root directory in place, and skopeo pulls both images from Berth with the
 * very digests distribution reported. A {@code _layers} link to a missing blob is reported, and a second import
 * records nothing new.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DistributionImportIT {

    @TempDir
    Path tmp;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Waits until {@code GET /v2/} answers 200 (the registry is up); fails after a minute. */
    private static void awaitRegistry(int port, Process process, Path log) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("docker-registry exited with " + process.exitValue() + ":\n"
                        + Files.readString(log));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("docker-registry did not answer on port " + port + ":\n" + Files.readString(log));
    }

    /** The blob links distribution keeps for a repository ({@code _layers/sha256/<hex>/link}). */
    private static long countLinks(Path root, String repository) throws IOException {
        try (var links = Files.list(root.resolve("docker/registry/v2/repositories/" + repository
                + "/_layers/sha256"))) {
            return links.filter(d -> Files.isRegularFile(d.resolve("link"))).count();
        }
    }

    private static JsonNode inspect(String ref) {
        return OciLayout.parse(Cmd.of("skopeo", "inspect", "--tls-verify=false", ref).ok().stdout());
    }

    private String importTree(Path config, Path root) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ImportCommand(Map.of()));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("--config", config.toString(), root.toString());
        assertThat(code).as("berth import: %s%s", out, err).isZero();
        return out.toString();
    }

    @Test
    void imagesPushedToDistribution_importedInPlace_pullFromBerthWithIdenticalDigests() throws Exception {
        Cmd.require("docker-registry");
        Cmd.require("skopeo");
        Cmd.require("umoci");
        Path data = tmp.resolve("berth");
        Path root = data.resolve("registry"); // distribution's root is Berth's storage root
        Files.createDirectories(root);

        // 1. distribution on loopback, two images pushed to it
        int port = freePort();
        Path registryConfig = tmp.resolve("distribution.yml");
        Files.writeString(registryConfig, "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                + "    rootdirectory: " + root + "\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" + port
                + "\n");
        Path registryLog = tmp.resolve("distribution.log");
        Process registry = new ProcessBuilder(Cmd.require("docker-registry").toString(), "serve",
                registryConfig.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(registryLog.toFile())
                .redirectErrorStream(true)
                .start();
        String oneDigest;
        String twoDigest;
        OciLayout one = OciLayout.sample(tmp.resolve("one"), "v1", 2, 256 * 1024);
        OciLayout two = OciLayout.sample(tmp.resolve("two"), "v2", 1, 128 * 1024);
        try {
            awaitRegistry(port, registry, registryLog);
            String at = "docker://127.0.0.1:" + port + "/";
            Cmd.of("skopeo", "copy", "--dest-tls-verify=false", one.ref("v1"), at + "e2e/one:v1").ok();
            Cmd.of("skopeo", "copy", "--dest-tls-verify=false", "--format", "v2s2", two.ref("v2"),
                    at + "e2e/nested/two:v2").ok();
            oneDigest = inspect(at + "e2e/one:v1").path("Digest").asText();
            twoDigest = inspect(at + "e2e/nested/two:v2").path("Digest").asText();
        } finally {
            registry.destroy();
            if (!registry.waitFor(30, TimeUnit.SECONDS)) {
                registry.destroyForcibly();
                registry.waitFor(10, TimeUnit.SECONDS);
            }
        }
        assertThat(oneDigest).isEqualTo(one.manifestDigest("v1"));
        assertThat(twoDigest).startsWith("sha256:");
        assertThat(root.resolve("docker/registry/v2/repositories/e2e/nested/two/_manifests/tags/v2/current/link"))
                .isRegularFile();

        long oneLinks = countLinks(root, "e2e/one");
        long twoLinks = countLinks(root, "e2e/nested/two");
        assertThat(oneLinks).as("config and two layers").isEqualTo(3);
        assertThat(twoLinks).as("config and one layer").isEqualTo(2);

        // a link distribution left pointing at a blob that is gone
        String missing = OciLayout.sha256("gone".getBytes(StandardCharsets.UTF_8));
        Path dangling = root.resolve("docker/registry/v2/repositories/e2e/one/_layers/sha256/"
                + missing.substring("sha256:".length()) + "/link");
        Files.createDirectories(dangling.getParent());
        Files.writeString(dangling, missing);

        // 2. berth import, with the configuration berth serve uses
        Path config = tmp.resolve("berth.yml");
        Files.writeString(config, "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " + root
                + "\ndatabase:\n  url: jdbc:sqlite:" + data.resolve("berth.db") + "\n");
        String imported = importTree(config, root);

        assertThat(imported)
                .contains("repository e2e/one: 3 blob links (3 new), 1 manifests (1 new), 1 tags (1 new)")
                .contains("repository e2e/nested/two: 2 blob links (2 new), 1 manifests (1 new), 1 tags (1 new)")
                .contains("inconsistent: e2e/one: _layers link to " + missing + " whose blob is not in storage")
                .contains("imported 2 repositories, 5 blob links (5 new), 2 manifests (2 new), 2 tags (2 new); "
                        + "1 inconsistency");

        // 3. Berth serves both images from the same tree, byte for byte
        try (Berth berth = Berth.start(data)) {
            assertThat(inspect(berth.docker("e2e/one:v1")).path("Digest").asText()).isEqualTo(oneDigest);
            assertThat(inspect(berth.docker("e2e/nested/two:v2")).path("Digest").asText()).isEqualTo(twoDigest);

            OciLayout pulledOne = new OciLayout(tmp.resolve("pulled-one"));
            Cmd.of("skopeo", "copy", "--src-tls-verify=false", berth.docker("e2e/one:v1"), pulledOne.ref("v1")).ok();
            assertThat(pulledOne.manifestDigest("v1")).isEqualTo(oneDigest);
            assertThat(pulledOne.configDigest("v1")).isEqualTo(one.configDigest("v1"));
            assertThat(pulledOne.layerDigests("v1")).isEqualTo(one.layerDigests("v1"));
            for (String layer : one.layerDigests("v1")) {
                assertThat(pulledOne.blob(layer)).isEqualTo(one.blob(layer));
            }

            Path pulledTwo = tmp.resolve("pulled-two");
            Cmd.of("skopeo", "copy", "--src-tls-verify=false", "--preserve-digests", berth.docker("e2e/nested/two:v2"),
                    "dir:" + pulledTwo).ok();
            byte[] manifest = Files.readAllBytes(pulledTwo.resolve("manifest.json"));
            assertThat(OciLayout.sha256(manifest)).isEqualTo(twoDigest);
            for (JsonNode layer : OciLayout.parse(manifest).path("layers")) {
                String digest = layer.path("digest").asText();
                assertThat(OciLayout.sha256(pulledTwo.resolve(digest.substring("sha256:".length()))))
                        .as("layer " + digest).isEqualTo(digest);
            }

            // 4. importing again, while Berth serves, records nothing new
            assertThat(importTree(config, root)).contains("imported 2 repositories, 5 blob links (0 new), "
                    + "2 manifests (0 new), 2 tags (0 new); 1 inconsistency");
        }
    }
}
