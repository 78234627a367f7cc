package dev.berth.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jose.util.X509CertUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.berth.oci.RepositoryName;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks the bearer tokens of distribution's token authentication ({@code docs/spec/auth/jwt.md}): a JWS signed with
 * an RSA or EC key the registry trusts ({@link TrustedKeys}), found by its {@code x5c} certificate chain (verified up
 * to a root of the bundle, at the clock's time), its {@code kid}, or a {@code jwk} header equal to a trusted key; an
 * algorithm on the allow-list (never {@code none}, never an HMAC); {@code iss} equal to the configured issuer;
 * {@code aud} containing the service; {@code exp} not past and {@code nbf} (when present) reached, both with the
 * configured leeway. What it grants is the {@code access} claim.
 */
public final class TokenVerifier {

    /** The asymmetric algorithms Berth can verify. */
    public static final Set<String> SUPPORTED_ALGORITHMS = Set.of(
            "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512");

    /** Longest token accepted (a certificate chain in {@code x5c} makes tokens a few kilobytes). */
    static final int MAX_TOKEN_LENGTH = 64 * 1024;

    /**
     * @param issuer     the only {@code iss} accepted
     * @param service    this registry's name: {@code aud} must contain it
     * @param algorithms the accepted {@code alg} values, a subset of {@link #SUPPORTED_ALGORITHMS}
     * @param leeway     clock skew allowed on {@code exp} and {@code nbf}
     */
    public record Settings(String issuer, String service, Set<String> algorithms, Duration leeway) {
        public static final Duration DEFAULT_LEEWAY = Duration.ofSeconds(60);

        public Settings {
            requireText(issuer, "issuer");
            requireText(service, "service");
            algorithms = algorithms == null || algorithms.isEmpty() ? SUPPORTED_ALGORITHMS
                    : Collections.unmodifiableSet(new LinkedHashSet<>(algorithms));
            for (String a : algorithms) {
                if (!SUPPORTED_ALGORITHMS.contains(a)) {
                    throw new IllegalArgumentException("signing algorithm \"" + LogSafe.text(a) + "\" is not accepted"
                            + (a.startsWith("HS") || a.equalsIgnoreCase("none")
                            ? " (tokens must be signed with a private key: HMAC and none are never accepted)" : "")
                            + "; use some of " + new java.util.TreeSet<>(SUPPORTED_ALGORITHMS));
                }
            }
            Objects.requireNonNull(leeway, "leeway");
            if (leeway.isNegative() || leeway.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("leeway must be 0 to 5 minutes, got " + leeway);
            }
        }

        /** Every supported algorithm, distribution's 60 second leeway. */
        public Settings(String issuer, String service) {
            this(issuer, service, SUPPORTED_ALGORITHMS, DEFAULT_LEEWAY);
        }
    }

    private final Settings settings;
    private final TrustedKeys keys;
    private final Clock clock;
    private final Set<TrustAnchor> anchors;

    public TokenVerifier(Settings settings, TrustedKeys keys, Clock clock) {
        this.settings = Objects.requireNonNull(settings);
        this.keys = Objects.requireNonNull(keys);
        this.clock = Objects.requireNonNull(clock);
        Set<TrustAnchor> a = new HashSet<>();
        for (X509Certificate root : keys.roots()) {
            a.add(new TrustAnchor(root, null));
        }
        this.anchors = Set.copyOf(a);
    }

    public Settings settings() {
        return settings;
    }

    /** Checks {@code token} (the part after {@code Bearer }) and returns what it grants. */
    public VerifiedToken verify(String token) throws InvalidTokenException {
        if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
            throw new InvalidTokenException("malformed token");
        }
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException | RuntimeException e) {
            // alg "none" lands here too: nimbus parses it as a plain JWT, not a JWS
            throw new InvalidTokenException("malformed token (not a signed JWT)");
        }
        JWSHeader header = jwt.getHeader();
        JWSAlgorithm alg = header.getAlgorithm();
        if (alg == null || !settings.algorithms().contains(alg.getName())) {
            throw new InvalidTokenException("signing algorithm " + (alg == null ? "(none)" : LogSafe.text(alg.getName()))
                    + " is not accepted");
        }
        PublicKey key = signingKey(header);
        JWSVerifier verifier;
        try {
            if (key instanceof RSAPublicKey rsa && JWSAlgorithm.Family.RSA.contains(alg)) {
                verifier = new RSASSAVerifier(rsa);
            } else if (key instanceof ECPublicKey ec && JWSAlgorithm.Family.EC.contains(alg)) {
                verifier = new ECDSAVerifier(ec);
            } else {
                throw new InvalidTokenException("the signing key does not fit algorithm " + alg.getName());
            }
            if (!jwt.verify(verifier)) {
                throw new InvalidTokenException("bad signature");
            }
        } catch (JOSEException | IllegalStateException e) {
            throw new InvalidTokenException("bad signature");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed claims");
        }
        return checkClaims(claims);
    }

    /**
     * Whether {@code token} is valid and grants {@code action} on exactly {@code repository}.
     *
     * @throws InvalidTokenException when the token itself cannot be trusted
     */
    public boolean authorize(String token, RepositoryName repository, Action action) throws InvalidTokenException {
        return verify(token).permits(repository, action);
    }

    private VerifiedToken checkClaims(JWTClaimsSet claims) throws InvalidTokenException {
        if (!settings.issuer().equals(claims.getIssuer())) {
            throw new InvalidTokenException("untrusted issuer " + quoted(claims.getIssuer()));
        }
        List<String> audience = claims.getAudience();
        if (audience == null || !audience.contains(settings.service())) {
            throw new InvalidTokenException("token is for another audience " + quoted(String.valueOf(audience)));
        }
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw new InvalidTokenException("token has no expiry (exp)");
        }
        if (now.isAfter(exp.toInstant().plus(settings.leeway()))) {
            throw new InvalidTokenException("token expired at " + exp.toInstant(), true);
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.isBefore(nbf.toInstant().minus(settings.leeway()))) {
            throw new InvalidTokenException("token not valid before " + nbf.toInstant(), true);
        }
        String sub = claims.getSubject();
        String jti = claims.getJWTID();
        return new VerifiedToken(sub == null || sub.isEmpty() ? Principal.ANONYMOUS : new Principal(sub),
                jti == null ? "" : jti, exp.toInstant(), access(claims.getClaim("access")));
    }

    private static List<Scope> access(Object claim) throws InvalidTokenException {
        if (claim == null) {
            return List.of();
        }
        if (!(claim instanceof List<?> entries)) {
            throw new InvalidTokenException("malformed access claim");
        }
        List<Scope> out = new ArrayList<>();
        for (Object e : entries) {
            if (!(e instanceof Map<?, ?> m) || !(m.get("type") instanceof String type)
                    || !(m.get("name") instanceof String name)) {
                throw new InvalidTokenException("malformed access claim");
            }
            Object actions = m.get("actions");
            List<String> names = new ArrayList<>();
            if (actions != null) {
                if (!(actions instanceof List<?> list)) {
                    throw new InvalidTokenException("malformed access claim");
                }
                for (Object a : list) {
                    if (!(a instanceof String s)) {
                        throw new InvalidTokenException("malformed access claim");
                    }
                    names.add(s);
                }
            }
            out.add(new Scope(type, name, names));
        }
        return out;
    }

    /** The trusted key that signed the token: by x5c chain, then jwk, then kid, as distribution does. */
    private PublicKey signingKey(JWSHeader header) throws InvalidTokenException {
        List<Base64> x5c = header.getX509CertChain();
        if (x5c != null && !x5c.isEmpty()) {
            return verifyChain(x5c);
        }
        JWK jwk = header.getJWK();
        if (jwk != null) {
            try {
                PublicKey embedded = jwk instanceof RSAKey rsa ? rsa.toRSAPublicKey()
                        : jwk instanceof ECKey ec ? ec.toECPublicKey() : null;
                if (embedded != null) {
                    return keys.matching(embedded).orElseThrow(() ->
                            new InvalidTokenException("signed by an untrusted key (jwk header)"));
                }
            } catch (JOSEException e) {
                throw new InvalidTokenException("malformed jwk header");
            }
            throw new InvalidTokenException("signed by an untrusted key (jwk header)");
        }
        String kid = header.getKeyID();
        if (kid != null && !kid.isEmpty()) {
            return keys.byKeyId(kid).orElseThrow(() ->
                    new InvalidTokenException("signed by an untrusted key (kid " + quoted(kid) + ")"));
        }
        throw new InvalidTokenException("token names no signing key (kid, x5c or jwk)");
    }

    private PublicKey verifyChain(List<Base64> x5c) throws InvalidTokenException {
        List<X509Certificate> chain = new ArrayList<>();
        for (Base64 b : x5c) {
            X509Certificate cert = X509CertUtils.parse(b.decode());
            if (cert == null) {
                throw new InvalidTokenException("malformed x5c certificate chain");
            }
            chain.add(cert);
        }
        X509Certificate leaf = chain.get(0);
        if (anchors.isEmpty()) {
            throw new InvalidTokenException("signed by an untrusted certificate (no root certificates configured)");
        }
        Date now = Date.from(clock.instant());
        try {
            if (keys.roots().contains(leaf)) {
                leaf.checkValidity(now);
                return leaf.getPublicKey();
            }
            // the path ends below the trust anchors: drop any root the token repeats
            while (chain.size() > 1 && keys.roots().contains(chain.get(chain.size() - 1))) {
                chain.remove(chain.size() - 1);
            }
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            params.setDate(now);
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), params);
            return leaf.getPublicKey();
        } catch (GeneralSecurityException e) {
            throw new InvalidTokenException("signed by an untrusted certificate chain");
        }
    }

    private static String quoted(String s) {
        return "\"" + LogSafe.text(s) + "\"";
    }

    private static void requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
    }

    @Override
    public String toString() {
        return "TokenVerifier[issuer=" + settings.issuer() + ", service=" + settings.service() + ", " + keys + "]";
    }
}
