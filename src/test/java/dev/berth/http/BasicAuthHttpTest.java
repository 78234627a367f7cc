package dev.berth.http;

import static dev.berth.http.ErrorAssert.assertError;
import static dev.berth.http.SecureRegistry.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * htpasswd mode through a real server: HTTP Basic on every {@code /v2/} route, the access rules of the
 * configuration, 401 UNAUTHORIZED with a Basic challenge for missing or bad credentials, 403 DENIED for a known user
 * without the right, catalog filtering and mounts that respect the rules.
 */
class BasicAuthHttpTest {

    static final String ROOT_PW = "r00t-Pa55-4f9e";
    static final String ALICE_PW = "al1ce-Pa55-8c21";
    static final String BOB_PW = "b0b-Pa55-13d7";

    /** Rules: root is admin; alice (devs) owns team/**; bob pulls team/**; anyone pulls public/**; a/b for all users. */
    static String accessYaml(Path htpasswd) {
        return """
                auth:
                  htpasswd:
                    realm: Berth test
                    path: %s
                  access:
                    admins: [user:root]
                    groups:
                      devs: [alice]
                    rules:
                      - repository: public/**
                        who: [anyone]
                        actions: [pull]
                      - repository: team/**
                        who: [group:devs]
                        actions: [pull, push, delete]
                      - repository: team/**
                        who: [user:bob]
                        actions: [pull]
                      - repository: a/b
                        who: [authenticated]
                        actions: [pull, push]
                """.formatted(htpasswd);
    }

    @TempDir
    static Path tmp;

    static SecureRegistry registry;
    static final String ROOT = basic("root", ROOT_PW);
    static final String ALICE = basic("alice", ALICE_PW);
    static final String BOB = basic("bob", BOB_PW);

    @BeforeAll
    static void start() throws Exception {
        TestPki pki = new TestPki(tmp.resolve("pki"));
        Path users = pki.htpasswd("users", "root", ROOT_PW, "alice", ALICE_PW, "bob", BOB_PW);
        registry = SecureRegistry.start(SecureRegistry.config(tmp.resolve("data"), 0, "", accessYaml(users)));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    // ---- authentication ----------------------------------------------------------------------------------------

    @Test
    void versionCheck_withoutCredentials_is401WithABasicChallenge_inTheErrorEnvelope() {
        TestClient.Reply r = registry.get("/v2/", null);
        assertError(r, 401, "UNAUTHORIZED");
        assertThat(r.headerValue("WWW-Authenticate")).isEqualTo("Basic realm=\"Berth test\"");
    }

    @Test
    void versionCheck_withTheRightPassword_is200() {
        assertThat(registry.get("/v2/", ALICE).status()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "wrong password, alice, not-her-password",
            "unknown user, mallory, " + ALICE_PW,
            "empty password, alice, ''",
            "password of another user, alice, " + BOB_PW,
            "the right password with a suffix, alice, " + ALICE_PW + "x",
    })
    void badCredentials_are401WithTheBasicChallenge_onEveryRoute(String what, String user, String password) {
        String auth = basic(user, password == null ? "" : password);
        for (String path : List.of("/v2/", "/v2/_catalog", "/v2/team/app/tags/list", "/v2/public/app/tags/list",
                "/v2/team/app/manifests/latest")) {
            TestClient.Reply r = registry.get(path, auth);
            assertError(r, 401, "UNAUTHORIZED");
            assertThat(r.headerValue("WWW-Authenticate")).as(what + " on " + path)
                    .isEqualTo("Basic realm=\"Berth test\"");
        }
        assertError(registry.send("POST", "/v2/team/app/blobs/uploads/", auth, null), 401, "UNAUTHORIZED");
    }

    @Test
    void malformedBasicCredentials_are401() {
        for (String header : List.of("Basic", "Basic !!!not-base64!!!", "Basic " + java.util.Base64.getEncoder()
                .encodeToString("no-colon".getBytes(StandardCharsets.UTF_8)))) {
            assertError(registry.get("/v2/", header), 401, "UNAUTHORIZED");
        }
    }

    @Test
    void aWrongPasswordRightAfterTheRightOne_isStillRefused() {
        assertThat(registry.get("/v2/", ALICE).status()).isEqualTo(200);
        assertError(registry.get("/v2/", basic("alice", "guess")), 401, "UNAUTHORIZED");
        assertThat(registry.get("/v2/", ALICE).status()).isEqualTo(200);
    }

    // ---- authorization -----------------------------------------------------------------------------------------

    @Test
    void knownUserWithoutPush_isDenied403_forEveryWrite() {
        assertError(registry.send("POST", "/v2/team/app/blobs/uploads/", BOB, null), 403, "DENIED");
        assertError(registry.send("PUT", "/v2/team/app/manifests/v1", BOB, "{}".getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/vnd.oci.image.manifest.v1+json"), 403, "DENIED");
        assertError(registry.send("DELETE", "/v2/team/app/manifests/v1", BOB, null), 403, "DENIED");
        assertError(registry.send("DELETE", "/v2/team/app/blobs/" + Oci.unknownDigest(), BOB, null), 403, "DENIED");
        assertThat(registry.send("POST", "/v2/other/app/blobs/uploads/", BOB, null).status()).isEqualTo(403);
    }

    @Test
    void userWithTheRight_pushesAndPulls_andTheAccessLogNamesTheUser() {
        byte[] blob = Oci.bytes(5000, 1);
        assertThat(registry.pushBlob("team/push", blob, ALICE).status()).isEqualTo(201);
        TestClient.Reply pulled = registry.get("/v2/team/push/blobs/" + Oci.sha256(blob), BOB);
        assertThat(pulled.status()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(blob);
    }

    @Test
    void anonymousClient_pullsWhereTheRulesSaySo_butIsChallengedElsewhere() {
        assertError(registry.get("/v2/public/none/tags/list", null), 404, "NAME_UNKNOWN");   // allowed: not there
        TestClient.Reply team = registry.get("/v2/team/app/tags/list", null);
        assertError(team, 401, "UNAUTHORIZED");
        assertThat(team.headerValue("WWW-Authenticate")).startsWith("Basic ");
        assertError(registry.send("POST", "/v2/public/app/blobs/uploads/", null, null), 401, "UNAUTHORIZED");
    }

    @Test
    void adminMayDoEverything() {
        byte[] blob = Oci.bytes(100, 2);
        assertThat(registry.pushBlob("anywhere/at/all", blob, ROOT).status()).isEqualTo(201);
        assertThat(registry.send("DELETE", "/v2/anywhere/at/all/blobs/" + Oci.sha256(blob), ROOT, null).status())
                .isEqualTo(202);
    }

    @Test
    void notFoundAndMethodNotAllowed_comeBeforeAuthentication() {
        assertError(registry.get("/v3/", null), 404, "NOT_FOUND");
        assertThat(registry.send("PATCH", "/v2/team/app/manifests/latest", null, null).status()).isEqualTo(405);
    }

    @Test
    void tokenEndpoint_isNotServed_withoutTheTokenServer() {
        assertError(registry.get("/auth/token?service=x", ALICE), 404, "NOT_FOUND");
    }

    @Test
    void pushWithExpectContinue_withoutCredentials_isRefusedBeforeTheBodyIsSent() throws Exception {
        try (RawHttp raw = RawHttp.connect(registry.port())) {
            raw.write("POST /v2/team/app/blobs/uploads/?digest=" + Oci.unknownDigest() + " HTTP/1.1\r\n"
                    + "Host: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 10000000\r\n"
                    + "Expect: 100-continue\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertThat(r.status()).as("answered at once, no 100 Continue first").isEqualTo(401);
            assertThat(r.header("WWW-Authenticate")).contains("Basic realm=\"Berth test\"");
        }
    }

    // ---- catalog -----------------------------------------------------------------------------------------------

    @Test
    void catalog_listsOnlyWhatTheCallerMayPull_andPagesStayFull() {
        for (String repo : List.of("cat/x1", "cat/x2", "team/c1", "team/c2", "public/c3", "a/b", "zz/last")) {
            assertThat(registry.pushBlob(repo, Oci.bytes(10, 3), ROOT).status()).isEqualTo(201);
        }
        List<String> bobSees = catalog(BOB, 2);
        assertThat(bobSees).doesNotContain("cat/x1", "cat/x2", "zz/last", "anywhere/at/all")
                .contains("a/b", "public/c3", "team/c1", "team/c2");
        assertThat(bobSees).isSorted();
        List<String> rootSees = catalog(ROOT, 3);
        assertThat(rootSees).contains("cat/x1", "cat/x2", "zz/last", "a/b", "team/c1");
        assertThat(rootSees).containsAll(bobSees);
        assertError(registry.get("/v2/_catalog", null), 401, "UNAUTHORIZED");
    }

    /** Every page of the catalog for {@code auth}, {@code n} at a time: each page but the last is full. */
    private static List<String> catalog(String auth, int n) {
        List<String> all = new ArrayList<>();
        String path = "/v2/_catalog?n=" + n;
        for (int pages = 0; pages < 100; pages++) {
            TestClient.Reply r = registry.get(path, auth);
            assertThat(r.status()).isEqualTo(200);
            JsonNode repos = r.json().path("repositories");
            repos.forEach(x -> all.add(x.asText()));
            if (r.header("Link").isEmpty()) {
                assertThat(repos.size()).isLessThanOrEqualTo(n);
                return all;
            }
            assertThat(repos.size()).as("a page with more behind it is full").isEqualTo(n);
            String link = r.headerValue("Link");
            path = link.substring(1, link.indexOf('>'));
        }
        throw new AssertionError("catalog did not end");
    }

    // ---- mounts ------------------------------------------------------------------------------------------------

    @Test
    void mountFromARepositoryTheCallerMayNotPull_quietlyBecomesAnUpload() {
        byte[] secret = Oci.bytes(2000, 4);
        String digest = Oci.sha256(secret);
        assertThat(registry.pushBlob("private/vault", secret, ROOT).status()).isEqualTo(201);

        TestClient.Reply r = registry.send("POST", "/v2/team/m/blobs/uploads/?mount=" + digest
                + "&from=private/vault", ALICE, null);
        assertThat(r.status()).as("an upload session, not a mount").isEqualTo(202);
        assertThat(r.headerValue("Location")).startsWith("/v2/team/m/blobs/uploads/");
        assertError(registry.send("GET", "/v2/team/m/blobs/" + digest, ALICE, null), 404, "BLOB_UNKNOWN");
    }

    @Test
    void mountFromARepositoryTheCallerMayPull_links() {
        byte[] shared = Oci.bytes(2000, 5);
        String digest = Oci.sha256(shared);
        assertThat(registry.pushBlob("team/src", shared, ALICE).status()).isEqualTo(201);

        TestClient.Reply r = registry.send("POST", "/v2/team/dst/blobs/uploads/?mount=" + digest
                + "&from=team/src", ALICE, null);
        assertThat(r.status()).isEqualTo(201);
        assertThat(registry.send("HEAD", "/v2/team/dst/blobs/" + digest, ALICE, null).status()).isEqualTo(200);
    }

    @Test
    void mountWithoutFrom_isAnUploadUnderAuthentication_evenForABlobTheRegistryHas() {
        byte[] secret = Oci.bytes(2000, 6);
        String digest = Oci.sha256(secret);
        assertThat(registry.pushBlob("private/other", secret, ROOT).status()).isEqualTo(201);

        TestClient.Reply r = registry.send("POST", "/v2/team/guess/blobs/uploads/?mount=" + digest, ALICE, null);
        assertThat(r.status()).isEqualTo(202);
        assertError(registry.send("GET", "/v2/team/guess/blobs/" + digest, ALICE, null), 404, "BLOB_UNKNOWN");
    }
}
