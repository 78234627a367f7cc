package dev.berth.http;

import static dev.berth.http.SecureRegistry.basic;
import static dev.berth.http.SecureRegistry.bearer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.cli.BerthServer;
import dev.berth.config.BerthConfig;
import dev.berth.config.ConfigLoader;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The security cases of issue #4 that are about the server as a whole rather than one decision: crafted names and
 * digests stay inside the storage root, nothing a client sends can add a header to {@code Location} or
 * {@code Link}, no password or token ever reaches the log (read back at every level), and only bcrypt entries of an
 * htpasswd file can ever be compared with a password.
 */
class AuthSecurityHttpTest {

    static final String ROOT_PW = "r00t-S3cr3t-NEVER-LOGGED";
    static final String USER_PW = "us3r-S3cr3t-NEVER-LOGGED";

    @TempDir
    Path tmp;

    private SecureRegistry basicRegistry(Path users) throws Exception {
        return SecureRegistry.start(SecureRegistry.config(tmp.resolve("data"), 0, "", """
                auth:
                  htpasswd:
                    realm: sec
                    path: %s
                  access:
                    admins: [user:root]
                    rules:
                      - repository: "**"
                        who: [authenticated]
                        actions: [pull]
                """.formatted(users)));
    }

    @Test
    void craftedNamesAndDigests_neverReachOutsideTheStorageRoot() throws Exception {
        TestPki pki = new TestPki(tmp.resolve("pki"));
        Path users = pki.htpasswd("users", "root", ROOT_PW);
        Path sentinelDir = tmp.resolve("data").resolve("outside");
        try (SecureRegistry r = basicRegistry(users)) {
            Set<String> before = tree(tmp);
            String root = basic("root", ROOT_PW);
            String d = Oci.sha256("x".getBytes(StandardCharsets.UTF_8));
            List<String> attacks = List.of(
                    "GET /v2/../../outside/manifests/latest",
                    "GET /v2/a/%2e%2e/%2e%2e/outside/blobs/" + d,
                    "GET /v2/%2e%2e/outside/tags/list",
                    "PUT /v2/a/..%2f..%2foutside/manifests/latest",
                    "POST /v2/..%2foutside/blobs/uploads/",
                    "POST /v2/a/b/blobs/uploads/?digest=sha256:..%2f..%2f..%2foutside",
                    "POST /v2/a/b/blobs/uploads/?mount=sha256:../../../outside&from=a/b",
                    "POST /v2/a/b/blobs/uploads/?mount=" + d + "&from=..%2f..%2foutside",
                    "GET /v2/a/b/blobs/sha256:..%2f..%2f..%2f..%2fetc%2fpasswd",
                    "GET /v2/a/b/blobs/sha256:../../../../etc/passwd",
                    "PATCH /v2/a/b/blobs/uploads/..%2f..%2f..%2foutside",
                    "PUT /v2/a/b/blobs/uploads/..%2f..%2foutside?digest=" + d,
                    "DELETE /v2/a/b/blobs/uploads/../../../outside",
                    "GET /v2/a/b/manifests/..%2f..%2foutside",
                    "PUT /v2/a/b/manifests/sha256:..%2f..%2foutside",
                    "GET /v2/A/B/tags/list",
                    "GET /v2/a\\b/tags/list",
                    "GET /v2//etc/tags/list");
            for (String attack : attacks) {
                String method = attack.substring(0, attack.indexOf(' '));
                String target = attack.substring(attack.indexOf(' ') + 1);
                try (RawHttp raw = RawHttp.connect(r.port())) {
                    raw.write(method + " " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + root
                            + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 1\r\n\r\nx");
                    RawHttp.Response resp = raw.read(method.equals("HEAD"));
                    assertThat(resp.status()).as(attack + " -> " + resp).isBetween(400, 499).isNotIn(401, 403);
                }
            }
            assertThat(Files.exists(sentinelDir)).isFalse();
            Set<String> after = tree(tmp);
            after.removeAll(before);
            assertThat(after).as("files created by the attacks")
                    .allMatch(p -> p.startsWith("data/registry/") || p.startsWith("data/berth.db"));
        }
    }

    @Test
    void nothingAClientSends_addsAHeader_toLocationLinkOrAChallenge() throws Exception {
        TestPki pki = new TestPki(tmp.resolve("pki"));
        Path users = pki.htpasswd("users", "root", ROOT_PW);
        try (SecureRegistry r = basicRegistry(users)) {
            String root = basic("root", ROOT_PW);
            for (String repo : List.of("inj/a", "inj/b", "inj/c")) {
                assertThat(r.pushBlob(repo, Oci.bytes(10, 1), root).status()).isEqualTo(201);
            }
            List<String> paths = List.of(
                    "/v2/_catalog?n=1&last=inj%2Fa%0D%0AX-Injected:%20yes",
                    "/v2/_catalog?n=1&last=inj/a%0d%0aX-Injected:%20yes",
                    "/v2/inj/a/tags/list?n=1&last=x%0d%0aX-Injected:%20yes",
                    "/v2/inj/a/referrers/" + Oci.unknownDigest() + "?n=1&artifactType=a%0d%0aX-Injected:%20yes",
                    "/v2/inj%0d%0aX-Injected:%20yes/tags/list",
                    "/v2/inj/a/blobs/uploads/?x=%0d%0aX-Injected:%20yes");
            for (String path : paths) {
                for (String method : List.of("GET", "POST")) {
                    TestClient.Reply reply = r.send(method, path, root, null);
                    assertThat(reply.header("X-Injected")).as(method + " " + path).isEmpty();
                    reply.headers().map().forEach((name, values) -> values.forEach(v -> assertThat(v)
                            .as(name + " of " + method + " " + path).doesNotContain("\r", "\n")));
                }
            }
            try (RawHttp raw = RawHttp.connect(r.port())) {
                raw.write("GET /v2/_catalog?n=1&last=inj/a%0d%0aX-Injected:%20yes HTTP/1.1\r\nHost: x\r\n"
                        + "Authorization: " + root + "\r\n\r\n");
                RawHttp.Response resp = raw.read();
                assertThat(resp.header("X-Injected")).isEmpty();
                resp.header("Link").ifPresent(l -> assertThat(l).doesNotContain("\r", "\n", " X-Injected"));
            }
        }
    }

    @Test
    void passwordsAndTokens_neverReachTheLog_atAnyLevel() throws Exception {
        TestPki pki = new TestPki(tmp.resolve("pki"));
        Path users = pki.htpasswd("users", "root", ROOT_PW, "user", USER_PW);
        pki.ecKey("token");
        List<String> log = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                StringWriter w = new StringWriter();
                w.write(new SimpleFormatter().format(record));
                if (record.getThrown() != null) {
                    record.getThrown().printStackTrace(new PrintWriter(w));
                }
                synchronized (log) {
                    log.add(w.toString());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger rootLogger = Logger.getLogger("");
        Logger berth = Logger.getLogger("dev.berth");
        Logger access = Logger.getLogger("berth.access");
        Level berthLevel = berth.getLevel();
        Level handlerLevel = capture.getLevel();
        capture.setLevel(Level.ALL);
        berth.setLevel(Level.ALL);
        access.setLevel(Level.ALL);
        rootLogger.addHandler(capture);
        List<String> secrets = new ArrayList<>(List.of(ROOT_PW, USER_PW, "wrong-Pa55-NEVER-LOGGED"));
        try {
            // htpasswd mode
            try (SecureRegistry r = basicRegistry(users)) {
                for (String[] creds : new String[][] {{"root", ROOT_PW}, {"user", USER_PW},
                        {"user", "wrong-Pa55-NEVER-LOGGED"}, {"nobody", "wrong-Pa55-NEVER-LOGGED"},
                        {"root", ""}}) {
                    String h = basic(creds[0], creds[1]);
                    secrets.add(h.substring("Basic ".length()));
                    r.get("/v2/", h);
                    r.send("POST", "/v2/x/blobs/uploads/", h, null);
                    r.get("/v2/x/tags/list?password=" + creds[1], h);
                }
            }
            // token mode, with the token server
            int port = SecureRegistry.freePort();
            BerthConfig tokenConfig = SecureRegistry.config(tmp.resolve("data-token"), port, "", """
                    auth:
                      token:
                        realm: http://127.0.0.1:%d/auth/token
                        service: sec
                        issuer: sec
                      tokenserver:
                        enabled: true
                        key: %s
                        htpasswd: %s
                    """.formatted(port, pki.key("token"), users));
            try (SecureRegistry r = SecureRegistry.start(tokenConfig)) {
                TestClient.Reply got = r.get("/auth/token?service=sec&scope=repository:x:pull,push",
                        basic("root", ROOT_PW));
                String token = got.json().path("token").asText();
                secrets.add(token);
                secrets.add(token.substring(token.lastIndexOf('.') + 1));
                r.get("/v2/x/tags/list", bearer(token));
                r.send("DELETE", "/v2/x/manifests/latest", bearer(token), null);
                String tampered = token.substring(0, token.length() - 4) + "AAAA";
                r.get("/v2/x/tags/list", bearer(tampered));
                r.get("/auth/token?service=sec&scope=repository:x:pull", basic("user", "wrong-Pa55-NEVER-LOGGED"));
                r.send("POST", "/auth/token", null, ("grant_type=password&service=sec&username=user&password="
                        + URLEncoder.encode(USER_PW, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8),
                        "Content-Type", "application/x-www-form-urlencoded");
                r.send("POST", "/auth/token", null, ("grant_type=password&service=sec&username=user&password="
                        + "wrong-Pa55-NEVER-LOGGED").getBytes(StandardCharsets.UTF_8),
                        "Content-Type", "application/x-www-form-urlencoded");
                secrets.add(Base64.getEncoder().encodeToString(("user:" + USER_PW).getBytes(StandardCharsets.UTF_8)));
                String described = ConfigLoader.describe(tokenConfig);
                assertThat(described).contains("tokenserver:");
                log.add(described);
            }
        } finally {
            rootLogger.removeHandler(capture);
            berth.setLevel(berthLevel);
            access.setLevel(null);
            capture.setLevel(handlerLevel);
        }
        String all;
        synchronized (log) {
            all = String.join("\n", log);
        }
        assertThat(all).as("the captured log").contains("authentication failed for user").contains("GET /v2/");
        for (String secret : secrets) {
            assertThat(all).as("the log").doesNotContain(secret);
        }
        assertThat(all).doesNotContain(Files.readString(pki.key("token")).lines()
                .filter(l -> !l.startsWith("-----")).findFirst().orElseThrow());
    }

    @Test
    void onlyBcryptEntriesAreAccepted_anyOtherHashStopsTheStart_namingTheLineButNotTheHash() throws Exception {
        TestPki pki = new TestPki(tmp.resolve("pki"));
        Path good = pki.htpasswd("users", "root", ROOT_PW);
        String bcryptLine = Files.readString(good).strip();
        for (String line : List.of("plain:" + USER_PW, "sha:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
                "md5:$apr1$abcdefgh$0123456789abcdefghijkl", "crypt:ab01FAX.bQRSU")) {
            Path file = tmp.resolve("mixed-" + line.substring(0, line.indexOf(':')));
            Files.writeString(file, bcryptLine + "\n" + line + "\n");
            BerthConfig config = SecureRegistry.config(tmp.resolve("data-" + line.substring(0, 3)), 0, "", """
                    auth:
                      htpasswd:
                        realm: r
                        path: %s
                    """.formatted(file));
            assertThatThrownBy(() -> BerthServer.start(config)).as(line)
                    .isInstanceOf(ConfigLoader.ConfigException.class)
                    .hasMessageStartingWith("auth.htpasswd.path: ")
                    .hasMessageContaining("line 2")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(line.substring(line.indexOf(':') + 1)));
        }
    }

    @Test
    void authenticationOverPlainHttpBeyondLoopback_isWarnedAboutAtStart_butNotOnLoopback() throws Exception {
        TestPki pki = new TestPki(tmp.resolve("pki"));
        Path users = pki.htpasswd("users", "root", ROOT_PW);
        List<String> warnings = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    synchronized (warnings) {
                        warnings.add(record.getMessage());
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger berth = Logger.getLogger("dev.berth");
        berth.addHandler(capture);
        try {
            String section = "auth:\n  htpasswd:\n    path: " + users + "\n";
            BerthConfig loopback = SecureRegistry.config(tmp.resolve("data-lo"), 0, "", section);
            try (SecureRegistry r = SecureRegistry.start(loopback)) {
                assertThat(r.get("/v2/", basic("root", ROOT_PW)).status()).isEqualTo(200);
            }
            synchronized (warnings) {
                assertThat(warnings).noneMatch(w -> w.contains("plain HTTP"));
            }
            BerthConfig everywhere = SecureRegistry.config(tmp.resolve("data-any"), 0, "", section);
            BerthConfig.Http h = everywhere.http();
            everywhere = everywhere.withHttp(new BerthConfig.Http("0.0.0.0", 0, h.idleTimeout(),
                    h.maxManifestBytes()));
            try (SecureRegistry r = SecureRegistry.start(everywhere)) {
                assertThat(r.get("/v2/", basic("root", ROOT_PW)).status()).isEqualTo(200);
            }
            synchronized (warnings) {
                assertThat(warnings).anyMatch(w -> w.startsWith("authentication is on but 0.0.0.0:0 speaks plain "
                        + "HTTP beyond loopback"));
            }
        } finally {
            berth.removeHandler(capture);
        }
    }

    private static Set<String> tree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            Set<String> out = new TreeSet<>();
            s.filter(Files::isRegularFile).forEach(p -> out.add(root.relativize(p).toString()));
            return out;
        }
    }
}
