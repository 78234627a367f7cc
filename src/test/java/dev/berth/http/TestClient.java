package dev.berth.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** A tiny HTTP/1.1 client for tests (JDK {@link HttpClient}): one call, status + headers + body. */
public final class TestClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    private final TestServer server;

    TestClient(TestServer server) {
        this.server = server;
    }

    /** What came back. */
    public record Reply(int status, HttpHeaders headers, byte[] body) {

        public Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        /** The header's value; fails the test when it is absent. */
        public String headerValue(String name) {
            return header(name).orElseThrow(() -> new AssertionError("no " + name + " header in " + this));
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("body is not JSON: " + text(), e);
            }
        }

        /** The first error code of an OCI error envelope. */
        public String errorCode() {
            return json().path("errors").path(0).path("code").asText(null);
        }

        @Override
        public String toString() {
            return status + " " + headers.map() + " " + (body.length > 512 ? body.length + " bytes" : text());
        }
    }

    public Reply get(String path) {
        return send("GET", path, Map.of(), (byte[]) null);
    }

    public Reply head(String path) {
        return send("HEAD", path, Map.of(), (byte[]) null);
    }

    public Reply delete(String path) {
        return send("DELETE", path, Map.of(), (byte[]) null);
    }

    public Reply send(String method, String path) {
        return send(method, path, Map.of(), (byte[]) null);
    }

    public Reply send(String method, String path, Map<String, String> headers) {
        return send(method, path, headers, (byte[]) null);
    }

    public Reply send(String method, String path, byte[] body) {
        return send(method, path, Map.of(), body);
    }

    /**
     * Sends one request. {@code path} is relative to the server ({@code /v2/...}, with query) or an absolute URI;
     * a null body sends none ({@code Content-Length: 0} for methods that usually carry one).
     */
    public Reply send(String method, String path, Map<String, String> headers, byte[] body) {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body);
        return sendPublisher(method, path, headers, publisher);
    }

    /** Sends a body of unknown length: {@code Transfer-Encoding: chunked}. */
    public Reply sendStreamed(String method, String path, Map<String, String> headers,
                              Supplier<InputStream> body) {
        return sendPublisher(method, path, headers, HttpRequest.BodyPublishers.ofInputStream(body));
    }

    public Reply sendPublisher(String method, String path, Map<String, String> headers,
                               HttpRequest.BodyPublisher body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(path.startsWith("http") ? java.net.URI.create(path)
                        : server.uri(path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body);
        headers.forEach(b::header);
        try {
            HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Headers from alternating names and values. */
    public static Map<String, String> headers(String... namesAndValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return m;
    }
}
