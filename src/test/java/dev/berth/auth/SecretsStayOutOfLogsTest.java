package dev.berth.auth;

import static dev.berth.auth.Creds.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.SignedJWT;
import dev.berth.api.RegistryException;
import dev.berth.api.Route;
import dev.berth.api.Route.Method;
import dev.berth.auth.AccessRules.Rule;
import dev.berth.auth.Authenticator.Decision;
import dev.berth.oci.RepositoryName;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Passwords, tokens and private keys never reach a log line, an exception message, an error detail or a header:
 * every log record of {@code dev.berth.auth} (at every level) is captured while logins fail and bad tokens are
 * presented, and searched for the secrets.
 */
class SecretsStayOutOfLogsTest {

    static final String PASSWORD = "pw-7f3a9c-DO-NOT-LOG";
    static final RepositoryName REPO = RepositoryName.of("team/app");

    @TempDir
    Path dir;

    final List<LogRecord> records = new ArrayList<>();
    final List<String> texts = new ArrayList<>();
    Logger authLogger;
    Level previousLevel;
    Handler capture;

    @BeforeEach
    void captureLogs() {
        authLogger = Logger.getLogger("dev.berth.auth");
        previousLevel = authLogger.getLevel();
        authLogger.setLevel(Level.ALL);
        capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        capture.setLevel(Level.ALL);
        authLogger.addHandler(capture);
    }

    @AfterEach
    void restore() {
        authLogger.removeHandler(capture);
        authLogger.setLevel(previousLevel);
    }

    /** Everything a log reader or a client could see: formatted records, thrown exceptions, error parts. */
    List<String> everythingSeen() {
        List<String> out = new ArrayList<>(texts);
        SimpleFormatter f = new SimpleFormatter();
        for (LogRecord r : records) {
            out.add(f.format(r));
            if (r.getThrown() != null) {
                StringWriter w = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(w));
                out.add(w.toString());
            }
        }
        return out;
    }

    void see(Decision d) {
        texts.add(d.toString());
        if (d instanceof Decision.Challenge c) {
            see(c.error());
        } else if (d instanceof Decision.Denied den) {
            see(den.error());
        }
    }

    void see(Throwable e) {
        texts.add(String.valueOf(e.getMessage()));
        if (e instanceof RegistryException re) {
            texts.add(String.valueOf(re.detail()));
            texts.add(re.headers().toString());
        }
    }

    @Test
    void failedLoginsAndBadTokens_leaveNoSecretInLogsOrErrors() throws Exception {
        Pki pki = new Pki(dir);
        Htpasswd users = Htpasswd.load(pki.htpasswd("users", "alice", PASSWORD));
        AccessRules rules = new AccessRules(new AccessRules.Settings(List.of(), Map.of(),
                List.of(new Rule("team/**", List.of("user:alice"), Set.of(Action.PULL, Action.PUSH))), List.of()));
        Path keyFile = pki.rsaKey("token");
        String privatePem = pki.read(keyFile);
        MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        SigningKey key = SigningKey.load(keyFile);
        TokenIssuer issuer = new TokenIssuer(new TokenIssuer.Settings(Tokens.ISSUER, Tokens.SERVICE), key, rules, clock);
        TokenVerifier verifier = new TokenVerifier(new TokenVerifier.Settings(Tokens.ISSUER, Tokens.SERVICE),
                issuer.trustedKeys(), clock);
        Authenticator basicAuth = Authenticator.basic("Berth", users, rules);
        Authenticator bearer = Authenticator.bearer("https://r.example.test/auth/token", verifier, rules);
        TokenEndpoint endpoint = new TokenEndpoint("Berth", users, issuer);

        // failed logins: almost-right passwords, the right password for an unknown user, the password as user name
        List<String> passwordsTried = List.of(PASSWORD + "x", PASSWORD.substring(1), PASSWORD);
        for (String pw : passwordsTried.subList(0, 2)) {
            see(basicAuth.decide(Method.GET, Route.MANIFEST, REPO, basic("alice", pw), "10.0.0.9"));
            try {
                endpoint.get(Map.of("scope", List.of("repository:team/app:pull")), basic("alice", pw), "10.0.0.9");
            } catch (RegistryException e) {
                see(e);
            }
            try {
                endpoint.post(Map.of("grant_type", List.of("password"), "username", List.of("alice"),
                        "password", List.of(pw)), "10.0.0.9");
            } catch (RegistryException e) {
                see(e);
            }
        }
        see(basicAuth.decide(Method.GET, Route.MANIFEST, REPO, basic("mallory", PASSWORD), "10.0.0.9"));

        // bad tokens: expired, forged HS256 with the public key, tampered, malformed, another key's
        IssuedToken good = issuer.issue(Principal.user("alice"), Scope.parseAll(List.of("repository:team/app:pull")));
        List<String> badTokens = new ArrayList<>();
        SignedJWT hs = new SignedJWT(Tokens.header(JWSAlgorithm.HS256, issuer.keyId()).build(),
                Tokens.claims(clock.instant(), List.of()).build());
        hs.sign(new MACSigner(key.publicKey().getEncoded()));
        badTokens.add(hs.serialize());
        String[] parts = good.token().split("\\.");
        badTokens.add(parts[0] + "." + Tokens.base64url("{\"iss\":\"x\"}") + "." + parts[2]);
        badTokens.add("garbage-" + PASSWORD);
        badTokens.add(Tokens.sign(pki.rsaKey("other"), Tokens.header(JWSAlgorithm.RS256, issuer.keyId()).build(),
                Tokens.claims(clock.instant(), List.of()).build()));
        for (String t : badTokens) {
            see(bearer.decide(Method.GET, Route.MANIFEST, REPO, "Bearer " + t, "10.0.0.9"));
        }
        clock.advance(Duration.ofHours(1));
        see(bearer.decide(Method.GET, Route.MANIFEST, REPO, "Bearer " + good.token(), "10.0.0.9"));
        badTokens.add(good.token());

        // a malformed private key file and an encrypted one
        String brokenPem = privatePem.replace("MII", "MIX");
        try {
            SigningKey.fromPem(brokenPem, "broken.pem");
        } catch (IllegalArgumentException e) {
            see(e);
        }
        texts.add(key.toString());
        texts.add(issuer.toString());
        texts.add(good.toString());
        texts.add(users.toString());
        texts.add(String.valueOf(BasicCredentials.parse(basic("alice", PASSWORD)).orElseThrow()));

        List<String> seen = everythingSeen();
        assertThat(records).as("failed logins and rejected tokens are logged").isNotEmpty();
        String keyBody = privatePem.lines().filter(l -> !l.startsWith("-----")).limit(3)
                .reduce("", String::concat);
        for (String text : seen) {
            assertThat(text).doesNotContain(PASSWORD).doesNotContain(PASSWORD.substring(1, 12));
            for (String t : badTokens) {
                for (String part : t.split("\\.")) {
                    if (part.length() >= 16) {
                        assertThat(text).doesNotContain(part);
                    }
                }
            }
            for (String line : privatePem.lines().filter(l -> !l.startsWith("-----")).toList()) {
                assertThat(text).doesNotContain(line);
            }
            assertThat(text).doesNotContain(keyBody.substring(0, 40));
        }
        assertThat(seen).anySatisfy(t -> assertThat(t).contains("authentication failed for user \"alice\""));
        assertThat(seen).anySatisfy(t -> assertThat(t).contains("rejected bearer token from 10.0.0.9"));
    }
}
