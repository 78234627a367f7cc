package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.berth.auth.AccessRules;
import dev.berth.auth.Action;
import dev.berth.auth.TokenIssuer;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code auth} section and {@code http.tls}: how they read, what they refuse, how they are shown. */
class AuthConfigTest {

    @TempDir
    Path dir;
    Path users;
    Path key;
    Path cert;

    @BeforeEach
    void files() throws IOException {
        users = Files.writeString(dir.resolve("htpasswd"), "alice:$2y$04$" + "a".repeat(53) + "\n");
        key = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n");
        cert = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
    }

    private static BerthConfig parse(String yaml, Map<String, String> env) {
        return ConfigLoader.parse(yaml, "config.yml", env);
    }

    private static List<String> problems(String yaml, Map<String, String> env) {
        try {
            parse(yaml, env);
        } catch (ConfigLoader.ConfigException e) {
            return e.problems();
        }
        return fail("expected configuration problems in:\n" + yaml);
    }

    private static List<String> problems(String yaml) {
        return problems(yaml, Map.of());
    }

    @Test
    void noAuthSection_meansNoAuthenticationAndPlainHttp() {
        BerthConfig c = parse("", Map.of());
        assertThat(c.auth()).isEqualTo(AuthConfig.OFF);
        assertThat(c.auth().enabled()).isFalse();
        assertThat(c.tls()).isNull();
    }

    @Test
    void htpasswd_distributionsKeys_withBerthsDefaults() {
        BerthConfig c = parse("""
                auth:
                  htpasswd:
                    realm: basic-realm
                    path: %s
                """.formatted(users), Map.of());
        assertThat(c.auth().htpasswd()).isEqualTo(new AuthConfig.Htpasswd("basic-realm", users,
                Duration.ZERO));     // bcrypt on every check unless credentialcache says otherwise
        assertThat(c.auth().access()).isNull();
        assertThat(c.auth().accessOrDefault()).isEqualTo(AccessRules.Settings.authenticatedMayDoEverything());
        assertThat(parse(ConfigLoader.describe(c), Map.of())).isEqualTo(c);
    }

    @Test
    void htpasswd_fromTheEnvironmentAlone() {
        BerthConfig c = parse("", Map.of("BERTH_AUTH_HTPASSWD_PATH", users.toString(),
                "BERTH_AUTH_HTPASSWD_CREDENTIALCACHE", "0s"));
        assertThat(c.auth().htpasswd()).isEqualTo(new AuthConfig.Htpasswd("Berth", users, Duration.ZERO));
    }

    @Test
    void htpasswd_withoutPathOrWithAMissingFile_isRefusedNamingTheKey() {
        assertThat(problems("auth:\n  htpasswd:\n    realm: r\n")).containsExactly(
                "auth.htpasswd.path: required (the htpasswd file, bcrypt entries (htpasswd -B))");
        assertThat(problems("auth:\n  htpasswd:\n    path: /no/such/htpasswd\n")).containsExactly(
                "auth.htpasswd.path: cannot read /no/such/htpasswd (no such file)");
        assertThat(problems("", Map.of("BERTH_AUTH_HTPASSWD_PATH", "/no/such"))).containsExactly(
                "auth.htpasswd.path (from BERTH_AUTH_HTPASSWD_PATH): cannot read /no/such (no such file)");
    }

    @Test
    void bothModes_areRefused() {
        assertThat(problems("""
                auth:
                  htpasswd:
                    path: %s
                  token:
                    realm: https://r.example/token
                    service: s
                    issuer: i
                    rootcertbundle: %s
                """.formatted(users, cert))).containsExactly("auth: configure exactly one of htpasswd and token, got both");
    }

    @Test
    void token_withTheBuiltInTokenServerAndRules() {
        BerthConfig c = parse("""
                auth:
                  token:
                    realm: https://registry.example:5050/auth/token
                    service: registry.example
                    issuer: berth
                    signingalgorithms: [ES256, RS256]
                    leeway: 30s
                  tokenserver:
                    enabled: true
                    key: %s
                    htpasswd: %s
                    ttl: 10m
                    kid: libtrust
                  access:
                    admins: [user:root, group:ops]
                    groups:
                      ops: [carol]
                      Devs: [alice, bob]
                    catalog: [authenticated]
                    rules:
                      - repository: "**"
                        who: [anyone]
                        actions: [pull]
                      - repository: secret/**
                        who: [anyone]
                        actions: []
                      - repository: team/*
                        who: [group:Devs, user:dave]
                        actions: [push, pull, DELETE]
                """.formatted(key, users), Map.of());
        AuthConfig a = c.auth();
        assertThat(a.token()).isEqualTo(new AuthConfig.Token(URI.create("https://registry.example:5050/auth/token"),
                "registry.example", "berth", null, null, List.of("ES256", "RS256"), Duration.ofSeconds(30)));
        assertThat(a.tokenServer()).isEqualTo(new AuthConfig.TokenServer(key, users, Duration.ofMinutes(10),
                TokenIssuer.KeyIdFormat.LIBTRUST));
        assertThat(a.access().admins()).containsExactly("user:root", "group:ops");
        assertThat(a.access().groups()).containsEntry("Devs", List.of("alice", "bob"));
        assertThat(a.access().rules()).containsExactly(
                new AccessRules.Rule("**", List.of("anyone"), EnumSet.of(Action.PULL)),
                new AccessRules.Rule("secret/**", List.of("anyone"), EnumSet.noneOf(Action.class)),
                new AccessRules.Rule("team/*", List.of("group:Devs", "user:dave"), EnumSet.allOf(Action.class)));
        assertThat(parse(ConfigLoader.describe(c), Map.of())).isEqualTo(c);
    }

    @Test
    void access_withAnEmptyListOfRules_allowsNobodyButTheAdmins_ratherThanTheDefault() {
        BerthConfig c = parse("auth:\n  htpasswd:\n    path: " + users + "\n  access:\n    rules: []\n", Map.of());
        assertThat(c.auth().access()).isEqualTo(AccessRules.Settings.none());
        assertThat(parse(ConfigLoader.describe(c), Map.of())).isEqualTo(c);
    }

    @Test
    void accessRules_fromTheEnvironment() {
        BerthConfig c = parse("auth:\n  htpasswd:\n    path: " + users + "\n", Map.of(
                "BERTH_AUTH_ACCESS_RULES_0_REPOSITORY", "library/**",
                "BERTH_AUTH_ACCESS_RULES_0_WHO", "anyone",
                "BERTH_AUTH_ACCESS_RULES_0_ACTIONS", "pull",
                "BERTH_AUTH_ACCESS_ADMINS", "user:root",
                "BERTH_AUTH_ACCESS_GROUPS_DEVS", "alice,bob"));
        assertThat(c.auth().access().rules()).containsExactly(
                new AccessRules.Rule("library/**", List.of("anyone"), EnumSet.of(Action.PULL)));
        assertThat(c.auth().access().admins()).containsExactly("user:root");
        assertThat(c.auth().access().groups()).containsEntry("devs", List.of("alice", "bob"));
    }

    @Test
    void token_missingItsKeys_isRefusedNamingEach() {
        assertThat(problems("auth:\n  token:\n    leeway: 10s\n")).containsExactly(
                "auth.token.realm: required (the token server's URL, for example "
                        + "https://registry.example:5050/auth/token for the built-in one)",
                "auth.token.service: required (this registry's name in tokens: their aud)",
                "auth.token.issuer: required (the iss of the tokens accepted)",
                "auth.token: needs rootcertbundle or jwks (the keys tokens are signed with), or the built-in token "
                        + "server (auth.tokenserver.enabled: true)");
    }

    @Test
    void token_badValues_areRefusedNamingTheKey() {
        assertThat(problems("""
                auth:
                  token:
                    realm: /auth/token
                    service: s
                    issuer: i
                    jwks: %s
                    signingalgorithms: [HS256]
                    leeway: 10m
                """.formatted(cert))).containsExactly(
                "auth.token.realm: must be an absolute http or https URL, got /auth/token",
                "auth.token.leeway: must be at most 5m, got 10m",
                "auth.token.signingalgorithms: signing algorithm \"HS256\" is not accepted (tokens must be signed "
                        + "with a private key: HMAC and none are never accepted); use some of [ES256, ES384, ES512, "
                        + "PS256, PS384, PS512, RS256, RS384, RS512]");
    }

    @Test
    void tokenServer_withoutTokenMode_orWithBadValues_isRefused() {
        assertThat(problems("""
                auth:
                  htpasswd:
                    path: %s
                  tokenserver:
                    enabled: true
                    key: %s
                """.formatted(users, key))).containsExactly("auth.tokenserver: needs auth.token (realm, service, "
                + "issuer), which says how its tokens are checked");
        assertThat(problems("""
                auth:
                  token:
                    realm: https://r.example/auth/token
                    service: s
                    issuer: i
                  tokenserver:
                    enabled: true
                    ttl: 10s
                    kid: sha1
                """)).containsExactly(
                "auth.tokenserver.key: required (the private key tokens are signed with, PEM)",
                "auth.tokenserver.ttl: must be 60s to 24h, got 10s",
                "auth.tokenserver.kid: expected thumbprint or libtrust, got sha1");
    }

    @Test
    void access_withAnExternalTokenServer_isRefused() {
        assertThat(problems("""
                auth:
                  token:
                    realm: https://r.example/auth/token
                    service: s
                    issuer: i
                    rootcertbundle: %s
                  access:
                    admins: [user:root]
                """.formatted(cert))).containsExactly("auth.access: applies to auth.htpasswd and to the built-in "
                + "token server (auth.tokenserver.enabled); an external token server decides access itself");
    }

    @Test
    void access_badPatternsSubjectsAndActions_areRefusedNamingWhere() {
        assertThat(problems("""
                auth:
                  htpasswd:
                    path: %s
                  access:
                    rules:
                      - repository: team/**
                        who: [user:alice]
                        actions: [pull, fly]
                """.formatted(users))).containsExactly(
                "auth.access.rules[0].actions: unknown action \"fly\" (use pull, push, delete)");
        assertThat(problems("""
                auth:
                  htpasswd:
                    path: %s
                  access:
                    rules:
                      - repository: Team/**
                        who: [user:alice]
                        actions: [pull]
                """.formatted(users))).singleElement().asString()
                .startsWith("auth.access.rules[0].repository: \"Team/**\" is not a repository pattern");
        assertThat(problems("""
                auth:
                  htpasswd:
                    path: %s
                  access:
                    admins: [group:nobody]
                """.formatted(users))).containsExactly(
                "auth.access.admins: group \"nobody\" is not defined under groups");
        assertThat(problems("""
                auth:
                  htpasswd:
                    path: %s
                  access:
                    rules:
                      - who: [anyone]
                """.formatted(users))).containsExactly(
                "auth.access.rules[0].repository: required (a repository name or pattern: team/*, team/**, **)");
    }

    @Test
    void unsupportedAuthKeys_areNamedAsSuch() {
        assertThat(problems("auth:\n  silly:\n    realm: x\n")).containsExactly("not supported by Berth: auth.silly");
        assertThat(problems("http:\n  tls:\n    letsencrypt:\n      email: a@b.c\n")).containsExactly(
                "not supported by Berth: http.tls.letsencrypt");
    }

    @Test
    void tls_distributionsKeys_andHttp2() {
        BerthConfig c = parse("""
                http:
                  addr: :5443
                  tls:
                    certificate: %s
                    key: %s
                    clientcas: [%s]
                    minimumtls: tls1.3
                  http2:
                    disabled: true
                """.formatted(cert, key, cert), Map.of());
        assertThat(c.tls()).isEqualTo(new TlsConfig(cert, key, List.of(cert), "tls1.3", false));
        assertThat(parse(ConfigLoader.describe(c), Map.of())).isEqualTo(c);
        assertThat(parse("", Map.of("BERTH_HTTP_TLS_CERTIFICATE", cert.toString(), "BERTH_HTTP_TLS_KEY",
                key.toString())).tls()).isEqualTo(TlsConfig.of(cert, key));
    }

    @Test
    void tls_incomplete_orTooOld_isRefused() {
        assertThat(problems("http:\n  tls:\n    certificate: " + cert + "\n")).containsExactly(
                "http.tls.key: required (its private key, PEM)");
        assertThat(problems("http:\n  tls:\n    certificate: %s\n    key: %s\n    minimumtls: tls1.0\n"
                .formatted(cert, key))).containsExactly(
                "http.tls.minimumtls: expected tls1.2 or tls1.3 (older versions are not offered), got tls1.0");
    }
}
