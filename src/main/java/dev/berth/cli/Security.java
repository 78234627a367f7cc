package dev.berth.cli;

import dev.berth.auth.AccessRules;
import dev.berth.auth.Authenticator;
import dev.berth.auth.Htpasswd;
import dev.berth.auth.Pem;
import dev.berth.auth.SigningKey;
import dev.berth.auth.TokenEndpoint;
import dev.berth.auth.TokenIssuer;
import dev.berth.auth.TokenVerifier;
import dev.berth.auth.TrustedKeys;
import dev.berth.config.AuthConfig;
import dev.berth.config.BerthConfig;
import dev.berth.config.ConfigLoader;
import dev.berth.config.TlsConfig;
import dev.berth.http.Router;
import dev.berth.http.TokenApi;
import dev.berth.http.netty.NettyHttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.logging.Logger;

/**
 * Authentication, authorization and TLS of a running registry, built from the configuration when it starts: the
 * files it names are read here (htpasswd, keys, certificates), and a file that cannot be used stops the start with
 * a message naming its key. See docs/auth.md.
 *
 * @param authenticator decides every request ({@code null}: authentication is off)
 * @param tokenApi      the built-in token server's route ({@code null}: not served, 404)
 * @param tls           HTTPS for the listener ({@code null}: plain HTTP)
 */
record Security(Authenticator authenticator, TokenApi tokenApi, NettyHttpServer.Tls tls) {

    private static final Logger LOG = Logger.getLogger(Security.class.getName());

    /** No authentication, plain HTTP. */
    static final Security OFF = new Security(null, null, null);

    /** Reads the files the configuration names; an unusable one is a {@link ConfigLoader.ConfigException}. */
    static Security of(BerthConfig config, Clock clock) {
        AuthConfig auth = config.auth();
        Authenticator authenticator = null;
        TokenApi tokenApi = null;
        if (auth.htpasswd() != null) {
            AuthConfig.Htpasswd h = auth.htpasswd();
            Htpasswd users = htpasswd(h.path(), "auth.htpasswd.path");
            authenticator = Authenticator.basic(h.realm(), users, rules(auth), h.credentialCache(), clock);
        } else if (auth.token() != null) {
            AuthConfig.Token t = auth.token();
            TrustedKeys trusted = null;
            if (t.rootCertBundle() != null || t.jwks() != null) {
                trusted = load(() -> TrustedKeys.load(t.rootCertBundle(), t.jwks()),
                        t.jwks() == null ? "auth.token.rootcertbundle" : t.rootCertBundle() == null
                                ? "auth.token.jwks" : "auth.token.rootcertbundle/jwks");
            }
            AccessRules rules = null;
            AuthConfig.TokenServer s = auth.tokenServer();
            if (s != null) {
                rules = rules(auth);
                SigningKey key = load(() -> SigningKey.load(s.key()), "auth.tokenserver.key");
                TokenIssuer issuer = new TokenIssuer(new TokenIssuer.Settings(t.issuer(), t.service(), s.ttl(),
                        s.keyId()), key, rules, clock);
                Htpasswd users = s.htpasswd() == null ? null : htpasswd(s.htpasswd(), "auth.tokenserver.htpasswd");
                tokenApi = new TokenApi(new TokenEndpoint(t.service(), users, issuer));
                trusted = trusted == null ? issuer.trustedKeys() : issuer.trustedKeys().and(trusted);
                LOG.info("token server: issuing tokens at /auth/token for " + t.service() + " (" + key
                        + ", lifetime " + ConfigLoader.formatDuration(s.ttl()) + ")"
                        + (users == null ? "; no users: anonymous tokens only" : ""));
            }
            TokenVerifier verifier = new TokenVerifier(new TokenVerifier.Settings(t.issuer(), t.service(),
                    new LinkedHashSet<>(t.signingAlgorithms()), t.leeway()), trusted, clock);
            authenticator = Authenticator.bearer(t.realm().toString(), verifier, rules);
        }
        NettyHttpServer.Tls tls = config.tls() == null ? null : tls(config.tls());
        if (authenticator != null) {
            LOG.info("authentication: " + authenticator);
        }
        if (authenticator != null && tls == null && !isLoopback(config.http().host())) {
            LOG.warning("authentication is on but " + config.http().addr() + " speaks plain HTTP beyond loopback: "
                    + "passwords and tokens cross the network readable; configure http.tls, or keep Berth behind "
                    + "a proxy that terminates TLS");
        }
        return new Security(authenticator, tokenApi, tls);
    }

    /** Authentication on the router, and the token server's route. */
    void register(Router router) {
        if (authenticator != null) {
            router.auth(authenticator);
        }
        if (tokenApi != null) {
            tokenApi.register(router);
        }
    }

    /** {@code https} or {@code http}: how clients reach the API. */
    String scheme() {
        return tls == null ? "http" : "https";
    }

    private static AccessRules rules(AuthConfig auth) {
        try {
            return new AccessRules(auth.accessOrDefault());
        } catch (IllegalArgumentException e) {
            throw new ConfigLoader.ConfigException("auth.access." + e.getMessage());
        }
    }

    private static Htpasswd htpasswd(Path file, String key) {
        Htpasswd users = load(() -> Htpasswd.load(file), key);
        if (users.users().isEmpty()) {
            LOG.warning(key + ": " + file + " has no users: nobody can log in");
        }
        return users;
    }

    static NettyHttpServer.Tls tls(TlsConfig t) {
        KeyPair key = load(() -> Pem.keyPair(t.key()), "http.tls.key");
        List<X509Certificate> chain = load(() -> Pem.certificates(t.certificate()), "http.tls.certificate");
        if (!chain.get(0).getPublicKey().equals(key.getPublic())) {
            throw new ConfigLoader.ConfigException("http.tls.key: " + t.key() + " is not the key of the certificate "
                    + chain.get(0).getSubjectX500Principal() + " in " + t.certificate());
        }
        List<X509Certificate> cas = new ArrayList<>();
        for (Path ca : t.clientCas()) {
            cas.addAll(load(() -> Pem.certificates(ca), "http.tls.clientcas"));
        }
        return new NettyHttpServer.Tls(key.getPrivate(), chain, cas, t.minimumTls().equals("tls1.3"), t.http2());
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private interface Loader<T> {
        T load() throws IOException;
    }

    /** Loads a file; a failure names the key (the messages of the auth package name the file, never a secret). */
    private static <T> T load(Loader<T> loader, String key) {
        try {
            return loader.load();
        } catch (IOException e) {
            throw new ConfigLoader.ConfigException(key + ": cannot read: " + e);
        } catch (IllegalArgumentException e) {
            throw new ConfigLoader.ConfigException(key + ": " + e.getMessage());
        }
    }
}
