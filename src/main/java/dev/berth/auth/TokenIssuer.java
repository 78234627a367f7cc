package dev.berth.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.berth.oci.RepositoryName;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The built-in token server's logic: for a principal (authenticated by the htpasswd file, or anonymous) and the
 * scopes it asks for, a short-lived JWT in distribution's format ({@code docs/spec/auth/jwt.md}) holding only the
 * intersection of what was asked and what {@link AccessRules} allow (asking for more than one has is not an error).
 *
 * <p>Header: {@code typ: JWT}, {@code alg} from the key ({@code RS256} or {@code ES256/384/512}), {@code kid} the
 * key's RFC 7638 thumbprint (distribution 3) or libtrust fingerprint (distribution 2). Claims: {@code iss},
 * {@code sub} (empty for anonymous), {@code aud} (the service, a string), {@code exp}, {@code nbf}, {@code iat},
 * {@code jti}, {@code access}. A {@link TokenVerifier} with {@link #trustedKeys()}, or with a certificate of the key
 * in its bundle, accepts it.
 */
public final class TokenIssuer {

    /** Which {@code kid} to write. */
    public enum KeyIdFormat {
        /** RFC 7638 thumbprint, base64url SHA-256 (distribution 3). */
        THUMBPRINT,
        /** libtrust fingerprint {@code ABCD:EFGH:...} (distribution 2, docker_auth). */
        LIBTRUST
    }

    /**
     * @param issuer  the {@code iss} claim
     * @param service the {@code aud} claim: the registry's service name
     * @param ttl     token lifetime, at least 60 seconds (the specification's minimum), at most a day
     * @param keyId   the {@code kid} format
     */
    public record Settings(String issuer, String service, Duration ttl, KeyIdFormat keyId) {
        public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);

        public Settings {
            if (issuer == null || issuer.isBlank()) {
                throw new IllegalArgumentException("issuer must not be empty");
            }
            if (service == null || service.isBlank()) {
                throw new IllegalArgumentException("service must not be empty");
            }
            ttl = ttl == null ? DEFAULT_TTL : ttl;
            if (ttl.compareTo(Duration.ofSeconds(60)) < 0 || ttl.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException("token lifetime must be 60s to 24h, got " + ttl);
            }
            keyId = keyId == null ? KeyIdFormat.THUMBPRINT : keyId;
        }

        public Settings(String issuer, String service) {
            this(issuer, service, DEFAULT_TTL, KeyIdFormat.THUMBPRINT);
        }
    }

    private final Settings settings;
    private final SigningKey key;
    private final AccessRules rules;
    private final Clock clock;
    private final Supplier<String> ids;
    private final String keyId;

    public TokenIssuer(Settings settings, SigningKey key, AccessRules rules, Clock clock, Supplier<String> ids) {
        this.settings = Objects.requireNonNull(settings);
        this.key = Objects.requireNonNull(key);
        this.rules = Objects.requireNonNull(rules);
        this.clock = Objects.requireNonNull(clock);
        this.ids = Objects.requireNonNull(ids);
        this.keyId = settings.keyId() == KeyIdFormat.LIBTRUST ? KeyIds.libtrustFingerprint(key.publicKey())
                : KeyIds.thumbprint(key.publicKey());
    }

    /** With random 128-bit token ids. */
    public TokenIssuer(Settings settings, SigningKey key, AccessRules rules, Clock clock) {
        this(settings, key, rules, clock, randomIds());
    }

    public Settings settings() {
        return settings;
    }

    /** The {@code kid} of every token issued. */
    public String keyId() {
        return keyId;
    }

    /** The keys a {@link TokenVerifier} of this registry needs to accept these tokens. */
    public TrustedKeys trustedKeys() {
        return TrustedKeys.ofKeys(List.of(key.publicKey()));
    }

    /** The public key as a JWKS document (with {@code kid}, {@code alg}, {@code use: sig}), for other registries. */
    public String publicJwks() {
        JWK jwk = KeyIds.jwk(key.publicKey());
        JWK withId = switch (jwk) {
            case com.nimbusds.jose.jwk.RSAKey r -> new com.nimbusds.jose.jwk.RSAKey.Builder(r).keyID(keyId)
                    .algorithm(key.jwsAlgorithm()).keyUse(KeyUse.SIGNATURE).build();
            case com.nimbusds.jose.jwk.ECKey e -> new com.nimbusds.jose.jwk.ECKey.Builder(e).keyID(keyId)
                    .algorithm(key.jwsAlgorithm()).keyUse(KeyUse.SIGNATURE).build();
            default -> throw new IllegalStateException();
        };
        return new JWKSet(withId).toString(true);
    }

    /** What {@code principal} gets of {@code requested}: per resource, the requested actions it is allowed. */
    public List<Scope> grant(Principal principal, List<Scope> requested) {
        Map<String, Set<String>> asked = new LinkedHashMap<>();
        Map<String, Scope> resources = new LinkedHashMap<>();
        for (Scope s : requested) {
            String resource = s.type() + ":" + s.name();
            resources.putIfAbsent(resource, s);
            asked.computeIfAbsent(resource, k -> new LinkedHashSet<>()).addAll(s.actions());
        }
        List<Scope> out = new ArrayList<>();
        asked.forEach((resource, actions) -> {
            Scope s = resources.get(resource);
            if (s.isRepository()) {
                RepositoryName name = RepositoryName.of(s.name());
                Set<Action> granted = EnumSet.noneOf(Action.class);
                granted.addAll(Action.ofWireNames(actions));
                granted.retainAll(rules.allowed(principal, name));
                if (!granted.isEmpty()) {
                    out.add(Scope.repository(name, granted));
                }
            } else if (s.isCatalog() && actions.contains(Action.WILDCARD) && rules.mayUseCatalog(principal)) {
                out.add(Scope.CATALOG);
            }
        });
        return out;
    }

    /** Issues a token to {@code principal} for what it may have of {@code requested}. */
    public IssuedToken issue(Principal principal, List<Scope> requested) {
        List<Scope> granted = grant(principal, requested);
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant exp = now.plus(settings.ttl());
        List<Object> access = new ArrayList<>();
        for (Scope s : granted) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("type", s.type());
            entry.put("name", s.name());
            entry.put("actions", s.actions());
            access.add(entry);
        }
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(settings.issuer())
                .subject(principal.name())
                .audience(settings.service())
                .expirationTime(Date.from(exp))
                .notBeforeTime(Date.from(now))
                .issueTime(Date.from(now))
                .jwtID(ids.get())
                .claim("access", access)
                .build();
        JWSHeader header = new JWSHeader.Builder(key.jwsAlgorithm()).type(JOSEObjectType.JWT).keyID(keyId).build();
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(key.signer());
        } catch (JOSEException e) {
            throw new IllegalStateException("signing a token failed: " + e.getClass().getSimpleName());
        }
        return new IssuedToken(jwt.serialize(), now, settings.ttl(), granted);
    }

    private static Supplier<String> randomIds() {
        SecureRandom random = new SecureRandom();
        return () -> {
            byte[] b = new byte[16];
            random.nextBytes(b);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        };
    }

    @Override
    public String toString() {
        return "TokenIssuer[issuer=" + settings.issuer() + ", service=" + settings.service() + ", ttl="
                + settings.ttl() + ", " + key + "]";
    }
}
