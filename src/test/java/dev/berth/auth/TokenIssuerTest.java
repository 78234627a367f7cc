package dev.berth.auth;

import static dev.berth.auth.Action.DELETE;
import static dev.berth.auth.Action.PULL;
import static dev.berth.auth.Action.PUSH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jwt.SignedJWT;
import dev.berth.auth.AccessRules.Rule;
import dev.berth.oci.RepositoryName;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenIssuerTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant START = Instant.parse("2031-05-06T07:08:09.500Z");

    @TempDir
    static Path dir;
    static Pki pki;
    static Path rsaKey;
    static Path rsaCert;
    static Path ecKey;
    static Path ecCert;

    static final AccessRules RULES = new AccessRules(new AccessRules.Settings(
            List.of("user:root"), Map.of(),
            List.of(new Rule("team/**", List.of("user:alice"), Set.of(PULL, PUSH)),
                    new Rule("public/**", List.of("anyone"), Set.of(PULL))),
            List.of()));

    MutableClock clock;
    AtomicInteger ids;

    @BeforeAll
    static void keys() {
        pki = new Pki(dir);
        rsaKey = pki.rsaKeyPkcs1("rsa");
        rsaCert = pki.selfSigned(rsaKey, "rsa");
        ecKey = pki.ecKey("ec384", "secp384r1");
        ecCert = pki.selfSigned(ecKey, "ec384");
    }

    @BeforeEach
    void clock() {
        clock = new MutableClock(START);
        ids = new AtomicInteger();
    }

    TokenIssuer issuer(Path key, TokenIssuer.KeyIdFormat kid) throws Exception {
        return new TokenIssuer(new TokenIssuer.Settings(Tokens.ISSUER, Tokens.SERVICE, Duration.ofMinutes(5), kid),
                SigningKey.load(key), RULES, clock, () -> "jti-" + ids.incrementAndGet());
    }

    TokenVerifier verifierTrusting(Path certBundle) throws Exception {
        return new TokenVerifier(new TokenVerifier.Settings(Tokens.ISSUER, Tokens.SERVICE),
                TrustedKeys.load(certBundle, null), clock);
    }

    static List<Scope> scopes(String... s) {
        return Scope.parseAll(List.of(s));
    }

    @Test
    void issuedToken_isAcceptedByAVerifierWithTheKeysCertificate_withEitherKidFormat() throws Exception {
        for (TokenIssuer.KeyIdFormat format : TokenIssuer.KeyIdFormat.values()) {
            for (Path[] keyAndCert : new Path[][] {{rsaKey, rsaCert}, {ecKey, ecCert}}) {
                IssuedToken t = issuer(keyAndCert[0], format).issue(Principal.user("alice"),
                        scopes("repository:team/app:pull"));

                VerifiedToken v = verifierTrusting(keyAndCert[1]).verify(t.token());

                assertThat(v.permits(RepositoryName.of("team/app"), PULL)).as(format + " " + keyAndCert[0]).isTrue();
            }
        }
    }

    @Test
    void issuedToken_algorithmFollowsTheKey() throws Exception {
        assertThat(SignedJWT.parse(issuer(rsaKey, null).issue(Principal.ANONYMOUS, List.of()).token())
                .getHeader().getAlgorithm().getName()).isEqualTo("RS256");
        assertThat(SignedJWT.parse(issuer(ecKey, null).issue(Principal.ANONYMOUS, List.of()).token())
                .getHeader().getAlgorithm().getName()).isEqualTo("ES384");
    }

    @Test
    void issue_grantsOnlyTheIntersectionOfAskedAndAllowed() throws Exception {
        IssuedToken t = issuer(rsaKey, null).issue(Principal.user("alice"), scopes(
                "repository:team/app:pull,push,delete", "repository:public/base:push,pull",
                "repository:secret/x:pull", "namespace:team:pull"));

        assertThat(t.granted()).extracting(Scope::toString)
                .containsExactly("repository:team/app:pull,push", "repository:public/base:pull");
        JsonNode access = JSON.readTree(Tokens.payloadJson(t.token())).get("access");
        assertThat(access.toString()).isEqualTo("[{\"type\":\"repository\",\"name\":\"team/app\",\"actions\":"
                + "[\"pull\",\"push\"]},{\"type\":\"repository\",\"name\":\"public/base\",\"actions\":[\"pull\"]}]");
    }

    @Test
    void issue_mergesRepeatedScopesForOneRepository() throws Exception {
        IssuedToken t = issuer(rsaKey, null).issue(Principal.user("alice"),
                scopes("repository:team/app:pull", "repository:team/app:push"));

        assertThat(t.granted()).extracting(Scope::toString).containsExactly("repository:team/app:pull,push");
    }

    @Test
    void issue_wildcardAsksForEverythingAllowed() throws Exception {
        IssuedToken t = issuer(rsaKey, null).issue(Principal.user("root"), scopes("repository:any/thing:*"));

        assertThat(t.granted()).extracting(Scope::toString).containsExactly("repository:any/thing:pull,push,delete");
    }

    @Test
    void issue_anonymous_getsAnonymousRights_andAnEmptySubject() throws Exception {
        IssuedToken t = issuer(rsaKey, null).issue(Principal.ANONYMOUS,
                scopes("repository:public/base:pull,push", "repository:team/app:pull"));

        assertThat(t.granted()).extracting(Scope::toString).containsExactly("repository:public/base:pull");
        assertThat(JSON.readTree(Tokens.payloadJson(t.token())).get("sub").asText()).isEmpty();
    }

    @Test
    void issue_catalog_forAuthenticatedUsersByDefault() throws Exception {
        TokenIssuer issuer = issuer(rsaKey, null);

        assertThat(issuer.issue(Principal.user("alice"), scopes("registry:catalog:*")).granted())
                .containsExactly(Scope.CATALOG);
        assertThat(issuer.issue(Principal.ANONYMOUS, scopes("registry:catalog:*")).granted()).isEmpty();
        assertThat(issuer.issue(Principal.user("alice"), scopes("registry:catalog:pull")).granted()).isEmpty();
    }

    @Test
    void issue_writesDistributionsClaimsAndHeader() throws Exception {
        TokenIssuer issuer = issuer(rsaKey, TokenIssuer.KeyIdFormat.LIBTRUST);
        IssuedToken t = issuer.issue(Principal.user("alice"), scopes("repository:team/app:pull"));

        JsonNode header = JSON.readTree(Tokens.headerJson(t.token()));
        JsonNode claims = JSON.readTree(Tokens.payloadJson(t.token()));
        long now = START.getEpochSecond();
        assertThat(header.get("typ").asText()).isEqualTo("JWT");
        assertThat(header.get("alg").asText()).isEqualTo("RS256");
        assertThat(header.get("kid").asText()).isEqualTo(issuer.keyId())
                .matches("([A-Z2-7]{4}:){11}[A-Z2-7]{4}");
        assertThat(claims.get("iss").asText()).isEqualTo(Tokens.ISSUER);
        assertThat(claims.get("sub").asText()).isEqualTo("alice");
        assertThat(claims.get("aud").isTextual()).as("aud is a string, as distribution 2 expects").isTrue();
        assertThat(claims.get("aud").asText()).isEqualTo(Tokens.SERVICE);
        assertThat(claims.get("iat").asLong()).isEqualTo(now);
        assertThat(claims.get("nbf").asLong()).isEqualTo(now);
        assertThat(claims.get("exp").asLong()).isEqualTo(now + 300);
        assertThat(claims.get("jti").asText()).isEqualTo("jti-1");
        assertThat(t.issuedAt()).isEqualTo(Instant.parse("2031-05-06T07:08:09Z"));
        assertThat(t.expiresIn()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void json_hasBothTokenNames_expiresIn_andIssuedAt() throws Exception {
        IssuedToken t = issuer(rsaKey, null).issue(Principal.user("alice"), scopes("repository:team/app:pull"));

        JsonNode get = JSON.readTree(t.json(false));
        JsonNode post = JSON.readTree(t.json(true));

        assertThat(get.get("token").asText()).isEqualTo(t.token());
        assertThat(get.get("access_token").asText()).isEqualTo(t.token());
        assertThat(get.get("expires_in").asLong()).isEqualTo(300);
        assertThat(get.get("issued_at").asText()).isEqualTo("2031-05-06T07:08:09Z");
        assertThat(get.has("scope")).isFalse();
        assertThat(post.get("scope").asText()).isEqualTo("repository:team/app:pull");
    }

    @Test
    void defaultLifetime_isFiveMinutes_andShorterThanAMinuteIsRefused() {
        assertThat(new TokenIssuer.Settings("i", "s").ttl()).isEqualTo(Duration.ofMinutes(5));
        assertThatThrownBy(() -> new TokenIssuer.Settings("i", "s", Duration.ofSeconds(59), null))
                .hasMessage("token lifetime must be 60s to 24h, got PT59S");
    }

    @Test
    void trustedKeys_andPublicJwks_verifyTheIssuersTokens() throws Exception {
        TokenIssuer issuer = issuer(ecKey, null);
        IssuedToken t = issuer.issue(Principal.user("alice"), scopes("repository:team/app:push"));
        Path jwks = dir.resolve("issuer.jwks");
        pki.write(jwks, issuer.publicJwks());

        TokenVerifier own = new TokenVerifier(new TokenVerifier.Settings(Tokens.ISSUER, Tokens.SERVICE),
                issuer.trustedKeys(), clock);
        TokenVerifier fromJwks = new TokenVerifier(new TokenVerifier.Settings(Tokens.ISSUER, Tokens.SERVICE),
                TrustedKeys.load(null, jwks), clock);

        assertThat(own.authorize(t.token(), RepositoryName.of("team/app"), PUSH)).isTrue();
        assertThat(fromJwks.authorize(t.token(), RepositoryName.of("team/app"), PUSH)).isTrue();
        assertThat(issuer.publicJwks()).doesNotContain("\"d\"");
    }

    @Test
    void issuedToken_expiresAfterItsLifetime() throws Exception {
        TokenIssuer issuer = issuer(rsaKey, null);
        IssuedToken t = issuer.issue(Principal.user("alice"), scopes("repository:team/app:pull"));
        TokenVerifier verifier = new TokenVerifier(new TokenVerifier.Settings(Tokens.ISSUER, Tokens.SERVICE,
                null, Duration.ZERO), issuer.trustedKeys(), clock);

        clock.set(t.issuedAt().plus(Duration.ofMinutes(5)));
        assertThat(verifier.verify(t.token())).isNotNull();
        clock.advance(Duration.ofMillis(1));
        assertThatThrownBy(() -> verifier.verify(t.token())).hasMessageStartingWith("token expired");
    }

    @Test
    void signingKeys_fromEveryPemFormOpensslWrites() throws Exception {
        for (Path key : List.of(pki.rsaKey("pkcs8-rsa"), pki.rsaKeyPkcs1("pkcs1-rsa"), pki.ecKeyPkcs8("pkcs8-ec"),
                pki.ecKey("sec1-p256", "prime256v1"), pki.ecKey("sec1-p521", "secp521r1"))) {
            SigningKey k = SigningKey.load(key);
            Path cert = pki.selfSigned(key, key.getFileName().toString().replace(".key", "-cert"));

            assertThat(Pem.certificates(cert).get(0).getPublicKey()).as(key.toString()).isEqualTo(k.publicKey());
        }
    }

    @Test
    void signingKey_encryptedOrWeak_isRefused() throws Exception {
        Path plain = pki.rsaKey("to-encrypt");
        Path encrypted = dir.resolve("encrypted.key");
        Pki.run("openssl", "pkey", "-in", plain.toString(), "-aes256", "-passout", "pass:pw", "-out",
                encrypted.toString());
        Path weak = dir.resolve("weak.key");
        Pki.run("openssl", "genrsa", "-out", weak.toString(), "1024");

        assertThatThrownBy(() -> SigningKey.load(encrypted)).hasMessageContaining("the private key is encrypted");
        assertThatThrownBy(() -> SigningKey.load(weak)).hasMessage("an RSA signing key must have at least 2048 bits");
        assertThatThrownBy(() -> SigningKey.fromPem("no key here", "k.pem"))
                .hasMessage("k.pem: no PEM private key block");
    }

    @Test
    void toStrings_showNoKeyMaterial() throws Exception {
        TokenIssuer issuer = issuer(rsaKey, null);
        String pem = pki.read(rsaKey);
        String body = pem.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        IssuedToken t = issuer.issue(Principal.user("alice"), List.of());

        assertThat(issuer.toString()).doesNotContain(body).contains("RS256");
        assertThat(SigningKey.load(rsaKey).toString()).doesNotContain(body);
        assertThat(t.toString()).doesNotContain(t.token());
    }
}
