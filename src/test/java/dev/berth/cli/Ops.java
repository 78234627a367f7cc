package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.config.BerthConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A real Berth for the operations tests: filesystem storage and SQLite under a test directory, the API and the
 * operations listener on ephemeral ports of 127.0.0.1, and a small HTTP client for both.
 */
final class Ops implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    final BerthServer server;

    private Ops(BerthServer server) {
        this.server = server;
    }

    /** Defaults, with ports 0 (API and operations listener), data under {@code dir}, deletes enabled. */
    static BerthConfig config(Path dir) {
        BerthConfig d = BerthConfig.defaults();
        return d.withHttp(d.http().withPort(0).withDebug(BerthConfig.Debug.on("127.0.0.1", 0)))
                .withStorage(d.storage().withRootDirectory(dir.resolve("registry")).withDeleteEnabled(true))
                .withDatabase(BerthConfig.Database.sqlite(dir.resolve("berth.db")));
    }

    static Ops start(BerthConfig config) throws Exception {
        return new Ops(BerthServer.start(config));
    }

    @Override
    public void close() {
        server.close();
    }

    URI api(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    URI ops(String path) {
        return URI.create("http://127.0.0.1:" + server.opsPort() + path);
    }

    static HttpResponse<byte[]> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<byte[]> get(String path) {
        return send(HttpRequest.newBuilder(api(path)).GET());
    }

    HttpResponse<byte[]> opsGet(String path) {
        return send(HttpRequest.newBuilder(ops(path)).GET());
    }

    HttpResponse<byte[]> opsPost(String path) {
        return send(HttpRequest.newBuilder(ops(path)).POST(HttpRequest.BodyPublishers.noBody()));
    }

    HttpResponse<byte[]> request(String method, String path, String contentType, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(api(path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b);
    }

    static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    static JsonNode json(HttpResponse<byte[]> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text(r), e);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Pushes a blob in one {@code POST ?digest=}; asserts 201; returns its digest. */
    String pushBlob(String repo, byte[] content) {
        String digest = sha256(content);
        HttpResponse<byte[]> r = request("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest,
                "application/octet-stream", content);
        assertThat(r.statusCode()).as("push blob: %s", text(r)).isEqualTo(201);
        return digest;
    }

    /** An OCI image manifest of one config and one layer. */
    static byte[] manifest(String configDigest, int configSize, String layerDigest, int layerSize) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + configDigest + "\",\"size\":" + configSize + "},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\""
                + layerDigest + "\",\"size\":" + layerSize + "}]}").getBytes(StandardCharsets.UTF_8);
    }

    /** Pushes a config and a layer and the manifest naming them by {@code tag}; returns the manifest's digest. */
    String pushImage(String repo, String tag, byte[] config, byte[] layer) {
        String c = pushBlob(repo, config);
        String l = pushBlob(repo, layer);
        byte[] m = manifest(c, config.length, l, layer.length);
        HttpResponse<byte[]> r = request("PUT", "/v2/" + repo + "/manifests/" + tag,
                "application/vnd.oci.image.manifest.v1+json", m);
        assertThat(r.statusCode()).as("push manifest: %s", text(r)).isEqualTo(201);
        return sha256(m);
    }

    /** The samples of a Prometheus text exposition, by {@code name{labels}}. */
    static Map<String, Double> samples(String exposition) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String line : exposition.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String value = line.substring(space + 1);
            m.put(line.substring(0, space), value.equals("+Inf") ? Double.POSITIVE_INFINITY
                    : value.equals("NaN") ? Double.NaN : Double.parseDouble(value));
        }
        return m;
    }

    Map<String, Double> metrics() {
        HttpResponse<byte[]> r = opsGet("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        return samples(text(r));
    }

    /** Waits (up to 20 s) until {@code condition} holds; fails the test otherwise. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still not true after 20s: " + what);
            }
            Thread.sleep(20);
        }
    }

    static List<String> lines(String s) {
        return List.of(s.split("\n"));
    }
}
