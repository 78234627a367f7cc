package dev.berth.bench;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The lean clients against a scripted HTTP/1.x server: every way a response can end. */
class ClientProtocolTest {

    private ServerSocket server;
    private Thread acceptor;
    private final AtomicInteger connections = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    connections.incrementAndGet();
                    Thread.ofVirtual().start(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        acceptor.join(2000);
    }

    /** Answers by path: /length, /chunked, /close, /http10; HEAD gets the headers of a GET. */
    private static void serve(Socket s) {
        try (s) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.ISO_8859_1));
            OutputStream out = s.getOutputStream();
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    return;
                }
                String[] parts = line.split(" ");
                String method = parts[0];
                String path = parts[1];
                boolean http10 = parts[2].equals("HTTP/1.0");
                long bodyLength = 0;
                String h;
                while (!(h = in.readLine()).isEmpty()) {
                    if (h.toLowerCase().startsWith("content-length:")) {
                        bodyLength = Long.parseLong(h.substring(15).strip());
                    }
                }
                for (long i = 0; i < bodyLength; i++) {
                    in.read();
                }
                boolean head = method.equals("HEAD");
                String body = "hello, bench " + path;
                String resp;
                boolean close = false;
                switch (path) {
                    case "/chunked" -> resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + (head ? "" : "5;ext=1\r\nhello\r\n8\r\n, chunks\r\n0\r\nX-Trailer: yes\r\n\r\n");
                    case "/close" -> {
                        resp = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + body.length() + "\r\n\r\n"
                                + (head ? "" : body);
                        close = true;
                    }
                    case "/missing" -> resp = "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n"
                            + (head ? "" : "no");
                    default -> {
                        resp = (http10 ? "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n" : "HTTP/1.1 200 OK\r\n")
                                + "Content-Length: " + body.length() + "\r\n\r\n" + (head ? "" : body);
                    }
                }
                out.write(resp.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                if (close) {
                    return;
                }
            }
        } catch (IOException e) {
            // client went away
        }
    }

    private HttpConn conn() {
        return new HttpConn("127.0.0.1", server.getLocalPort(), Duration.ofSeconds(10));
    }

    @Test
    void httpConn_readsEveryKindOfBody_onOneConnection() throws IOException {
        try (HttpConn c = conn()) {
            assertThat(c.exchange("GET", "/length", Map.of()).bodyText()).isEqualTo("hello, bench /length");
            assertThat(c.exchange("GET", "/chunked", Map.of()).bodyText()).isEqualTo("hello, chunks");
            HttpConn.Response head = c.exchange("HEAD", "/length", Map.of());
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.bodyLength()).isZero();
            assertThat(c.exchange("PUT", "/length", Map.of(), HttpConn.Body.of(new PatternSource(1), 0, 100_000),
                    null, 1000).status()).isEqualTo(200);
            assertThat(c.exchange("GET", "/missing", Map.of()).status()).isEqualTo(404);
            assertThat(c.connects()).isEqualTo(1);
            assertThat(c.exchange("GET", "/close", Map.of()).bodyText()).isEqualTo("hello, bench /close");
            assertThat(c.exchange("GET", "/length", Map.of()).status()).isEqualTo(200);
            assertThat(c.connects()).isEqualTo(2);
        }
    }

    private LoadGenerator.Result load(String request, boolean head, int connections) throws InterruptedException {
        return LoadGenerator.run(new LoadGenerator.Plan("127.0.0.1", server.getLocalPort(),
                request.getBytes(StandardCharsets.ISO_8859_1), head, connections, 2, 50_000_000L, 300_000_000L,
                Long.MAX_VALUE));
    }

    @Test
    void loadGenerator_keepsConnectionsAlive_forLengthChunkedAndHead() throws InterruptedException {
        for (String[] c : new String[][] {{"GET", "/length"}, {"GET", "/chunked"}, {"HEAD", "/chunked"},
                {"HEAD", "/length"}}) {
            connections.set(0);
            LoadGenerator.Result r = load(c[0] + " " + c[1] + " HTTP/1.1\r\nHost: x\r\n\r\n", c[0].equals("HEAD"), 4);
            assertThat(r.errors()).as(c[0] + " " + c[1] + ": " + r.lastError()).isZero();
            assertThat(r.requests()).as(c[0] + " " + c[1]).isGreaterThan(10);
            assertThat(r.connects()).isEqualTo(4);
            assertThat(r.latency().count()).isEqualTo(r.requests());
            assertThat(r.latency().percentile(50)).isPositive();
        }
    }

    @Test
    void loadGenerator_http10KeepAlive_andConnectionClose() throws InterruptedException {
        LoadGenerator.Result ten = load("HEAD /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, 2);
        assertThat(ten.errors()).isZero();
        assertThat(ten.connects()).isEqualTo(2);
        LoadGenerator.Result close = load("GET /close HTTP/1.1\r\nHost: x\r\n\r\n", false, 2);
        assertThat(close.errors()).isZero();
        assertThat(close.requests()).isGreaterThan(5);
        assertThat(close.connects()).isGreaterThan(5);
    }

    @Test
    void loadGenerator_countsErrorStatuses() throws InterruptedException {
        LoadGenerator.Result r = load("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n", false, 2);
        assertThat(r.requests()).isZero();
        assertThat(r.errors()).isPositive();
        assertThat(r.lastErrorStatus()).isEqualTo(404);
    }

    @Test
    void abOutput_isParsed() throws IOException {
        String sample = """
                Complete requests:      123456
                Failed requests:        0
                Non-2xx responses:      3
                Keep-Alive requests:    123456
                Requests per second:    41152.00 [#/sec] (mean)
                Percentage of the requests served within a certain time (ms)
                  50%      1
                  66%      1
                  99%      4
                 100%     12 (longest request)
                """;
        AbDriver.Result r = AbDriver.parse(sample, "ab");
        assertThat(r.perSecond()).isEqualTo(41152.0);
        assertThat(r.complete()).isEqualTo(123456);
        assertThat(r.non2xx()).isEqualTo(3);
        assertThat(r.p50Ms()).isEqualTo(1);
        assertThat(r.p99Ms()).isEqualTo(4);
    }
}
