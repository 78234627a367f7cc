package dev.berth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.auth.AccessRules;
import dev.berth.auth.Action;
import dev.berth.config.AuthConfig;
import dev.berth.config.TlsConfig;
import dev.berth.http.TestPki;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logins with real clients over TLS with a CA made by the test ({@code --cert-dir}, TLS verification on): skopeo
 * and podman log in, push and pull, once against Berth in htpasswd mode (HTTP Basic) and once in token mode through
 * Berth's own token server; a user who may only pull is refused a push, and the client says so ("denied").
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class AuthIT {

    static final String ALICE_PW = "e2e-al1ce-pw";
    static final String BOB_PW = "e2e-b0b-pw";

    @TempDir
    static Path tmp;

    private TestPki pki;
    private Path certDir;
    private OciLayout image;
    private Berth basic;
    private Berth token;

    @BeforeAll
    void setUp() throws Exception {
        Cmd.require("skopeo");
        Cmd.require("podman");
        Cmd.require("umoci");
        pki = new TestPki(tmp.resolve("pki"));
        pki.ca("e2e-ca");
        pki.serverCertificate("server", "e2e-ca");
        pki.ecKey("token-signer");
        Path users = pki.htpasswd("htpasswd", "alice", ALICE_PW, "bob", BOB_PW);
        certDir = Files.createDirectories(tmp.resolve("certs"));
        Files.copy(pki.cert("e2e-ca"), certDir.resolve("ca.crt"));
        image = OciLayout.sample(tmp.resolve("image"), "1", 1, 256 * 1024);

        AccessRules.Settings rules = new AccessRules.Settings(List.of(), Map.of(), List.of(
                new AccessRules.Rule("e2e/**", List.of("user:alice"), EnumSet.of(Action.PULL, Action.PUSH)),
                new AccessRules.Rule("e2e/**", List.of("user:bob"), EnumSet.of(Action.PULL))), List.of());
        TlsConfig tls = TlsConfig.of(pki.cert("server"), pki.key("server"));

        basic = Berth.start(tmp.resolve("basic"), 0, c -> c.withTls(tls)
                .withAuth(AuthConfig.htpasswd("Berth e2e", users).withAccess(rules)));
        int port = freePort();
        AuthConfig tokenAuth = new AuthConfig(null,
                AuthConfig.Token.of(URI.create("https://127.0.0.1:" + port + "/auth/token"), "berth-e2e", "berth-e2e"),
                new AuthConfig.TokenServer(pki.key("token-signer"), users), rules);
        token = Berth.start(tmp.resolve("token"), port, c -> c.withTls(tls).withAuth(tokenAuth));
        for (Berth berth : List.of(basic, token)) {
            Cmd.of("skopeo", "copy", "--quiet", "--dest-creds", "alice:" + ALICE_PW, "--dest-cert-dir",
                    certDir.toString(), image.ref("1"), berth.docker("e2e/base:1")).ok();
        }
    }

    @AfterAll
    void stop() {
        if (basic != null) {
            basic.close();
        }
        if (token != null) {
            token.close();
        }
    }

    @Test
    void skopeo_loginPushPull_basic() throws Exception {
        skopeoLoginPushPull(basic, "basic");
    }

    @Test
    void skopeo_loginPushPull_token() throws Exception {
        skopeoLoginPushPull(token, "token");
    }

    @Test
    void podman_loginPushPull_basic() throws Exception {
        podmanLoginPushPull(basic, "basic");
    }

    @Test
    void podman_loginPushPull_token() throws Exception {
        podmanLoginPushPull(token, "token");
    }

    @Test
    void deniedPush_isReportedAsDenied_basic() {
        deniedPush(basic, "basic");
    }

    @Test
    void deniedPush_isReportedAsDenied_token() {
        deniedPush(token, "token");
    }

    @Test
    void wrongPassword_failsTheLogin_bothModes() {
        for (Berth berth : List.of(basic, token)) {
            Path authFile = tmp.resolve("auth-wrong-" + berth.port() + ".json");
            Cmd.Result r = Cmd.of("skopeo", "login", "--authfile", authFile.toString(), "--cert-dir",
                    certDir.toString(), "--tls-verify=true", "-u", "alice", "-p", "not-the-password",
                    berth.host()).run().failed();
            assertThat(r.output().toLowerCase()).as(r.describe()).containsAnyOf("unauthorized", "invalid username");
        }
    }

    private void skopeoLoginPushPull(Berth berth, String mode) throws Exception {
        Path authFile = tmp.resolve("skopeo-" + mode + ".json");
        Cmd.of("skopeo", "login", "--authfile", authFile.toString(), "--cert-dir", certDir.toString(),
                "--tls-verify=true", "-u", "alice", "-p", ALICE_PW, berth.host()).ok();
        int mark = berth.accessMark();
        Cmd.of("skopeo", "copy", "--quiet", "--authfile", authFile.toString(), "--dest-cert-dir",
                certDir.toString(), "--dest-tls-verify=true", image.ref("1"), berth.docker("e2e/skopeo:1")).ok();
        assertThat(berth.accessSince(mark, "PUT /v2/e2e/skopeo/manifests/1 201"))
                .anyMatch(l -> l.startsWith("PUT /v2/e2e/skopeo/manifests/1 201") && l.contains("user=alice"));

        OciLayout pulled = new OciLayout(tmp.resolve("pulled-" + mode));
        Cmd.of("skopeo", "copy", "--quiet", "--authfile", authFile.toString(), "--src-cert-dir", certDir.toString(),
                "--src-tls-verify=true", berth.docker("e2e/skopeo:1"), pulled.ref("1")).ok();
        assertThat(pulled.manifestDigest("1")).isEqualTo(image.manifestDigest("1"));
        JsonNode info = OciLayout.parse(Cmd.of("skopeo", "inspect", "--authfile", authFile.toString(),
                "--cert-dir", certDir.toString(), "--tls-verify=true", berth.docker("e2e/skopeo:1")).ok().stdout());
        assertThat(info.path("Digest").asText()).isEqualTo(image.manifestDigest("1"));

        Cmd.of("skopeo", "logout", "--authfile", authFile.toString(), berth.host()).ok();
        Cmd.Result anonymous = Cmd.of("skopeo", "inspect", "--authfile", authFile.toString(), "--cert-dir",
                certDir.toString(), "--tls-verify=true", berth.docker("e2e/skopeo:1")).run().failed();
        assertThat(anonymous.output().toLowerCase()).as(anonymous.describe())
                .containsAnyOf("unauthorized", "authentication required", "denied");
    }

    private void podmanLoginPushPull(Berth berth, String mode) throws Exception {
        Path authFile = tmp.resolve("podman-" + mode + ".json");
        Path store = tmp.resolve("pm-" + mode.charAt(0));     // short: podman wants a runroot under 50 characters
        String pushed = berth.ref("e2e/podman:" + mode);

        podman(store, "login", "--authfile", authFile.toString(), "--cert-dir", certDir.toString(),
                "--tls-verify=true", "-u", "alice", "-p", ALICE_PW, berth.host()).ok();
        podman(store, "pull", "--quiet", "--authfile", authFile.toString(), "--cert-dir", certDir.toString(),
                "--tls-verify=true", berth.ref("e2e/base:1")).ok();
        podman(store, "tag", berth.ref("e2e/base:1"), pushed).ok();
        podman(store, "push", "--quiet", "--authfile", authFile.toString(), "--cert-dir", certDir.toString(),
                "--tls-verify=true", pushed).ok();

        Path fresh = tmp.resolve("pf-" + mode.charAt(0));
        podman(fresh, "pull", "--quiet", "--authfile", authFile.toString(), "--cert-dir", certDir.toString(),
                "--tls-verify=true", pushed).ok();
        JsonNode img = OciLayout.parse(podman(fresh, "image", "inspect", pushed).ok().stdout()).get(0);
        assertThat("sha256:" + img.path("Id").asText()).isEqualTo(image.configDigest("1"));
    }

    private void deniedPush(Berth berth, String mode) {
        Path authFile = tmp.resolve("bob-" + mode + ".json");
        Cmd.of("skopeo", "login", "--authfile", authFile.toString(), "--cert-dir", certDir.toString(),
                "--tls-verify=true", "-u", "bob", "-p", BOB_PW, berth.host()).ok();
        Cmd.Result skopeo = Cmd.of("skopeo", "copy", "--quiet", "--authfile", authFile.toString(),
                "--dest-cert-dir", certDir.toString(), "--dest-tls-verify=true", image.ref("1"),
                berth.docker("e2e/bob-" + mode + ":1")).run().failed();
        assertThat(skopeo.output().toLowerCase()).as(skopeo.describe()).contains("denied");

        Path store = tmp.resolve("pd-" + mode.charAt(0));
        podman(store, "pull", "--quiet", "--authfile", authFile.toString(), "--cert-dir", certDir.toString(),
                "--tls-verify=true", berth.ref("e2e/base:1")).ok();
        String target = berth.ref("e2e/bob-" + mode + ":2");
        podman(store, "tag", berth.ref("e2e/base:1"), target).ok();
        Cmd.Result podman = podman(store, "push", "--quiet", "--authfile", authFile.toString(), "--cert-dir",
                certDir.toString(), "--tls-verify=true", target).run().failed();
        assertThat(podman.output().toLowerCase()).as(podman.describe()).contains("denied");
    }

    /** podman with its own storage under {@code store} (vfs, no fuse): the machine's storage is not touched. */
    private static Cmd podman(Path store, String... args) {
        List<String> argv = new ArrayList<>(List.of("podman",
                "--root", store.resolve("root").toString(),
                "--runroot", store.resolve("runroot").toString(),
                "--tmpdir", store.resolve("tmp").toString(),
                "--storage-driver", "vfs",
                "--events-backend", "none"));
        argv.addAll(List.of(args));
        return Cmd.of(argv);
    }

    private static int freePort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
