package dev.berth.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Real keys, certificates and htpasswd files, made by openssl and htpasswd in a directory. */
final class Pki {

    private final Path dir;

    Pki(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /** An RSA 2048 key in PKCS#8 ({@code PRIVATE KEY}). */
    Path rsaKey(String name) {
        Path key = dir.resolve(name + ".key");
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key.toString());
        return key;
    }

    /** An RSA 2048 key in PKCS#1 ({@code RSA PRIVATE KEY}). */
    Path rsaKeyPkcs1(String name) {
        Path key = dir.resolve(name + ".key");
        run("openssl", "genrsa", "-traditional", "-out", key.toString(), "2048");
        return key;
    }

    /** An EC key in SEC1 ({@code EC PARAMETERS} then {@code EC PRIVATE KEY}), as {@code ecparam -genkey} writes. */
    Path ecKey(String name, String curve) {
        Path key = dir.resolve(name + ".key");
        run("openssl", "ecparam", "-name", curve, "-genkey", "-out", key.toString());
        return key;
    }

    /** An EC P-256 key in PKCS#8. */
    Path ecKeyPkcs8(String name) {
        Path key = dir.resolve(name + ".key");
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
        return key;
    }

    /** A self-signed CA certificate for {@code key}. */
    Path selfSigned(Path key, String cn) {
        Path cert = dir.resolve(cn + ".crt");
        run("openssl", "req", "-x509", "-new", "-key", key.toString(), "-subj", "/CN=" + cn, "-days", "30",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,digitalSignature",
                "-out", cert.toString());
        return cert;
    }

    /** A leaf certificate for {@code key}, signed by {@code caKey}/{@code caCert}. */
    Path signedBy(Path key, String cn, Path caKey, Path caCert, int days) {
        Path csr = dir.resolve(cn + ".csr");
        Path cert = dir.resolve(cn + ".crt");
        Path ext = dir.resolve(cn + ".ext");
        write(ext, "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n");
        run("openssl", "req", "-new", "-key", key.toString(), "-subj", "/CN=" + cn, "-out", csr.toString());
        run("openssl", "x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-CAcreateserial", "-days", String.valueOf(days), "-extfile", ext.toString(), "-out", cert.toString());
        return cert;
    }

    /** An htpasswd file made by {@code htpasswd -B -C 4} (cost 4 keeps tests fast), one user:password per pair. */
    Path htpasswd(String name, String... userPasswordPairs) {
        Path file = dir.resolve(name);
        for (int i = 0; i < userPasswordPairs.length; i += 2) {
            List<String> cmd = new ArrayList<>(List.of("htpasswd", "-B", "-C", "4", "-b"));
            if (i == 0) {
                cmd.add("-c");
            }
            cmd.addAll(List.of(file.toString(), userPasswordPairs[i], userPasswordPairs[i + 1]));
            run(cmd.toArray(String[]::new));
        }
        return file;
    }

    /** One htpasswd line made with another hash: {@code -p} plain, {@code -s} SHA, {@code -m} apr1, {@code -d} crypt. */
    String htpasswdLine(String flag, String user, String password) {
        return run("htpasswd", "-n", "-b", flag, user, password).lines()
                .filter(l -> l.startsWith(user + ":")).findFirst().orElseThrow();
    }

    String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    void write(Path p, String content) {
        try {
            Files.writeString(p, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command[0]).isTrue();
            assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
