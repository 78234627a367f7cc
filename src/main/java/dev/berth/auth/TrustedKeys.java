package dev.berth.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The keys a {@link TokenVerifier} trusts, as distribution's {@code auth.token.rootcertbundle} and
 * {@code auth.token.jwks} give them:
 * <ul>
 * <li>each certificate of the bundle is a root for tokens that carry their signing certificate chain in
 *     {@code x5c}, and its public key is trusted directly under its RFC 7638 thumbprint and its libtrust fingerprint
 *     (the two {@code kid} forms token servers use);</li>
 * <li>each key of the JWKS is trusted under its own {@code kid} (and its thumbprint and fingerprint too).</li>
 * </ul>
 * Only RSA and EC public keys: a symmetric ({@code oct}) key in a JWKS is refused, so no token can ever be checked
 * with an HMAC.
 */
public final class TrustedKeys {

    private final List<X509Certificate> roots;
    private final Map<String, PublicKey> byKeyId;

    private TrustedKeys(List<X509Certificate> roots, Map<String, PublicKey> byKeyId) {
        if (roots.isEmpty() && byKeyId.isEmpty()) {
            throw new IllegalArgumentException("token authentication needs at least one trusted signing key "
                    + "(a certificate bundle or a JWKS)");
        }
        this.roots = List.copyOf(roots);
        this.byKeyId = Collections.unmodifiableMap(byKeyId);
    }

    /**
     * Loads a PEM certificate bundle and/or a JWKS file; either may be null, not both.
     */
    public static TrustedKeys load(Path rootCertBundle, Path jwks) throws IOException {
        List<X509Certificate> roots = rootCertBundle == null ? List.of() : Pem.certificates(rootCertBundle);
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        if (jwks != null) {
            keys.putAll(parseJwks(Files.readString(jwks, StandardCharsets.UTF_8), jwks.toString()));
        }
        return of(roots, keys);
    }

    /** Trusts these root certificates and these keys by id. */
    public static TrustedKeys of(List<X509Certificate> roots, Map<String, PublicKey> keysById) {
        Map<String, PublicKey> index = new LinkedHashMap<>();
        for (X509Certificate root : roots) {
            indexKey(index, root.getPublicKey());
        }
        keysById.forEach((kid, key) -> {
            KeyIds.jwk(key); // refuses anything but RSA and EC
            index.put(kid, key);
            indexKey(index, key);
        });
        return new TrustedKeys(roots, index);
    }

    /** Trusts these public keys under their thumbprints and fingerprints. */
    public static TrustedKeys ofKeys(List<PublicKey> keys) {
        Map<String, PublicKey> index = new LinkedHashMap<>();
        for (PublicKey k : keys) {
            indexKey(index, k);
        }
        return new TrustedKeys(List.of(), index);
    }

    /** These keys and {@code other}'s: the built-in token server's key beside a configured bundle or JWKS. */
    public TrustedKeys and(TrustedKeys other) {
        List<X509Certificate> allRoots = new ArrayList<>(roots);
        other.roots.stream().filter(r -> !allRoots.contains(r)).forEach(allRoots::add);
        Map<String, PublicKey> all = new LinkedHashMap<>(byKeyId);
        other.byKeyId.forEach(all::putIfAbsent);
        return new TrustedKeys(allRoots, all);
    }

    /** The public keys of a JWKS document by {@code kid}; a symmetric or unsupported key is refused. */
    static Map<String, PublicKey> parseJwks(String json, String source) {
        JWKSet set;
        try {
            set = JWKSet.parse(json);
        } catch (ParseException e) {
            throw new IllegalArgumentException(source + ": not a JWKS document (" + e.getMessage() + ")");
        }
        Map<String, PublicKey> out = new LinkedHashMap<>();
        List<JWK> keys = set.getKeys();
        for (int i = 0; i < keys.size(); i++) {
            JWK jwk = keys.get(i);
            PublicKey key;
            try {
                if (jwk instanceof RSAKey rsa) {
                    key = rsa.toRSAPublicKey();
                } else if (jwk instanceof ECKey ec) {
                    key = ec.toECPublicKey();
                } else {
                    throw new IllegalArgumentException(source + ": key " + i + " has type " + jwk.getKeyType()
                            + "; only RSA and EC public keys are accepted");
                }
                String kid = jwk.getKeyID() != null ? jwk.getKeyID()
                        : jwk.computeThumbprint().toString();
                out.put(kid, key);
            } catch (JOSEException e) {
                throw new IllegalArgumentException(source + ": key " + i + " cannot be used (" + e.getMessage() + ")");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(source + ": the JWKS has no keys");
        }
        return out;
    }

    private static void indexKey(Map<String, PublicKey> index, PublicKey key) {
        index.putIfAbsent(KeyIds.thumbprint(key), key);
        index.putIfAbsent(KeyIds.libtrustFingerprint(key), key);
    }

    List<X509Certificate> roots() {
        return roots;
    }

    Optional<PublicKey> byKeyId(String kid) {
        return Optional.ofNullable(byKeyId.get(kid));
    }

    /** A trusted key equal to {@code key}, if any (for a token that carries its key in a {@code jwk} header). */
    Optional<PublicKey> matching(PublicKey key) {
        return byKeyId.values().stream().filter(k -> k.equals(key)).findFirst();
    }

    @Override
    public String toString() {
        List<String> ids = new ArrayList<>(byKeyId.keySet());
        return "TrustedKeys[" + roots.size() + " root certificates, key ids " + ids + "]";
    }
}
