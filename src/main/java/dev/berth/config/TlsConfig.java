package dev.berth.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code http.tls} (distribution's keys) and {@code http.http2.disabled}: the API listener speaks HTTPS with this
 * certificate and key, HTTP/2 and HTTP/1.1 chosen by ALPN. See docs/auth.md.
 *
 * @param certificate PEM file: the server certificate, then any intermediates
 * @param key         PEM file: its private key (PKCS#8, PKCS#1 or SEC1; not encrypted)
 * @param clientCas   PEM files of CAs whose client certificates are required (mutual TLS); empty: none asked
 * @param minimumTls  {@code tls1.2} (default) or {@code tls1.3}
 * @param http2       whether HTTP/2 is offered (ALPN {@code h2}); {@code http.http2.disabled: true} turns it off
 */
public record TlsConfig(Path certificate, Path key, List<Path> clientCas, String minimumTls, boolean http2) {

    public static final String DEFAULT_MINIMUM = "tls1.2";
    public static final Set<String> MINIMUMS = Set.of("tls1.2", "tls1.3");

    public TlsConfig {
        Objects.requireNonNull(certificate, "http.tls.certificate");
        Objects.requireNonNull(key, "http.tls.key");
        clientCas = List.copyOf(clientCas);
        minimumTls = minimumTls == null ? DEFAULT_MINIMUM : minimumTls;
        if (!MINIMUMS.contains(minimumTls)) {
            throw new IllegalArgumentException("http.tls.minimumtls must be tls1.2 or tls1.3, got " + minimumTls);
        }
    }

    /** A certificate and key, TLS 1.2 and up, HTTP/2 offered, no client certificates. */
    public static TlsConfig of(Path certificate, Path key) {
        return new TlsConfig(certificate, key, List.of(), DEFAULT_MINIMUM, true);
    }
}
