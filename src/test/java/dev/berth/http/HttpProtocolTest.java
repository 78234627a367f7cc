package dev.berth.http;

import static dev.berth.http.ErrorAssert.assertError;
import static dev.berth.http.Oci.bytes;
import static dev.berth.http.Oci.sha256;
import static dev.berth.http.Oci.withQuery;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTP/1.x behaviour the blob API depends on: 100-continue, keep-alive, pipelining, streamed bodies. */
class HttpProtocolTest {

    @TempDir
    static Path dir;

    private static TestServer server;
    private static TestClient client;
    private static final byte[] ONE = bytes(70_000, 1);
    private static final byte[] TWO = bytes(5_000, 2);
    private static String one;
    private static String two;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir);
        client = server.client();
        one = Oci.push(client, "proto", ONE);
        two = Oci.push(client, "proto", TWO);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    // ---- Expect: 100-continue ----------------------------------------------------------------------------------

    @Test
    void expectContinue_patchToUnknownUpload_returns404WithoutWaitingForBody() throws Exception {
        try (RawHttp raw = server.raw()) {
            long started = System.nanoTime();
            raw.write("PATCH /v2/proto/blobs/uploads/0f0e0d0c-0b0a-4908-8706-050403020100 HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: 10485760\r\nExpect: 100-continue\r\n\r\n");

            RawHttp.Response r = raw.read();

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertError(r, 404, "BLOB_UPLOAD_UNKNOWN");
            // the body was never sent, so the connection cannot carry another request
            assertThat(r.header("Connection")).contains("close");
            assertThat(raw.closedByPeer(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void expectContinue_badContentRange_isRejectedBefore100() throws Exception {
        String location = Oci.startUpload(client, "proto/expect");
        try (RawHttp raw = server.raw()) {
            raw.write("PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Range: 5-9\r\n"
                    + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");

            RawHttp.Response r = raw.read();

            assertError(r, 416, "BLOB_UPLOAD_INVALID");
            assertThat(r.header("Range")).contains("0-0");
        }
    }

    @Test
    void expectContinue_patchToKnownUpload_sends100ThenAcceptsBody() throws Exception {
        String location = Oci.startUpload(client, "proto/expect");
        byte[] chunk = bytes(30_000, 3);
        try (RawHttp raw = server.raw()) {
            raw.write("PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Range: 0-29999\r\n"
                    + "Content-Length: 30000\r\nExpect: 100-continue\r\n\r\n");

            RawHttp.Response interim = raw.read();
            assertThat(interim.status()).isEqualTo(100);
            raw.write(chunk);
            RawHttp.Response r = raw.read();

            assertThat(r.status()).isEqualTo(202);
            assertThat(r.header("Range")).contains("0-29999");
        }
        assertThat(client.send("PUT", withQuery(location, "digest", sha256(chunk))).status()).isEqualTo(201);
    }

    @Test
    void expectContinue_fromHttpClient_monolithicPushSucceeds() throws Exception {
        byte[] content = bytes(100_000, 4);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(server.uri("/v2/proto/expect/blobs/uploads/?digest="
                        + sha256(content)))
                .expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofByteArray(content))
                .timeout(Duration.ofSeconds(10))
                .build();

        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/proto/expect/blobs/" + sha256(content)).body()).isEqualTo(content);
    }

    // ---- answering before the body is read ----------------------------------------------------------------------

    @Test
    void errorBeforeBodyIsRead_serverKeepsReadingThenEndsCleanly() throws Exception {
        try (RawHttp raw = server.raw()) {
            raw.write("PATCH /v2/proto/blobs/uploads/0f0e0d0c-0b0a-4908-8706-050403020100 HTTP/1.1\r\n"
                    + "Host: x\r\nContent-Length: 16777216\r\n\r\n");
            raw.write(new byte[64 * 1024]);

            RawHttp.Response r = raw.read();
            assertError(r, 404, "BLOB_UPLOAD_UNKNOWN");
            assertThat(r.header("Connection")).contains("close");

            // the client, still sending its body, is neither reset nor refused while it finishes a few more MiB
            byte[] piece = new byte[64 * 1024];
            for (int i = 0; i < 32; i++) {
                raw.write(piece);
            }
            assertThat(raw.endOfStream(Duration.ofSeconds(5))).as("a clean end of stream, not a reset").isTrue();
        }
    }

    @Test
    void errorBeforeLargeBodyIsRead_httpClientReceivesTheError() {
        String location = Oci.startUpload(client, "proto/early");
        for (int i = 0; i < 10; i++) {
            TestClient.Reply unknown = client.send("PATCH",
                    "/v2/proto/blobs/uploads/0f0e0d0c-0b0a-4908-8706-050403020100", new byte[2_000_000]);
            assertError(unknown, 404, "BLOB_UPLOAD_UNKNOWN");
            TestClient.Reply outOfOrder = client.send("PATCH", location,
                    TestClient.headers("Content-Range", "5-2000004"), new byte[2_000_000]);
            assertError(outOfOrder, 416, "BLOB_UPLOAD_INVALID");
        }
    }

    // ---- HTTP/1.0 and keep-alive -------------------------------------------------------------------------------

    @Test
    void http10KeepAlive_isEchoedAndConnectionServesASecondRequest() throws Exception {
        try (RawHttp raw = server.raw()) {
            raw.write("GET /v2/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            RawHttp.Response first = raw.read();

            assertThat(first.status()).isEqualTo(200);
            assertThat(first.version()).isEqualTo("HTTP/1.0");
            assertThat(first.header("Connection")).hasValueSatisfying(v -> assertThat(v).isEqualToIgnoringCase(
                    "keep-alive"));
            assertThat(first.header("Content-Length")).isPresent();

            raw.write("GET /v2/proto/blobs/" + two + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            RawHttp.Response second = raw.read();

            assertThat(second.status()).isEqualTo(200);
            assertThat(second.body()).isEqualTo(TWO);
            assertThat(second.header("Connection")).hasValueSatisfying(v -> assertThat(v).isEqualToIgnoringCase(
                    "keep-alive"));
        }
    }

    @Test
    void http10WithoutKeepAlive_closesAfterResponse() throws Exception {
        try (RawHttp raw = server.raw()) {
            raw.write("GET /v2/proto/blobs/" + two + " HTTP/1.0\r\n\r\n");
            RawHttp.Response r = raw.read();

            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(TWO);
            assertThat(raw.closedByPeer(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void http11_keepsConnectionOpenAfterErrorWithoutBody() throws Exception {
        try (RawHttp raw = server.raw()) {
            raw.write("GET /v2/proto/blobs/sha256:nope HTTP/1.1\r\nHost: x\r\n\r\n");
            assertError(raw.read(), 400, "DIGEST_INVALID");

            raw.write("HEAD /v2/proto/blobs/" + one + " HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response head = raw.read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).contains(String.valueOf(ONE.length));

            raw.write("GET /v2/proto/blobs/" + two + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().body()).isEqualTo(TWO);
        }
    }

    // ---- malformed and unusual requests -------------------------------------------------------------------------

    @Test
    void unknownMethodWithBody_returns405AndReleasesTheBody() throws Exception {
        TestServer.assertNoLeaks();
        for (int i = 0; i < 3; i++) {
            try (RawHttp raw = server.raw()) {
                raw.write("BREW /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");

                assertError(raw.read(), 405, "UNSUPPORTED");
                assertThat(raw.closedByPeer(Duration.ofSeconds(5))).isTrue();
            }
        }
        TestServer.assertNoLeaks();
    }

    @Test
    void patch_malformedChunkedBody_returns400AndUploadStaysPut() throws Exception {
        String location = Oci.startUpload(client, "proto/badchunk");
        try (RawHttp raw = server.raw()) {
            raw.write("PATCH " + location + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\nZZZ\r\nworld\r\n0\r\n\r\n");

            RawHttp.Response r = raw.read();

            assertError(r, 400, "BAD_REQUEST");
            assertThat(r.header("Connection")).contains("close");
            assertThat(raw.closedByPeer(Duration.ofSeconds(5))).isTrue();
        }
        TestClient.Reply status = client.get(location);
        assertThat(status.status()).isEqualTo(204);
        assertThat(status.header("Range")).contains("0-0");      // "hello" was not taken for the whole chunk
    }

    @Test
    void post_monolithicMalformedChunkedBody_returns400AndLeavesNothing() throws Exception {
        String digest = sha256("hello".getBytes(StandardCharsets.UTF_8));   // what arrived before the bad chunk
        try (RawHttp raw = server.raw()) {
            raw.write("POST /v2/proto/badmono/blobs/uploads/?digest=" + digest + " HTTP/1.1\r\nHost: x\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZZ\r\nworld\r\n0\r\n\r\n");

            assertError(raw.read(), 400, "BAD_REQUEST");
        }
        assertThat(client.head("/v2/proto/badmono/blobs/" + digest).status()).isEqualTo(404);
        assertThat(server.storageRoot().resolve("docker/registry/v2/repositories/proto/badmono/_uploads"))
                .isEmptyDirectory();
    }

    // ---- pipelining --------------------------------------------------------------------------------------------

    @Test
    void pipelinedGets_areAnsweredInOrder() throws Exception {
        try (RawHttp raw = server.raw()) {
            raw.write("GET /v2/proto/blobs/" + one + " HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "HEAD /v2/proto/blobs/" + two + " HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /v2/proto/blobs/" + two + " HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n"
                    + "GET /v2/proto/blobs/" + two + " HTTP/1.1\r\nHost: x\r\n\r\n");

            RawHttp.Response first = raw.read();
            RawHttp.Response second = raw.read(true);
            RawHttp.Response third = raw.read();
            RawHttp.Response fourth = raw.read();

            assertThat(first.status()).isEqualTo(200);
            assertThat(first.header("Docker-Content-Digest")).contains(one);
            assertThat(first.body()).isEqualTo(ONE);
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.header("Docker-Content-Digest")).contains(two);
            assertThat(third.status()).isEqualTo(206);
            assertThat(third.body()).isEqualTo(java.util.Arrays.copyOf(TWO, 10));
            assertThat(fourth.status()).isEqualTo(200);
            assertThat(fourth.body()).isEqualTo(TWO);
        }
    }

    @Test
    void pipelinedPatchThenStatus_statusSeesTheChunk() throws Exception {
        String location = Oci.startUpload(client, "proto/pipeline");
        byte[] chunk = bytes(20_000, 5);
        try (RawHttp raw = server.raw()) {
            byte[] head = ("PATCH " + location + " HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            byte[] next = ("GET " + location + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
            byte[] all = new byte[head.length + chunk.length + next.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(chunk, 0, all, head.length, chunk.length);
            System.arraycopy(next, 0, all, head.length + chunk.length, next.length);
            raw.write(all);

            RawHttp.Response patched = raw.read();
            RawHttp.Response status = raw.read();

            assertThat(patched.status()).isEqualTo(202);
            assertThat(patched.header("Range")).contains("0-19999");
            assertThat(status.status()).isEqualTo(204);
            assertThat(status.header("Range")).contains("0-19999");
        }
    }

    // ---- large streamed bodies ---------------------------------------------------------------------------------

    @Test
    void patch64MiBChunkedTransferEncoding_verifies() throws Exception {
        long size = 64L * 1024 * 1024;
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        String location = Oci.startUpload(client, "proto/large");

        TestClient.Reply r = client.sendStreamed("PATCH", location, Map.of(),
                () -> new GeneratedStream(size, 99, sha));

        assertThat(r.status()).as("%s", r).isEqualTo(202);
        assertThat(r.header("Range")).contains("0-" + (size - 1));
        String digest = "sha256:" + HexFormat.of().formatHex(sha.digest());
        TestClient.Reply put = client.send("PUT", withQuery(r.headerValue("Location"), "digest", digest));
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        TestClient.Reply head = client.head("/v2/proto/large/blobs/" + digest);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Length")).contains(String.valueOf(size));
        TestClient.Reply get = client.get("/v2/proto/large/blobs/" + digest);
        assertThat(get.body()).hasSize((int) size);
        assertThat(sha256(get.body())).isEqualTo(digest);
    }

    /** {@code size} pseudo-random bytes, hashed into {@code sha} as they are read. */
    private static final class GeneratedStream extends InputStream {
        private final SplittableRandom random;
        private final MessageDigest sha;
        private long remaining;

        GeneratedStream(long size, long seed, MessageDigest sha) {
            this.random = new SplittableRandom(seed);
            this.sha = sha;
            this.remaining = size;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (remaining == 0) {
                return -1;
            }
            int n = (int) Math.min(len, Math.min(remaining, 256 * 1024));
            byte[] tmp = new byte[n];
            random.nextBytes(tmp);
            System.arraycopy(tmp, 0, b, off, n);
            sha.update(b, off, n);
            remaining -= n;
            return n;
        }
    }
}
