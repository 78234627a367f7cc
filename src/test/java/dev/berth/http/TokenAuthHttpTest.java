package dev.berth.http;

import static dev.berth.http.ErrorAssert.assertError;
import static dev.berth.http.SecureRegistry.basic;
import static dev.berth.http.SecureRegistry.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.berth.auth.KeyIds;
import dev.berth.auth.Pem;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token mode through a real server, with Berth's own token server: the Bearer challenge of the Docker token
 * specification, tokens from {@code /auth/token}, and tokens crafted to be wrong in every way the verifier checks
 * (signature, algorithm, issuer, audience, expiry, not-before, the access granted).
 */
class TokenAuthHttpTest {

    static final String SERVICE = "berth-test";
    static final String ISSUER = "berth-test-issuer";

    @TempDir
    static Path tmp;

    static TestPki pki;
    static SecureRegistry registry;
    static String realm;

    @BeforeAll
    static void start() throws Exception {
        pki = new TestPki(tmp.resolve("pki"));
        Path users = pki.htpasswd("users", "root", BasicAuthHttpTest.ROOT_PW, "alice", BasicAuthHttpTest.ALICE_PW,
                "bob", BasicAuthHttpTest.BOB_PW);
        pki.ecKey("token");
        pki.ecKey("other");
        int port = SecureRegistry.freePort();
        realm = "http://127.0.0.1:" + port + "/auth/token";
        String rules = BasicAuthHttpTest.accessYaml(users);
        String access = rules.substring(rules.indexOf("  access:"));
        registry = SecureRegistry.start(SecureRegistry.config(tmp.resolve("data"), port, "", """
                auth:
                  token:
                    realm: %s
                    service: %s
                    issuer: %s
                  tokenserver:
                    enabled: true
                    key: %s
                    htpasswd: %s
                """.formatted(realm, SERVICE, ISSUER, pki.key("token"), users) + access));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    // ---- challenges --------------------------------------------------------------------------------------------

    @Test
    void noToken_is401WithABearerChallenge_namingRealmServiceAndScope() {
        TestClient.Reply pull = registry.get("/v2/team/app/manifests/latest", null);
        assertError(pull, 401, "UNAUTHORIZED");
        assertThat(pull.headerValue("WWW-Authenticate")).isEqualTo("Bearer realm=\"" + realm
                + "\",service=\"" + SERVICE + "\",scope=\"repository:team/app:pull\"");
        TestClient.Reply push = registry.send("POST", "/v2/team/app/blobs/uploads/", null, null);
        assertThat(push.headerValue("WWW-Authenticate")).endsWith(",scope=\"repository:team/app:pull,push\"");
        TestClient.Reply base = registry.get("/v2/", null);
        assertThat(base.headerValue("WWW-Authenticate")).isEqualTo("Bearer realm=\"" + realm
                + "\",service=\"" + SERVICE + "\"");
        assertThat(registry.get("/v2/_catalog", null).headerValue("WWW-Authenticate"))
                .endsWith(",scope=\"registry:catalog:*\"");
    }

    @Test
    void basicCredentials_areNotAcceptedInTokenMode() {
        assertError(registry.get("/v2/", basic("alice", BasicAuthHttpTest.ALICE_PW)), 401, "UNAUTHORIZED");
    }

    // ---- the token server --------------------------------------------------------------------------------------

    @Test
    void tokenServer_get_issuesAShortLivedTokenForWhatTheUserMayDo_andItOpensTheRepository() {
        TestClient.Reply r = registry.get("/auth/token?service=" + SERVICE + "&scope=repository:team/app:pull,push",
                basic("alice", BasicAuthHttpTest.ALICE_PW));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headerValue("Cache-Control")).isEqualTo("no-store");
        assertThat(r.headerValue("Content-Type")).startsWith("application/json");
        JsonNode json = r.json();
        assertThat(json.path("token").asText()).isEqualTo(json.path("access_token").asText()).isNotEmpty();
        assertThat(json.path("expires_in").asLong()).isEqualTo(300);
        String token = json.path("token").asText();

        byte[] blob = Oci.bytes(3000, 7);
        assertThat(registry.pushBlob("team/app", blob, bearer(token)).status()).isEqualTo(201);
        assertThat(registry.get("/v2/team/app/blobs/" + Oci.sha256(blob), bearer(token)).body()).isEqualTo(blob);
        assertThat(registry.get("/v2/", bearer(token)).status()).isEqualTo(200);
    }

    @Test
    void tokenServer_grantsOnlyWhatTheRulesAllow_andThePushIsThenDenied() {
        String token = token("bob", BasicAuthHttpTest.BOB_PW, "repository:team/app:pull,push");
        assertThat(claims(token).path("access").toString()).contains("\"pull\"").doesNotContain("\"push\"");
        assertError(registry.send("POST", "/v2/team/app/blobs/uploads/", bearer(token), null), 403, "DENIED");
    }

    @Test
    void tokenServer_wrongPassword_is401WithABasicChallenge() {
        TestClient.Reply r = registry.get("/auth/token?service=" + SERVICE + "&scope=repository:team/app:pull",
                basic("alice", "wrong"));
        assertError(r, 401, "UNAUTHORIZED");
        assertThat(r.headerValue("WWW-Authenticate")).startsWith("Basic realm=");
        assertError(registry.get("/auth/token?service=" + SERVICE, basic("nobody", "x")), 401, "UNAUTHORIZED");
    }

    @Test
    void tokenServer_anonymous_getsOnlyWhatAnonymousClientsMayDo() {
        TestClient.Reply r = registry.get("/auth/token?service=" + SERVICE
                + "&scope=repository:public/app:pull&scope=repository:team/app:pull", null);
        assertThat(r.status()).isEqualTo(200);
        JsonNode access = claims(r.json().path("token").asText()).path("access");
        assertThat(access).hasSize(1);
        assertThat(access.get(0).path("name").asText()).isEqualTo("public/app");
    }

    @Test
    void tokenServer_postPasswordGrant_issuesAnAccessToken() {
        String form = "grant_type=password&service=" + SERVICE + "&client_id=test&username=alice&password="
                + URLEncoder.encode(BasicAuthHttpTest.ALICE_PW, StandardCharsets.UTF_8)
                + "&scope=" + URLEncoder.encode("repository:team/app:pull repository:a/b:pull", StandardCharsets.UTF_8);
        TestClient.Reply r = registry.send("POST", "/auth/token", null, form.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-www-form-urlencoded");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.headerValue("Cache-Control")).isEqualTo("no-store");
        assertThat(r.json().path("scope").asText()).isEqualTo("repository:team/app:pull repository:a/b:pull");
        String token = r.json().path("access_token").asText();
        assertThat(registry.get("/v2/team/app/tags/list", bearer(token)).status()).isIn(200, 404);

        String wrong = "grant_type=password&service=" + SERVICE + "&username=alice&password=nope";
        assertError(registry.send("POST", "/auth/token", null, wrong.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-www-form-urlencoded"), 401, "UNAUTHORIZED");
        assertError(registry.send("POST", "/auth/token", null, "grant_type=refresh_token".getBytes(
                StandardCharsets.UTF_8), "Content-Type", "application/x-www-form-urlencoded"), 400, "BAD_REQUEST");
    }

    @Test
    void tokenServer_answersInReadOnlyMode_GetAndPost_whileWritesAreRefused() {
        String token = token("alice", BasicAuthHttpTest.ALICE_PW, "repository:team/app:pull,push");
        registry.readOnly().set(true);
        try {
            assertThat(registry.get("/auth/token?service=" + SERVICE + "&scope=repository:team/app:pull",
                    basic("alice", BasicAuthHttpTest.ALICE_PW)).status()).isEqualTo(200);
            String form = "grant_type=password&service=" + SERVICE + "&username=alice&password="
                    + URLEncoder.encode(BasicAuthHttpTest.ALICE_PW, StandardCharsets.UTF_8);
            assertThat(registry.send("POST", "/auth/token", null, form.getBytes(StandardCharsets.UTF_8),
                    "Content-Type", "application/x-www-form-urlencoded").status()).isEqualTo(200);
            assertError(registry.send("POST", "/v2/team/app/blobs/uploads/", bearer(token), null), 405,
                    "UNSUPPORTED");
        } finally {
            registry.readOnly().set(false);
        }
    }

    @Test
    void tokenServer_refusesAnotherServiceAndMalformedScopes_withoutEchoingThemIntoHeaders() {
        assertError(registry.get("/auth/token?service=elsewhere&scope=repository:a/b:pull", null), 400,
                "BAD_REQUEST");
        TestClient.Reply r = registry.get("/auth/token?service=" + SERVICE
                + "&scope=repository:a/b:pull%0d%0aX-Injected:%20yes", null);
        assertError(r, 400, "BAD_REQUEST");
        assertThat(r.header("X-Injected")).isEmpty();
    }

    @Test
    void catalog_needsTheCatalogScope_andListsOnlyWhatTheTokensSubjectMayPull() {
        String root = token("root", BasicAuthHttpTest.ROOT_PW, "repository:cat/secret:push,pull");
        assertThat(registry.pushBlob("cat/secret", Oci.bytes(10, 8), bearer(root)).status()).isEqualTo(201);
        String rootPub = token("root", BasicAuthHttpTest.ROOT_PW, "repository:public/listed:push,pull");
        assertThat(registry.pushBlob("public/listed", Oci.bytes(10, 9), bearer(rootPub)).status()).isEqualTo(201);

        String bobPull = token("bob", BasicAuthHttpTest.BOB_PW, "repository:public/listed:pull");
        TestClient.Reply noScope = registry.get("/v2/_catalog", bearer(bobPull));
        assertError(noScope, 401, "UNAUTHORIZED");
        assertThat(noScope.headerValue("WWW-Authenticate")).contains("error=\"insufficient_scope\"");

        String bobCatalog = token("bob", BasicAuthHttpTest.BOB_PW, "registry:catalog:*");
        TestClient.Reply r = registry.get("/v2/_catalog", bearer(bobCatalog));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("repositories").toString()).contains("public/listed").doesNotContain("cat/secret");
    }

    // ---- crafted tokens ----------------------------------------------------------------------------------------

    @Test
    void aGoodCraftedToken_isAccepted() {
        String token = craft("token", c -> c);
        assertThat(registry.get("/v2/team/app/tags/list", bearer(token)).status()).isIn(200, 404);
    }

    @Test
    void tokenSignedByAnotherKey_isRefusedAsInvalid() {
        assertInvalid(craft("other", c -> c), "/v2/team/app/tags/list");
    }

    @Test
    void tokenWithAlgNone_isRefusedAsInvalid() {
        String signed = craft("token", c -> c);
        String payload = signed.split("\\.")[1];
        String header = Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        assertInvalid(header + "." + payload + ".", "/v2/team/app/tags/list");
        assertInvalid(header + "." + payload, "/v2/team/app/tags/list");
    }

    @Test
    void expiredToken_isRefusedAsInvalid() {
        Instant past = Instant.now().minusSeconds(3600);
        assertInvalid(craft("token", c -> c.issueTime(Date.from(past)).notBeforeTime(Date.from(past))
                .expirationTime(Date.from(past.plusSeconds(300)))), "/v2/team/app/tags/list");
    }

    @Test
    void tokenNotYetValid_isRefusedAsInvalid() {
        Instant future = Instant.now().plusSeconds(3600);
        assertInvalid(craft("token", c -> c.notBeforeTime(Date.from(future))
                .expirationTime(Date.from(future.plusSeconds(300)))), "/v2/team/app/tags/list");
    }

    @Test
    void tokenForAnotherAudience_isRefusedAsInvalid() {
        assertInvalid(craft("token", c -> c.audience("another-registry")), "/v2/team/app/tags/list");
    }

    @Test
    void tokenFromAnotherIssuer_isRefusedAsInvalid() {
        assertInvalid(craft("token", c -> c.issuer("someone-else")), "/v2/team/app/tags/list");
    }

    @Test
    void tokenForAnotherRepository_doesNotOpenThisOne() {
        String token = craft("token", c -> c.claim("access", List.of(access("team/other", "pull", "push"))));
        assertInsufficient(token, "GET", "/v2/team/app/tags/list");
    }

    @Test
    void pullToken_usedToPush_isRefused() {
        String token = craft("token", c -> c.claim("access", List.of(access("team/app", "pull"))));
        assertInsufficient(token, "POST", "/v2/team/app/blobs/uploads/");
        assertInsufficient(token, "PUT", "/v2/team/app/manifests/v1");
        assertInsufficient(token, "DELETE", "/v2/team/app/manifests/v1");
    }

    @Test
    void tokenForAB_opensNeitherABC_norABC() {
        String token = craft("token", c -> c.claim("access", List.of(access("a/b", "pull", "push"))));
        assertThat(registry.get("/v2/a/b/tags/list", bearer(token)).status()).isIn(200, 404);
        assertInsufficient(token, "GET", "/v2/a/b/c/tags/list");
        assertInsufficient(token, "GET", "/v2/a/bc/tags/list");
        assertInsufficient(token, "GET", "/v2/a/tags/list");
    }

    private static void assertInvalid(String token, String path) {
        TestClient.Reply r = registry.get(path, bearer(token));
        assertError(r, 401, "UNAUTHORIZED");
        assertThat(r.headerValue("WWW-Authenticate")).startsWith("Bearer realm=\"" + realm + "\"")
                .contains("error=\"invalid_token\"");
    }

    /** Refused: 401 insufficient_scope (a new token could help), or 403 when alice's rules forbid it too. */
    private static void assertInsufficient(String token, String method, String path) {
        TestClient.Reply r = registry.send(method, path, bearer(token), method.equals("PUT") ? new byte[] {'{', '}'}
                : null, "Content-Type", "application/vnd.oci.image.manifest.v1+json");
        assertThat(r.status()).as(method + " " + path + ": " + r).isIn(401, 403);
        if (r.status() == 401) {
            assertError(r, 401, "UNAUTHORIZED");
            assertThat(r.headerValue("WWW-Authenticate")).contains("error=\"insufficient_scope\"");
        } else {
            assertError(r, 403, "DENIED");
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** A token from the token server for {@code user} and {@code scope}. */
    static String token(String user, String password, String scope) {
        TestClient.Reply r = registry.get("/auth/token?service=" + SERVICE + "&scope="
                + URLEncoder.encode(scope, StandardCharsets.UTF_8), basic(user, password));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().path("token").asText();
    }

    static JsonNode claims(String token) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(Base64.getUrlDecoder()
                    .decode(token.split("\\.")[1]));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static Map<String, Object> access(String repo, String... actions) {
        return Map.of("type", "repository", "name", repo, "actions", List.of(actions));
    }

    /** A token as the token server would make it (alice, push and pull on team/app), changed by {@code edit}. */
    static String craft(String keyName, UnaryOperator<JWTClaimsSet.Builder> edit) {
        try {
            KeyPair kp = Pem.keyPair(pki.key(keyName));
            Instant now = Instant.now();
            JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                    .issuer(ISSUER).subject("alice").audience(SERVICE)
                    .issueTime(Date.from(now)).notBeforeTime(Date.from(now))
                    .expirationTime(Date.from(now.plusSeconds(300))).jwtID("crafted")
                    .claim("access", List.of(access("team/app", "pull", "push")));
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT)
                    .keyID(KeyIds.thumbprint(kp.getPublic())).build(), edit.apply(claims).build());
            jwt.sign(new ECDSASigner((ECPrivateKey) kp.getPrivate()));
            return jwt.serialize();
        } catch (IOException | JOSEException e) {
            throw new AssertionError(e);
        }
    }
}
