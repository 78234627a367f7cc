package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.BerthConfig;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shutdown: a pull in flight is served to its end; {@code berth serve} stops on SIGTERM and exits 0. */
class GracefulShutdownTest {

    @TempDir
    Path dir;

    @Test
    void pullInFlight_duringShutdown_getsTheWholeBlob() throws Exception {
        byte[] blob = new byte[48 * 1024 * 1024];
        new Random(7).nextBytes(blob);
        BerthConfig base = Ops.config(dir);
        Ops berth = Ops.start(base.withHttp(base.http().withDrainTimeout(Duration.ofMinutes(2))));
        CompletableFuture<Void> closing = null;
        try {
            String digest = berth.pushBlob("big/app", blob);
            int port = berth.server.port();
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setReceiveBufferSize(64 * 1024);
                OutputStream out = socket.getOutputStream();
                out.write(("GET /v2/big/app/blobs/" + digest + " HTTP/1.1\r\nHost: test\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                InputStream in = socket.getInputStream();
                String head = readHead(in);
                assertThat(head).startsWith("HTTP/1.1 200 ").contains("content-length: " + blob.length);
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[64 * 1024];
                long got = readSome(in, sha, buf, 1024 * 1024);

                // the slow reader pauses with most of the blob unsent; the server is told to stop meanwhile
                closing = CompletableFuture.runAsync(berth::close);
                Ops.await("the server stopped accepting connections", () -> refuses(port));
                assertThat(closing).isNotDone();

                got += readSome(in, sha, buf, Long.MAX_VALUE);
                assertThat(got).isEqualTo(blob.length);
                assertThat("sha256:" + HexFormat.of().formatHex(sha.digest())).isEqualTo(digest);
            }
            closing.get(60, TimeUnit.SECONDS);
        } finally {
            berth.close();
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the head: " + head);
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT)
                .replace("http/1.1", "HTTP/1.1");
    }

    /** Reads up to {@code max} bytes (or to the end) into the digest; returns how many. */
    private static long readSome(InputStream in, MessageDigest sha, byte[] buf, long max) throws IOException {
        long total = 0;
        while (total < max) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, max - total));
            if (n < 0) {
                break;
            }
            sha.update(buf, 0, n);
            total += n;
        }
        return total;
    }

    private static boolean refuses(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void serve_stopsOnSigterm_andExitsZero_loggingJsonAsConfigured() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "dev.berth.cli.Main", "serve");
        pb.environment().put("BERTH_HTTP_ADDR", "127.0.0.1:0");
        pb.environment().put("BERTH_STORAGE", "inmemory");
        pb.environment().put("BERTH_DATABASE_URL", "jdbc:sqlite:" + dir.resolve("berth.db"));
        pb.environment().put("BERTH_HTTP_DRAINTIMEOUT", "5s");
        pb.environment().put("BERTH_LOG_FORMATTER", "json");
        pb.environment().put("BERTH_LOG_FIELDS_SERVICE", "registry");
        pb.environment().remove("BERTH_LOG_LEVEL");
        pb.redirectError(dir.resolve("stderr.txt").toFile());
        Process p = pb.start();
        try {
            BufferedReader stdout = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = stdout.readLine();
            assertThat(line).as("first line of stdout; stderr: %s", stderr()).isNotNull();
            Matcher m = Pattern.compile("berth listening on http://127\\.0\\.0\\.1:(\\d+)").matcher(line);
            assertThat(m.matches()).as(line).isTrue();
            HttpResponse<String> base = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + m.group(1) + "/v2/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(base.statusCode()).isEqualTo(200);

            p.destroy();    // SIGTERM
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exited; stderr: %s", stderr()).isTrue();
            assertThat(p.exitValue()).as("exit code; stderr: %s", stderr()).isZero();
            java.util.List<com.fasterxml.jackson.databind.JsonNode> records = new java.util.ArrayList<>();
            for (String l : stderr().split("\n")) {
                if (l.startsWith("{")) {       // the JVM's own warnings are not Berth's records
                    records.add(Ops.JSON.readTree(l));
                }
            }
            assertThat(records).as(stderr()).allMatch(j -> j.path("service").asText().equals("registry")
                    && j.has("time") && j.has("level") && j.has("logger"));
            assertThat(records).anyMatch(j -> j.path("logger").asText().equals("berth.access")
                    && j.path("http.request.uri").asText().equals("/v2/") && j.path("http.response.status").asInt() == 200);
            assertThat(records).anyMatch(j -> j.path("msg").asText().startsWith("stopping: draining requests in flight"));
            assertThat(records).anyMatch(j -> j.path("msg").asText().equals("stopped"));
        } finally {
            p.destroyForcibly();
        }
    }

    private String stderr() throws IOException {
        Path f = dir.resolve("stderr.txt");
        return Files.exists(f) ? Files.readString(f) : "";
    }
}
