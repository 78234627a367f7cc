package dev.berth.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

/** Hand-made tokens, signed with real keys, for the verifier to judge. */
final class Tokens {

    static final String ISSUER = "berth-auth";
    static final String SERVICE = "berth";

    private Tokens() {
    }

    static KeyPair keyPair(Path pem) {
        try {
            return Pem.keyPair(pem);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Claims distribution's way: iss, sub, aud, exp (+5 min), nbf, iat, jti, access. */
    static JWTClaimsSet.Builder claims(Instant now, List<Map<String, Object>> access) {
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .subject("alice")
                .audience(SERVICE)
                .expirationTime(Date.from(now.plusSeconds(300)))
                .notBeforeTime(Date.from(now))
                .issueTime(Date.from(now))
                .jwtID("id-1")
                .claim("access", access);
    }

    static Map<String, Object> access(String type, String name, String... actions) {
        return Map.of("type", type, "name", name, "actions", List.of(actions));
    }

    static String sign(Path keyFile, JWSHeader header, JWTClaimsSet claims) {
        KeyPair kp = keyPair(keyFile);
        try {
            JWSSigner signer = kp.getPrivate() instanceof RSAPrivateKey rsa ? new RSASSASigner(rsa)
                    : new ECDSASigner((ECPrivateKey) kp.getPrivate());
            SignedJWT jwt = new SignedJWT(header, claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    static JWSHeader.Builder header(JWSAlgorithm alg, String kid) {
        return new JWSHeader.Builder(alg).keyID(kid);
    }

    static String base64url(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    static String payloadJson(String token) {
        return new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
    }

    static String headerJson(String token) {
        return new String(Base64.getUrlDecoder().decode(token.split("\\.")[0]), StandardCharsets.UTF_8);
    }
}
