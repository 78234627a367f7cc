package dev.berth.http;

import static dev.berth.http.ErrorAssert.assertError;
import static dev.berth.http.Oci.bytes;
import static dev.berth.http.Oci.patch;
import static dev.berth.http.Oci.sha256;
import static dev.berth.http.Oci.startUpload;
import static dev.berth.http.Oci.uploadId;
import static dev.berth.http.Oci.uploadState;
import static dev.berth.http.Oci.withQuery;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.metadata.jdbc.JdbcMetadataStore;
import dev.berth.registry.UploadLocations;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upload URLs are signed: every request on a session must bring the {@code _state} of a Location the registry gave
 * for that session; anything else is {@code 404 BLOB_UPLOAD_UNKNOWN} and leaves the session as it was.
 */
class UploadStateTest {

    private static final List<String> SESSION_METHODS = List.of("GET", "PATCH", "PUT", "DELETE");

    @TempDir
    Path dir;

    private TestServer server;
    private TestClient client;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(dir.resolve("a"));
        client = server.client();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** The path of an upload Location, without its query. */
    private static String path(String location) {
        return location.substring(0, location.indexOf('?'));
    }

    /** Sends one request of each method a session takes to {@code target}; each must be 404 BLOB_UPLOAD_UNKNOWN. */
    private void assertEveryMethodUnknown(String target) {
        for (String method : SESSION_METHODS) {
            String t = method.equals("PUT") ? withQuery(target, "digest", sha256(new byte[0])) : target;
            TestClient.Reply r = method.equals("PATCH") ? client.send(method, t, bytes(10, 1))
                    : client.send(method, t);
            assertError(r, 404, "BLOB_UPLOAD_UNKNOWN");
        }
    }

    /** The session still stands at {@code size} bytes and takes the rest of its blob. */
    private void assertSessionIntact(String location, byte[] content, int size) {
        TestClient.Reply status = client.get(location);
        assertThat(status.status()).isEqualTo(204);
        assertThat(status.header("Range")).contains("0-" + (size - 1));
        String next = patch(client, location, size, Arrays.copyOfRange(content, size, content.length));
        assertThat(client.send("PUT", withQuery(next, "digest", sha256(content))).status()).isEqualTo(201);
    }

    @Test
    void location_carriesASignedStateThatGrowsWithTheUpload() throws Exception {
        String location = startUpload(client, "state/grows");
        assertThat(UploadLocations.decode(uploadState(location)).path("offset").asLong()).isZero();

        String after = patch(client, location, 0, bytes(1000, 2));

        assertThat(path(after)).isEqualTo(path(location));
        var state = UploadLocations.decode(uploadState(after));
        assertThat(state.path("name").asText()).isEqualTo("state/grows");
        assertThat(state.path("uuid").asText()).isEqualTo(uploadId(location));
        assertThat(state.path("offset").asLong()).isEqualTo(1000);
        assertThat(state.path("startedAt").asText()).isNotEmpty();
    }

    @Test
    void requestWithoutState_isUnknown_andTheSessionIsUntouched() {
        byte[] content = bytes(3000, 3);
        String location = patch(client, startUpload(client, "state/missing"), 0, Arrays.copyOf(content, 1000));

        assertEveryMethodUnknown(path(location));

        assertSessionIntact(location, content, 1000);
    }

    @Test
    void tamperedState_isUnknown() {
        byte[] content = bytes(3000, 4);
        String location = patch(client, startUpload(client, "state/tampered"), 0, Arrays.copyOf(content, 1000));
        String state = uploadState(location);
        int dot = state.indexOf('.');
        char c = state.charAt(dot / 2);
        String payloadChanged = state.substring(0, dot / 2) + (c == 'A' ? 'B' : 'A') + state.substring(dot / 2 + 1);
        String macChanged = state.substring(0, state.length() - 2) + (state.endsWith("A") ? "BB" : "AA");

        for (String bad : List.of(payloadChanged, macChanged, state.substring(0, dot), "not-a-state",
                "%00%ff", "..", state + "." + state)) {
            assertEveryMethodUnknown(path(location) + "?_state=" + bad);
        }
        assertEveryMethodUnknown(location + "&_state=" + state);   // given twice

        assertSessionIntact(location, content, 1000);
    }

    @Test
    void stateOfAnotherSession_orForAnotherRepository_isUnknown() {
        byte[] content = bytes(2000, 5);
        String mine = patch(client, startUpload(client, "state/mine"), 0, Arrays.copyOf(content, 500));
        String other = startUpload(client, "state/other");
        String sameRepo = startUpload(client, "state/mine");

        // another session's state on my session's path, in its repository and in mine
        assertEveryMethodUnknown(path(mine) + "?_state=" + uploadState(other));
        assertEveryMethodUnknown(path(mine) + "?_state=" + uploadState(sameRepo));
        // my session's own state, on the path of another repository
        assertEveryMethodUnknown(path(mine).replace("/state/mine/", "/state/other/") + "?_state="
                + uploadState(mine));

        assertSessionIntact(mine, content, 500);
    }

    @Test
    void stateSignedByAnotherRegistry_isUnknown() throws Exception {
        byte[] content = bytes(2000, 6);
        String mine = patch(client, startUpload(client, "state/foreign"), 0, Arrays.copyOf(content, 700));
        try (TestServer elsewhere = TestServer.start(dir.resolve("b"))) {
            String theirs = startUpload(elsewhere.client(), "state/foreign");
            // a state another registry (another secret) signed, on this registry: for their session id...
            assertEveryMethodUnknown(path(mine).replace(uploadId(mine), uploadId(theirs)) + "?_state="
                    + uploadState(theirs));
            // ...and re-aimed at a session that exists here
            assertEveryMethodUnknown(path(mine) + "?_state=" + uploadState(theirs));
        }
        assertSessionIntact(mine, content, 700);
    }

    @Test
    void anEarlierLocationOfTheSession_stillWorks_theDatabaseKnowsWhereItStands() {
        byte[] content = bytes(3000, 7);
        String first = startUpload(client, "state/earlier");
        patch(client, first, 0, Arrays.copyOf(content, 1200));

        TestClient.Reply status = client.get(first);     // the Location from before the chunk
        assertThat(status.status()).isEqualTo(204);
        assertThat(status.header("Range")).contains("0-1199");
        assertSessionIntact(first, content, 1200);
    }

    @Test
    void generatedSecret_survivesARestart_andIsNeverLogged() throws Exception {
        List<String> logged = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                synchronized (logged) {
                    logged.add(String.valueOf(r.getMessage()) + " " + String.valueOf(r.getThrown()));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger berth = Logger.getLogger("dev.berth");
        Level before = berth.getLevel();
        berth.setLevel(Level.ALL);
        berth.addHandler(capture);
        try {
            byte[] content = bytes(4000, 8);
            String location = patch(client, startUpload(client, "state/restart"), 0, Arrays.copyOf(content, 1500));

            server = server.restart();
            client = server.client();

            assertSessionIntact(location, content, 1500);
        } finally {
            berth.removeHandler(capture);
            berth.setLevel(before);
        }
        String secret;
        try (JdbcMetadataStore store = JdbcMetadataStore.open("jdbc:sqlite:" + dir.resolve("a/berth.db"), null,
                null, 1)) {
            secret = store.setting("upload_secret", "never stored", Instant.now());
        }
        assertThat(secret).hasSize(64);
        synchronized (logged) {
            assertThat(logged).anyMatch(l -> l.contains("http.secret is not set"));
            assertThat(logged).noneMatch(l -> l.contains(secret));
        }
    }
}
