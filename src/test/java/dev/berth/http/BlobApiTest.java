package dev.berth.http;

import static dev.berth.http.ErrorAssert.assertError;
import static dev.berth.http.Oci.bytes;
import static dev.berth.http.Oci.patch;
import static dev.berth.http.Oci.push;
import static dev.berth.http.Oci.sha256;
import static dev.berth.http.Oci.sha512;
import static dev.berth.http.Oci.startUpload;
import static dev.berth.http.Oci.withQuery;
import static dev.berth.http.TestClient.headers;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The blob and upload endpoints of the OCI distribution spec, against a real server. */
class BlobApiTest {

    private static final String UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    @TempDir
    static java.nio.file.Path dir;

    private static TestServer server;
    private static TestServer deleting;
    private static TestClient client;

    /** 10,000 bytes pushed to repository {@code a}. */
    private static final byte[] BLOB = bytes(10_000, 1);
    private static String blobDigest;

    @BeforeAll
    static void startServers() throws Exception {
        server = TestServer.start(dir.resolve("plain"));
        deleting = TestServer.start(dir.resolve("deleting"), true);
        client = server.client();
        blobDigest = push(client, "a", BLOB);
    }

    @AfterAll
    static void stopServers() {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (deleting != null) {
                deleting.close();
            }
        }
    }

    // ---- base --------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"GET", "HEAD"})
    void base_returns200WithApiVersion(String method) {
        TestClient.Reply r = client.send(method, "/v2/");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Docker-Distribution-API-Version")).contains("registry/2.0");
        if (method.equals("GET")) {
            assertThat(r.json().isObject()).isTrue();
        } else {
            assertThat(r.body()).isEmpty();
        }
    }

    // ---- pulling blobs -----------------------------------------------------------------------------------------

    @Test
    void head_blob_returnsSizeDigestEtagAndNoBody() {
        TestClient.Reply r = client.head("/v2/a/blobs/" + blobDigest);

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Length")).contains("10000");
        assertThat(r.header("Docker-Content-Digest")).contains(blobDigest);
        assertThat(r.header("ETag")).contains("\"" + blobDigest + "\"");
        assertThat(r.header("Accept-Ranges")).contains("bytes");
        assertThat(r.body()).isEmpty();
    }

    @Test
    void get_blob_returnsContentAndHeaders() {
        TestClient.Reply r = client.get("/v2/a/blobs/" + blobDigest);

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(BLOB);
        assertThat(r.header("Content-Length")).contains("10000");
        assertThat(r.header("Docker-Content-Digest")).contains(blobDigest);
        assertThat(r.header("ETag")).contains("\"" + blobDigest + "\"");
        assertThat(r.header("Accept-Ranges")).contains("bytes");
        assertThat(r.header("Docker-Distribution-API-Version")).contains("registry/2.0");
    }

    @Test
    void get_ifNoneMatchWithEtag_returns304() {
        TestClient.Reply r = client.send("GET", "/v2/a/blobs/" + blobDigest,
                headers("If-None-Match", "\"" + blobDigest + "\""));

        assertThat(r.status()).isEqualTo(304);
        assertThat(r.body()).isEmpty();
        assertThat(r.header("ETag")).contains("\"" + blobDigest + "\"");
    }

    static Stream<Arguments> satisfiableRanges() {
        return Stream.of(
                Arguments.of("bytes=0-99", 0, 99),
                Arguments.of("bytes=100-199", 100, 199),
                Arguments.of("bytes=9999-9999", 9999, 9999),
                Arguments.of("bytes=9990-", 9990, 9999),              // open
                Arguments.of("bytes=0-", 0, 9999),
                Arguments.of("bytes=-10", 9990, 9999),                // suffix
                Arguments.of("bytes=-20000", 0, 9999),                // suffix longer than the blob
                Arguments.of("bytes=9000-20000", 9000, 9999));        // end beyond the blob
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("satisfiableRanges")
    void get_singleRange_returns206WithContentRange(String range, int first, int last) {
        TestClient.Reply r = client.send("GET", "/v2/a/blobs/" + blobDigest, headers("Range", range));

        assertThat(r.status()).isEqualTo(206);
        assertThat(r.header("Content-Range")).contains("bytes " + first + "-" + last + "/10000");
        assertThat(r.header("Content-Length")).contains(String.valueOf(last - first + 1));
        assertThat(r.body()).isEqualTo(Arrays.copyOfRange(BLOB, first, last + 1));
        assertThat(r.header("Docker-Content-Digest")).contains(blobDigest);
    }

    @Test
    void head_singleRange_returns206WithRangeLengthAndNoBody() {
        TestClient.Reply r = client.send("HEAD", "/v2/a/blobs/" + blobDigest, headers("Range", "bytes=10-19"));

        assertThat(r.status()).isEqualTo(206);
        assertThat(r.header("Content-Range")).contains("bytes 10-19/10000");
        assertThat(r.header("Content-Length")).contains("10");
        assertThat(r.body()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=0-1,5-6", "items=0-5", "bytes=5-2", "bytes=abc", "bytes=-"})
    void get_rangeToIgnore_returnsWholeBlob(String range) {
        TestClient.Reply r = client.send("GET", "/v2/a/blobs/" + blobDigest, headers("Range", range));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Range")).isEmpty();
        assertThat(r.body()).isEqualTo(BLOB);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=10000-", "bytes=10000-10005", "bytes=20000-30000", "bytes=-0"})
    void get_unsatisfiableRange_returns416WithContentRangeOfSize(String range) {
        TestClient.Reply r = client.send("GET", "/v2/a/blobs/" + blobDigest, headers("Range", range));

        assertError(r, 416, "RANGE_INVALID");
        assertThat(r.header("Content-Range")).contains("bytes */10000");
    }

    @ParameterizedTest
    @ValueSource(strings = {"b", "a/b", "ab", "b/a", "a/a"})
    void blob_pushedToA_isUnknownInOtherRepositories(String repo) {
        assertError(client.get("/v2/" + repo + "/blobs/" + blobDigest), 404, "BLOB_UNKNOWN");

        TestClient.Reply head = client.head("/v2/" + repo + "/blobs/" + blobDigest);
        assertThat(head.status()).isEqualTo(404);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void get_unknownDigest_returns404BlobUnknown() {
        assertError(client.get("/v2/a/blobs/" + Oci.unknownDigest()), 404, "BLOB_UNKNOWN");
    }

    // ---- starting and monolithic uploads -----------------------------------------------------------------------

    @Test
    void post_start_returns202WithLocationUuidAndRange() {
        TestClient.Reply r = client.send("POST", "/v2/push/start/blobs/uploads/");

        assertThat(r.status()).isEqualTo(202);
        String uuid = r.headerValue("Docker-Upload-UUID");
        assertThat(uuid).matches(UUID_PATTERN);
        assertThat(r.headerValue("Location")).startsWith("/v2/push/start/blobs/uploads/" + uuid + "?_state=");
        assertThat(r.header("Range")).contains("0-0");
        assertThat(r.header("Content-Length")).contains("0");
        assertThat(r.header("Docker-Distribution-API-Version")).contains("registry/2.0");
    }

    @Test
    void post_monolithic_returns201AndBlobIsServed() {
        byte[] content = bytes(200_000, 2);
        String digest = sha256(content);

        TestClient.Reply r = client.send("POST", "/v2/push/mono/blobs/uploads/?digest=" + digest,
                headers("Content-Type", "application/octet-stream"), content);

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.header("Location")).contains("/v2/push/mono/blobs/" + digest);
        assertThat(r.header("Docker-Content-Digest")).contains(digest);
        TestClient.Reply get = client.get(r.headerValue("Location"));
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.body()).isEqualTo(content);
    }

    @Test
    void post_monolithicZeroByteBlob_returns201AndServesEmptyBody() {
        byte[] empty = new byte[0];
        String digest = sha256(empty);

        TestClient.Reply r = client.send("POST", "/v2/push/empty/blobs/uploads/?digest=" + digest, empty);

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.header("Docker-Content-Digest")).contains(digest);
        TestClient.Reply head = client.head("/v2/push/empty/blobs/" + digest);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Length")).contains("0");
        TestClient.Reply get = client.get("/v2/push/empty/blobs/" + digest);
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.header("Content-Length")).contains("0");
        assertThat(get.body()).isEmpty();
        assertError(client.send("GET", "/v2/push/empty/blobs/" + digest, headers("Range", "bytes=0-")),
                416, "RANGE_INVALID");
    }

    @Test
    void post_monolithicOfKnownBlob_returns201AndLinksIt() {
        TestClient.Reply r = client.send("POST", "/v2/push/again/blobs/uploads/?digest=" + blobDigest, BLOB);

        assertThat(r.status()).isEqualTo(201);
        assertThat(client.get("/v2/push/again/blobs/" + blobDigest).body()).isEqualTo(BLOB);
    }

    // ---- chunked uploads ---------------------------------------------------------------------------------------

    @Test
    void patch_withContentRange_returns202WithRangeAndPutCommits() {
        byte[] content = bytes(300_000, 3);
        String location = startUpload(client, "push/chunked");

        location = patch(client, location, 0, Arrays.copyOfRange(content, 0, 100_000));
        location = patch(client, location, 100_000, Arrays.copyOfRange(content, 100_000, 250_000));
        location = patch(client, location, 250_000, Arrays.copyOfRange(content, 250_000, 300_000));
        TestClient.Reply put = client.send("PUT", withQuery(location, "digest", sha256(content)));

        assertThat(put.status()).isEqualTo(201);
        assertThat(put.header("Location")).contains("/v2/push/chunked/blobs/" + sha256(content));
        assertThat(put.header("Docker-Content-Digest")).contains(sha256(content));
        assertThat(client.get("/v2/push/chunked/blobs/" + sha256(content)).body()).isEqualTo(content);
    }

    @Test
    void patch_withoutContentRange_appendsAndReportsRange() {
        byte[] content = bytes(70_000, 4);
        String location = startUpload(client, "push/streamed");

        TestClient.Reply first = client.send("PATCH", location, Arrays.copyOfRange(content, 0, 30_000));
        assertThat(first.status()).isEqualTo(202);
        assertThat(first.header("Range")).contains("0-29999");
        assertThat(first.header("Docker-Upload-UUID")).contains(Oci.uploadId(location));
        TestClient.Reply second = client.send("PATCH", first.headerValue("Location"),
                Arrays.copyOfRange(content, 30_000, 70_000));
        assertThat(second.status()).isEqualTo(202);
        assertThat(second.header("Range")).contains("0-69999");

        TestClient.Reply put = client.send("PUT", withQuery(second.headerValue("Location"), "digest",
                sha256(content)));
        assertThat(put.status()).isEqualTo(201);
        assertThat(client.get("/v2/push/streamed/blobs/" + sha256(content)).body()).isEqualTo(content);
    }

    @Test
    void patch_outOfOrder_returns416WithCurrentRange() {
        byte[] content = bytes(300, 5);
        String location = startUpload(client, "push/order");
        location = patch(client, location, 0, Arrays.copyOfRange(content, 0, 100));

        for (String badRange : List.of("200-299", "0-99", "50-149", "101-200")) {
            byte[] chunk = Arrays.copyOfRange(content, 100, 200);
            TestClient.Reply r = client.send("PATCH", location, headers("Content-Range", badRange), chunk);
            assertError(r, 416, "BLOB_UPLOAD_INVALID");
            assertThat(r.header("Range")).as("after %s", badRange).contains("0-99");
            assertThat(r.header("Location")).contains(location);
        }

        location = patch(client, location, 100, Arrays.copyOfRange(content, 100, 200));
        TestClient.Reply put = client.send("PUT", withQuery(location, "digest", sha256(content)),
                headers("Content-Range", "200-299"), Arrays.copyOfRange(content, 200, 300));
        assertThat(put.status()).isEqualTo(201);
        assertThat(client.get("/v2/push/order/blobs/" + sha256(content)).body()).isEqualTo(content);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0-99", "bytes 0-99", "bytes=0-99", "0-99/100", "bytes 0-99/*", " 0-99 "})
    void patch_contentRangeForms_areAccepted(String contentRange) {
        byte[] content = bytes(100, 25);
        String location = startUpload(client, "push/forms");

        TestClient.Reply r = client.send("PATCH", location, headers("Content-Range", contentRange), content);

        assertThat(r.status()).as("%s", r).isEqualTo(202);
        assertThat(r.header("Range")).contains("0-99");
        assertThat(client.send("PUT", withQuery(r.headerValue("Location"), "digest", sha256(content))).status())
                .isEqualTo(201);
    }

    @Test
    void put_percentEncodedDigestQuery_returns201() {
        // Go's url.Values.Encode, which docker and containerd use, writes the colon as %3A
        byte[] content = bytes(2000, 26);
        String location = patch(client, startUpload(client, "push/encoded"), 0, content);

        TestClient.Reply r = client.send("PUT", withQuery(location, "digest", sha256(content).replace(":", "%3A")));

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.header("Docker-Content-Digest")).contains(sha256(content));
        assertThat(client.get("/v2/push/encoded/blobs/" + sha256(content)).body()).isEqualTo(content);
    }

    @Test
    void get_percentEncodedDigestInPath_servesTheBlob() {
        byte[] content = bytes(700, 27);
        String location = patch(client, startUpload(client, "pull/encoded"), 0, content);
        assertThat(client.send("PUT", withQuery(location, "digest", sha256(content))).status()).isEqualTo(201);

        TestClient.Reply r = client.get("/v2/pull/encoded/blobs/" + sha256(content).replace(":", "%3A"));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(content);
    }

    @Test
    void put_withFinalChunk_returns201() {
        byte[] content = bytes(5_000, 6);
        String location = patch(client, startUpload(client, "push/final"), 0, Arrays.copyOfRange(content, 0, 1000));

        TestClient.Reply put = client.send("PUT", withQuery(location, "digest", sha256(content)),
                Arrays.copyOfRange(content, 1000, 5000));

        assertThat(put.status()).isEqualTo(201);
        assertThat(put.header("Docker-Content-Digest")).contains(sha256(content));
        assertThat(client.get("/v2/push/final/blobs/" + sha256(content)).body()).isEqualTo(content);
    }

    @Test
    void put_wholeBlobAsOnlyChunk_returns201() {
        byte[] content = bytes(5_000, 7);
        String location = startUpload(client, "push/putonly");

        TestClient.Reply put = client.send("PUT", withQuery(location, "digest", sha256(content)), content);

        assertThat(put.status()).isEqualTo(201);
        assertThat(client.get("/v2/push/putonly/blobs/" + sha256(content)).body()).isEqualTo(content);
    }

    @Test
    void put_emptySession_commitsZeroByteBlob() {
        String location = startUpload(client, "push/putempty");
        String digest = sha256(new byte[0]);

        TestClient.Reply put = client.send("PUT", withQuery(location, "digest", digest));

        assertThat(put.status()).isEqualTo(201);
        assertThat(client.head("/v2/push/putempty/blobs/" + digest).header("Content-Length")).contains("0");
    }

    @Test
    void put_afterCommit_returns404BlobUploadUnknown() {
        byte[] content = bytes(100, 8);
        String location = patch(client, startUpload(client, "push/twice"), 0, content);
        assertThat(client.send("PUT", withQuery(location, "digest", sha256(content))).status()).isEqualTo(201);

        assertError(client.send("PUT", withQuery(location, "digest", sha256(content))), 404,
                "BLOB_UPLOAD_UNKNOWN");
        assertError(client.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void getUploadStatus_returns204WithRange() {
        String location = startUpload(client, "push/status");
        TestClient.Reply fresh = client.get(location);
        assertThat(fresh.status()).isEqualTo(204);
        assertThat(fresh.header("Range")).contains("0-0");

        location = patch(client, location, 0, bytes(1234, 9));
        TestClient.Reply r = client.get(location);

        assertThat(r.status()).isEqualTo(204);
        assertThat(r.header("Range")).contains("0-1233");
        assertThat(r.header("Docker-Upload-UUID")).contains(Oci.uploadId(location));
        assertThat(r.header("Location")).contains(location);
        assertThat(r.body()).isEmpty();
    }

    @Test
    void deleteUpload_returns204_thenUploadIsUnknown() {
        String location = patch(client, startUpload(client, "push/cancel"), 0, bytes(500, 10));

        TestClient.Reply r = client.delete(location);

        assertThat(r.status()).isEqualTo(204);
        assertError(client.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.send("PATCH", location, bytes(10, 11)), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.delete(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertThat(server.storageRoot().resolve("docker/registry/v2/repositories/push/cancel/_uploads/"
                + Oci.uploadId(location))).doesNotExist();
    }

    // ---- digest verification ------------------------------------------------------------------------------------

    @Test
    void put_digestMismatch_returnsDigestInvalidAndNothingIsVisible() {
        byte[] content = bytes(4000, 12);
        String claimed = sha256(bytes(4000, 13));
        String location = patch(client, startUpload(client, "push/mismatch"), 0, content);

        assertError(client.send("PUT", withQuery(location, "digest", claimed)), 400, "DIGEST_INVALID");

        assertThat(client.head("/v2/push/mismatch/blobs/" + claimed).status()).isEqualTo(404);
        assertThat(client.head("/v2/push/mismatch/blobs/" + sha256(content)).status()).isEqualTo(404);
        assertError(client.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertThat(blobFile(server, claimed)).doesNotExist();
    }

    @Test
    void post_monolithicDigestMismatch_returnsDigestInvalidAndNothingIsVisible() {
        byte[] content = bytes(4000, 14);
        String claimed = sha256(bytes(4000, 15));

        assertError(client.send("POST", "/v2/push/monomismatch/blobs/uploads/?digest=" + claimed, content),
                400, "DIGEST_INVALID");

        assertThat(client.head("/v2/push/monomismatch/blobs/" + claimed).status()).isEqualTo(404);
        assertThat(client.head("/v2/push/monomismatch/blobs/" + sha256(content)).status()).isEqualTo(404);
        assertThat(blobFile(server, claimed)).doesNotExist();
        assertThat(server.storageRoot().resolve("docker/registry/v2/repositories/push/monomismatch/_uploads"))
                .isEmptyDirectory();
    }

    @Test
    void put_withFinalChunkAndDigestMismatch_returnsDigestInvalid() {
        byte[] content = bytes(4000, 16);
        String location = patch(client, startUpload(client, "push/finalmismatch"), 0,
                Arrays.copyOfRange(content, 0, 2000));

        TestClient.Reply r = client.send("PUT", withQuery(location, "digest", sha256(content)),
                bytes(2000, 17));

        assertError(r, 400, "DIGEST_INVALID");
        assertThat(client.head("/v2/push/finalmismatch/blobs/" + sha256(content)).status()).isEqualTo(404);
        assertError(client.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    // ---- sha512 ------------------------------------------------------------------------------------------------

    @Test
    void post_monolithicSha512_returns201AndServes() {
        byte[] content = bytes(50_000, 18);
        String digest = sha512(content);

        TestClient.Reply r = client.send("POST", "/v2/push/sha512/blobs/uploads/?digest=" + digest, content);

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.header("Docker-Content-Digest")).contains(digest);
        TestClient.Reply get = client.get("/v2/push/sha512/blobs/" + digest);
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.header("Docker-Content-Digest")).contains(digest);
        assertThat(get.body()).isEqualTo(content);
        assertThat(blobFile(server, digest)).exists();
    }

    @Test
    void put_chunkedSha512_returns201AndServes() {
        byte[] content = bytes(300_000, 19);
        String digest = sha512(content);
        String location = startUpload(client, "push/sha512chunked");
        location = patch(client, location, 0, Arrays.copyOfRange(content, 0, 150_001));
        location = patch(client, location, 150_001, Arrays.copyOfRange(content, 150_001, 300_000));

        TestClient.Reply r = client.send("PUT", withQuery(location, "digest", digest));

        assertThat(r.status()).isEqualTo(201);
        assertThat(client.get("/v2/push/sha512chunked/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void put_sha512Mismatch_returnsDigestInvalid() {
        byte[] content = bytes(3000, 20);
        String claimed = sha512(bytes(3000, 21));
        String location = patch(client, startUpload(client, "push/sha512mismatch"), 0, content);

        assertError(client.send("PUT", withQuery(location, "digest", claimed)), 400, "DIGEST_INVALID");

        assertThat(client.head("/v2/push/sha512mismatch/blobs/" + claimed).status()).isEqualTo(404);
        assertThat(client.head("/v2/push/sha512mismatch/blobs/" + sha512(content)).status()).isEqualTo(404);
    }

    // ---- mounting ----------------------------------------------------------------------------------------------

    @Test
    void mount_fromRepositoryHavingBlob_returns201() {
        TestClient.Reply r = client.send("POST", "/v2/mount/one/blobs/uploads/?mount=" + blobDigest + "&from=a");

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.header("Location")).contains("/v2/mount/one/blobs/" + blobDigest);
        assertThat(r.header("Docker-Content-Digest")).contains(blobDigest);
        assertThat(client.get("/v2/mount/one/blobs/" + blobDigest).body()).isEqualTo(BLOB);
    }

    @Test
    void mount_fromRepositoryLackingBlob_returns202UploadSession() {
        TestClient.Reply r = client.send("POST", "/v2/mount/two/blobs/uploads/?mount=" + blobDigest + "&from=b");

        assertThat(r.status()).isEqualTo(202);
        String uuid = r.headerValue("Docker-Upload-UUID");
        assertThat(r.headerValue("Location")).startsWith("/v2/mount/two/blobs/uploads/" + uuid + "?_state=");
        assertThat(client.head("/v2/mount/two/blobs/" + blobDigest).status()).isEqualTo(404);

        // the fallback session takes the blob
        TestClient.Reply put = client.send("PUT", withQuery(r.headerValue("Location"), "digest", blobDigest), BLOB);
        assertThat(put.status()).isEqualTo(201);
        assertThat(client.get("/v2/mount/two/blobs/" + blobDigest).body()).isEqualTo(BLOB);
    }

    @Test
    void mount_percentEncodedQuery_returns201() {
        TestClient.Reply r = client.send("POST", "/v2/mount/encoded/blobs/uploads/?mount="
                + blobDigest.replace(":", "%3A") + "&from=a");
        TestClient.Reply nested = client.send("POST", "/v2/mount/encoded2/blobs/uploads/?mount=" + blobDigest
                + "&from=mount%2Fencoded");

        assertThat(r.status()).isEqualTo(201);
        assertThat(nested.status()).isEqualTo(201);
        assertThat(client.head("/v2/mount/encoded2/blobs/" + blobDigest).status()).isEqualTo(200);
    }

    @Test
    void mount_withoutFromOfBlobAnywhere_returns201() {
        TestClient.Reply r = client.send("POST", "/v2/mount/three/blobs/uploads/?mount=" + blobDigest);

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.header("Docker-Content-Digest")).contains(blobDigest);
        assertThat(client.head("/v2/mount/three/blobs/" + blobDigest).status()).isEqualTo(200);
    }

    @Test
    void mount_withoutFromOfUnknownBlob_returns202() {
        String unknown = Oci.unknownDigest();

        TestClient.Reply r = client.send("POST", "/v2/mount/four/blobs/uploads/?mount=" + unknown);

        assertThat(r.status()).isEqualTo(202);
        assertThat(r.headerValue("Location")).startsWith("/v2/mount/four/blobs/uploads/");
        assertThat(r.header("Range")).contains("0-0");
        assertThat(client.head("/v2/mount/four/blobs/" + unknown).status()).isEqualTo(404);
    }

    @Test
    void mount_fromUnknownRepository_returns202() {
        TestClient.Reply r = client.send("POST",
                "/v2/mount/five/blobs/uploads/?mount=" + blobDigest + "&from=never/pushed");

        assertThat(r.status()).isEqualTo(202);
        assertThat(client.head("/v2/mount/five/blobs/" + blobDigest).status()).isEqualTo(404);
    }

    // ---- deleting ----------------------------------------------------------------------------------------------

    @Test
    void deleteBlob_deletesDisabled_returns405UnsupportedAndKeepsBlob() {
        assertError(client.delete("/v2/a/blobs/" + blobDigest), 405, "UNSUPPORTED");

        assertThat(client.head("/v2/a/blobs/" + blobDigest).status()).isEqualTo(200);
    }

    @Test
    void deleteBlob_deletesEnabled_returns202ThenBlobIsUnknownInThatRepositoryOnly() {
        TestClient del = deleting.client();
        byte[] content = bytes(1000, 22);
        String digest = push(del, "del/one", content);
        push(del, "del/two", content);

        TestClient.Reply r = del.delete("/v2/del/one/blobs/" + digest);

        assertThat(r.status()).isEqualTo(202);
        assertThat(del.head("/v2/del/one/blobs/" + digest).status()).isEqualTo(404);
        assertError(del.get("/v2/del/one/blobs/" + digest), 404, "BLOB_UNKNOWN");
        assertError(del.delete("/v2/del/one/blobs/" + digest), 404, "BLOB_UNKNOWN");
        assertThat(del.get("/v2/del/two/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void deleteBlob_thenPushAgainOrMount_servesItAgain() {
        TestClient del = deleting.client();
        byte[] content = bytes(1000, 27);
        String digest = push(del, "del/again", content);
        assertThat(del.delete("/v2/del/again/blobs/" + digest).status()).isEqualTo(202);

        assertThat(del.send("POST", "/v2/del/other/blobs/uploads/?mount=" + digest + "&from=del/again").status())
                .as("mount from the repository it was deleted from").isEqualTo(202);
        push(del, "del/again", content);

        assertThat(del.get("/v2/del/again/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void deleteBlob_unknownBlob_returns404BlobUnknown() {
        assertError(deleting.client().delete("/v2/del/none/blobs/" + Oci.unknownDigest()), 404, "BLOB_UNKNOWN");
    }

    // ---- streamed bodies ---------------------------------------------------------------------------------------

    @Test
    void patch_chunkedTransferEncodingWithContentRange_returns202() {
        byte[] content = bytes(200_000, 23);
        String location = startUpload(client, "push/te");

        TestClient.Reply r = client.sendStreamed("PATCH", location, headers("Content-Range", "0-199999"),
                () -> new ByteArrayInputStream(content));

        assertThat(r.status()).isEqualTo(202);
        assertThat(r.header("Range")).contains("0-199999");
        assertThat(client.send("PUT", withQuery(r.headerValue("Location"), "digest", sha256(content))).status())
                .isEqualTo(201);
    }

    @Test
    void post_monolithicChunkedTransferEncoding_returns201() {
        byte[] content = bytes(3 * 1024 * 1024 + 17, 24);
        String digest = sha256(content);

        TestClient.Reply r = client.sendStreamed("POST", "/v2/push/temono/blobs/uploads/?digest=" + digest,
                Map.of(), () -> new ByteArrayInputStream(content));

        assertThat(r.status()).isEqualTo(201);
        assertThat(client.get("/v2/push/temono/blobs/" + digest).body()).isEqualTo(content);
    }

    static java.nio.file.Path blobFile(TestServer s, String digest) {
        String alg = digest.substring(0, digest.indexOf(':'));
        String hex = digest.substring(digest.indexOf(':') + 1);
        return s.storageRoot().resolve("docker/registry/v2/blobs/" + alg + "/" + hex.substring(0, 2) + "/" + hex
                + "/data");
    }
}
