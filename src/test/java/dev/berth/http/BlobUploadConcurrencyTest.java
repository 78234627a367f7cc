package dev.berth.http;

import static dev.berth.http.Oci.bytes;
import static dev.berth.http.Oci.sha256;
import static dev.berth.http.Oci.withQuery;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Uploads at the same time: the same blob twice, and many different blobs. */
class BlobUploadConcurrencyTest {

    @TempDir
    Path dir;

    private TestServer server;
    private TestClient client;
    private ExecutorService pool;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(dir);
        client = server.client();
        pool = Executors.newFixedThreadPool(8);
    }

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        server.close();
    }

    @ParameterizedTest(name = "{0} and {1}")
    @CsvSource({"race/same, race/same", "race/one, race/two"})
    void sameBlobPushedTwiceAtOnce_monolithic_bothCreatedAndStoredOnce(String repo1, String repo2)
            throws Exception {
        byte[] content = bytes(6 * 1024 * 1024 + 3, 7);
        String digest = sha256(content);
        CyclicBarrier together = new CyclicBarrier(2);

        List<Future<TestClient.Reply>> pushes = new ArrayList<>();
        for (String repo : List.of(repo1, repo2)) {
            pushes.add(pool.submit(() -> {
                together.await();
                return client.send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest, content);
            }));
        }

        for (Future<TestClient.Reply> push : pushes) {
            TestClient.Reply r = push.get(30, TimeUnit.SECONDS);
            assertThat(r.status()).as("%s", r).isEqualTo(201);
            assertThat(r.header("Docker-Content-Digest")).contains(digest);
        }
        assertStoredOnce(digest);
        assertThat(client.get("/v2/" + repo1 + "/blobs/" + digest).body()).isEqualTo(content);
        assertThat(client.get("/v2/" + repo2 + "/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void sameBlobFinishedTwiceAtOnce_chunked_bothCreatedAndStoredOnce() throws Exception {
        byte[] content = bytes(2 * 1024 * 1024 + 5, 8);
        String digest = sha256(content);
        List<String> locations = new ArrayList<>();
        for (String repo : List.of("commit/one", "commit/two")) {
            String location = Oci.startUpload(client, repo);
            location = Oci.patch(client, location, 0, Arrays.copyOfRange(content, 0, 1_000_000));
            locations.add(Oci.patch(client, location, 1_000_000,
                    Arrays.copyOfRange(content, 1_000_000, content.length)));
        }
        CyclicBarrier together = new CyclicBarrier(2);

        List<Future<TestClient.Reply>> puts = new ArrayList<>();
        for (String location : locations) {
            puts.add(pool.submit(() -> {
                together.await();
                return client.send("PUT", withQuery(location, "digest", digest));
            }));
        }

        for (Future<TestClient.Reply> put : puts) {
            assertThat(put.get(30, TimeUnit.SECONDS).status()).isEqualTo(201);
        }
        assertStoredOnce(digest);
        assertThat(client.get("/v2/commit/one/blobs/" + digest).body()).isEqualTo(content);
        assertThat(client.get("/v2/commit/two/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void eightChunkedUploadsAtOnce_allVerify() throws Exception {
        int uploads = 8;
        CyclicBarrier together = new CyclicBarrier(uploads);
        List<Future<String>> results = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        for (int i = 0; i < uploads; i++) {
            byte[] content = bytes(1_500_000 + i * 4099, 100 + i);
            contents.add(content);
            String repo = "parallel/p" + i;
            results.add(pool.submit(() -> {
                together.await();
                String location = Oci.startUpload(client, repo);
                int offset = 0;
                for (int size : new int[] {400_000, 700_001, content.length - 1_100_001}) {
                    location = Oci.patch(client, location, offset, Arrays.copyOfRange(content, offset,
                            offset + size));
                    offset += size;
                }
                TestClient.Reply put = client.send("PUT", withQuery(location, "digest", sha256(content)));
                assertThat(put.status()).as("%s: %s", repo, put).isEqualTo(201);
                return repo;
            }));
        }

        for (int i = 0; i < uploads; i++) {
            String repo = results.get(i).get(60, TimeUnit.SECONDS);
            byte[] content = contents.get(i);
            TestClient.Reply get = client.get("/v2/" + repo + "/blobs/" + sha256(content));
            assertThat(get.status()).isEqualTo(200);
            assertThat(get.body()).isEqualTo(content);
        }
        assertThat(dataFiles()).hasSize(uploads);
    }

    /** Exactly one {@code data} file in the whole store, the blob's: no second copy, no upload left over. */
    private void assertStoredOnce(String digest) throws Exception {
        assertThat(dataFiles()).containsExactly(BlobApiTest.blobFile(server, digest));
    }

    private List<Path> dataFiles() throws Exception {
        try (Stream<Path> all = Files.walk(server.storageRoot())) {
            return all.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().equals("data")).toList();
        }
    }
}
