package dev.berth.auth;

import dev.berth.api.ErrorCode;
import dev.berth.api.RegistryException;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The built-in token server's endpoint, Netty-free: the HTTP layer hands it the query (GET) or the form (POST) and
 * the {@code Authorization} header, and writes {@link IssuedToken#json} as {@code application/json}.
 *
 * <ul>
 * <li>{@code GET ?service=&scope=&scope=&account=} with optional Basic credentials, as distribution's token
 *     specification describes and every client uses; no credentials (or the empty {@code ":"}) is anonymous.</li>
 * <li>{@code POST} with an OAuth2 password grant ({@code grant_type=password}, {@code username}, {@code password},
 *     {@code service}, {@code scope} space-separated, {@code client_id}) as containerd sends first when it has
 *     credentials; any other grant type is 400 (containerd then falls back to GET).</li>
 * </ul>
 * Wrong credentials are 401 with {@code WWW-Authenticate: Basic realm="..."}; a malformed scope, another service,
 * an {@code account} that is not the authenticated user, a parameter given twice or more than {@value #MAX_SCOPES}
 * scopes is 400. Asking for more than
 * one may have is not an error: the token holds the intersection.
 */
public final class TokenEndpoint {

    private static final Logger LOG = Logger.getLogger(TokenEndpoint.class.getName());

    /** Most resource scopes one token request may ask for. */
    static final int MAX_SCOPES = 100;

    private final String realm;
    private final Htpasswd htpasswd;
    private final TokenIssuer issuer;

    /**
     * @param realm    the Basic realm named when credentials are refused
     * @param htpasswd the users; null for a server that only issues anonymous tokens
     * @param issuer   signs the tokens
     */
    public TokenEndpoint(String realm, Htpasswd htpasswd, TokenIssuer issuer) {
        this.realm = Objects.requireNonNull(realm);
        this.htpasswd = htpasswd;
        this.issuer = Objects.requireNonNull(issuer);
    }

    /** {@code GET}: query parameters (decoded), the Authorization header (may be null), the client address. */
    public IssuedToken get(Map<String, List<String>> query, String authorization, String clientAddress) {
        checkService(query);
        List<Scope> scopes = scopes(query);
        Principal principal = Principal.ANONYMOUS;
        Optional<BasicCredentials> creds = BasicCredentials.parse(authorization);
        if (authorization != null && authorization.strip().regionMatches(true, 0, "Basic ", 0, 6)
                && creds.isEmpty()) {
            throw unauthorized("malformed Basic credentials", clientAddress, null);
        }
        if (creds.isPresent() && !creds.get().isEmpty()) {
            principal = login(creds.get().user(), creds.get().password(), clientAddress);
        }
        Optional<String> account = single(query, "account");
        if (account.isPresent() && !principal.isAnonymous() && !account.get().equals(principal.name())) {
            throw ErrorCode.BAD_REQUEST.exception("account does not match the credentials");
        }
        return issue(principal, scopes);
    }

    /** {@code POST} (OAuth2 password grant): the form parameters (decoded), the client address. */
    public IssuedToken post(Map<String, List<String>> form, String clientAddress) {
        String grantType = single(form, "grant_type").orElse("");
        if (!grantType.equals("password")) {
            throw ErrorCode.BAD_REQUEST.exception("unsupported grant_type \"" + LogSafe.text(grantType)
                    + "\"; use password, or GET with Basic credentials");
        }
        checkService(form);
        List<Scope> scopes = scopes(form);
        String user = single(form, "username").orElse("");
        String password = single(form, "password").orElse("");
        return issue(login(user, password, clientAddress), scopes);
    }

    private Principal login(String user, String password, String client) {
        if (htpasswd == null || !htpasswd.authenticate(user, password)) {
            throw unauthorized("invalid username or password", client, user);
        }
        return Principal.user(user);
    }

    private IssuedToken issue(Principal principal, List<Scope> scopes) {
        IssuedToken token = issuer.issue(principal, scopes);
        LOG.fine(() -> "issued a token to " + principal + " for " + token.granted() + " (asked " + scopes + ")");
        return token;
    }

    private void checkService(Map<String, List<String>> params) {
        Optional<String> service = single(params, "service");
        if (service.isPresent() && !service.get().equals(issuer.settings().service())) {
            throw ErrorCode.BAD_REQUEST.exception("unknown service \"" + LogSafe.text(service.get()) + "\"");
        }
    }

    private static List<Scope> scopes(Map<String, List<String>> params) {
        List<Scope> scopes;
        try {
            scopes = Scope.parseAll(params.getOrDefault("scope", List.of()));
        } catch (IllegalArgumentException e) {
            throw ErrorCode.BAD_REQUEST.exception(e.getMessage());
        }
        if (scopes.size() > MAX_SCOPES) {
            throw ErrorCode.BAD_REQUEST.exception("more than " + MAX_SCOPES + " scopes in one token request");
        }
        return scopes;
    }

    private static Optional<String> single(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        if (values == null || values.isEmpty()) {
            return Optional.empty();
        }
        if (values.size() > 1) {
            throw ErrorCode.BAD_REQUEST.exception("parameter '" + name + "' given more than once");
        }
        return Optional.of(values.get(0));
    }

    private RegistryException unauthorized(String detail, String client, String user) {
        LOG.info(() -> (user == null ? detail : "authentication failed for user \"" + LogSafe.text(user) + "\"")
                + " at the token endpoint from " + LogSafe.text(client));
        return ErrorCode.UNAUTHORIZED.exception(detail)
                .withHeader(Authenticator.WWW_AUTHENTICATE, Authenticator.basicChallengeHeader(realm));
    }
}
