package dev.berth.config;

import dev.berth.auth.AccessRules;
import dev.berth.auth.TokenIssuer;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The {@code auth} section: at most one of htpasswd (HTTP Basic) and token (Bearer) authentication, the built-in
 * token server, and the access rules. Files are named here and read when the server starts. See docs/auth.md.
 *
 * @param htpasswd    {@code auth.htpasswd}: Basic authentication against a bcrypt htpasswd file; null when off
 * @param token       {@code auth.token}: bearer tokens from a token server; null when off
 * @param tokenServer {@code auth.tokenserver}: Berth's own token server (only with {@code token}); null when off
 * @param access      {@code auth.access}: who may do what (htpasswd mode and the built-in token server); null for
 *                    distribution's rule: every authenticated user may do everything, anonymous clients nothing
 */
public record AuthConfig(Htpasswd htpasswd, Token token, TokenServer tokenServer, AccessRules.Settings access) {

    /** No authentication: every client may do everything (the default). */
    public static final AuthConfig OFF = new AuthConfig(null, null, null, null);

    public AuthConfig {
        if (htpasswd != null && token != null) {
            throw new IllegalArgumentException("auth: configure exactly one of htpasswd and token, got both");
        }
        if (tokenServer != null && token == null) {
            throw new IllegalArgumentException("auth.tokenserver: needs auth.token (the tokens it issues are "
                    + "checked as configured there)");
        }
        if (access != null && htpasswd == null && tokenServer == null) {
            throw new IllegalArgumentException("auth.access: applies to auth.htpasswd and to the built-in token "
                    + "server (auth.tokenserver); an external token server decides access itself");
        }
    }

    /** Basic authentication with the default access rule. */
    public static AuthConfig htpasswd(String realm, Path file) {
        return new AuthConfig(new Htpasswd(realm, file, Htpasswd.DEFAULT_CREDENTIAL_CACHE), null, null, null);
    }

    public boolean enabled() {
        return htpasswd != null || token != null;
    }

    /** The rules in force: {@link #access} or, when not configured, distribution's. */
    public AccessRules.Settings accessOrDefault() {
        return access != null ? access : AccessRules.Settings.authenticatedMayDoEverything();
    }

    public AuthConfig withAccess(AccessRules.Settings rules) {
        return new AuthConfig(htpasswd, token, tokenServer, rules);
    }

    /**
     * @param realm           the {@code realm} of the {@code WWW-Authenticate: Basic} challenge
     * @param path            the htpasswd file (bcrypt entries only)
     * @param credentialCache how long a right user/password pair is remembered (as an HMAC, never the password) so
     *                        that the requests after the first skip bcrypt; zero runs bcrypt on every request
     */
    public record Htpasswd(String realm, Path path, Duration credentialCache) {
        public static final String DEFAULT_REALM = "Berth";
        public static final Duration DEFAULT_CREDENTIAL_CACHE = Duration.ZERO;    // bcrypt on every check

        public Htpasswd {
            requireText(realm, "auth.htpasswd.realm");
            Objects.requireNonNull(path, "auth.htpasswd.path");
            Objects.requireNonNull(credentialCache, "auth.htpasswd.credentialcache");
            if (credentialCache.isNegative()) {
                throw new IllegalArgumentException("auth.htpasswd.credentialcache must not be negative");
            }
        }
    }

    /**
     * @param realm             where clients get tokens: the token server's URL, named in the challenge
     * @param service           this registry's name: the {@code service} of the challenge and the tokens' {@code aud}
     * @param issuer            the only {@code iss} accepted
     * @param rootCertBundle    PEM certificates whose keys (or whose chains, in {@code x5c}) sign tokens; may be null
     * @param jwks              a JWKS file of signing keys; may be null
     * @param signingAlgorithms accepted {@code alg} values; empty for every supported asymmetric one
     * @param leeway            clock skew allowed on {@code exp} and {@code nbf}
     */
    public record Token(URI realm, String service, String issuer, Path rootCertBundle, Path jwks,
                        List<String> signingAlgorithms, Duration leeway) {
        public static final Duration DEFAULT_LEEWAY = Duration.ofSeconds(60);

        public Token {
            Objects.requireNonNull(realm, "auth.token.realm");
            requireText(service, "auth.token.service");
            requireText(issuer, "auth.token.issuer");
            signingAlgorithms = List.copyOf(signingAlgorithms);
            Objects.requireNonNull(leeway, "auth.token.leeway");
        }

        /** Trusting only the built-in token server's key, every algorithm, the default leeway. */
        public static Token of(URI realm, String service, String issuer) {
            return new Token(realm, service, issuer, null, null, List.of(), DEFAULT_LEEWAY);
        }

        public Token withTrust(Path newRootCertBundle, Path newJwks) {
            return new Token(realm, service, issuer, newRootCertBundle, newJwks, signingAlgorithms, leeway);
        }
    }

    /**
     * Berth's own token server at {@code /auth/token}.
     *
     * @param key      PEM private key (RSA of at least 2048 bits, or EC) tokens are signed with
     * @param htpasswd the users who may log in (bcrypt htpasswd); null: only anonymous tokens
     * @param ttl      token lifetime, 60 seconds to 24 hours
     * @param keyId    the {@code kid} written into tokens
     */
    public record TokenServer(Path key, Path htpasswd, Duration ttl, TokenIssuer.KeyIdFormat keyId) {
        public static final Duration DEFAULT_TTL = TokenIssuer.Settings.DEFAULT_TTL;

        public TokenServer {
            Objects.requireNonNull(key, "auth.tokenserver.key");
            ttl = ttl == null ? DEFAULT_TTL : ttl;
            keyId = keyId == null ? TokenIssuer.KeyIdFormat.THUMBPRINT : keyId;
        }

        public TokenServer(Path key, Path htpasswd) {
            this(key, htpasswd, DEFAULT_TTL, TokenIssuer.KeyIdFormat.THUMBPRINT);
        }
    }

    private static void requireText(String s, String key) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException(key + " must not be empty");
        }
    }
}
