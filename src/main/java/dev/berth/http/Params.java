package dev.berth.http;

import dev.berth.api.ErrorCode;
import dev.berth.oci.Digest;
import dev.berth.oci.Reference;
import dev.berth.oci.RepositoryName;
import dev.berth.oci.Tag;

import java.util.Map;

/** Turns raw path and query values into validated values, or into the spec's error for each. */
final class Params {

    private Params() {
    }

    static RepositoryName name(Map<String, String> vars) {
        return repository(vars.get("name"));
    }

    static RepositoryName repository(String raw) {
        try {
            return RepositoryName.of(raw);
        } catch (IllegalArgumentException e) {
            throw ErrorCode.NAME_INVALID.exception("invalid repository name", e.getMessage());
        }
    }

    static Digest digest(String raw) {
        try {
            return Digest.parse(percentDecoded(raw));
        } catch (IllegalArgumentException e) {
            throw ErrorCode.DIGEST_INVALID.exception("invalid digest", e.getMessage());
        }
    }

    /** Path values arrive raw; Go clients may send a digest's colon as {@code %3A}. */
    private static String percentDecoded(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        try {
            return java.net.URLDecoder.decode(raw.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return raw;     // malformed escapes: left as they are, and refused as a digest
        }
    }

    static Reference reference(String raw) {
        raw = percentDecoded(raw);
        if (Digest.looksLikeDigest(raw)) {
            return digest(raw);
        }
        try {
            return Tag.of(raw);
        } catch (IllegalArgumentException e) {
            throw ErrorCode.TAG_INVALID.exception("invalid tag", e.getMessage());
        }
    }
}
