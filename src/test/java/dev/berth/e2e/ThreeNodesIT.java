package dev.berth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.cli.BerthServer;
import dev.berth.config.BerthConfig;
import dev.berth.config.ConfigLoader;
import dev.berth.http.TestServer;
import dev.berth.registry.UploadLocations;
import dev.berth.storage.s3.S3Proxy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Issue #5's proof: three Berth nodes over one S3 bucket (s3proxy, its own process), one PostgreSQL database and one
 * {@code http.secret}, each node configured as an operator would (YAML, {@code storage.s3}), all started at once on
 * a fresh schema. Any node serves any request: a chunked upload started on node 1 is continued on node 2 and
 * finished on node 3; skopeo pushes through each node in turn and pulls through another with identical digests; what
 * one node deletes is 404 on the others at once.
 *
 * <p>PostgreSQL is found as {@code PostgresMetadataStoreTest} finds it ({@code BERTH_TEST_POSTGRES_URL}, ...; {@code
 * .ci/run} starts it); the nodes work in a schema of their own, dropped afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ThreeNodesIT {

    private static final String PG_URL = env("BERTH_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/berth_test");
    private static final String PG_USER = env("BERTH_TEST_POSTGRES_USER", "berth");
    private static final String PG_PASSWORD = env("BERTH_TEST_POSTGRES_PASSWORD", "berth");
    private static final String BUCKET = "three-nodes";
    private static final String ROOT = "registry";
    private static final int MIB = 1024 * 1024;

    @TempDir
    static Path tmp;

    private S3Proxy proxy;
    private String schema;
    private final String secret = UploadLocations.randomSecret();
    private final List<BerthServer> nodes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    /** Follows the 307 of a blob GET to the bucket, as registry clients do. */
    private final HttpClient following = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    @BeforeAll
    void startThreeNodesAtOnce() throws Exception {
        Cmd.require("skopeo");
        Cmd.require("umoci");
        proxy = S3Proxy.start(Files.createDirectories(tmp.resolve("s3proxy")));
        try (S3Client admin = S3Client.builder().region(Region.US_EAST_1).endpointOverride(proxy.endpoint())
                .forcePathStyle(true).credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY)))
                .httpClientBuilder(Apache5HttpClient.builder()).build()) {
            admin.createBucket(b -> b.bucket(BUCKET));
        }
        schema = "berth_it_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        try (Connection c = DriverManager.getConnection(PG_URL, PG_USER, PG_PASSWORD);
             Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }

        // three nodes, three configuration files that differ only in their spool directory
        List<BerthConfig> configs = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            Path file = tmp.resolve("node" + i + ".yml");
            Files.writeString(file, nodeConfig(i));
            configs.add(ConfigLoader.load(file, Map.of()));
        }
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService starters = Executors.newFixedThreadPool(3);
        try {
            List<Future<BerthServer>> started = new ArrayList<>();
            for (BerthConfig config : configs) {
                started.add(starters.submit(() -> {
                    go.await();
                    return BerthServer.start(config);
                }));
            }
            go.countDown();
            for (Future<BerthServer> f : started) {
                nodes.add(f.get(2, TimeUnit.MINUTES));
            }
        } finally {
            starters.shutdownNow();
        }
    }

    /** Node {@code i}'s {@code config.yml}: the shared bucket, database and secret. */
    private String nodeConfig(int i) {
        String url = PG_URL + (PG_URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        return """
                version: 0.1
                http:
                  addr: 127.0.0.1:0
                  secret: %s
                storage:
                  s3:
                    bucket: %s
                    regionendpoint: %s
                    forcepathstyle: true
                    accesskey: %s
                    secretkey: %s
                    rootdirectory: %s
                    chunksize: 5242880
                    spooldirectory: %s
                  delete:
                    enabled: true
                database:
                  url: %s
                  username: %s
                  password: %s
                  maxpoolsize: 4
                """.formatted(secret, BUCKET, proxy.endpoint(), S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY, ROOT,
                tmp.resolve("spool-" + i), url, PG_USER, PG_PASSWORD);
    }

    @AfterAll
    void stopEverything() throws Exception {
        for (BerthServer node : nodes) {
            node.close();
        }
        TestServer.assertNoLeaks();
        if (schema != null) {
            try (Connection c = DriverManager.getConnection(PG_URL, PG_USER, PG_PASSWORD);
                 Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    // ---- plumbing -----------------------------------------------------------------------------------------------

    /** Node {@code n} (1, 2 or 3). */
    private BerthServer node(int n) {
        return nodes.get(n - 1);
    }

    private String host(int n) {
        return "127.0.0.1:" + node(n).port();
    }

    private URI uri(int n, String target) {
        return URI.create("http://" + host(n) + target);
    }

    private HttpResponse<byte[]> send(int n, String method, String target, byte[] body, String... headers)
            throws IOException, InterruptedException {
        return send(http, n, method, target, body, headers);
    }

    private static HttpResponse<byte[]> send(HttpClient client, URI uri, String method, byte[] body,
                                             String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> send(HttpClient client, int n, String method, String target, byte[] body,
                                      String... headers) throws IOException, InterruptedException {
        return send(client, uri(n, target), method, body, headers);
    }

    private static String sha256(byte[] b) {
        return OciLayout.sha256(b);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Pushes a blob monolithically through node {@code n}; returns its digest. */
    private String pushBlob(int n, String repo, byte[] blob) throws Exception {
        String digest = sha256(blob);
        HttpResponse<byte[]> r = send(n, "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest, blob);
        assertThat(r.statusCode()).as("push to node %d: %s", n, new String(r.body(), StandardCharsets.UTF_8))
                .isEqualTo(201);
        return digest;
    }

    // ---- the proof ------------------------------------------------------------------------------------------------

    @Test
    void nodesStartedAtOnce_migratedTheSharedDatabaseOnce() throws Exception {
        try (Connection c = DriverManager.getConnection(PG_URL, PG_USER, PG_PASSWORD);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT version, COUNT(*) FROM " + schema
                     + ".schema_version GROUP BY version ORDER BY version")) {
            List<String> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(rs.getInt(1) + "|" + rs.getInt(2));
            }
            assertThat(rows).as("each migration recorded exactly once").isNotEmpty()
                    .allMatch(r -> r.endsWith("|1"));
            assertThat(rows).contains("3|1");
        }
        for (int n = 1; n <= 3; n++) {
            assertThat(send(n, "GET", "/v2/", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void chunkedUpload_startedOnNode1_continuedOnNode2_finishedOnNode3_readsBackIdenticalFromAll()
            throws Exception {
        // chunks that cross S3's 5 MiB part minimum every way: a tail under it, a full part and more, one byte
        int[] chunks = {3 * MIB + 11, 7 * MIB, 1, 6 * MIB + 5};
        byte[] blob = random(Arrays.stream(chunks).sum(), 5);
        String repo = "scale/chunked";
        String digest = sha256(blob);

        HttpResponse<byte[]> started = send(1, "POST", "/v2/" + repo + "/blobs/uploads/", null);
        assertThat(started.statusCode()).isEqualTo(202);
        String location = started.headers().firstValue("Location").orElseThrow();
        String uuid = started.headers().firstValue("Docker-Upload-UUID").orElseThrow();
        assertThat(location).contains("?_state=");

        int offset = 0;
        for (int i = 0; i < chunks.length - 1; i++) {
            byte[] chunk = Arrays.copyOfRange(blob, offset, offset + chunks[i]);
            HttpResponse<byte[]> patched = send(2, "PATCH", location, chunk,
                    "Content-Type", "application/octet-stream",
                    "Content-Range", offset + "-" + (offset + chunk.length - 1));
            assertThat(patched.statusCode()).as("PATCH %d on node 2: %s", i,
                    new String(patched.body(), StandardCharsets.UTF_8)).isEqualTo(202);
            offset += chunk.length;
            assertThat(patched.headers().firstValue("Range")).hasValue("0-" + (offset - 1));
            location = patched.headers().firstValue("Location").orElseThrow();
            // no re-read on the next node: the SHA-256 state at this offset is in the session's row, 108 bytes
            try (Connection c = DriverManager.getConnection(PG_URL, PG_USER, PG_PASSWORD);
                 PreparedStatement ps = c.prepareStatement("SELECT size, hash_state FROM " + schema
                         + ".uploads WHERE id = ?")) {
                ps.setString(1, uuid);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getLong(1)).isEqualTo(offset);
                    assertThat(Base64.getDecoder().decode(rs.getString(2)))
                            .as("hash state after the chunk ending at %d", offset).hasSize(108);
                }
            }
        }
        // and no state objects in the bucket to write, read and delete per chunk
        try (var files = Files.walk(proxy.baseDirectory().resolve(BUCKET))) {
            assertThat(files.map(Path::toString)).noneMatch(p -> p.contains("hashstates"));
        }

        // node 3 knows where the upload stands, and refuses the session's state on another repository
        HttpResponse<byte[]> status = send(3, "GET", location, null);
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(status.headers().firstValue("Range")).hasValue("0-" + (offset - 1));
        String elsewhere = location.replace("/v2/" + repo + "/", "/v2/scale/other/");
        HttpResponse<byte[]> forged = send(3, "GET", elsewhere, null);
        assertThat(forged.statusCode()).isEqualTo(404);
        assertThat(new String(forged.body(), StandardCharsets.UTF_8)).contains("BLOB_UPLOAD_UNKNOWN");

        byte[] last = Arrays.copyOfRange(blob, offset, blob.length);
        HttpResponse<byte[]> put = send(3, "PUT", location + "&digest=" + digest, last,
                "Content-Type", "application/octet-stream",
                "Content-Range", offset + "-" + (blob.length - 1));
        assertThat(put.statusCode()).as("PUT on node 3: %s", new String(put.body(), StandardCharsets.UTF_8))
                .isEqualTo(201);
        assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(digest);

        for (int n = 1; n <= 3; n++) {
            String target = "/v2/" + repo + "/blobs/" + digest;
            HttpResponse<byte[]> head = send(n, "HEAD", target, null);
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(blob.length);
            HttpResponse<byte[]> redirect = send(n, "GET", target, null);
            assertThat(redirect.statusCode()).as("GET on node %d: a redirect to the bucket", n).isEqualTo(307);
            HttpResponse<byte[]> got = send(following, n, "GET", target, null);
            assertThat(got.statusCode()).isEqualTo(200);
            assertThat(sha256(got.body())).as("blob read back from node %d", n).isEqualTo(digest);
            assertThat(got.body()).isEqualTo(blob);
        }
    }

    @Test
    void skopeo_pushesThroughEachNodeInTurn_andPullsThroughAnother_withIdenticalDigests() {
        for (int n = 1; n <= 3; n++) {
            String tag = "v" + n;
            OciLayout image = OciLayout.sample(tmp.resolve("image-" + n), tag, 2, 6 * MIB);
            String ref = "scale/app:" + tag;
            Cmd.of("skopeo", "copy", "--dest-tls-verify=false", image.ref(tag), "docker://" + host(n) + "/" + ref)
                    .timeout(Duration.ofMinutes(2)).ok();

            int other = n % 3 + 1;
            OciLayout pulled = new OciLayout(tmp.resolve("pulled-" + n));
            Cmd.of("skopeo", "copy", "--src-tls-verify=false", "docker://" + host(other) + "/" + ref, pulled.ref(tag))
                    .timeout(Duration.ofMinutes(2)).ok();

            assertThat(pulled.manifestDigest(tag)).as("manifest pushed via node %d, pulled via node %d", n, other)
                    .isEqualTo(image.manifestDigest(tag));
            assertThat(pulled.configDigest(tag)).isEqualTo(image.configDigest(tag));
            assertThat(pulled.layerDigests(tag)).isEqualTo(image.layerDigests(tag));
            for (String layer : image.layerDigests(tag)) {
                assertThat(pulled.blob(layer)).as("layer " + layer).isEqualTo(image.blob(layer));
            }
        }
        // and every node lists every tag, whichever node took the push
        for (int n = 1; n <= 3; n++) {
            JsonNode tags = OciLayout.parse(Cmd.of("skopeo", "list-tags", "--tls-verify=false",
                    "docker://" + host(n) + "/scale/app").ok().stdout());
            assertThat(texts(tags.path("Tags"))).as("tags seen by node %d", n)
                    .containsExactlyInAnyOrder("v1", "v2", "v3");
        }
    }

    @Test
    void deleteOnNode1_is404OnNode2AtOnce_forManifestsTagsAndBlobs() throws Exception {
        String repo = "scale/doomed";
        byte[] layer = random(2 * MIB, 11);
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
                .getBytes(StandardCharsets.UTF_8);
        String layerDigest = pushBlob(1, repo, layer);
        String configDigest = pushBlob(2, repo, config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + configDigest + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + layerDigest + "\",\"size\":"
                + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
        String manifestDigest = sha256(manifest);
        HttpResponse<byte[]> put = send(3, "PUT", "/v2/" + repo + "/manifests/latest", manifest,
                "Content-Type", "application/vnd.oci.image.manifest.v1+json");
        assertThat(put.statusCode()).as(new String(put.body(), StandardCharsets.UTF_8)).isEqualTo(201);

        // node 2 serves everything (and has served it, should anything on it keep what it served)
        String accept = "application/vnd.oci.image.manifest.v1+json";
        for (String target : List.of("/v2/" + repo + "/manifests/latest", "/v2/" + repo + "/manifests/"
                + manifestDigest)) {
            for (String method : List.of("HEAD", "GET", "GET")) {
                assertThat(send(2, method, target, null, "Accept", accept).statusCode()).isEqualTo(200);
            }
        }
        String layerTarget = "/v2/" + repo + "/blobs/" + layerDigest;
        assertThat(send(2, "HEAD", layerTarget, null).statusCode()).isEqualTo(200);
        assertThat(send(following, 2, "GET", layerTarget, null).body()).isEqualTo(layer);

        // the manifest goes on node 1: node 2 and node 3 answer 404 at once, by digest and by tag
        assertThat(send(1, "DELETE", "/v2/" + repo + "/manifests/" + manifestDigest, null).statusCode())
                .isEqualTo(202);
        for (int n : new int[] {2, 3}) {
            for (String target : List.of("/v2/" + repo + "/manifests/latest", "/v2/" + repo + "/manifests/"
                    + manifestDigest)) {
                for (String method : List.of("HEAD", "GET")) {
                    HttpResponse<byte[]> r = send(n, method, target, null, "Accept", accept);
                    assertThat(r.statusCode()).as("%s %s on node %d after the delete on node 1", method, target, n)
                            .isEqualTo(404);
                }
            }
            JsonNode tags = OciLayout.parse(send(n, "GET", "/v2/" + repo + "/tags/list", null).body());
            assertThat(tags.path("tags").size()).as("tags on node %d", n).isZero();
        }

        // the layer goes on node 1: node 2 answers 404 at once, to HEAD and to GET
        assertThat(send(1, "DELETE", layerTarget, null).statusCode()).isEqualTo(202);
        assertThat(send(2, "HEAD", layerTarget, null).statusCode()).isEqualTo(404);
        HttpResponse<byte[]> get = send(2, "GET", layerTarget, null);
        assertThat(get.statusCode()).isEqualTo(404);
        assertThat(new String(get.body(), StandardCharsets.UTF_8)).contains("BLOB_UNKNOWN");
        assertThat(send(3, "GET", layerTarget, null).statusCode()).isEqualTo(404);
    }
}
