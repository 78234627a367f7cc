package dev.berth.auth;

import static dev.berth.auth.Action.DELETE;
import static dev.berth.auth.Action.PULL;
import static dev.berth.auth.Action.PUSH;
import static dev.berth.auth.Creds.basic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import dev.berth.api.ErrorCode;
import dev.berth.api.RegistryException;
import dev.berth.api.Route;
import dev.berth.api.Route.Method;
import dev.berth.auth.AccessRules.Rule;
import dev.berth.auth.Authenticator.Decision;
import dev.berth.oci.RepositoryName;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthenticatorTest {

    static final String REALM = "https://registry.example.test/auth/token";
    static final RepositoryName TEAM_APP = RepositoryName.of("team/app");
    static final RepositoryName PUBLIC_BASE = RepositoryName.of("public/base");
    static final RepositoryName SECRET = RepositoryName.of("secret/keys");

    @TempDir
    static Path dir;
    static Pki pki;
    static Htpasswd users;
    static AccessRules rules;
    static SigningKey key;
    static Path otherKey;

    MutableClock clock;
    TokenIssuer issuer;
    TokenVerifier verifier;
    Authenticator basicAuth;
    Authenticator bearer;
    Authenticator externalBearer;

    @BeforeAll
    static void fixtures() throws Exception {
        pki = new Pki(dir);
        users = Htpasswd.load(pki.htpasswd("users", "alice", "alice-pw", "bob", "bob-pw", "root", "root-pw"));
        rules = new AccessRules(new AccessRules.Settings(List.of("user:root"), Map.of(), List.of(
                new Rule("team/**", List.of("user:alice"), Set.of(PULL, PUSH)),
                new Rule("public/**", List.of("anyone"), Set.of(PULL)),
                new Rule("dropbox", List.of("authenticated"), Set.of(PUSH))), List.of()));
        key = SigningKey.load(pki.ecKey("token", "prime256v1"));
        otherKey = pki.ecKey("other", "prime256v1");
    }

    @BeforeEach
    void authenticators() {
        clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        issuer = new TokenIssuer(new TokenIssuer.Settings(Tokens.ISSUER, Tokens.SERVICE), key, rules, clock);
        verifier = new TokenVerifier(new TokenVerifier.Settings(Tokens.ISSUER, Tokens.SERVICE), issuer.trustedKeys(),
                clock);
        basicAuth = Authenticator.basic("Berth Registry", users, rules, Duration.ofMinutes(5), clock);
        bearer = Authenticator.bearer(REALM, verifier, rules);
        externalBearer = Authenticator.bearer(REALM, verifier, null);
    }

    String token(Principal who, String... scopes) {
        return "Bearer " + issuer.issue(who, Scope.parseAll(List.of(scopes))).token();
    }

    static String challenge(Decision d) {
        assertThat(d).isInstanceOf(Decision.Challenge.class);
        Decision.Challenge c = (Decision.Challenge) d;
        assertThat(c.error().errorCode()).isEqualTo(ErrorCode.UNAUTHORIZED);
        assertThat(c.error().errorCode().status()).isEqualTo(401);
        return c.header();
    }

    static Grant allowed(Decision d) {
        assertThat(d).isInstanceOf(Decision.Allowed.class);
        return d.orThrow();
    }

    // --- what each route needs --------------------------------------------------------------------------------

    @Test
    void requiredActions_coverEveryRouteAndMethod() {
        for (Route route : Route.values()) {
            for (Method method : route.methods()) {
                Set<Action> need = Authenticator.requiredActions(route, method);
                if (route == Route.BASE || route == Route.CATALOG || route == Route.TOKEN) {
                    assertThat(need).as(route + " " + method).isEmpty();
                } else {
                    assertThat(need).as(route + " " + method).isNotEmpty();
                }
            }
        }
    }

    @Test
    void requiredActions_readIsPull_writeIsPullAndPush_deleteIsDelete() {
        assertThat(Authenticator.requiredActions(Route.MANIFEST, Method.GET)).containsExactly(PULL);
        assertThat(Authenticator.requiredActions(Route.MANIFEST, Method.HEAD)).containsExactly(PULL);
        assertThat(Authenticator.requiredActions(Route.BLOB, Method.GET)).containsExactly(PULL);
        assertThat(Authenticator.requiredActions(Route.BLOB, Method.HEAD)).containsExactly(PULL);
        assertThat(Authenticator.requiredActions(Route.TAGS, Method.GET)).containsExactly(PULL);
        assertThat(Authenticator.requiredActions(Route.REFERRERS, Method.GET)).containsExactly(PULL);
        assertThat(Authenticator.requiredActions(Route.MANIFEST, Method.PUT)).containsExactly(PULL, PUSH);
        assertThat(Authenticator.requiredActions(Route.UPLOADS, Method.POST)).containsExactly(PULL, PUSH);
        for (Method m : Route.UPLOAD.methods()) {
            assertThat(Authenticator.requiredActions(Route.UPLOAD, m)).as(m.name()).containsExactly(PULL, PUSH);
        }
        assertThat(Authenticator.requiredActions(Route.MANIFEST, Method.DELETE)).containsExactly(DELETE);
        assertThat(Authenticator.requiredActions(Route.BLOB, Method.DELETE)).containsExactly(DELETE);
    }

    @Test
    void repositoryRoute_withoutARepository_isAProgrammingError() {
        assertThatThrownBy(() -> basicAuth.decide(Method.GET, Route.MANIFEST, null, null, "x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // --- htpasswd mode -----------------------------------------------------------------------------------------

    @Test
    void basic_versionCheckWithoutCredentials_isChallenged() {
        assertThat(challenge(basicAuth.decide(Method.GET, Route.BASE, null, null, "10.0.0.1")))
                .isEqualTo("Basic realm=\"Berth Registry\"");
    }

    @Test
    void basic_versionCheckWithValidCredentials_isAllowed() {
        Grant g = allowed(basicAuth.decide(Method.GET, Route.BASE, null, basic("alice", "alice-pw"), "x"));

        assertThat(g.principal()).isEqualTo(Principal.user("alice"));
    }

    @Test
    void basic_wrongPasswordUnknownUserOrEmptyPassword_isChallenged() {
        for (String header : List.of(basic("alice", "bob-pw"), basic("mallory", "alice-pw"), basic("alice", ""),
                "Basic not-base64!", "Basic " + java.util.Base64.getEncoder().encodeToString("nocolon".getBytes()))) {
            assertThat(challenge(basicAuth.decide(Method.GET, Route.MANIFEST, PUBLIC_BASE, header, "x")))
                    .as(header).isEqualTo("Basic realm=\"Berth Registry\"");
        }
    }

    @Test
    void basic_afterARightPassword_aWrongOneIsStillRefused() {
        for (Authenticator a : List.of(basicAuth, Authenticator.basic("Berth Registry", users, rules, Duration.ZERO,
                clock))) {
            allowed(a.decide(Method.GET, Route.MANIFEST, TEAM_APP, basic("alice", "alice-pw"), "x"));
            challenge(a.decide(Method.GET, Route.MANIFEST, TEAM_APP, basic("alice", "alice-pw "), "x"));
            allowed(a.decide(Method.GET, Route.MANIFEST, TEAM_APP, basic("alice", "alice-pw"), "x"));
            clock.advance(Duration.ofMinutes(6));
            allowed(a.decide(Method.GET, Route.MANIFEST, TEAM_APP, basic("alice", "alice-pw"), "x"));
        }
    }

    @Test
    void basic_userWithoutTheRight_isDenied() {
        Decision d = basicAuth.decide(Method.PUT, Route.MANIFEST, TEAM_APP, basic("bob", "bob-pw"), "x");

        assertThat(d).isInstanceOf(Decision.Denied.class);
        assertThatThrownBy(d::orThrow).isInstanceOfSatisfying(RegistryException.class, e -> {
            assertThat(e.errorCode()).isEqualTo(ErrorCode.DENIED);
            assertThat(e.errorCode().status()).isEqualTo(403);
            assertThat(e.detail()).isEqualTo("bob may not repository:team/app:pull,push");
        });
    }

    @Test
    void basic_userWithTheRight_isAllowed() {
        assertThat(allowed(basicAuth.decide(Method.PUT, Route.MANIFEST, TEAM_APP, basic("alice", "alice-pw"), "x"))
                .principal().name()).isEqualTo("alice");
        assertThat(allowed(basicAuth.decide(Method.PATCH, Route.UPLOAD, TEAM_APP, basic("alice", "alice-pw"), "x"))
                .principal().name()).isEqualTo("alice");
    }

    @Test
    void basic_pushOnlyRight_doesNotAllowAManifestPut() {
        Decision d = basicAuth.decide(Method.PUT, Route.MANIFEST, RepositoryName.of("dropbox"),
                basic("bob", "bob-pw"), "x");

        assertThat(d).isInstanceOf(Decision.Denied.class);
    }

    @Test
    void basic_anonymousPull_isAllowedWhereTheRulesSaySo() {
        Grant noHeader = allowed(basicAuth.decide(Method.GET, Route.MANIFEST, PUBLIC_BASE, null, "x"));
        Grant emptyBasic = allowed(basicAuth.decide(Method.HEAD, Route.BLOB, PUBLIC_BASE, basic("", ""), "x"));

        assertThat(noHeader.principal().isAnonymous()).isTrue();
        assertThat(emptyBasic.principal().isAnonymous()).isTrue();
    }

    @Test
    void basic_anonymousWithoutTheRight_isChallengedNotDenied() {
        assertThat(challenge(basicAuth.decide(Method.PUT, Route.MANIFEST, PUBLIC_BASE, null, "x")))
                .isEqualTo("Basic realm=\"Berth Registry\"");
        assertThat(challenge(basicAuth.decide(Method.GET, Route.MANIFEST, TEAM_APP, null, "x")))
                .isEqualTo("Basic realm=\"Berth Registry\"");
    }

    @Test
    void basic_bearerHeader_countsAsNoCredentials() {
        assertThat(allowed(basicAuth.decide(Method.GET, Route.TAGS, PUBLIC_BASE, "Bearer abc", "x"))
                .principal().isAnonymous()).isTrue();
    }

    @Test
    void basic_admin_mayDelete() {
        Grant g = allowed(basicAuth.decide(Method.DELETE, Route.MANIFEST, SECRET, basic("root", "root-pw"), "x"));

        assertThat(g.permits(SECRET, DELETE)).isTrue();
        assertThat(basicAuth.decide(Method.DELETE, Route.MANIFEST, TEAM_APP, basic("alice", "alice-pw"), "x"))
                .isInstanceOf(Decision.Denied.class);
    }

    @Test
    void basic_catalog_isForAuthenticatedUsers_andListsWhatTheyMayPull() {
        Grant alice = allowed(basicAuth.decide(Method.GET, Route.CATALOG, null, basic("alice", "alice-pw"), "x"));

        assertThat(alice.mayList(TEAM_APP)).isTrue();
        assertThat(alice.mayList(PUBLIC_BASE)).isTrue();
        assertThat(alice.mayList(SECRET)).isFalse();
        assertThat(challenge(basicAuth.decide(Method.GET, Route.CATALOG, null, null, "x")))
                .isEqualTo("Basic realm=\"Berth Registry\"");
    }

    @Test
    void basic_mountSource_isCheckedWithTheGrant() {
        Grant alice = allowed(basicAuth.decide(Method.POST, Route.UPLOADS, TEAM_APP, basic("alice", "alice-pw"), "x"));

        assertThat(alice.permits(PUBLIC_BASE, PULL)).isTrue();
        assertThat(alice.permits(SECRET, PULL)).isFalse();
    }

    // --- token mode --------------------------------------------------------------------------------------------

    @Test
    void bearer_noToken_isChallengedWithRealmServiceAndScope() {
        assertThat(challenge(bearer.decide(Method.PUT, Route.MANIFEST, TEAM_APP, null, "x"))).isEqualTo(
                "Bearer realm=\"https://registry.example.test/auth/token\",service=\"berth\","
                        + "scope=\"repository:team/app:pull,push\"");
        assertThat(challenge(bearer.decide(Method.GET, Route.BLOB, TEAM_APP, basic("alice", "alice-pw"), "x")))
                .isEqualTo("Bearer realm=\"https://registry.example.test/auth/token\",service=\"berth\","
                        + "scope=\"repository:team/app:pull\"");
        assertThat(challenge(bearer.decide(Method.DELETE, Route.BLOB, TEAM_APP, "Bearer ", "x")))
                .endsWith(",scope=\"repository:team/app:delete\"");
        assertThat(challenge(bearer.decide(Method.GET, Route.BASE, null, null, "x")))
                .isEqualTo("Bearer realm=\"https://registry.example.test/auth/token\",service=\"berth\"");
        assertThat(challenge(bearer.decide(Method.GET, Route.CATALOG, null, null, "x")))
                .endsWith(",scope=\"registry:catalog:*\"");
    }

    @Test
    void bearer_validToken_isAllowed_andItsGrantIsTheTokensAccess() {
        String token = token(Principal.user("alice"), "repository:team/app:pull,push", "repository:public/base:pull");

        Grant g = allowed(bearer.decide(Method.PUT, Route.MANIFEST, TEAM_APP, token, "x"));

        assertThat(g.principal()).isEqualTo(Principal.user("alice"));
        assertThat(g.permits(PUBLIC_BASE, PULL)).as("mount source named in the token").isTrue();
        assertThat(g.permits(RepositoryName.of("team/lib"), PULL)).as("allowed by the rules but not in the token")
                .isFalse();
    }

    @Test
    void bearer_schemeIsCaseInsensitive() {
        String token = token(Principal.user("alice"), "repository:team/app:pull").substring("Bearer ".length());

        allowed(bearer.decide(Method.GET, Route.MANIFEST, TEAM_APP, "bearer " + token, "x"));
    }

    @Test
    void bearer_tokenSignedByAnotherKey_isChallengedAsInvalid() {
        String forged = Tokens.sign(otherKey, Tokens.header(JWSAlgorithm.ES256, issuer.keyId()).build(),
                Tokens.claims(clock.instant(), List.of(Tokens.access("repository", "team/app", "pull"))).build());

        String header = challenge(bearer.decide(Method.GET, Route.MANIFEST, TEAM_APP, "Bearer " + forged, "x"));

        assertThat(header).isEqualTo("Bearer realm=\"https://registry.example.test/auth/token\",service=\"berth\","
                + "scope=\"repository:team/app:pull\",error=\"invalid_token\"");
    }

    @Test
    void bearer_expiredToken_isChallengedAsInvalid_evenOnTheVersionCheck() {
        String token = token(Principal.user("alice"), "repository:team/app:pull");
        clock.advance(Duration.ofMinutes(10));

        assertThat(challenge(bearer.decide(Method.GET, Route.BASE, null, token, "x")))
                .endsWith(",error=\"invalid_token\"");
    }

    @Test
    void bearer_anyValidToken_passesTheVersionCheck() {
        assertThat(allowed(bearer.decide(Method.GET, Route.BASE, null, token(Principal.ANONYMOUS), "x"))
                .principal().isAnonymous()).isTrue();
    }

    @Test
    void bearer_pullTokenUsedToPush_isInsufficientScope_whenANewTokenCouldHelp() {
        String pullOnly = token(Principal.user("alice"), "repository:team/app:pull");

        assertThat(challenge(bearer.decide(Method.POST, Route.UPLOADS, TEAM_APP, pullOnly, "x"))).isEqualTo(
                "Bearer realm=\"https://registry.example.test/auth/token\",service=\"berth\","
                        + "scope=\"repository:team/app:pull,push\",error=\"insufficient_scope\"");
    }

    @Test
    void bearer_pullTokenUsedToPush_isDenied_whenTheRulesForbidIt() {
        String bobsToken = token(Principal.user("bob"), "repository:public/base:pull,push");

        Decision d = bearer.decide(Method.PUT, Route.MANIFEST, PUBLIC_BASE, bobsToken, "x");

        assertThat(d).isInstanceOf(Decision.Denied.class);
        assertThat(((Decision.Denied) d).error().errorCode()).isEqualTo(ErrorCode.DENIED);
    }

    @Test
    void bearer_withAnExternalTokenServer_aMissingScopeIsAlwaysInsufficientScope() {
        String bobsToken = token(Principal.user("bob"), "repository:public/base:pull,push");

        assertThat(challenge(externalBearer.decide(Method.PUT, Route.MANIFEST, PUBLIC_BASE, bobsToken, "x")))
                .endsWith(",error=\"insufficient_scope\"");
    }

    @Test
    void bearer_anonymousTokenWithoutTheRight_isChallenged() {
        String anon = token(Principal.ANONYMOUS, "repository:team/app:pull");

        assertThat(challenge(bearer.decide(Method.GET, Route.MANIFEST, TEAM_APP, anon, "x")))
                .endsWith(",error=\"insufficient_scope\"");
    }

    @Test
    void bearer_tokenForAB_doesNotOpenABC_orABC() {
        AccessRules everything = new AccessRules(new AccessRules.Settings(List.of(), Map.of(),
                List.of(new Rule("**", List.of("anyone"), EnumSet.allOf(Action.class))), List.of()));
        TokenIssuer generous = new TokenIssuer(new TokenIssuer.Settings(Tokens.ISSUER, Tokens.SERVICE), key,
                everything, clock);
        String token = "Bearer " + generous.issue(Principal.user("alice"),
                Scope.parseAll(List.of("repository:a/b:pull,push,delete"))).token();

        allowed(bearer.decide(Method.GET, Route.MANIFEST, RepositoryName.of("a/b"), token, "x"));
        challenge(externalBearer.decide(Method.GET, Route.MANIFEST, RepositoryName.of("a/b/c"), token, "x"));
        challenge(externalBearer.decide(Method.GET, Route.MANIFEST, RepositoryName.of("a/bc"), token, "x"));
    }

    @Test
    void bearer_catalog_needsTheCatalogScope_andFiltersByTheRules() {
        String withCatalog = token(Principal.user("alice"), "registry:catalog:*");
        String without = token(Principal.user("alice"), "repository:team/app:pull");

        Grant g = allowed(bearer.decide(Method.GET, Route.CATALOG, null, withCatalog, "x"));
        assertThat(g.mayList(TEAM_APP)).isTrue();
        assertThat(g.mayList(SECRET)).isFalse();
        assertThat(allowed(externalBearer.decide(Method.GET, Route.CATALOG, null, withCatalog, "x")).mayList(SECRET))
                .isTrue();
        assertThat(challenge(bearer.decide(Method.GET, Route.CATALOG, null, without, "x")))
                .endsWith(",scope=\"registry:catalog:*\",error=\"insufficient_scope\"");
    }

    @Test
    void bearer_fullFlow_challengeScopeToTokenEndpointToRetry() {
        TokenEndpoint endpoint = new TokenEndpoint("Berth", users, issuer);
        Decision first = bearer.decide(Method.POST, Route.UPLOADS, TEAM_APP, null, "x");
        String header = challenge(first);
        String scope = header.replaceAll(".*scope=\"([^\"]+)\".*", "$1");

        IssuedToken t = endpoint.get(Map.of("service", List.of("berth"), "scope", List.of(scope)),
                basic("alice", "alice-pw"), "x");

        allowed(bearer.decide(Method.POST, Route.UPLOADS, TEAM_APP, "Bearer " + t.token(), "x"));
    }

    @Test
    void decision_orThrow_carriesTheChallengeHeaderForTheErrorWriter() {
        assertThatThrownBy(() -> bearer.authorize(Method.GET, Route.TAGS, TEAM_APP, null, "x"))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.errorCode().status()).isEqualTo(401);
                    assertThat(e.headers()).containsEntry("WWW-Authenticate", "Bearer realm=\""
                            + REALM + "\",service=\"berth\",scope=\"repository:team/app:pull\"");
                });
    }

    @Test
    void realm_withQuotes_isEscaped() {
        Authenticator odd = Authenticator.basic("say \"hi\"", users, rules);

        assertThat(challenge(odd.decide(Method.GET, Route.BASE, null, null, "x")))
                .isEqualTo("Basic realm=\"say \\\"hi\\\"\"");
    }
}
