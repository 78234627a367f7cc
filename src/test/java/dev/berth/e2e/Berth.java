package dev.berth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.cli.BerthServer;
import dev.berth.config.BerthConfig;
import dev.berth.http.TestServer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Berth running in-process for an end-to-end test: {@link BerthConfig#defaults()} with HTTP on an ephemeral port
 * of 127.0.0.1, filesystem storage and SQLite under a test's temporary directory, deletes enabled. Every line of
 * the access log ({@code berth.access}: {@code POST /v2/<name>/blobs/uploads/ 201 0B 1.2ms /127.0.0.1:4711}) is
 * kept so tests can check which requests a client made and how they were answered.
 */
final class Berth implements AutoCloseable {

    /** Held strongly: java.util.logging forgets a logger (and its handlers) nobody references. */
    private static final Logger ACCESS = Logger.getLogger("berth.access");

    private final BerthServer server;
    private final List<String> access = new ArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            synchronized (access) {
                access.add(record.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Berth(BerthServer server) {
        this.server = server;
    }

    static Berth start(Path dataDir) throws Exception {
        return start(dataDir, 0, c -> c);
    }

    /**
     * The same on {@code port} (0: a free one), with {@code customize} applied to the configuration last: a test
     * adds authentication or TLS ({@link BerthConfig#withAuth}, {@link BerthConfig#withTls}) there.
     */
    static Berth start(Path dataDir, int port, java.util.function.UnaryOperator<BerthConfig> customize)
            throws Exception {
        BerthConfig defaults = BerthConfig.defaults();
        BerthConfig.Http h = defaults.http();
        BerthConfig config = customize.apply(defaults
                .withHttp(new BerthConfig.Http("127.0.0.1", port, h.idleTimeout(), h.maxManifestBytes()))
                .withStorage(defaults.storage().withRootDirectory(dataDir.resolve("registry")).withDeleteEnabled(true))
                .withDatabase(BerthConfig.Database.sqlite(dataDir.resolve("berth.db"))));
        Berth berth = new Berth(BerthServer.start(config));
        if (!ACCESS.isLoggable(Level.INFO)) {
            ACCESS.setLevel(Level.INFO);
        }
        ACCESS.addHandler(berth.handler);
        return berth;
    }

    int port() {
        return server.port();
    }

    /** {@code 127.0.0.1:<port>}: the registry host as clients name it. */
    String host() {
        return "127.0.0.1:" + port();
    }

    /** {@code 127.0.0.1:<port>/<repoAndTag>}. */
    String ref(String repoAndTag) {
        return host() + "/" + repoAndTag;
    }

    /** {@code docker://127.0.0.1:<port>/<repoAndTag>}: the containers/image transport reference. */
    String docker(String repoAndTag) {
        return "docker://" + ref(repoAndTag);
    }

    // ---- access log ------------------------------------------------------------------------------------------

    /** A position in the access log, for {@link #accessSince(int)}. */
    int accessMark() {
        synchronized (access) {
            return access.size();
        }
    }

    /** Access-log lines written after {@code mark}. */
    List<String> accessSince(int mark) {
        synchronized (access) {
            return List.copyOf(access.subList(mark, access.size()));
        }
    }

    /**
     * Access-log lines after {@code mark}, once a line starting with {@code lastLinePrefix} is there: a request is
     * logged when its response is complete, which can be a moment after the client has moved on.
     */
    List<String> accessSince(int mark, String lastLinePrefix) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            List<String> lines = accessSince(mark);
            if (lines.stream().anyMatch(l -> l.startsWith(lastLinePrefix)) || System.nanoTime() > deadline) {
                assertThat(lines).as("access log").anyMatch(l -> l.startsWith(lastLinePrefix));
                return lines;
            }
            Thread.sleep(20);
        }
    }

    // ---- plain HTTP, for checks no client shows --------------------------------------------------------------

    HttpResponse<byte[]> get(String path, String... accept) throws IOException, InterruptedException {
        return send("GET", path, HttpRequest.BodyPublishers.noBody(), accept);
    }

    HttpResponse<byte[]> head(String path, String... accept) throws IOException, InterruptedException {
        return send("HEAD", path, HttpRequest.BodyPublishers.noBody(), accept);
    }

    HttpResponse<byte[]> put(String path, String contentType, byte[] body) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + host() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> send(String method, String path, HttpRequest.BodyPublisher body, String... accept)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + host() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body);
        for (String a : accept) {
            b.header("Accept", a);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Stops the server and fails when Netty reported a leaked buffer meanwhile (tests run with paranoid leak detection). */
    @Override
    public void close() {
        try {
            server.close();
        } finally {
            ACCESS.removeHandler(handler);
            http.close();
        }
        TestServer.assertNoLeaks();
    }
}
