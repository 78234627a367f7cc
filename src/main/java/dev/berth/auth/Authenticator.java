package dev.berth.auth;

import dev.berth.api.ErrorCode;
import dev.berth.api.RegistryException;
import dev.berth.api.Route;
import dev.berth.oci.RepositoryName;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The per-request decision the HTTP layer asks for, before a handler runs: may this client do what this route and
 * method need on this repository? Netty-free: it takes the method, the route, the repository name, the
 * {@code Authorization} header value and the client address, and answers {@link Decision.Allowed} (with the
 * {@link Grant} handlers use for mount sources and the catalog), {@link Decision.Challenge} (401
 * {@code UNAUTHORIZED} with the {@code WWW-Authenticate} header to send) or {@link Decision.Denied} (403
 * {@code DENIED}).
 *
 * <p>What a route needs ({@link #requiredActions}): {@code GET}/{@code HEAD} pull; pushing (every upload request,
 * {@code PUT} of a manifest) pull and push, as in distribution; {@code DELETE} of a manifest or blob delete; the
 * catalog {@code registry:catalog:*}; {@code /v2/} only an authenticated client. A mount's {@code from} needs pull
 * there, which the upload handler checks with {@link Grant#permits} so that a refused mount quietly becomes an
 * ordinary upload.
 *
 * <p><b>htpasswd mode</b> ({@link #basic}): Basic credentials checked against the htpasswd file, rights from
 * {@link AccessRules}. No credentials (or the empty {@code ":"} some clients send when they have none) is the
 * anonymous principal, who gets what the rules give {@code anonymous}, but never {@code /v2/} (so that
 * {@code docker login} always meets a challenge and checks the password). Wrong credentials or an anonymous client
 * without the right: 401 {@code Basic realm="..."}; a user without the right: 403. A right password is remembered
 * for a few minutes (an HMAC of it, never the password) so that the requests after the first skip bcrypt.
 *
 * <p><b>token mode</b> ({@link #bearer}): a bearer token checked by {@link TokenVerifier}, rights from its
 * {@code access} claim. No token: 401 {@code Bearer realm="...",service="...",scope="..."}; a token that cannot be
 * trusted: the same with {@code error="invalid_token"}; a good token without the access: the same with
 * {@code error="insufficient_scope"} (the client fetches a token for that scope), except that when the rules of the
 * built-in token server are known and they would not give the token's (named) subject that access either, the
 * answer is 403, since no new token would help.
 */
public final class Authenticator {

    private static final Logger LOG = Logger.getLogger(Authenticator.class.getName());

    /** The response header of a challenge. */
    public static final String WWW_AUTHENTICATE = "WWW-Authenticate";

    /** What the HTTP layer does with a request. */
    public sealed interface Decision {

        /** The grant, or the 401/403 as an exception for the error writer. */
        Grant orThrow();

        /** Go on to the handler. */
        record Allowed(Grant grant) implements Decision {
            public Allowed {
                Objects.requireNonNull(grant);
            }

            @Override
            public Grant orThrow() {
                return grant;
            }
        }

        /** 401 UNAUTHORIZED; {@link #error()} carries the {@code WWW-Authenticate} header. */
        record Challenge(RegistryException error) implements Decision {
            @Override
            public Grant orThrow() {
                throw error;
            }

            /** The {@code WWW-Authenticate} value. */
            public String header() {
                return error.headers().get(WWW_AUTHENTICATE);
            }
        }

        /** 403 DENIED. */
        record Denied(RegistryException error) implements Decision {
            @Override
            public Grant orThrow() {
                throw error;
            }
        }
    }

    private enum Mode { BASIC, BEARER }

    private final Mode mode;
    private final String realm;
    private final String service;
    private final Htpasswd htpasswd;
    private final TokenVerifier verifier;
    private final AccessRules rules;
    private final CredentialCache verified;

    private Authenticator(Mode mode, String realm, String service, Htpasswd htpasswd, TokenVerifier verifier,
                          AccessRules rules, CredentialCache verified) {
        if (realm == null || realm.isBlank()) {
            throw new IllegalArgumentException("realm must not be empty");
        }
        this.mode = mode;
        this.realm = realm;
        this.service = service;
        this.htpasswd = htpasswd;
        this.verifier = verifier;
        this.rules = rules;
        this.verified = verified;
    }

    /** Default of {@link #basic(String, Htpasswd, AccessRules, Duration, Clock)}'s credential cache. */
    public static final Duration DEFAULT_CREDENTIAL_CACHE = Duration.ofMinutes(5);

    /** htpasswd mode: Basic credentials, rights from {@code rules}; right passwords remembered for 5 minutes. */
    public static Authenticator basic(String realm, Htpasswd htpasswd, AccessRules rules) {
        return basic(realm, htpasswd, rules, DEFAULT_CREDENTIAL_CACHE, Clock.systemUTC());
    }

    /**
     * htpasswd mode. A right user/password pair is remembered for {@code credentialCache} (as an HMAC under a
     * random key) so that the requests that follow skip bcrypt; {@link Duration#ZERO}
     * runs bcrypt on every request. Wrong passwords always run bcrypt.
     */
    public static Authenticator basic(String realm, Htpasswd htpasswd, AccessRules rules, Duration credentialCache,
                                      Clock clock) {
        if (credentialCache.isNegative()) {
            throw new IllegalArgumentException("credential cache duration must not be negative");
        }
        return new Authenticator(Mode.BASIC, realm, null, Objects.requireNonNull(htpasswd), null,
                Objects.requireNonNull(rules), new CredentialCache(credentialCache, clock));
    }

    /**
     * Token mode: bearer tokens from the token server at {@code realm}. {@code rules} are those of the built-in
     * token server when it runs in this registry (to answer 403 rather than 401 when no token could help, and to
     * filter the catalog), or null for an external token server.
     */
    public static Authenticator bearer(String realm, TokenVerifier verifier, AccessRules rules) {
        return new Authenticator(Mode.BEARER, realm, verifier.settings().service(), null, verifier, rules, null);
    }

    /** Decides a request; {@code repository} is required for the routes under {@code /v2/{name}/}. */
    public Decision decide(Route.Method method, Route route, RepositoryName repository, String authorization,
                           String clientAddress) {
        Need need = Need.of(route, method, repository);
        return mode == Mode.BASIC ? decideBasic(need, authorization, clientAddress)
                : decideBearer(need, authorization, clientAddress);
    }

    /** {@link #decide} that throws the 401 or 403 as a {@link RegistryException}. */
    public Grant authorize(Route.Method method, Route route, RepositoryName repository, String authorization,
                           String clientAddress) {
        return decide(method, route, repository, authorization, clientAddress).orThrow();
    }

    /**
     * The actions on the route's repository a request needs: empty for {@code /v2/} and the catalog (which needs
     * authentication, and {@code registry:catalog:*}), and for the token endpoint (which the HTTP layer routes
     * around this class: it checks credentials itself).
     */
    public static Set<Action> requiredActions(Route route, Route.Method method) {
        return switch (route) {
            case BASE, CATALOG, TOKEN -> EnumSet.noneOf(Action.class);
            case TAGS, REFERRERS -> EnumSet.of(Action.PULL);
            case UPLOADS, UPLOAD -> EnumSet.of(Action.PULL, Action.PUSH);
            case MANIFEST, BLOB -> switch (method) {
                case GET, HEAD -> EnumSet.of(Action.PULL);
                case PUT, POST, PATCH -> EnumSet.of(Action.PULL, Action.PUSH);
                case DELETE -> EnumSet.of(Action.DELETE);
            };
        };
    }

    /** What one request needs: authentication only, the catalog, or actions on a repository. */
    private record Need(Route route, RepositoryName repository, Set<Action> actions) {
        static Need of(Route route, Route.Method method, RepositoryName repository) {
            if (route == Route.TOKEN) {
                throw new IllegalArgumentException("the token endpoint is not authorized by the authenticator: "
                        + "it checks its own credentials");
            }
            Set<Action> actions = requiredActions(route, method);
            if (!actions.isEmpty() && repository == null) {
                throw new IllegalArgumentException(route + " needs a repository name");
            }
            return new Need(route, repository, actions);
        }

        boolean catalog() {
            return route == Route.CATALOG;
        }

        boolean authenticationOnly() {
            return route == Route.BASE;
        }

        /** The scope a challenge names; null for {@code /v2/}. */
        Scope scope() {
            if (catalog()) {
                return Scope.CATALOG;
            }
            return actions.isEmpty() ? null : Scope.repository(repository, actions);
        }

        boolean satisfiedBy(AccessRules rules, Principal p) {
            if (catalog()) {
                return rules.mayUseCatalog(p);
            }
            return rules.allowed(p, repository).containsAll(actions);
        }

        boolean satisfiedBy(VerifiedToken token) {
            if (catalog()) {
                return token.permitsCatalog();
            }
            return token.actionsOn(repository).containsAll(actions);
        }

        String describe() {
            Scope s = scope();
            return s == null ? "access to the registry" : s.toString();
        }
    }

    private Decision decideBasic(Need need, String authorization, String client) {
        Principal principal = Principal.ANONYMOUS;
        boolean basicHeader = authorization != null && authorization.strip().regionMatches(true, 0, "Basic ", 0, 6);
        if (basicHeader) {
            Optional<BasicCredentials> creds = BasicCredentials.parse(authorization);
            if (creds.isEmpty()) {
                LOG.info(() -> "malformed Basic credentials from " + LogSafe.text(client));
                return basicChallenge("malformed Basic credentials");
            }
            if (!creds.get().isEmpty()) {
                if (!checkPassword(creds.get().user(), creds.get().password())) {
                    LOG.info(() -> "authentication failed for user \"" + LogSafe.text(creds.get().user()) + "\" from "
                            + LogSafe.text(client));
                    return basicChallenge("invalid username or password");
                }
                principal = Principal.user(creds.get().user());
            }
        }
        if (need.authenticationOnly() && principal.isAnonymous()) {
            return basicChallenge("authentication required");
        }
        if (need.authenticationOnly() || need.satisfiedBy(rules, principal)) {
            return new Decision.Allowed(rules.grant(principal));
        }
        if (principal.isAnonymous()) {
            return basicChallenge("authentication required for " + need.describe());
        }
        return denied(principal, need, client);
    }

    private boolean checkPassword(String user, String password) {
        if (verified.recentlyVerified(user, password)) {
            return true;
        }
        if (htpasswd.authenticate(user, password)) {
            verified.remember(user, password);
            return true;
        }
        return false;
    }

    private Decision decideBearer(Need need, String authorization, String client) {
        String token = bearerToken(authorization);
        if (token == null) {
            return bearerChallenge(need, null, "authentication required");
        }
        VerifiedToken verified;
        try {
            verified = verifier.verify(token);
        } catch (InvalidTokenException e) {
            LOG.log(e.expired() ? Level.FINE : Level.INFO, () -> "rejected bearer token from " + LogSafe.text(client)
                    + ": " + e.getMessage());
            return bearerChallenge(need, "invalid_token", e.getMessage());
        }
        if (need.authenticationOnly() || need.satisfiedBy(verified)) {
            return new Decision.Allowed(tokenGrant(verified));
        }
        Principal subject = verified.subject();
        if (rules != null && !subject.isAnonymous() && !need.satisfiedBy(rules, subject)) {
            return denied(subject, need, client);
        }
        return bearerChallenge(need, "insufficient_scope", "the token does not grant " + need.describe());
    }

    private Grant tokenGrant(VerifiedToken token) {
        return new Grant() {
            @Override
            public Principal principal() {
                return token.subject();
            }

            @Override
            public boolean permits(RepositoryName repository, Action action) {
                return token.permits(repository, action);
            }

            @Override
            public boolean mayList(RepositoryName repository) {
                return rules == null || rules.mayList(token.subject(), repository);
            }
        };
    }

    /** The token of a {@code Bearer} header value, or null. */
    private static String bearerToken(String authorization) {
        if (authorization == null) {
            return null;
        }
        String value = authorization.strip();
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).equalsIgnoreCase("Bearer")) {
            return null;
        }
        String token = value.substring(space + 1).strip();
        return token.isEmpty() ? null : token;
    }

    private Decision basicChallenge(String detail) {
        return new Decision.Challenge(ErrorCode.UNAUTHORIZED.exception(detail)
                .withHeader(WWW_AUTHENTICATE, basicChallengeHeader(realm)));
    }

    private Decision bearerChallenge(Need need, String error, String detail) {
        StringBuilder h = new StringBuilder("Bearer realm=").append(quote(realm))
                .append(",service=").append(quote(service));
        Scope scope = need.scope();
        if (scope != null) {
            h.append(",scope=").append(quote(scope.toString()));
        }
        if (error != null) {
            h.append(",error=").append(quote(error));
        }
        return new Decision.Challenge(ErrorCode.UNAUTHORIZED.exception(detail).withHeader(WWW_AUTHENTICATE,
                h.toString()));
    }

    private Decision denied(Principal principal, Need need, String client) {
        LOG.fine(() -> "denied " + principal + " " + need.describe() + " from " + LogSafe.text(client));
        return new Decision.Denied(ErrorCode.DENIED.exception(principal + " may not " + need.describe()));
    }

    /** {@code Basic realm="..."}, the challenge of htpasswd mode and of the token endpoint. */
    static String basicChallengeHeader(String realm) {
        return "Basic realm=" + quote(realm);
    }

    /** An RFC 7230 quoted-string. */
    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    @Override
    public String toString() {
        return "Authenticator[" + mode + ", realm=" + realm + (service == null ? "" : ", service=" + service) + "]";
    }
}
