package dev.berth.auth;

import static dev.berth.auth.Tokens.ISSUER;
import static dev.berth.auth.Tokens.SERVICE;
import static dev.berth.auth.Tokens.access;
import static dev.berth.auth.Tokens.claims;
import static dev.berth.auth.Tokens.header;
import static dev.berth.auth.Tokens.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.berth.oci.RepositoryName;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenVerifierTest {

    @TempDir
    static Path dir;
    static Pki pki;
    static Path rsaKey;
    static Path ecKey;
    static Path otherKey;
    static Path caKey;
    static Path caCert;
    static Path leafKey;
    static Path leafCert;
    static Path bundle;
    static PublicKey rsaPublic;
    static PublicKey ecPublic;

    /** Now, once the certificates exist (openssl makes them valid from their creation second on). */
    static Instant START;
    MutableClock clock;
    TokenVerifier verifier;

    @BeforeAll
    static void keys() throws Exception {
        pki = new Pki(dir);
        rsaKey = pki.rsaKey("issuer-rsa");
        ecKey = pki.ecKey("issuer-ec", "prime256v1");
        otherKey = pki.rsaKey("other");
        caKey = pki.ecKeyPkcs8("ca");
        caCert = pki.selfSigned(caKey, "ca");
        leafKey = pki.rsaKey("leaf");
        leafCert = pki.signedBy(leafKey, "leaf", caKey, caCert, 10);
        bundle = dir.resolve("bundle.pem");
        pki.write(bundle, pki.read(pki.selfSigned(rsaKey, "issuer-rsa")) + "some text between blocks\n"
                + pki.read(pki.selfSigned(ecKey, "issuer-ec")) + pki.read(caCert));
        rsaPublic = Tokens.keyPair(rsaKey).getPublic();
        ecPublic = Tokens.keyPair(ecKey).getPublic();
        START = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    @BeforeEach
    void verifier() throws Exception {
        clock = new MutableClock(START);
        verifier = new TokenVerifier(new TokenVerifier.Settings(ISSUER, SERVICE), TrustedKeys.load(bundle, null), clock);
    }

    static RepositoryName repo(String name) {
        return RepositoryName.of(name);
    }

    String rsaToken(JWTClaimsSet claims) {
        return sign(rsaKey, header(JWSAlgorithm.RS256, KeyIds.thumbprint(rsaPublic)).build(), claims);
    }

    JWTClaimsSet pullAB() {
        return claims(START, List.of(access("repository", "a/b", "pull"))).build();
    }

    @Test
    void token_withThumbprintKid_grantsItsAccess() throws Exception {
        VerifiedToken t = verifier.verify(rsaToken(pullAB()));

        assertThat(t.subject()).isEqualTo(Principal.user("alice"));
        assertThat(t.id()).isEqualTo("id-1");
        assertThat(t.expiresAt()).isEqualTo(START.plusSeconds(300));
        assertThat(t.actionsOn(repo("a/b"))).containsExactly(Action.PULL);
    }

    @Test
    void token_withLibtrustKid_isAccepted() throws Exception {
        String token = sign(rsaKey, header(JWSAlgorithm.RS256, KeyIds.libtrustFingerprint(rsaPublic)).build(),
                pullAB());

        assertThat(verifier.authorize(token, repo("a/b"), Action.PULL)).isTrue();
    }

    @Test
    void token_signedWithAnEcKey_isAccepted() throws Exception {
        String token = sign(ecKey, header(JWSAlgorithm.ES256, KeyIds.thumbprint(ecPublic)).build(), pullAB());

        assertThat(verifier.authorize(token, repo("a/b"), Action.PULL)).isTrue();
    }

    @Test
    void token_forAB_grantsNothingOnABC_orABC_orA() throws Exception {
        String token = rsaToken(claims(START, List.of(access("repository", "a/b", "pull", "push"))).build());

        assertThat(verifier.authorize(token, repo("a/b"), Action.PUSH)).isTrue();
        assertThat(verifier.authorize(token, repo("a/b/c"), Action.PULL)).isFalse();
        assertThat(verifier.authorize(token, repo("a/bc"), Action.PULL)).isFalse();
        assertThat(verifier.authorize(token, repo("a"), Action.PULL)).isFalse();
    }

    @Test
    void pullToken_doesNotGrantPushOrDelete() throws Exception {
        String token = rsaToken(pullAB());

        assertThat(verifier.authorize(token, repo("a/b"), Action.PULL)).isTrue();
        assertThat(verifier.authorize(token, repo("a/b"), Action.PUSH)).isFalse();
        assertThat(verifier.authorize(token, repo("a/b"), Action.DELETE)).isFalse();
    }

    @Test
    void accessOfAnotherType_grantsNothingOnTheRepository() throws Exception {
        String token = rsaToken(claims(START, List.of(access("namespace", "a/b", "pull"))).build());

        assertThat(verifier.authorize(token, repo("a/b"), Action.PULL)).isFalse();
    }

    @Test
    void wildcardAction_grantsEveryAction_andCatalogNeedsItsOwnEntry() throws Exception {
        VerifiedToken t = verifier.verify(rsaToken(claims(START, List.of(access("repository", "a/b", "*"))).build()));
        VerifiedToken c = verifier.verify(rsaToken(claims(START, List.of(access("registry", "catalog", "*"))).build()));

        assertThat(t.actionsOn(repo("a/b"))).containsExactlyInAnyOrder(Action.PULL, Action.PUSH, Action.DELETE);
        assertThat(t.permitsCatalog()).isFalse();
        assertThat(c.permitsCatalog()).isTrue();
    }

    @Test
    void token_signedByAnotherKey_underATrustedKid_isRejected() {
        String forged = sign(otherKey, header(JWSAlgorithm.RS256, KeyIds.thumbprint(rsaPublic)).build(), pullAB());

        assertThatThrownBy(() -> verifier.verify(forged)).isInstanceOf(InvalidTokenException.class)
                .hasMessage("bad signature");
    }

    @Test
    void token_signedByAnUnknownKey_isRejected() {
        PublicKey other = Tokens.keyPair(otherKey).getPublic();
        String token = sign(otherKey, header(JWSAlgorithm.RS256, KeyIds.thumbprint(other)).build(), pullAB());

        assertThatThrownBy(() -> verifier.verify(token))
                .hasMessageStartingWith("signed by an untrusted key (kid");
    }

    @Test
    void token_namingNoKey_isRejected() {
        String token = sign(rsaKey, new JWSHeader.Builder(JWSAlgorithm.RS256).build(), pullAB());

        assertThatThrownBy(() -> verifier.verify(token)).hasMessage("token names no signing key (kid, x5c or jwk)");
    }

    @Test
    void token_withAlgNone_isRejected() {
        String none = Tokens.base64url("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"" + KeyIds.thumbprint(rsaPublic)
                + "\"}") + "." + Tokens.base64url(pullAB().toString()) + ".";

        assertThatThrownBy(() -> verifier.verify(none)).isInstanceOf(InvalidTokenException.class)
                .hasMessageStartingWith("malformed token");
        String noneWithSignature = none + "c2lnbmF0dXJl";
        assertThatThrownBy(() -> verifier.verify(noneWithSignature)).isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void hs256Token_macedWithThePublicKeyBytes_isRejected() throws Exception {
        // key confusion: an attacker who knows the public key "signs" with it as an HMAC secret
        byte[] pem = pki.read(bundle).getBytes(StandardCharsets.US_ASCII);
        for (byte[] secret : List.of(rsaPublic.getEncoded(), pem)) {
            SignedJWT jwt = new SignedJWT(header(JWSAlgorithm.HS256, KeyIds.thumbprint(rsaPublic)).build(),
                    claims(START, List.of(access("repository", "a/b", "push"))).build());
            jwt.sign(new MACSigner(secret));
            String token = jwt.serialize();

            assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(InvalidTokenException.class)
                    .hasMessage("signing algorithm HS256 is not accepted");
        }
    }

    @Test
    void settings_refuseHmacAndNone() {
        assertThatThrownBy(() -> new TokenVerifier.Settings(ISSUER, SERVICE, Set.of("RS256", "HS256"),
                Duration.ZERO)).hasMessageContaining("HMAC and none are never accepted");
        assertThatThrownBy(() -> new TokenVerifier.Settings(ISSUER, SERVICE, Set.of("none"), Duration.ZERO))
                .hasMessageContaining("never accepted");
        assertThatThrownBy(() -> new TokenVerifier.Settings(ISSUER, SERVICE, Set.of("EdDSA"), Duration.ZERO))
                .hasMessageContaining("is not accepted");
    }

    @Test
    void algorithm_offTheAllowList_isRejected() throws Exception {
        TokenVerifier esOnly = new TokenVerifier(new TokenVerifier.Settings(ISSUER, SERVICE, Set.of("ES256"),
                Duration.ofSeconds(60)), TrustedKeys.load(bundle, null), clock);

        assertThatThrownBy(() -> esOnly.verify(rsaToken(pullAB())))
                .hasMessage("signing algorithm RS256 is not accepted");
    }

    @Test
    void rsaAlgorithm_withTheKidOfAnEcKey_isRejected() {
        String token = sign(rsaKey, header(JWSAlgorithm.RS256, KeyIds.thumbprint(ecPublic)).build(), pullAB());

        assertThatThrownBy(() -> verifier.verify(token)).hasMessage("the signing key does not fit algorithm RS256");
    }

    @Test
    void expiredToken_isRejected_pastTheLeeway() throws Exception {
        String token = rsaToken(pullAB());

        clock.set(START.plusSeconds(300 + 60));
        assertThat(verifier.verify(token)).isNotNull();
        clock.set(START.plusSeconds(300 + 61));
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(InvalidTokenException.class)
                .hasMessageStartingWith("token expired at")
                .satisfies(e -> assertThat(((InvalidTokenException) e).expired()).isTrue());
    }

    @Test
    void tokenNotYetValid_isRejected_beforeTheLeeway() throws Exception {
        JWTClaimsSet early = claims(START, List.of()).notBeforeTime(Date.from(START.plusSeconds(120))).build();
        String token = rsaToken(early);

        assertThatThrownBy(() -> verifier.verify(token)).hasMessageStartingWith("token not valid before");
        clock.set(START.plusSeconds(60));
        assertThat(verifier.verify(token)).isNotNull();
    }

    @Test
    void tokenWithoutExpiry_isRejected() {
        String token = rsaToken(claims(START, List.of()).expirationTime(null).build());

        assertThatThrownBy(() -> verifier.verify(token)).hasMessage("token has no expiry (exp)");
    }

    @Test
    void tokenForAnotherAudience_isRejected() throws Exception {
        String other = rsaToken(claims(START, List.of()).audience("another-registry").build());
        String several = rsaToken(claims(START, List.of()).audience(List.of("another-registry", SERVICE)).build());

        assertThatThrownBy(() -> verifier.verify(other)).hasMessageStartingWith("token is for another audience");
        assertThat(verifier.verify(several)).isNotNull();
    }

    @Test
    void tokenFromAnotherIssuer_isRejected() {
        String token = rsaToken(claims(START, List.of()).issuer("evil").build());

        assertThatThrownBy(() -> verifier.verify(token)).hasMessage("untrusted issuer \"evil\"");
    }

    @Test
    void tamperedClaims_areRejected() {
        String token = rsaToken(pullAB());
        String[] parts = token.split("\\.");
        String pushClaims = claims(START, List.of(access("repository", "a/b", "pull", "push"))).build().toString();
        String tampered = parts[0] + "." + Tokens.base64url(pushClaims) + "." + parts[2];

        assertThatThrownBy(() -> verifier.verify(tampered)).hasMessage("bad signature");
    }

    @Test
    void malformedTokens_areRejected() {
        for (String bad : List.of("", "abc", "a.b.c", "a.b", "x".repeat(70_000))) {
            assertThatThrownBy(() -> verifier.verify(bad)).isInstanceOf(InvalidTokenException.class)
                    .hasMessageStartingWith("malformed token");
        }
        assertThatThrownBy(() -> verifier.verify(null)).isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void malformedAccessClaim_isRejected() {
        String token = rsaToken(claims(START, List.of()).claim("access", "repository:a/b:pull").build());
        String actionsNotAList = rsaToken(claims(START, List.of()).claim("access",
                List.of(Map.of("type", "repository", "name", "a/b", "actions", "pull"))).build());

        assertThatThrownBy(() -> verifier.verify(token)).hasMessage("malformed access claim");
        assertThatThrownBy(() -> verifier.verify(actionsNotAList)).hasMessage("malformed access claim");
    }

    @Test
    void x5cChain_upToARootOfTheBundle_isAccepted() throws Exception {
        Base64 leaf = Base64.encode(Pem.certificates(leafCert).get(0).getEncoded());
        Base64 ca = Base64.encode(Pem.certificates(caCert).get(0).getEncoded());

        String leafOnly = sign(leafKey, new JWSHeader.Builder(JWSAlgorithm.RS256).x509CertChain(List.of(leaf))
                .build(), pullAB());
        String withRoot = sign(leafKey, new JWSHeader.Builder(JWSAlgorithm.RS256).x509CertChain(List.of(leaf, ca))
                .build(), pullAB());

        assertThat(verifier.authorize(leafOnly, repo("a/b"), Action.PULL)).isTrue();
        assertThat(verifier.authorize(withRoot, repo("a/b"), Action.PULL)).isTrue();
    }

    @Test
    void x5c_holdingABundleCertificateItself_isAccepted() throws Exception {
        Base64 own = Base64.encode(Pem.certificates(dir.resolve("issuer-rsa.crt")).get(0).getEncoded());
        String token = sign(rsaKey, new JWSHeader.Builder(JWSAlgorithm.RS256).x509CertChain(List.of(own)).build(),
                pullAB());

        assertThat(verifier.authorize(token, repo("a/b"), Action.PULL)).isTrue();
    }

    @Test
    void x5cChain_notUpToTheBundle_isRejected() throws Exception {
        Path strayKey = pki.rsaKey("stray");
        Base64 stray = Base64.encode(Pem.certificates(pki.selfSigned(strayKey, "stray")).get(0).getEncoded());
        String token = sign(strayKey, new JWSHeader.Builder(JWSAlgorithm.RS256).x509CertChain(List.of(stray))
                .keyID(KeyIds.thumbprint(rsaPublic)).build(), pullAB());

        assertThatThrownBy(() -> verifier.verify(token)).hasMessage("signed by an untrusted certificate chain");
    }

    @Test
    void x5cChain_withAnExpiredLeaf_isRejected() throws Exception {
        Base64 leaf = Base64.encode(Pem.certificates(leafCert).get(0).getEncoded());
        clock.set(START.plus(Duration.ofDays(12)));
        JWTClaimsSet later = claims(clock.instant(), List.of()).build();
        String token = sign(leafKey, new JWSHeader.Builder(JWSAlgorithm.RS256).x509CertChain(List.of(leaf)).build(),
                later);

        assertThatThrownBy(() -> verifier.verify(token)).hasMessage("signed by an untrusted certificate chain");
    }

    @Test
    void x5cChain_whoseKeyDidNotSign_isRejected() throws Exception {
        Base64 leaf = Base64.encode(Pem.certificates(leafCert).get(0).getEncoded());
        String token = sign(otherKey, new JWSHeader.Builder(JWSAlgorithm.RS256).x509CertChain(List.of(leaf))
                .build(), pullAB());

        assertThatThrownBy(() -> verifier.verify(token)).hasMessage("bad signature");
    }

    @Test
    void jwks_trustsKeysByTheirKid() throws Exception {
        Path jwks = dir.resolve("keys.jwks");
        pki.write(jwks, "{\"keys\":[" + new RSAKey.Builder((RSAPublicKey) rsaPublic).keyID("my-key").build()
                .toJSONString() + "]}");
        TokenVerifier byJwks = new TokenVerifier(new TokenVerifier.Settings(ISSUER, SERVICE),
                TrustedKeys.load(null, jwks), clock);
        String token = sign(rsaKey, header(JWSAlgorithm.RS256, "my-key").build(), pullAB());
        String unknownKid = sign(rsaKey, header(JWSAlgorithm.RS256, "your-key").build(), pullAB());
        Base64 leaf = Base64.encode(Pem.certificates(leafCert).get(0).getEncoded());
        String x5c = sign(leafKey, new JWSHeader.Builder(JWSAlgorithm.RS256).x509CertChain(List.of(leaf)).build(),
                pullAB());

        assertThat(byJwks.authorize(token, repo("a/b"), Action.PULL)).isTrue();
        assertThatThrownBy(() -> byJwks.verify(unknownKid)).hasMessage("signed by an untrusted key (kid \"your-key\")");
        assertThatThrownBy(() -> byJwks.verify(x5c)).hasMessageStartingWith("signed by an untrusted certificate");
    }

    @Test
    void jwks_withASymmetricKey_isRefusedAtLoad() {
        Path jwks = dir.resolve("oct.jwks");
        pki.write(jwks, "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"}]}");

        assertThatThrownBy(() -> TrustedKeys.load(null, jwks))
                .hasMessageContaining("only RSA and EC public keys are accepted")
                .hasMessageNotContaining("c2VjcmV0");
    }

    @Test
    void trustedKeys_combined_trustBothSources() throws Exception {
        PublicKey other = Tokens.keyPair(otherKey).getPublic();
        TokenVerifier both = new TokenVerifier(new TokenVerifier.Settings(ISSUER, SERVICE),
                TrustedKeys.load(bundle, null).and(TrustedKeys.ofKeys(List.of(other))), clock);
        String byOther = sign(otherKey, header(JWSAlgorithm.RS256, KeyIds.thumbprint(other)).build(), pullAB());

        assertThat(both.authorize(byOther, repo("a/b"), Action.PULL)).isTrue();
        assertThat(both.authorize(rsaToken(pullAB()), repo("a/b"), Action.PULL)).isTrue();
    }

    @Test
    void trustedKeys_needAtLeastOneKey() {
        assertThatThrownBy(() -> TrustedKeys.ofKeys(List.of()))
                .hasMessageContaining("needs at least one trusted signing key");
    }

    @Test
    void jwkHeader_isAcceptedOnlyForATrustedKey() throws Exception {
        RSAKey trusted = new RSAKey.Builder((RSAPublicKey) rsaPublic).build();
        RSAKey untrusted = new RSAKey.Builder((RSAPublicKey) Tokens.keyPair(otherKey).getPublic()).build();
        String good = sign(rsaKey, new JWSHeader.Builder(JWSAlgorithm.RS256).jwk(trusted).build(), pullAB());
        String bad = sign(otherKey, new JWSHeader.Builder(JWSAlgorithm.RS256).jwk(untrusted).build(), pullAB());

        assertThat(verifier.authorize(good, repo("a/b"), Action.PULL)).isTrue();
        assertThatThrownBy(() -> verifier.verify(bad)).hasMessage("signed by an untrusted key (jwk header)");
    }

    @Test
    void anonymousToken_hasTheAnonymousSubject() throws Exception {
        VerifiedToken t = verifier.verify(rsaToken(claims(START, List.of()).subject("").build()));

        assertThat(t.subject().isAnonymous()).isTrue();
        assertThat(t.access()).isEmpty();
    }

    @Test
    void bundleWithoutCertificates_isRefused() throws Exception {
        Path empty = dir.resolve("empty.pem");
        Files.writeString(empty, "nothing here\n");

        assertThatThrownBy(() -> TrustedKeys.load(empty, null)).hasMessageEndingWith("no PEM CERTIFICATE block");
    }
}
