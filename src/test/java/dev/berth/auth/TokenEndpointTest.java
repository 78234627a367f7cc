package dev.berth.auth;

import static dev.berth.auth.Action.PULL;
import static dev.berth.auth.Action.PUSH;
import static dev.berth.auth.Creds.basic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.ErrorCode;
import dev.berth.api.RegistryException;
import dev.berth.auth.AccessRules.Rule;
import dev.berth.oci.RepositoryName;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenEndpointTest {

    @TempDir
    static Path dir;
    static TokenEndpoint endpoint;
    static TokenVerifier verifier;

    @BeforeAll
    static void server() throws Exception {
        Pki pki = new Pki(dir);
        Htpasswd users = Htpasswd.load(pki.htpasswd("users", "alice", "alice-pw"));
        AccessRules rules = new AccessRules(new AccessRules.Settings(List.of(), Map.of(),
                List.of(new Rule("team/**", List.of("user:alice"), Set.of(PULL, PUSH)),
                        new Rule("public/**", List.of("anyone"), Set.of(PULL))), List.of()));
        MutableClock clock = new MutableClock(Instant.now());
        TokenIssuer issuer = new TokenIssuer(new TokenIssuer.Settings(Tokens.ISSUER, Tokens.SERVICE),
                SigningKey.load(pki.ecKeyPkcs8("token")), rules, clock);
        endpoint = new TokenEndpoint("Berth token server", users, issuer);
        verifier = new TokenVerifier(new TokenVerifier.Settings(Tokens.ISSUER, Tokens.SERVICE), issuer.trustedKeys(),
                clock);
    }

    static Map<String, List<String>> query(String... pairs) {
        var out = new java.util.LinkedHashMap<String, List<String>>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.computeIfAbsent(pairs[i], k -> new java.util.ArrayList<>()).add(pairs[i + 1]);
        }
        return out;
    }

    static RegistryException thrown(ThrowingCallable call) {
        try {
            call.call();
        } catch (RegistryException e) {
            return e;
        } catch (Throwable t) {
            throw new AssertionError("expected a RegistryException", t);
        }
        throw new AssertionError("expected a RegistryException");
    }

    @Test
    void get_withValidCredentials_issuesTheUsersToken() throws Exception {
        IssuedToken t = endpoint.get(query("service", "berth", "scope", "repository:team/app:pull,push",
                "scope", "repository:public/base:pull", "account", "alice"), basic("alice", "alice-pw"), "10.1.2.3");

        VerifiedToken v = verifier.verify(t.token());
        assertThat(v.subject()).isEqualTo(Principal.user("alice"));
        assertThat(v.actionsOn(RepositoryName.of("team/app"))).containsExactly(PULL, PUSH);
        assertThat(v.actionsOn(RepositoryName.of("public/base"))).containsExactly(PULL);
    }

    @Test
    void get_withoutCredentials_issuesAnAnonymousToken() throws Exception {
        IssuedToken t = endpoint.get(query("service", "berth", "scope", "repository:team/app:pull",
                "scope", "repository:public/base:pull"), null, "10.1.2.3");
        IssuedToken emptyBasic = endpoint.get(query("scope", "repository:public/base:pull"), basic("", ""), "x");

        VerifiedToken v = verifier.verify(t.token());
        assertThat(v.subject().isAnonymous()).isTrue();
        assertThat(v.access()).extracting(Scope::toString).containsExactly("repository:public/base:pull");
        assertThat(verifier.verify(emptyBasic.token()).subject().isAnonymous()).isTrue();
    }

    @Test
    void get_withoutScope_issuesATokenWithNoAccess() throws Exception {
        IssuedToken t = endpoint.get(query("service", "berth"), basic("alice", "alice-pw"), "x");

        assertThat(verifier.verify(t.token()).access()).isEmpty();
    }

    @Test
    void get_wrongPassword_is401WithABasicChallenge() {
        RegistryException e = thrown(() -> endpoint.get(query("service", "berth"), basic("alice", "nope"), "x"));

        assertThat(e.errorCode()).isEqualTo(ErrorCode.UNAUTHORIZED);
        assertThat(e.headers()).containsEntry("WWW-Authenticate", "Basic realm=\"Berth token server\"");
        RegistryException unknown = thrown(() -> endpoint.get(query(), basic("mallory", "alice-pw"), "x"));
        assertThat(unknown.errorCode()).isEqualTo(ErrorCode.UNAUTHORIZED);
        RegistryException garbage = thrown(() -> endpoint.get(query(), "Basic !!!", "x"));
        assertThat(garbage.errorCode()).isEqualTo(ErrorCode.UNAUTHORIZED);
    }

    @Test
    void get_malformedScope_is400() {
        RegistryException e = thrown(() -> endpoint.get(query("scope", "repository:team/app"), null, "x"));

        assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(e.detail()).startsWith("malformed scope \"repository:team/app\"");
    }

    @Test
    void get_tooManyScopes_is400() {
        String many = String.join(" ", java.util.Collections.nCopies(101, "repository:public/base:pull"));

        assertThat(thrown(() -> endpoint.get(query("scope", many), null, "x")).detail())
                .isEqualTo("more than 100 scopes in one token request");
    }

    @Test
    void get_anotherService_is400() {
        RegistryException e = thrown(() -> endpoint.get(query("service", "elsewhere"), null, "x"));

        assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(e.detail()).isEqualTo("unknown service \"elsewhere\"");
    }

    @Test
    void get_accountThatIsNotTheUser_is400() {
        RegistryException e = thrown(() -> endpoint.get(query("account", "bob"), basic("alice", "alice-pw"), "x"));

        assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_REQUEST);
    }

    @Test
    void get_serviceGivenTwice_is400() {
        assertThat(thrown(() -> endpoint.get(query("service", "berth", "service", "berth"), null, "x")).errorCode())
                .isEqualTo(ErrorCode.BAD_REQUEST);
    }

    @Test
    void post_passwordGrant_issuesTheUsersToken() throws Exception {
        IssuedToken t = endpoint.post(query("grant_type", "password", "username", "alice", "password", "alice-pw",
                "service", "berth", "client_id", "containerd-client",
                "scope", "repository:team/app:pull repository:team/lib:push"), "x");

        assertThat(verifier.verify(t.token()).access()).extracting(Scope::toString)
                .containsExactly("repository:team/app:pull", "repository:team/lib:push");
        assertThat(new String(t.json(true), java.nio.charset.StandardCharsets.UTF_8))
                .contains("\"scope\":\"repository:team/app:pull repository:team/lib:push\"");
    }

    @Test
    void post_wrongPassword_is401() {
        RegistryException e = thrown(() -> endpoint.post(query("grant_type", "password", "username", "alice",
                "password", "wrong"), "x"));

        assertThat(e.errorCode()).isEqualTo(ErrorCode.UNAUTHORIZED);
    }

    @Test
    void post_otherGrantTypes_are400() {
        RegistryException e = thrown(() -> endpoint.post(query("grant_type", "refresh_token",
                "refresh_token", "abc"), "x"));

        assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(e.detail()).startsWith("unsupported grant_type \"refresh_token\"");
    }

    @Test
    void anonymousOnlyServer_refusesCredentials() throws Exception {
        TokenEndpoint anonymousOnly = new TokenEndpoint("r", null, new TokenIssuer(
                new TokenIssuer.Settings(Tokens.ISSUER, Tokens.SERVICE),
                SigningKey.load(new Pki(dir).ecKeyPkcs8("anon")), new AccessRules(AccessRules.Settings.none()),
                new MutableClock(Instant.now())));

        assertThat(anonymousOnly.get(query(), null, "x").granted()).isEmpty();
        assertThatThrownBy(() -> anonymousOnly.get(query(), basic("alice", "alice-pw"), "x"))
                .isInstanceOf(RegistryException.class);
    }
}
