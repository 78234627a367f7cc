package dev.berth.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A content digest, {@code <algorithm>:<encoded>}, as defined by the OCI image spec.
 * Only the algorithms registries must or may support are accepted: sha256 (64 lower-case hex)
 * and sha512 (128 lower-case hex). {@code Digest.parse(d.toString()).equals(d)} always holds.
 */
public record Digest(Algorithm algorithm, String hex) implements Reference {

    /** The registered digest algorithms Berth accepts. */
    public enum Algorithm {
        SHA256("sha256", "SHA-256", 64),
        SHA512("sha512", "SHA-512", 128);

        private final String id;
        private final String jcaName;
        private final int hexLength;

        Algorithm(String id, String jcaName, int hexLength) {
            this.id = id;
            this.jcaName = jcaName;
            this.hexLength = hexLength;
        }

        public String id() {
            return id;
        }

        public String jcaName() {
            return jcaName;
        }

        public int hexLength() {
            return hexLength;
        }

        public MessageDigest newMessageDigest() {
            try {
                return MessageDigest.getInstance(jcaName);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(jcaName + " is missing from this JDK", e);
            }
        }

        public static Algorithm fromId(String id) {
            for (Algorithm a : values()) {
                if (a.id.equals(id)) {
                    return a;
                }
            }
            throw new IllegalArgumentException("unsupported digest algorithm: " + id);
        }
    }

    public Digest {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(hex, "hex");
        if (hex.length() != algorithm.hexLength() || !isLowerHex(hex)) {
            throw new IllegalArgumentException("invalid " + algorithm.id() + " digest: the encoded part must be "
                    + algorithm.hexLength() + " lower-case hexadecimal characters");
        }
    }

    /** Parses {@code sha256:<64 hex>} or {@code sha512:<128 hex>}; throws {@link IllegalArgumentException}. */
    public static Digest parse(String s) {
        Objects.requireNonNull(s, "digest");
        int colon = s.indexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("invalid digest: expected <algorithm>:<encoded>");
        }
        return new Digest(Algorithm.fromId(s.substring(0, colon)), s.substring(colon + 1));
    }

    /** True when {@code s} has the shape of a digest (contains a colon), whether or not it is valid. */
    public static boolean looksLikeDigest(String s) {
        return s.indexOf(':') >= 0;
    }

    public static Digest of(Algorithm algorithm, byte[] rawDigest) {
        return new Digest(algorithm, HexFormat.of().formatHex(rawDigest));
    }

    public static Digest sha256(byte[] content) {
        return of(Algorithm.SHA256, Algorithm.SHA256.newMessageDigest().digest(content));
    }

    private static boolean isLowerHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return algorithm.id() + ":" + hex;
    }
}
