package dev.berth.http;

import static dev.berth.http.ErrorAssert.assertError;
import static dev.berth.http.Oci.bytes;
import static dev.berth.http.Oci.sha256;
import static dev.berth.http.Oci.withQuery;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.RepositoryName;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input on the blob routes: each is a 4xx with the OCI error envelope, never a 5xx, and none creates anything
 * outside the storage root. Requests go over raw sockets so that paths reach the server exactly as written
 * ({@code ..} unnormalised, garbage headers).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BlobApiBadInputTest {

    @TempDir
    static Path dir;

    private static TestServer server;
    private static TestClient client;
    /** An upload session open in repository {@code bad} for the whole class: its id, and its signed Location. */
    private static String upload;
    private static String uploadLocation;
    private static String knownDigest;

    private static final String HEX = sha256(new byte[0]).substring("sha256:".length());
    private static final String UNKNOWN_UUID = "0f0e0d0c-0b0a-4908-8706-050403020100";

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir);
        client = server.client();
        knownDigest = Oci.push(client, "bad", bytes(100, 1));
        uploadLocation = Oci.startUpload(client, "bad");
        upload = Oci.uploadId(uploadLocation);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** One bad request: what is sent and which error must come back. */
    record Case(String what, String method, String target, List<String> headers, String body, int status,
                String code) {
        @Override
        public String toString() {
            return what;
        }
    }

    private static Case c(String what, String method, String target, int status, String code) {
        return new Case(what, method, target, List.of(), null, status, code);
    }

    private static Case c(String what, String method, String target, List<String> headers, String body, int status,
                          String code) {
        return new Case(what, method, target, headers, body, status, code);
    }

    static Stream<Case> badInput() {
        String longName = "a".repeat(256);
        String longNested = ("abcdefghi/").repeat(25) + "abcdefg";           // 257 characters
        return Stream.of(
                // digests
                c("digest without hex", "GET", "/v2/bad/blobs/sha256:totallywrong", 400, "DIGEST_INVALID"),
                c("md5 digest", "GET", "/v2/bad/blobs/md5:d41d8cd98f00b204e9800998ecf8427e", 400, "DIGEST_INVALID"),
                c("upper-case hex", "GET", "/v2/bad/blobs/sha256:" + HEX.toUpperCase(), 400, "DIGEST_INVALID"),
                c("missing algorithm", "GET", "/v2/bad/blobs/" + HEX, 400, "DIGEST_INVALID"),
                c("empty algorithm", "GET", "/v2/bad/blobs/:" + HEX, 400, "DIGEST_INVALID"),
                c("empty hex", "GET", "/v2/bad/blobs/sha256:", 400, "DIGEST_INVALID"),
                c("short hex", "GET", "/v2/bad/blobs/sha256:" + HEX.substring(1), 400, "DIGEST_INVALID"),
                c("upper-case algorithm", "GET", "/v2/bad/blobs/SHA256:" + HEX, 400, "DIGEST_INVALID"),
                c("DELETE with bad digest", "DELETE", "/v2/bad/blobs/sha256:totallywrong", 400,
                        "DIGEST_INVALID"),
                c("monolithic with bad digest", "POST", "/v2/bad/blobs/uploads/?digest=sha256:totallywrong",
                        List.of(), "hello", 400, "DIGEST_INVALID"),
                c("monolithic with md5 digest", "POST", "/v2/bad/blobs/uploads/?digest=md5:abc", List.of(),
                        "hello", 400, "DIGEST_INVALID"),
                c("mount of bad digest", "POST", "/v2/bad/blobs/uploads/?mount=sha256:nope&from=bad", 400,
                        "DIGEST_INVALID"),
                c("PUT with bad digest", "PUT", "/v2/bad/blobs/uploads/{upload}?digest=sha256:" + HEX.toUpperCase(),
                        400, "DIGEST_INVALID"),
                c("PUT without digest", "PUT", "/v2/bad/blobs/uploads/{upload}", 400, "DIGEST_INVALID"),
                c("PUT with empty digest", "PUT", "/v2/bad/blobs/uploads/{upload}?digest=", 400, "DIGEST_INVALID"),
                c("PUT with chunk but without digest", "PUT", "/v2/bad/blobs/uploads/{upload}", List.of(),
                        "chunk", 400, "DIGEST_INVALID"),
                c("digest given twice", "POST", "/v2/bad/blobs/uploads/?digest={known}&digest={known}", 400,
                        "BAD_REQUEST"),

                // names
                c("upper-case name", "POST", "/v2/Bad/blobs/uploads/", 400, "NAME_INVALID"),
                c("upper-case component", "POST", "/v2/bad/Sub/blobs/uploads/", 400, "NAME_INVALID"),
                c("upper-case name on GET", "GET", "/v2/BAD/blobs/{known}", 400, "NAME_INVALID"),
                c("dot-dot name", "POST", "/v2/../blobs/uploads/", 400, "NAME_INVALID"),
                c("dot-dot component", "POST", "/v2/bad/../../../../etc/blobs/uploads/", 400, "NAME_INVALID"),
                c("dot-dot inside", "POST", "/v2/bad/../bad/blobs/uploads/", 400, "NAME_INVALID"),
                c("dot name", "POST", "/v2/./blobs/uploads/", 400, "NAME_INVALID"),
                c("encoded dot-dot", "POST", "/v2/%2e%2e/blobs/uploads/", 400, "NAME_INVALID"),
                c("encoded dot-dot components", "POST", "/v2/bad/%2e%2e/%2e%2e/%2e%2e/escape/blobs/uploads/", 400,
                        "NAME_INVALID"),
                c("encoded slash", "POST", "/v2/..%2f..%2f..%2fescape/blobs/uploads/", 400, "NAME_INVALID"),
                c("encoded NUL", "POST", "/v2/bad%00/blobs/uploads/", 400, "NAME_INVALID"),
                c("empty component", "POST", "/v2/bad//x/blobs/uploads/", 400, "NAME_INVALID"),
                c("leading empty component", "POST", "/v2//bad/blobs/uploads/", 400, "NAME_INVALID"),
                c("trailing empty component", "POST", "/v2/bad//blobs/uploads/", 400, "NAME_INVALID"),
                c("leading separator", "POST", "/v2/-bad/blobs/uploads/", 400, "NAME_INVALID"),
                c("256-character name", "POST", "/v2/" + longName + "/blobs/uploads/", 400, "NAME_INVALID"),
                c("257-character nested name", "POST", "/v2/" + longNested + "/blobs/uploads/", 400,
                        "NAME_INVALID"),
                c("256-character name on GET", "GET", "/v2/" + longName + "/blobs/{known}", 400, "NAME_INVALID"),
                c("mount from dot-dot", "POST", "/v2/bad/blobs/uploads/?mount={known}&from=../bad", 400,
                        "NAME_INVALID"),
                c("mount from upper case", "POST", "/v2/bad/blobs/uploads/?mount={known}&from=Bad", 400,
                        "NAME_INVALID"),
                c("upper-case name on upload", "PATCH", "/v2/BAD/blobs/uploads/{upload}", List.of(), "x", 400,
                        "NAME_INVALID"),

                // upload ids
                c("unknown upload id", "PATCH", "/v2/bad/blobs/uploads/" + UNKNOWN_UUID, List.of(), "x", 404,
                        "BLOB_UPLOAD_UNKNOWN"),
                c("unknown upload id status", "GET", "/v2/bad/blobs/uploads/" + UNKNOWN_UUID, 404,
                        "BLOB_UPLOAD_UNKNOWN"),
                c("unknown upload id PUT", "PUT", "/v2/bad/blobs/uploads/" + UNKNOWN_UUID + "?digest={known}", 404,
                        "BLOB_UPLOAD_UNKNOWN"),
                c("unknown upload id DELETE", "DELETE", "/v2/bad/blobs/uploads/" + UNKNOWN_UUID, 404,
                        "BLOB_UPLOAD_UNKNOWN"),
                c("non-UUID upload id", "GET", "/v2/bad/blobs/uploads/not-a-uuid", 404, "BLOB_UPLOAD_UNKNOWN"),
                c("upper-case UUID", "PATCH", "/v2/bad/blobs/uploads/" + UNKNOWN_UUID.toUpperCase(), List.of(),
                        "x", 404, "BLOB_UPLOAD_UNKNOWN"),
                c("traversing upload id", "PATCH", "/v2/bad/blobs/uploads/..%2f..%2f..%2fescape", List.of(), "x",
                        404, "BLOB_UPLOAD_UNKNOWN"),
                c("dot-dot upload id", "DELETE", "/v2/bad/blobs/uploads/..", 404, "BLOB_UPLOAD_UNKNOWN"),
                c("upload of another repository: status", "GET", "/v2/other/blobs/uploads/{upload}", 404,
                        "BLOB_UPLOAD_UNKNOWN"),
                c("upload of another repository: PATCH", "PATCH", "/v2/other/blobs/uploads/{upload}", List.of(),
                        "x", 404, "BLOB_UPLOAD_UNKNOWN"),
                c("upload of another repository: PUT", "PUT", "/v2/bad/sub/blobs/uploads/{upload}?digest={known}",
                        404, "BLOB_UPLOAD_UNKNOWN"),
                c("upload of another repository: DELETE", "DELETE", "/v2/bada/blobs/uploads/{upload}", 404,
                        "BLOB_UPLOAD_UNKNOWN"),

                // Content-Range and lengths
                c("garbage Content-Range", "PATCH", "/v2/bad/blobs/uploads/{upload}",
                        List.of("Content-Range: garbage"), "hello", 400, "BLOB_UPLOAD_INVALID"),
                c("Content-Range without end", "PATCH", "/v2/bad/blobs/uploads/{upload}",
                        List.of("Content-Range: 0-"), "hello", 400, "BLOB_UPLOAD_INVALID"),
                c("Content-Range end before start", "PATCH", "/v2/bad/blobs/uploads/{upload}",
                        List.of("Content-Range: 4-0"), "hello", 400, "BLOB_UPLOAD_INVALID"),
                c("negative Content-Range", "PATCH", "/v2/bad/blobs/uploads/{upload}",
                        List.of("Content-Range: -1-3"), "hello", 400, "BLOB_UPLOAD_INVALID"),
                c("huge Content-Range", "PATCH", "/v2/bad/blobs/uploads/{upload}",
                        List.of("Content-Range: 0-99999999999999999999999"), "hello", 400, "BLOB_UPLOAD_INVALID"),
                c("non-ASCII Content-Range", "PATCH", "/v2/bad/blobs/uploads/{upload}",
                        List.of("Content-Range: 0-4\u00ff"), "hello", 400, "BLOB_UPLOAD_INVALID"),
                c("Content-Range longer than the body", "PATCH", "/v2/bad/blobs/uploads/{upload}",
                        List.of("Content-Range: 0-9"), "hello", 400, "SIZE_INVALID"),
                c("Content-Range shorter than the body", "PATCH", "/v2/bad/blobs/uploads/{upload}",
                        List.of("Content-Range: 0-1"), "hello", 400, "SIZE_INVALID"),
                c("PUT with Content-Range but no body", "PUT", "/v2/bad/blobs/uploads/{upload}?digest={known}",
                        List.of("Content-Range: 0-4"), null, 400, "BLOB_UPLOAD_INVALID"),
                c("unparsable Content-Length", "PATCH", "/v2/bad/blobs/uploads/{upload}",
                        List.of("Content-Length: five"), "", 400, "BAD_REQUEST"),

                // routes and methods
                c("unknown route", "GET", "/v3/", 404, "NOT_FOUND"),
                c("unknown route under v2", "GET", "/v2/bad/nothing", 404, "NOT_FOUND"),
                c("unknown top-level path", "GET", "/favicon.ico", 404, "NOT_FOUND"),
                c("PUT on base", "PUT", "/v2/", 405, "UNSUPPORTED"),
                c("POST on a blob", "POST", "/v2/bad/blobs/{known}", 405, "UNSUPPORTED"),
                c("PATCH on a blob", "PATCH", "/v2/bad/blobs/{known}", List.of(), "x", 405, "UNSUPPORTED"),
                c("PUT on uploads", "PUT", "/v2/bad/blobs/uploads/", 405, "UNSUPPORTED"),
                c("POST on an upload", "POST", "/v2/bad/blobs/uploads/{upload}", 405, "UNSUPPORTED"),
                c("unknown method", "BREW", "/v2/", 405, "UNSUPPORTED"));
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("badInput")
    void badInput_returns4xxWithOciError(Case c) throws Exception {
        String target = c.target().replace("{upload}", upload).replace("{known}", knownDigest);
        if (c.target().contains("{upload}")) {
            // the session's signed state, as a client following its Location sends it: what is wrong is elsewhere
            target = Oci.withQuery(target, "_state", Oci.uploadState(uploadLocation));
        }
        StringBuilder request = new StringBuilder(c.method()).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1\r\nConnection: close\r\n");
        boolean lengthGiven = false;
        for (String h : c.headers()) {
            request.append(h).append("\r\n");
            lengthGiven |= h.regionMatches(true, 0, "Content-Length:", 0, 15);
        }
        byte[] body = c.body() == null ? new byte[0] : c.body().getBytes(StandardCharsets.UTF_8);
        if (!lengthGiven && (c.body() != null || List.of("POST", "PUT", "PATCH").contains(c.method()))) {
            request.append("Content-Length: ").append(body.length).append("\r\n");
        }
        request.append("\r\n");

        RawHttp.Response r;
        try (RawHttp raw = server.raw()) {
            byte[] head = request.toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] all = new byte[head.length + body.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            raw.write(all);
            r = raw.read();
        }

        assertError(r, c.status(), c.code());
        if (c.status() == 405 && !c.method().equals("BREW")) {
            assertThat(r.header("Allow")).as("Allow of %s", r).isPresent();
        }
    }

    @Order(2)
    @Test
    void uploadUsedOnAnotherRepository_stillWorksInItsOwn() {
        byte[] content = bytes(1000, 2);
        String location = uploadLocation;

        TestClient.Reply status = client.get(location);
        assertThat(status.status()).isEqualTo(204);
        assertThat(status.header("Range")).contains("0-0");       // no bad request moved it
        Oci.patch(client, location, 0, content);
        TestClient.Reply put = client.send("PUT", withQuery(location, "digest", sha256(content)));

        assertThat(put.status()).isEqualTo(201);
        assertThat(client.get("/v2/bad/blobs/" + sha256(content)).body()).isEqualTo(content);
    }

    @Order(3)
    @Test
    void badInput_createdNothingOutsideTheStorageRoot() throws Exception {
        List<Path> outside;
        try (Stream<Path> all = Files.walk(dir)) {
            outside = all.filter(p -> !p.equals(dir))
                    .map(dir::relativize)
                    .filter(rel -> !rel.startsWith("registry"))
                    .filter(rel -> !rel.toString().matches("berth\\.db(-wal|-shm|-journal)?"))
                    .toList();
        }
        assertThat(outside).isEmpty();

        Path v2 = dir.resolve("registry/docker/registry/v2");
        try (Stream<Path> top = Files.list(dir.resolve("registry"))) {
            assertThat(top.map(p -> p.getFileName().toString())).containsOnly("docker");
        }
        try (Stream<Path> below = Files.list(v2)) {
            assertThat(below.map(p -> p.getFileName().toString())).isSubsetOf("blobs", "repositories");
        }
        // every directory above an _uploads directory is part of a valid repository name
        Path repositories = v2.resolve("repositories");
        try (Stream<Path> all = Files.walk(repositories)) {
            List<String> names = all.filter(p -> p.getFileName().toString().equals("_uploads"))
                    .map(p -> repositories.relativize(p.getParent()).toString())
                    .toList();
            assertThat(names).isNotEmpty().allSatisfy(name -> RepositoryName.of(name));
            assertThat(names).containsOnly("bad");
        }
    }
}
