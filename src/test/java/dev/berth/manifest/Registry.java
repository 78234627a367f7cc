package dev.berth.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.cli.BerthServer;
import dev.berth.config.BerthConfig;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A real Berth on an ephemeral port of 127.0.0.1 (filesystem storage and SQLite under one directory), with a tiny
 * HTTP client bound to it. Each test class starts the servers it needs with the configuration it needs.
 */
final class Registry implements AutoCloseable {

    static final long DEFAULT_MAX_MANIFEST_BYTES = 4L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    private final Path dataDir;
    private final BerthServer server;

    private Registry(Path dataDir, BerthServer server) {
        this.dataDir = dataDir;
        this.server = server;
    }

    static Registry start(Path dataDir, boolean deleteEnabled) throws Exception {
        return start(dataDir, deleteEnabled, DEFAULT_MAX_MANIFEST_BYTES);
    }

    static Registry start(Path dataDir, boolean deleteEnabled, long maxManifestBytes) throws Exception {
        return new Registry(dataDir, BerthServer.start(config(dataDir, deleteEnabled, maxManifestBytes)));
    }

    /** A registry with the given configuration (tests that need a knob the other factories don't set). */
    static Registry start(Path dataDir, BerthConfig config) throws Exception {
        return new Registry(dataDir, BerthServer.start(config));
    }

    /** Defaults, adjusted: port 0, storage and SQLite under {@code dataDir}, deletes and manifest cap as given. */
    static BerthConfig config(Path dataDir, boolean deleteEnabled, long maxManifestBytes) {
        BerthConfig defaults = BerthConfig.defaults();
        BerthConfig.Http http = defaults.http();
        return defaults
                .withHttp(new BerthConfig.Http("127.0.0.1", 0, http.idleTimeout(), maxManifestBytes))
                .withStorage(defaults.storage().withRootDirectory(dataDir.resolve("registry"))
                        .withDeleteEnabled(deleteEnabled))
                .withDatabase(BerthConfig.Database.sqlite(dataDir.resolve("berth.db")));
    }

    /** The SQLite URL this registry uses, for tests that fill the database before starting the server. */
    static String databaseUrl(Path dataDir) {
        return "jdbc:sqlite:" + dataDir.resolve("berth.db");
    }

    Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() {
        server.close();
    }

    // ---- HTTP ----------------------------------------------------------------------------------------------

    /** What came back. */
    record Reply(int status, HttpHeaders headers, byte[] body) {

        Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        String headerValue(String name) {
            return header(name).orElseThrow(() -> new AssertionError("no " + name + " header in " + this));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("body is not JSON: " + this, e);
            }
        }

        @Override
        public String toString() {
            return status + " " + headers.map() + " " + (body.length > 600 ? body.length + " bytes" : text());
        }
    }

    Reply get(String path) {
        return send("GET", path, Map.of(), (byte[]) null);
    }

    Reply head(String path) {
        return send("HEAD", path, Map.of(), (byte[]) null);
    }

    Reply delete(String path) {
        return send("DELETE", path, Map.of(), (byte[]) null);
    }

    Reply put(String path, String contentType, byte[] body) {
        return send("PUT", path, contentType == null ? Map.of() : Map.of("Content-Type", contentType), body);
    }

    /** A PUT whose body goes chunked, without Content-Length. */
    Reply putChunked(String path, String contentType, byte[] body) {
        return sendPublisher("PUT", path, Map.of("Content-Type", contentType),
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)));
    }

    /** A PUT sent with {@code Expect: 100-continue}: the body goes only once the server asks for it. */
    Reply putExpectingContinue(String path, String contentType, byte[] body) {
        return exchange(request(path).expectContinue(true).header("Content-Type", contentType)
                .method("PUT", HttpRequest.BodyPublishers.ofByteArray(body)).build(), "PUT " + path);
    }

    Reply send(String method, String path, Map<String, String> headers, byte[] body) {
        return sendPublisher(method, path, headers, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
    }

    Reply sendPublisher(String method, String path, Map<String, String> headers, HttpRequest.BodyPublisher body) {
        HttpRequest.Builder b = request(path).method(method, body);
        headers.forEach(b::header);
        return exchange(b.build(), method + " " + path);
    }

    private HttpRequest.Builder request(String path) {
        URI uri = path.startsWith("http") ? URI.create(path)
                : URI.create("http://127.0.0.1:" + server.port() + path);
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
    }

    private static Reply exchange(HttpRequest request, String what) {
        try {
            HttpResponse<byte[]> r = HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(what + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Map<String, String> headers(String... namesAndValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return m;
    }

    // ---- pushing -------------------------------------------------------------------------------------------

    /** Pushes a blob to {@code repo} in one POST ?digest= and asserts 201. */
    Content.Blob push(String repo, Content.Blob blob) {
        Reply r = send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + blob.digest(),
                headers("Content-Type", "application/octet-stream"), blob.content());
        assertThat(r.status()).as("push of blob %s to %s: %s", blob.digest(), repo, r).isEqualTo(201);
        return blob;
    }

    /** Pushes every blob an image manifest names, then the manifest by {@code reference}; asserts 201. */
    Content.Doc pushImage(String repo, String reference, Content.Doc manifest, Content.Blob... blobs) {
        for (Content.Blob b : blobs) {
            push(repo, b);
        }
        return putManifest(repo, reference, manifest);
    }

    /** PUTs a manifest by tag or digest with its Content-Type and asserts 201. */
    Content.Doc putManifest(String repo, String reference, Content.Doc manifest) {
        Reply r = put("/v2/" + repo + "/manifests/" + reference, manifest.contentType(), manifest.bytes());
        assertThat(r.status()).as("PUT manifest %s:%s: %s", repo, reference, r).isEqualTo(201);
        assertThat(r.header("Docker-Content-Digest")).contains(manifest.digest());
        return manifest;
    }
}
