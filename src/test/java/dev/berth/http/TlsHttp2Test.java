package dev.berth.http;

import static dev.berth.http.ErrorAssert.assertError;
import static dev.berth.http.SecureRegistry.basic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.auth.Pem;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS on the API listener, with a CA made by the test: HTTP/2 chosen by ALPN (and HTTP/1.1 for clients that
 * ask for it), pushes and pulls through both (blob bodies are streamed, not sent with sendfile, under TLS), plain
 * HTTP refused on the TLS port, a client that does not trust the CA refused, mutual TLS with {@code clientcas}.
 */
class TlsHttp2Test {

    static final String PW = "tls-Pa55-a11ce";

    @TempDir
    static Path tmp;

    static TestPki pki;
    static Path users;
    static SecureRegistry h2;
    static SecureRegistry h1;

    @BeforeAll
    static void start() throws Exception {
        pki = new TestPki(tmp.resolve("pki"));
        pki.ca("test-ca");
        pki.serverCertificate("server", "test-ca");
        users = pki.htpasswd("users", "alice", PW);
        h2 = SecureRegistry.start(config("data", ""), pki.trusting("test-ca"), HttpClient.Version.HTTP_2);
        h1 = SecureRegistry.start(config("data-h1", ""), pki.trusting("test-ca"), HttpClient.Version.HTTP_1_1);
    }

    static dev.berth.config.BerthConfig config(String data, String moreTls) {
        return SecureRegistry.config(tmp.resolve(data), 0, """
                tls:
                  certificate: %s
                  key: %s
                """.formatted(pki.cert("server"), pki.key("server")) + moreTls, """
                auth:
                  htpasswd:
                    realm: tls
                    path: %s
                """.formatted(users));
    }

    @AfterAll
    static void stop() {
        if (h2 != null) {
            h2.close();
        }
        if (h1 != null) {
            h1.close();
        }
    }

    @Test
    void http2IsNegotiated_andAuthenticationWorksOverIt() {
        SecureRegistry.Exchange e = h2.exchange("GET", "/v2/", basic("alice", PW), null);
        assertThat(e.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(e.reply().status()).isEqualTo(200);
        SecureRegistry.Exchange refused = h2.exchange("GET", "/v2/", null, null);
        assertThat(refused.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertError(refused.reply(), 401, "UNAUTHORIZED");
        assertThat(refused.reply().headerValue("WWW-Authenticate")).isEqualTo("Basic realm=\"tls\"");
    }

    @Test
    void overHttp2_aBlobPushesAndPullsWhole_inRanges_andAsHead() {
        pushAndPull(h2, "h2/app", 3 * 1024 * 1024 + 17);
    }

    @Test
    void overHttp11WithTls_aBlobPushesAndPullsWhole_inRanges_andAsHead() {
        SecureRegistry.Exchange e = h1.exchange("GET", "/v2/", basic("alice", PW), null);
        assertThat(e.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        pushAndPull(h1, "h1/app", 2 * 1024 * 1024 + 5);
    }

    private static void pushAndPull(SecureRegistry r, String repo, int size) {
        String auth = basic("alice", PW);
        byte[] blob = Oci.bytes(size, size);
        String digest = Oci.sha256(blob);
        assertThat(r.pushBlob(repo, blob, auth).status()).isEqualTo(201);
        TestClient.Reply whole = r.get("/v2/" + repo + "/blobs/" + digest, auth);
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(blob);
        TestClient.Reply range = r.send("GET", "/v2/" + repo + "/blobs/" + digest, auth, null,
                "Range", "bytes=100000-100099");
        assertThat(range.status()).isEqualTo(206);
        assertThat(range.body()).isEqualTo(java.util.Arrays.copyOfRange(blob, 100000, 100100));
        TestClient.Reply head = r.send("HEAD", "/v2/" + repo + "/blobs/" + digest, auth, null);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.headerValue("Content-Length")).isEqualTo(String.valueOf(size));
        assertThat(head.body()).isEmpty();

        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        assertThat(r.pushBlob(repo, config, auth).status()).isEqualTo(201);
        String manifest = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
                 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},
                 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}
                """.formatted(Oci.sha256(config), digest, size);
        assertThat(r.send("PUT", "/v2/" + repo + "/manifests/v1", auth, manifest.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/vnd.oci.image.manifest.v1+json").status()).isEqualTo(201);
        TestClient.Reply got = r.get("/v2/" + repo + "/manifests/v1", auth);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.text()).isEqualTo(manifest);
    }

    @Test
    void overHttp2_severalUploadsOnOneConnectionAtOnce_allArrive() throws Exception {
        String auth = basic("alice", PW);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .sslContext(pki.trusting("test-ca")).build();
        try (client) {
            List<CompletableFuture<HttpResponse<String>>> puts = new ArrayList<>();
            List<byte[]> blobs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                byte[] blob = Oci.bytes(1024 * 1024 + i, 100 + i);
                blobs.add(blob);
                puts.add(client.sendAsync(HttpRequest.newBuilder(h2.uri("/v2/h2/many/blobs/uploads/?digest="
                                + Oci.sha256(blob))).header("Authorization", auth)
                        .header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> f : puts) {
                HttpResponse<String> r = f.get();
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
            }
            for (byte[] blob : blobs) {
                assertThat(h2.get("/v2/h2/many/blobs/" + Oci.sha256(blob), auth).body()).isEqualTo(blob);
            }
        }
    }

    @Test
    void overHttp2_anUploadWithoutCredentials_isRefusedBeforeItsBodyIsSent() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .sslContext(pki.trusting("test-ca")).build();
        try (client) {
            byte[] blob = Oci.bytes(8 * 1024 * 1024, 77);
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(h2.uri("/v2/h2/x/blobs/uploads/?digest="
                            + Oci.sha256(blob))).expectContinue(true)
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.body()).contains("UNAUTHORIZED");
        }
        assertThat(h2.get("/v2/", basic("alice", PW)).status()).as("the server is fine").isEqualTo(200);
    }

    @Test
    void plainHttpOnTheTlsPort_getsNoHttpAnswer() throws Exception {
        try (RawHttp raw = RawHttp.connect(h2.port())) {
            raw.write("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.closedByPeer(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void aClientThatDoesNotTrustTheCa_failsTheHandshake() {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try (client) {
            assertThatThrownBy(() -> client.send(HttpRequest.newBuilder(h2.uri("/v2/")).build(),
                    HttpResponse.BodyHandlers.discarding())).isInstanceOf(SSLHandshakeException.class);
        }
    }

    @Test
    void http2Disabled_offersOnlyHttp11() throws Exception {
        try (SecureRegistry r = SecureRegistry.start(config("data-no-h2", "http2:\n  disabled: true\n"),
                pki.trusting("test-ca"), HttpClient.Version.HTTP_2)) {
            SecureRegistry.Exchange e = r.exchange("GET", "/v2/", basic("alice", PW), null);
            assertThat(e.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(e.reply().status()).isEqualTo(200);
        }
    }

    @Test
    void clientCas_requireAClientCertificateFromThoseCas() throws Exception {
        pki.ca("client-ca");
        pki.clientCertificate("client", "client-ca");
        pki.ca("rogue-ca");
        pki.clientCertificate("rogue", "rogue-ca");
        String clientCas = "  clientcas: [%s]\n".formatted(pki.cert("client-ca"));
        try (SecureRegistry r = SecureRegistry.start(config("data-mtls", clientCas), pki.trusting("test-ca"),
                HttpClient.Version.HTTP_2)) {
            assertThatThrownBy(() -> r.get("/v2/", basic("alice", PW))).as("no client certificate")
                    .hasRootCauseInstanceOf(IOException.class);
            assertThat(get(withClientCertificate("rogue"), r.uri("/v2/"))).as("a certificate of another CA")
                    .isEqualTo(-1);
            assertThat(get(withClientCertificate("client"), r.uri("/v2/"))).isEqualTo(200);
        }
    }

    private static int get(SSLContext ctx, URI uri) throws InterruptedException {
        try (HttpClient c = HttpClient.newBuilder().sslContext(ctx).build()) {
            return c.send(HttpRequest.newBuilder(uri).header("Authorization", basic("alice", PW)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private static SSLContext withClientCertificate(String name) throws Exception {
        KeyPair kp = Pem.keyPair(pki.key(name));
        List<X509Certificate> chain = Pem.certificates(pki.cert(name));
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("client", kp.getPrivate(), new char[0], chain.toArray(X509Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", Pem.certificates(pki.cert("test-ca")).get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }
}
