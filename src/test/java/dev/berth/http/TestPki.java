package dev.berth.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Keys, certificates and htpasswd files for the authentication and TLS tests, made by the real tools
 * ({@code openssl}, {@code htpasswd -B}) in a directory: a CA of the test's own, a server certificate for
 * {@code 127.0.0.1} and {@code localhost} signed by it, token signing keys, and users.
 */
public final class TestPki {

    private final Path dir;

    public TestPki(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** A self-signed CA ({@code <name>.crt}, {@code <name>.key}, EC P-256). */
    public Path ca(String name) {
        Path key = ecKey(name);
        Path cert = dir.resolve(name + ".crt");
        run("openssl", "req", "-x509", "-new", "-key", key.toString(), "-subj", "/CN=" + name, "-days", "2",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-out", cert.toString());
        return cert;
    }

    /** A server certificate for 127.0.0.1 and localhost ({@code <name>.crt}, key {@code <name>.key}), from {@code ca}. */
    public Path serverCertificate(String name, String ca) {
        return leaf(name, ca, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    }

    /** A client certificate ({@code <name>.crt}, {@code <name>.key}) from {@code ca}. */
    public Path clientCertificate(String name, String ca) {
        return leaf(name, ca, "extendedKeyUsage=clientAuth\n");
    }

    private Path leaf(String name, String ca, String extensions) {
        Path key = ecKey(name);
        Path csr = dir.resolve(name + ".csr");
        Path ext = dir.resolve(name + ".ext");
        Path cert = dir.resolve(name + ".crt");
        write(ext, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n" + extensions);
        run("openssl", "req", "-new", "-key", key.toString(), "-subj", "/CN=" + name, "-out", csr.toString());
        run("openssl", "x509", "-req", "-in", csr.toString(), "-CA", dir.resolve(ca + ".crt").toString(),
                "-CAkey", dir.resolve(ca + ".key").toString(), "-CAcreateserial", "-days", "2",
                "-extfile", ext.toString(), "-out", cert.toString());
        return cert;
    }

    /** An EC P-256 private key in PKCS#8 ({@code <name>.key}). */
    public Path ecKey(String name) {
        Path key = dir.resolve(name + ".key");
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
        return key;
    }

    public Path key(String name) {
        return dir.resolve(name + ".key");
    }

    public Path cert(String name) {
        return dir.resolve(name + ".crt");
    }

    /** An htpasswd file made by {@code htpasswd -B -C 4} (cost 4 keeps tests fast): user, password, user, ... */
    public Path htpasswd(String name, String... userPasswordPairs) {
        Path file = dir.resolve(name);
        for (int i = 0; i < userPasswordPairs.length; i += 2) {
            List<String> cmd = new ArrayList<>(List.of("htpasswd", "-B", "-C", "4", "-b"));
            if (i == 0) {
                cmd.add("-c");
            }
            cmd.add(file.toString());
            cmd.add(userPasswordPairs[i]);
            cmd.add(userPasswordPairs[i + 1]);
            run(cmd.toArray(String[]::new));
        }
        return file;
    }

    /** A JDK TLS context that trusts only the CA {@code ca}. */
    public SSLContext trusting(String ca) {
        try (InputStream in = Files.newInputStream(cert(ca))) {
            X509Certificate root = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ca", root);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed:\n"
                        + new String(out, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
