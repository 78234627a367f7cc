package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.config.BerthConfig;
import dev.berth.config.ConfigLoader;
import dev.berth.storage.s3.S3Proxy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code berth serve} on the S3 driver, configured the way an operator does it ({@code storage.s3} and
 * {@code storage.redirect} in YAML), against s3proxy run as its own process: blob GETs redirected to pre-signed URLs
 * (or not), HEAD answered by Berth, a missing bucket named at start, the secret required with PostgreSQL, and the
 * maintenance commands opening the same bucket.
 */
class S3ServeTest {

    private static final String BUCKET = "serve";
    private static Path proxyDirectory;
    private static S3Proxy proxy;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        proxyDirectory = Files.createTempDirectory("berth-s3proxy-serve-");
        proxy = S3Proxy.start(proxyDirectory);
        try (S3Client admin = S3Client.builder().region(Region.US_EAST_1).endpointOverride(proxy.endpoint())
                .forcePathStyle(true).credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY)))
                .httpClientBuilder(Apache5HttpClient.builder()).build()) {
            admin.createBucket(b -> b.bucket(BUCKET));
        }
    }

    @AfterAll
    static void stopS3Proxy() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (proxyDirectory != null) {
            try (Stream<Path> files = Files.walk(proxyDirectory)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A configuration file's text for one node on the test bucket, with {@code extra} lines under storage. */
    private String yaml(String bucket, String storageExtra) {
        return """
                version: 0.1
                http:
                  addr: 127.0.0.1:0
                storage:
                  s3:
                    bucket: %s
                    regionendpoint: %s
                    forcepathstyle: true
                    accesskey: %s
                    secretkey: %s
                    rootdirectory: /serve-test
                    chunksize: 5242880
                    spooldirectory: %s
                %s
                  delete:
                    enabled: true
                database:
                  url: jdbc:sqlite:%s
                """.formatted(bucket, proxy.endpoint(), S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY, dir.resolve("spool"),
                storageExtra, dir.resolve("berth.db"));
    }

    private BerthConfig config(String bucket, String storageExtra) {
        return ConfigLoader.parse(yaml(bucket, storageExtra), "config.yml", Map.of());
    }

    private HttpResponse<byte[]> send(URI uri, String method, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String sha256(byte[] b) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** Pushes {@code blob} into {@code repo} monolithically; returns its digest. */
    private String push(BerthServer server, String repo, byte[] blob) throws Exception {
        String digest = sha256(blob);
        HttpResponse<byte[]> r = send(URI.create("http://127.0.0.1:" + server.port() + "/v2/" + repo
                + "/blobs/uploads/?digest=" + digest), "POST", blob);
        assertThat(r.statusCode()).as("push: %s", new String(r.body())).isEqualTo(201);
        return digest;
    }

    @Test
    void blobGet_redirectsToAPresignedUrlOfTheBucket_andHeadIsAnsweredDirectly() throws Exception {
        byte[] blob = new byte[6 * 1024 * 1024 + 3];
        new SplittableRandom(1).nextBytes(blob);
        try (BerthServer server = BerthServer.start(config(BUCKET, ""))) {
            String digest = push(server, "redirect/me", blob);
            URI blobUri = URI.create("http://127.0.0.1:" + server.port() + "/v2/redirect/me/blobs/" + digest);

            HttpResponse<byte[]> head = send(blobUri, "HEAD", null);
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(blob.length);
            assertThat(head.headers().firstValue("Docker-Content-Digest")).hasValue(digest);

            HttpResponse<byte[]> get = send(blobUri, "GET", null);
            assertThat(get.statusCode()).isEqualTo(307);
            assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
            URI presigned = URI.create(get.headers().firstValue("Location").orElseThrow());
            assertThat(presigned.getHost() + ":" + presigned.getPort())
                    .isEqualTo(proxy.endpoint().getHost() + ":" + proxy.endpoint().getPort());
            assertThat(presigned.getRawPath()).isEqualTo("/" + BUCKET + "/serve-test/docker/registry/v2/blobs/sha256/"
                    + digest.substring(7, 9) + "/" + digest.substring(7) + "/data");
            assertThat(presigned.getRawQuery()).contains("X-Amz-Signature=").contains("X-Amz-Expires=1200");

            // a plain client with no credentials fetches the bytes from the bucket, whole or by range
            HttpResponse<byte[]> fetched = send(presigned, "GET", null);
            assertThat(fetched.statusCode()).isEqualTo(200);
            assertThat(fetched.body()).isEqualTo(blob);
            HttpResponse<byte[]> ranged = send(presigned, "GET", null, "Range", "bytes=10-19");
            assertThat(ranged.statusCode()).isEqualTo(206);
            assertThat(ranged.body()).isEqualTo(java.util.Arrays.copyOfRange(blob, 10, 20));

            // a blob the repository does not have is still 404, never a redirect
            HttpResponse<byte[]> elsewhere = send(URI.create("http://127.0.0.1:" + server.port()
                    + "/v2/redirect/other/blobs/" + digest), "GET", null);
            assertThat(elsewhere.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void blobGet_withRedirectDisabled_streamsTheBytesWithRanges() throws Exception {
        byte[] blob = new byte[700_001];
        new SplittableRandom(2).nextBytes(blob);
        try (BerthServer server = BerthServer.start(config(BUCKET, "  redirect:\n    disable: true"))) {
            String digest = push(server, "redirect/off", blob);
            URI blobUri = URI.create("http://127.0.0.1:" + server.port() + "/v2/redirect/off/blobs/" + digest);

            HttpResponse<byte[]> get = send(blobUri, "GET", null);
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.body()).isEqualTo(blob);
            HttpResponse<byte[]> range = send(blobUri, "GET", null, "Range", "bytes=100-199");
            assertThat(range.statusCode()).isEqualTo(206);
            assertThat(range.body()).isEqualTo(java.util.Arrays.copyOfRange(blob, 100, 200));
        }
    }

    @Test
    void start_withAMissingBucket_failsNamingTheBucket() {
        assertThatThrownBy(() -> BerthServer.start(config("no-such-bucket", "")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("S3 bucket no-such-bucket is not usable at " + proxy.endpoint());
    }

    @Test
    void start_withPostgresAndNoSecret_isRefusedNamingTheKey() {
        BerthConfig config = config(BUCKET, "").withDatabase(new BerthConfig.Database(
                "jdbc:postgresql://127.0.0.1:5432/berth_test", "berth", "berth", 2));

        assertThatThrownBy(() -> BerthServer.start(config)).isInstanceOf(ConfigLoader.ConfigException.class)
                .hasMessageStartingWith("http.secret: required with a PostgreSQL database");
    }

    @Test
    void maintenanceCommands_openTheSameBucket() throws Exception {
        byte[] blob = new byte[1000];
        new SplittableRandom(3).nextBytes(blob);
        Path file = dir.resolve("berth.yml");
        Files.writeString(file, yaml(BUCKET, ""));
        try (BerthServer server = BerthServer.start(config(BUCKET, ""))) {
            push(server, "offline/seen", blob);
        }

        try (OfflineStores stores = OfflineStores.open(ConfigLoader.load(file, Map.of()))) {
            assertThat(stores.storage.name()).isEqualTo("s3");
            assertThat(stores.storage.stat("/docker/registry/v2/blobs/sha256/" + sha256(blob).substring(7, 9) + "/"
                    + sha256(blob).substring(7) + "/data")).hasValueSatisfying(
                            info -> assertThat(info.size()).isEqualTo(1000));
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine du = new picocli.CommandLine(new DuCommand(Map.of()));
        du.setOut(new PrintWriter(out, true));
        du.setErr(new PrintWriter(err, true));
        assertThat(du.execute("--config", file.toString())).as(err.toString()).isZero();
        assertThat(out.toString()).contains("offline/seen");
    }
}
