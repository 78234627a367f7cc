package dev.berth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An OCI image layout on disk ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/...}): built with
 * umoci, written by {@code skopeo copy ... oci:<dir>:<tag>}, and read here to compare digests. Every blob read is
 * checked against its name.
 */
final class OciLayout {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String REF_NAME = "org.opencontainers.image.ref.name";

    private final Path dir;

    OciLayout(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /** {@code oci:<dir>:<tag>}: the containers/image transport reference of one tag of this layout. */
    String ref(String tag) {
        return "oci:" + dir + ":" + tag;
    }

    // ---- building with umoci -----------------------------------------------------------------------------------

    /** {@code umoci init}: an empty layout. */
    static OciLayout init(Path dir) {
        Cmd.of("umoci", "init", "--layout", dir.toString()).ok();
        return new OciLayout(dir);
    }

    /**
     * A test image built offline: {@code layers} layers, each with a small text file and {@code randomBytes} of
     * random data (so every run pushes blobs the registry has never seen), and a configuration with a command, an
     * environment variable, a label and an author.
     */
    static OciLayout sample(Path dir, String tag, int layers, int randomBytes) {
        OciLayout layout = init(dir).newImage(tag);
        java.util.Random random = new java.util.Random();
        for (int i = 1; i <= layers; i++) {
            byte[] data = new byte[randomBytes];
            random.nextBytes(data);
            layout.addLayer(tag, Map.of(
                    "etc/berth-e2e/layer-" + i + ".txt", ("layer " + i + "\n").getBytes(StandardCharsets.UTF_8),
                    "data/random-" + i + ".bin", data));
        }
        return layout.config(tag, "--config.cmd", "/bin/app", "--config.env", "BERTH_E2E=1",
                "--config.label", "dev.berth.e2e=yes", "--author", "berth e2e");
    }

    /** {@code umoci new}: an image with no layers and an empty configuration. */
    OciLayout newImage(String tag) {
        umoci("new", "--image", image(tag));
        return this;
    }

    /**
     * One more layer on {@code tag}: {@code umoci unpack --rootless} into a fresh bundle, write {@code files}
     * (paths relative to the root filesystem), {@code umoci repack}.
     */
    OciLayout addLayer(String tag, Map<String, byte[]> files) {
        Path bundle = dir.resolveSibling(dir.getFileName() + "-bundle-" + System.nanoTime());
        try {
            umoci("unpack", "--rootless", "--image", image(tag), bundle.toString());
            Path rootfs = bundle.resolve("rootfs");
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Path target = rootfs.resolve(f.getKey());
                Files.createDirectories(target.getParent());
                Files.write(target, f.getValue());
            }
            umoci("repack", "--image", image(tag), bundle.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(bundle);
        }
        return this;
    }

    /** {@code umoci config --image <dir>:<tag> <args>}, e.g. {@code --config.cmd /app}. */
    OciLayout config(String tag, String... args) {
        List<String> argv = new ArrayList<>(List.of("config", "--image", image(tag)));
        argv.addAll(List.of(args));
        umoci(argv.toArray(String[]::new));
        return this;
    }

    private String image(String tag) {
        return dir + ":" + tag;
    }

    private static void umoci(String... args) {
        List<String> argv = new ArrayList<>();
        argv.add("umoci");
        argv.addAll(List.of(args));
        Cmd.of(argv).ok();
    }

    // ---- reading -----------------------------------------------------------------------------------------------

    JsonNode index() {
        return readJson(dir.resolve("index.json"));
    }

    /** The descriptor of {@code tag} in {@code index.json}. */
    JsonNode manifestDescriptor(String tag) {
        for (JsonNode d : index().path("manifests")) {
            if (tag.equals(d.path("annotations").path(REF_NAME).asText(null))) {
                return d;
            }
        }
        throw new AssertionError("no manifest tagged " + tag + " in " + dir.resolve("index.json") + ": " + index());
    }

    String manifestDigest(String tag) {
        return manifestDescriptor(tag).path("digest").asText();
    }

    JsonNode manifest(String tag) {
        JsonNode d = manifestDescriptor(tag);
        byte[] bytes = blob(d.path("digest").asText());
        assertThat((long) bytes.length).as("size of the manifest of " + tag).isEqualTo(d.path("size").asLong());
        return parse(bytes);
    }

    String configDigest(String tag) {
        return manifest(tag).path("config").path("digest").asText();
    }

    List<String> layerDigests(String tag) {
        List<String> digests = new ArrayList<>();
        manifest(tag).path("layers").forEach(l -> digests.add(l.path("digest").asText()));
        return digests;
    }

    JsonNode config(String tag) {
        return parse(blob(configDigest(tag)));
    }

    Path blobPath(String digest) {
        assertThat(digest).startsWith("sha256:");
        return dir.resolve("blobs").resolve("sha256").resolve(digest.substring("sha256:".length()));
    }

    /** A blob's bytes, checked against its digest. */
    byte[] blob(String digest) {
        Path p = blobPath(digest);
        assertThat(p).as("blob " + digest + " in " + dir).isRegularFile();
        try {
            byte[] bytes = Files.readAllBytes(p);
            assertThat(sha256(bytes)).as("content of " + p).isEqualTo(digest);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- helpers shared by the e2e tests -----------------------------------------------------------------------

    static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(Path file) {
        try {
            return sha256(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                p.toFile().setWritable(true);
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
