package dev.berth.http;

import dev.berth.cli.BerthServer;
import dev.berth.config.BerthConfig;
import dev.berth.config.ConfigLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * A real Berth with authentication, and TLS when asked, for the HTTP tests of docs/auth.md: its configuration is
 * YAML read by {@link ConfigLoader} (the {@code auth} section and {@code http} lines as an operator writes them),
 * with storage and SQLite under a test directory and deletes enabled. The port is chosen before the start, because
 * a token realm names it.
 */
public final class SecureRegistry implements AutoCloseable {

    private final BerthServer server;
    private final String scheme;
    private final HttpClient http;

    private SecureRegistry(BerthServer server, String scheme, HttpClient http) {
        this.server = server;
        this.scheme = scheme;
        this.http = http;
    }

    /** A free port of 127.0.0.1, for a configuration that must name it. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The configuration: {@code httpLines} go under {@code http:} (indented two spaces), {@code sections} after. */
    public static BerthConfig config(Path dataDir, int port, String httpLines, String sections) {
        String yaml = "version: 0.1\nhttp:\n  addr: 127.0.0.1:" + port + "\n" + httpLines.stripTrailing().indent(2)
                + sections;
        BerthConfig c = ConfigLoader.parse(yaml, "test.yml", Map.of());
        return c.withStorage(c.storage().withRootDirectory(TestServer.storageRoot(dataDir)).withDeleteEnabled(true))
                .withDatabase(BerthConfig.Database.sqlite(dataDir.resolve("berth.db")));
    }

    /** Plain HTTP/1.1. */
    public static SecureRegistry start(BerthConfig config) throws Exception {
        return new SecureRegistry(BerthServer.start(config), "http", HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build());
    }

    /** HTTPS, the client trusting {@code trust}, asking for {@code version}. */
    public static SecureRegistry start(BerthConfig config, SSLContext trust, HttpClient.Version version)
            throws Exception {
        return new SecureRegistry(BerthServer.start(config), "https", HttpClient.newBuilder()
                .version(version).sslContext(trust).connectTimeout(Duration.ofSeconds(5)).build());
    }

    public int port() {
        return server.port();
    }

    /** The read-only switch of the running server. */
    public ReadOnlySwitch readOnly() {
        return server.readOnly();
    }

    public URI uri(String path) {
        return URI.create(scheme + "://127.0.0.1:" + port() + path);
    }

    public static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    public static String bearer(String token) {
        return "Bearer " + token;
    }

    /** A request; {@code authorization} may be null. */
    public TestClient.Reply send(String method, String path, String authorization, byte[] body,
                                 String... headerPairs) {
        return exchange(method, path, authorization, body, headerPairs).reply;
    }

    /** A request with the HTTP version it was answered in. */
    public Exchange exchange(String method, String path, String authorization, byte[] body, String... headerPairs) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        for (int i = 0; i < headerPairs.length; i += 2) {
            b.header(headerPairs[i], headerPairs[i + 1]);
        }
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Exchange(new TestClient.Reply(r.statusCode(), r.headers(), r.body()), r.version());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public TestClient.Reply get(String path, String authorization) {
        return send("GET", path, authorization, null);
    }

    /** A reply and the protocol it came in. */
    public record Exchange(TestClient.Reply reply, HttpClient.Version version) {
    }

    /** Pushes {@code content} as a blob of {@code repo} (POST then PUT); returns the PUT's reply. */
    public TestClient.Reply pushBlob(String repo, byte[] content, String authorization) {
        TestClient.Reply start = send("POST", "/v2/" + repo + "/blobs/uploads/", authorization, null);
        if (start.status() != 202) {
            return start;
        }
        String location = start.headerValue("Location");
        String sep = location.contains("?") ? "&" : "?";
        return send("PUT", location + sep + "digest=" + Oci.sha256(content), authorization, content,
                "Content-Type", "application/octet-stream");
    }

    @Override
    public void close() {
        server.close();
        http.close();
        TestServer.assertNoLeaks();
    }
}
