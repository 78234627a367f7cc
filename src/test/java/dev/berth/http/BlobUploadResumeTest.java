package dev.berth.http;

import static dev.berth.http.Oci.bytes;
import static dev.berth.http.Oci.patch;
import static dev.berth.http.Oci.sha256;
import static dev.berth.http.Oci.withQuery;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Base64;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Uploads survive a restart of the server, with or without their saved hash state, and aborted chunks. */
class BlobUploadResumeTest {

    @TempDir
    Path dir;

    private TestServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** What happens to the saved SHA-256 state while the server is down. */
    enum HashState { KEPT, DELETED, CORRUPTED, NOT_BASE64, STALE }

    @ParameterizedTest(name = "hash state {0}")
    @EnumSource(HashState.class)
    void upload_continuedAfterRestart_commitsByteIdenticalBlob(HashState state) throws Exception {
        server = TestServer.start(dir);
        byte[] content = bytes(2_300_017, 42);       // chunk ends fall inside SHA-256 blocks
        int first = 1_000_003;
        int second = 1_777_781;
        String location = Oci.startUpload(server.client(), "resume/me");
        String uuid = Oci.uploadId(location);
        location = patch(server.client(), location, 0, Arrays.copyOfRange(content, 0, first));
        String afterFirst = savedState(uuid);
        location = patch(server.client(), location, first, Arrays.copyOfRange(content, first, second));

        String saved = savedState(uuid);
        assertThat(Base64.getDecoder().decode(saved)).hasSize(108);   // Go's MarshalBinary form, as distribution's
        assertThat(saved).isNotEqualTo(afterFirst);
        // the state is in the session's row: storage holds the data and nothing else
        try (Stream<Path> files = Files.list(server.storageRoot().resolve(
                "docker/registry/v2/repositories/resume/me/_uploads/" + uuid))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("data");
        }
        server.close();
        switch (state) {
            case KEPT -> { }
            case DELETED -> saveState(uuid, null);
            case CORRUPTED -> saveState(uuid, Base64.getEncoder().encodeToString(
                    "not a hash state".getBytes(StandardCharsets.UTF_8)));
            case NOT_BASE64 -> saveState(uuid, "not base64!");
            case STALE -> saveState(uuid, afterFirst);     // a true state, of another length: re-read instead
        }

        server = TestServer.start(dir);
        TestClient client = server.client();
        TestClient.Reply status = client.get(location);
        assertThat(status.status()).isEqualTo(204);
        assertThat(status.header("Range")).contains("0-" + (second - 1));
        location = patch(client, location, second, Arrays.copyOfRange(content, second, content.length));
        TestClient.Reply put = client.send("PUT", withQuery(location, "digest", sha256(content)));

        assertThat(put.status()).as("%s", put).isEqualTo(201);
        TestClient.Reply get = client.get("/v2/resume/me/blobs/" + sha256(content));
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.body()).isEqualTo(content);
    }

    @Test
    void upload_finishedAfterRestartWithoutNewChunk_commits() throws Exception {
        server = TestServer.start(dir);
        byte[] content = bytes(150_001, 43);
        String location = patch(server.client(), Oci.startUpload(server.client(), "resume/put"), 0, content);

        server = server.restart();
        TestClient.Reply put = server.client().send("PUT", withQuery(location, "digest", sha256(content)));

        assertThat(put.status()).isEqualTo(201);
        assertThat(server.client().get("/v2/resume/put/blobs/" + sha256(content)).body()).isEqualTo(content);
    }

    @Test
    void patch_abortedMidBody_leavesUploadAtItsLastChunk() throws Exception {
        server = TestServer.start(dir);
        TestClient client = server.client();
        byte[] content = bytes(600_000, 44);
        String location = patch(client, Oci.startUpload(client, "resume/abort"), 0,
                Arrays.copyOfRange(content, 0, 200_000));

        // a client that promises 400,000 bytes, sends 100,000 of garbage, and goes away
        try (RawHttp raw = server.raw()) {
            raw.write("PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Range: 200000-599999\r\n"
                    + "Content-Length: 400000\r\n\r\n");
            raw.write(bytes(100_000, 45));
        }
        // the server drops the partial chunk: the session stands where it stood
        TestClient.Reply status = client.get(location);
        assertThat(status.status()).isEqualTo(204);
        assertThat(status.header("Range")).contains("0-199999");

        location = patch(client, location, 200_000, Arrays.copyOfRange(content, 200_000, 600_000));
        TestClient.Reply put = client.send("PUT", withQuery(location, "digest", sha256(content)));

        assertThat(put.status()).isEqualTo(201);
        assertThat(client.get("/v2/resume/abort/blobs/" + sha256(content)).body()).isEqualTo(content);
    }

    @Test
    void post_monolithicAbortedMidBody_leavesNoUploadBehind() throws Exception {
        server = TestServer.start(dir);
        Path uploads = server.storageRoot().resolve("docker/registry/v2/repositories/resume/mono/_uploads");
        byte[] content = bytes(4 * 1024 * 1024, 46);

        try (RawHttp raw = server.raw()) {
            raw.write("POST /v2/resume/mono/blobs/uploads/?digest=" + sha256(content) + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nContent-Length: " + content.length + "\r\n\r\n");
            raw.write(Arrays.copyOf(content, 100_000));
            awaitTrue(() -> isNonEmptyDirectory(uploads));     // the server is receiving it
        }

        awaitTrue(() -> !isNonEmptyDirectory(uploads));
        assertThat(server.client().head("/v2/resume/mono/blobs/" + sha256(content)).status()).isEqualTo(404);
    }

    private static boolean isNonEmptyDirectory(Path p) {
        try (Stream<Path> children = Files.list(p)) {
            return children.findAny().isPresent();
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** The saved hash state in the upload's metadata row. */
    private String savedState(String uuid) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("berth.db"));
             PreparedStatement ps = c.prepareStatement("SELECT hash_state FROM uploads WHERE id = ?")) {
            ps.setString(1, uuid);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("upload %s has a row", uuid).isTrue();
                return rs.getString(1);
            }
        }
    }

    /** Replaces the saved hash state (the server is stopped). */
    private void saveState(String uuid, String state) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("berth.db"));
             PreparedStatement ps = c.prepareStatement("UPDATE uploads SET hash_state = ? WHERE id = ?")) {
            ps.setString(1, state);
            ps.setString(2, uuid);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    /** Waits (up to 10 s) for something the server does in the background. */
    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within 10 s").isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
