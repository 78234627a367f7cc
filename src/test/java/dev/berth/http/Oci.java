package dev.berth.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;

/** Small helpers for blob API tests: digests, content, and the common push steps asserted along the way. */
final class Oci {

    private Oci() {
    }

    static String sha256(byte[] content) {
        return "sha256:" + hex("SHA-256", content);
    }

    static String sha512(byte[] content) {
        return "sha512:" + hex("SHA-512", content);
    }

    static String hex(String algorithm, byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deterministic pseudo-random bytes. */
    static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** A digest nobody pushed. */
    static String unknownDigest() {
        return sha256("nobody pushed this".getBytes());
    }

    /** Pushes {@code content} to {@code repo} in one POST ?digest= and asserts 201; returns the digest. */
    static String push(TestClient client, String repo, byte[] content) {
        String digest = sha256(content);
        TestClient.Reply r = client.send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest, content);
        assertThat(r.status()).as("monolithic push of %s to %s: %s", digest, repo, r).isEqualTo(201);
        return digest;
    }

    /** Starts an upload session in {@code repo}, asserts 202, and returns its Location. */
    static String startUpload(TestClient client, String repo) {
        TestClient.Reply r = client.send("POST", "/v2/" + repo + "/blobs/uploads/", Map.of());
        assertThat(r.status()).as("start upload in %s: %s", repo, r).isEqualTo(202);
        return r.headerValue("Location");
    }

    /** PATCHes one chunk (with its Content-Range) to an upload and asserts 202; returns the new Location. */
    static String patch(TestClient client, String location, long offset, byte[] chunk) {
        TestClient.Reply r = client.send("PATCH", location, TestClient.headers(
                "Content-Type", "application/octet-stream",
                "Content-Range", offset + "-" + (offset + chunk.length - 1)), chunk);
        assertThat(r.status()).as("PATCH %s at %d: %s", location, offset, r).isEqualTo(202);
        assertThat(r.headerValue("Range")).isEqualTo("0-" + (offset + chunk.length - 1));
        return r.headerValue("Location");
    }

    /** {@code location} with a query parameter added. */
    static String withQuery(String location, String name, String value) {
        return location + (location.contains("?") ? "&" : "?") + name + "=" + value;
    }

    /** The signed {@code _state} of an upload Location. */
    static String uploadState(String location) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[?&]_state=([^&]+)").matcher(location);
        assertThat(m.find()).as("_state in %s", location).isTrue();
        return m.group(1);
    }

    /** The upload id at the end of an upload Location. */
    static String uploadId(String location) {
        String path = location.contains("?") ? location.substring(0, location.indexOf('?')) : location;
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
