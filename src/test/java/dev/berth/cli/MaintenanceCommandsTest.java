package dev.berth.cli;

import dev.berth.metadata.jdbc.JdbcMetadataStore;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import dev.berth.oci.Tag;
import dev.berth.registry.Manifests;
import dev.berth.registry.Uploads;
import dev.berth.registry.gc.GarbageCollector;
import dev.berth.storage.Layout;
import dev.berth.storage.filesystem.FilesystemDriver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code berth gc}, {@code berth du} and {@code berth import} run in-process on a configuration file. */
class MaintenanceCommandsTest {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    @TempDir
    Path dir;
    Path root;
    Path config;

    record Run(int code, String out, String err) {
    }

    @BeforeEach
    void writeConfig() throws IOException {
        root = dir.resolve("registry");
        config = dir.resolve("berth.yml");
        Files.writeString(config, "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " + root
                + "\ndatabase:\n  url: jdbc:sqlite:" + dir.resolve("berth.db") + "\n");
    }

    Run run(Callable<Integer> command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    Run gc(String... args) {
        return run(new GcCommand(Map.of()), args);
    }

    /** The services on the configured storage and database, for setting things up. */
    final class Registry implements AutoCloseable {
        final JdbcMetadataStore metadata = JdbcMetadataStore.open("jdbc:sqlite:" + dir.resolve("berth.db"), null,
                null, 2);
        final FilesystemDriver storage = new FilesystemDriver(root);
        final Uploads uploads = new Uploads(storage, metadata, Clock.systemUTC(), () -> UUID.randomUUID().toString());
        final Manifests manifests = new Manifests(storage, metadata, Clock.systemUTC(), true, 4 << 20);

        Registry() throws IOException {
        }

        Digest blob(String repository, byte[] content) throws IOException {
            Digest d = Digest.sha256(content);
            uploads.monolithic(RepositoryName.of(repository), d, new ByteArrayInputStream(content), content.length);
            return d;
        }

        Digest image(String repository, String tag, byte[] config, byte[] layer) throws IOException {
            Digest c = blob(repository, config);
            Digest l = blob(repository, layer);
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                    + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + c + "\",\"size\":" + config.length
                    + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + l
                    + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
            manifests.put(RepositoryName.of(repository), Tag.of(tag), manifest, OCI_MANIFEST);
            return Digest.sha256(manifest);
        }

        @Override
        public void close() throws IOException {
            metadata.close();
            storage.close();
        }
    }

    boolean hasBytes(Digest d) {
        return Files.exists(root.resolve(Layout.blobData(d).substring(1)));
    }

    static byte[] bytes(int size, int fill) {
        byte[] b = new byte[size];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    // ---- gc ------------------------------------------------------------------------------------------------

    @Test
    void gc_dryRun_printsWhatWouldBeDeletedAndTheBytes_andChangesNothing() throws IOException {
        Digest loose;
        try (Registry r = new Registry()) {
            loose = r.blob("demo/app", bytes(1000, 1));
            r.image("demo/app", "v1", "{}".getBytes(StandardCharsets.UTF_8), bytes(10, 2));
        }

        Run dry = gc("--config", config.toString(), "--dry-run", "--grace-period", "0s");

        assertThat(dry.code()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("dry run, grace period 0s")
                .contains("would delete link demo/app@" + loose + " (no manifest of the repository refers to it)")
                .contains("would delete blob " + loose + " (1000 B)")
                .contains("dry run: would delete 0 tags, 0 manifests, 1 link, 1 blob, 0 unrecorded contents, "
                        + "0 uploads and free 1000 B; 0 recorded blobs missing from storage");
        assertThat(hasBytes(loose)).isTrue();

        Run real = gc("--config", config.toString(), "--grace-period", "0s");

        assertThat(real.code()).as(real.err()).isZero();
        assertThat(real.out()).contains("deleted blob " + loose + " (1000 B)")
                .contains("deleted 0 tags, 0 manifests, 1 link, 1 blob, 0 unrecorded contents, 0 uploads and freed "
                        + "1000 B");
        assertThat(hasBytes(loose)).isFalse();
    }

    @Test
    void gc_defaultGracePeriod_keepsWhatWasJustPushed() throws IOException {
        Digest loose;
        try (Registry r = new Registry()) {
            loose = r.blob("demo/app", bytes(100, 1));
        }

        Run run = gc("--config", config.toString());

        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("grace period 6h").contains("deleted 0 tags, 0 manifests, 0 links, 0 blobs");
        assertThat(hasBytes(loose)).isTrue();
    }

    @Test
    void gc_retentionAndDeleteUntagged_deleteTagsThenManifests() throws IOException {
        Digest old;
        try (Registry r = new Registry()) {
            old = r.image("demo/app", "v1", "{\"a\":1}".getBytes(StandardCharsets.UTF_8), bytes(20, 3));
            r.image("demo/app", "v2", "{\"a\":2}".getBytes(StandardCharsets.UTF_8), bytes(30, 4));
        }

        Run run = gc("--config", config.toString(), "--grace-period", "0s", "--retention", "demo/**:keepnewest=1");

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("retention demo/**:keepnewest=1")
                .contains("deleted tag demo/app:v1 (retention policy demo/**)")
                .contains("deleted manifest demo/app@" + old + " (unused)");
        assertThat(hasBytes(old)).isFalse();
    }

    @Test
    void gc_badOptions_exitTwoSayingWhy() {
        Run retention = gc("--config", config.toString(), "--retention", "demo/**:keepforever=1");
        Run grace = gc("--config", config.toString(), "--grace-period", "soon");
        Run badConfig = gc("--config", dir.resolve("missing.yml").toString());

        assertThat(retention.code()).isEqualTo(2);
        assertThat(retention.err()).contains("unknown retention rule 'keepforever'");
        assertThat(grace.code()).isEqualTo(2);
        assertThat(grace.err()).contains("--grace-period: expected a duration like 90s");
        assertThat(badConfig.code()).isEqualTo(2);
        assertThat(badConfig.err()).contains("berth gc: configuration error").contains("config file not found");
    }

    @Test
    void gc_whileAnotherCollectionHoldsTheLease_exitsOne() throws IOException {
        try (Registry r = new Registry()) {
            r.metadata.acquireLease(GarbageCollector.LEASE, "other-node/1/abc", Clock.systemUTC().instant(),
                    Duration.ofMinutes(5));
        }

        Run run = gc("--config", config.toString());

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("another garbage collection is running (other-node/1/abc")
                .contains("try again later");
    }

    // ---- du ------------------------------------------------------------------------------------------------

    @Test
    void du_showsEachRepositoryAndATotalCountingSharedBlobsOnce() throws IOException {
        byte[] sharedConfig = "{\"shared\":true}".getBytes(StandardCharsets.UTF_8);
        try (Registry r = new Registry()) {
            r.image("demo/app", "v1", sharedConfig, bytes(2000, 5));
            r.image("demo/other", "v1", sharedConfig, bytes(2000, 5));
            r.blob("demo/other", bytes(3000, 6));
        }

        Run run = run(new DuCommand(Map.of()), "--config", config.toString(), "--bytes");

        assertThat(run.code()).as(run.err()).isZero();
        String[] lines = run.out().split("\n");
        assertThat(lines[0]).matches("REPOSITORY +BLOBS +SIZE");
        assertThat(lines[1]).matches("demo/app +3 +\\d+");
        assertThat(lines[2]).matches("demo/other +4 +\\d+");
        long app = Long.parseLong(lines[1].replaceAll(".* ", ""));
        long other = Long.parseLong(lines[2].replaceAll(".* ", ""));
        assertThat(other).isEqualTo(app + 3000);
        assertThat(lines[3]).matches("total \\(shared blobs once\\) +4 +" + (app + 3000));
        assertThat(lines[4]).matches("not used by any repository +0 +0");
        assertThat(run(new DuCommand(Map.of()), "--config", config.toString()).out())
                .containsPattern("demo/app +3 +2\\.4 KiB").containsPattern("demo/other +4 +5\\.3 KiB");
    }

    // ---- import --------------------------------------------------------------------------------------------

    private void write(String path, byte[] content) throws IOException {
        Path p = root.resolve("docker/registry/v2").resolve(path);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
    }

    private Digest blobInTree(byte[] content) throws IOException {
        Digest d = Digest.sha256(content);
        write("blobs/sha256/" + d.hex().substring(0, 2) + "/" + d.hex() + "/data", content);
        return d;
    }

    private void link(String path, Digest d) throws IOException {
        write(path, d.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void import_distributionTree_recordsLinksManifestsAndTags_reportsInconsistencies_andIsIdempotent()
            throws IOException {
        byte[] configBytes = "{\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        Digest configDigest = blobInTree(configBytes);
        Digest layer = blobInTree(bytes(500, 7));
        byte[] manifestBytes = ("{\"schemaVersion\":2,"
                + "\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
                + "\"digest\":\"" + configDigest + "\",\"size\":" + configBytes.length + "},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
                + "\"digest\":\"" + layer + "\",\"size\":500}]}").getBytes(StandardCharsets.UTF_8);
        Digest manifest = blobInTree(manifestBytes);
        Digest gone = Digest.sha256("never stored".getBytes(StandardCharsets.UTF_8));
        String repo = "repositories/lib/app/";
        link(repo + "_layers/sha256/" + configDigest.hex() + "/link", configDigest);
        link(repo + "_layers/sha256/" + layer.hex() + "/link", layer);
        link(repo + "_layers/sha256/" + gone.hex() + "/link", gone);
        link(repo + "_manifests/revisions/sha256/" + manifest.hex() + "/link", manifest);
        link(repo + "_manifests/tags/v1/current/link", manifest);
        link(repo + "_manifests/tags/v1/index/sha256/" + manifest.hex() + "/link", manifest);
        link(repo + "_manifests/tags/ghost/current/link", gone);

        Run first = run(new ImportCommand(Map.of()), "--config", config.toString(), root.toString());

        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out())
                .contains("inconsistent: lib/app: _layers link to " + gone + " whose blob is not in storage; skipped")
                .contains("inconsistent: lib/app: tag ghost points to " + gone
                        + ", which is not a manifest of the repository; skipped")
                .contains("repository lib/app: 2 blob links (2 new), 1 manifests (1 new), 1 tags (1 new)")
                .contains("imported 1 repository, 2 blob links (2 new), 1 manifest (1 new), 1 tag (1 new); "
                        + "2 inconsistencies");
        try (Registry r = new Registry()) {
            RepositoryName app = RepositoryName.of("lib/app");
            assertThat(r.manifests.get(app, Tag.of("v1")).bytes()).isEqualTo(manifestBytes);
            assertThat(r.metadata.linkedBlobSize(app, layer)).contains(500L);
            assertThat(r.metadata.tags(app, Optional.empty(), 10)).containsExactly("v1");
        }

        Run again = run(new ImportCommand(Map.of()), "--config", config.toString());

        assertThat(again.code()).isZero();
        assertThat(again.out()).contains("imported 1 repository, 2 blob links (0 new), 1 manifest (0 new), 1 tag "
                + "(0 new); 2 inconsistencies");
    }

    @Test
    void import_treeOtherThanTheConfiguredStorage_exitsTwoSayingWhatToSet() throws IOException {
        Path elsewhere = dir.resolve("elsewhere");
        Files.createDirectories(elsewhere.resolve("docker/registry/v2/repositories"));
        Files.createDirectories(root);

        Run run = run(new ImportCommand(Map.of()), "--config", config.toString(), elsewhere.toString());
        Run notATree = run(new ImportCommand(Map.of()), "--config", config.toString(), dir.toString());

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("is not the configured storage root")
                .contains("set storage.filesystem.rootdirectory");
        assertThat(notATree.code()).isEqualTo(2);
        assertThat(notATree.err()).contains("is not a distribution storage root");
    }
}
