package dev.berth.jmh;

import dev.berth.metadata.ManifestEntry;
import dev.berth.metadata.MetadataStore;
import dev.berth.metadata.jdbc.JdbcMetadataStore;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import dev.berth.storage.Layout;
import dev.berth.storage.filesystem.FilesystemDriver;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The lookups behind HEAD blob ({@code linkedBlobSize}) and GET manifest by tag ({@code taggedManifest}, then
 * the manifest's bytes read from storage), on the default stack: SQLite in WAL mode through HikariCP, and the
 * filesystem driver. A database holding 10,000 blobs and 1,000 tags, so the indexes matter. Two threads, as the
 * server's two carrier threads would run them. For comparison, the same SQL as the store's on a plain JDBC
 * connection per thread: prepared for every query (as the store does) and prepared once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmx192m", "--enable-native-access=ALL-UNNAMED"})
public class MetadataLookupBenchmark {

    private Path dir;
    private MetadataStore metadata;
    private FilesystemDriver storage;
    private final RepositoryName repo = RepositoryName.of("bench/jmh/hot");
    private Digest blob;
    private Digest manifestDigest;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("berth-jmh-meta");
        metadata = JdbcMetadataStore.open("jdbc:sqlite:" + dir.resolve("berth.db"), null, null, 8);
        storage = new FilesystemDriver(dir.resolve("registry"));
        Instant now = Instant.now();
        for (int i = 0; i < 10_000; i++) {
            Digest d = Digest.sha256(("blob " + i).getBytes(StandardCharsets.UTF_8));
            metadata.putBlob(repo, d, 4096, now);
            if (i == 5_000) {
                blob = d;
            }
        }
        Digest config = Digest.sha256("config".getBytes(StandardCharsets.UTF_8));
        metadata.putBlob(repo, config, 6, now);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config
                + "\",\"size\":6},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                + "\"digest\":\"" + blob + "\",\"size\":4096}]}").getBytes(StandardCharsets.UTF_8);
        manifestDigest = Digest.sha256(manifest);
        storage.putContent(Layout.blobData(manifestDigest), manifest);
        for (int t = 0; t < 1_000; t++) {
            metadata.putManifest(repo, new ManifestEntry(manifestDigest, "application/vnd.oci.image.manifest.v1+json",
                    manifest.length, null, null, null), List.of(config, blob), List.of(),
                    Optional.of(String.format("t%04d", t)), now);
        }
        metadata.putManifest(repo, new ManifestEntry(manifestDigest, "application/vnd.oci.image.manifest.v1+json",
                manifest.length, null, null, null), List.of(config, blob), List.of(), Optional.of("latest"), now);
    }

    /** The store's query for HEAD blob (JdbcMetadataStore.LINKED_BLOB_SIZE). */
    static final String LINKED_BLOB_SIZE = "SELECT b.size FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest"
            + " WHERE rb.repository_id = (SELECT id FROM repositories WHERE name = ?) AND rb.digest = ?";

    /** One plain JDBC connection per benchmark thread, with the statement prepared once. */
    @State(Scope.Thread)
    public static class Jdbc {
        Connection connection;
        PreparedStatement prepared;

        @Setup(Level.Trial)
        public void open(MetadataLookupBenchmark b) throws SQLException {
            connection = DriverManager.getConnection("jdbc:sqlite:" + b.dir.resolve("berth.db"));
            prepared = connection.prepareStatement(LINKED_BLOB_SIZE);
        }

        @TearDown(Level.Trial)
        public void close() throws SQLException {
            prepared.close();
            connection.close();
        }
    }

    /** HEAD blob's SQL on a plain connection, prepared for each query as the store does. */
    @Benchmark
    public long jdbcPrepareEachQuery(Jdbc j) throws SQLException {
        try (PreparedStatement ps = j.connection.prepareStatement(LINKED_BLOB_SIZE)) {
            ps.setString(1, repo.value());
            ps.setString(2, blob.toString());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        }
    }

    /** The same with the statement prepared once per connection. */
    @Benchmark
    public long jdbcPreparedOnce(Jdbc j) throws SQLException {
        PreparedStatement ps = j.prepared;
        ps.setString(1, repo.value());
        ps.setString(2, blob.toString());
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        metadata.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** HEAD blob's lookup. */
    @Benchmark
    public Optional<Long> headBlobLookup() {
        return metadata.linkedBlobSize(repo, blob);
    }

    /** HEAD blob as the registry runs it (Blobs.stat): the link's size and time, no write while it is fresh. */
    @Benchmark
    public Optional<Long> headBlobStat() {
        Instant now = Instant.now();
        return metadata.touchLink(repo, blob, now, now.minus(Duration.ofDays(1)));
    }

    /** GET manifest by tag's lookup, without the bytes (what HEAD manifest does). */
    @Benchmark
    public Optional<ManifestEntry> manifestByTagLookup() {
        return metadata.taggedManifest(repo, "latest");
    }

    /** GET manifest by tag: the lookup, then the bytes from storage (a file read per request today). */
    @Benchmark
    public byte[] getManifestByTag() throws IOException {
        ManifestEntry e = metadata.taggedManifest(repo, "latest").orElseThrow();
        return storage.getContent(Layout.blobData(e.digest()));
    }

    /** The manifest's bytes alone, from storage. */
    @Benchmark
    public byte[] manifestBytesOnly() throws IOException {
        return storage.getContent(Layout.blobData(manifestDigest));
    }
}
