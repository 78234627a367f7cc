package dev.berth.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.ErrorCode;
import dev.berth.api.RegistryException;
import dev.berth.api.Route;
import dev.berth.metadata.UploadSession;
import dev.berth.oci.RepositoryName;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed upload URLs. The {@code Location} of an upload session carries its state, signed with the secret every
 * node shares ({@code http.secret}), as CNCF distribution's {@code _state} does:
 *
 * <pre>{@code /v2/<name>/blobs/uploads/<uuid>?_state=<payload>.<mac>}</pre>
 *
 * where {@code payload} is the unpadded base64url of {@code {"name":...,"uuid":...,"offset":...,"startedAt":...}} and
 * {@code mac} the unpadded base64url of HMAC-SHA256 over {@code payload} with the secret. Every request on a session
 * (GET, PATCH, PUT, DELETE) must bring a state that verifies and names the repository and session of its path;
 * anything else (no state, a tampered one, one signed with another secret, one for another repository or session) is
 * answered {@code 404 BLOB_UPLOAD_UNKNOWN}, as for a session that does not exist.
 *
 * <p>The state is for forgery-proofing and stateless routing only: the metadata database stays the truth about a
 * session (its size, whether it still exists), so the {@code offset} inside a state is informational and a client
 * may use any Location the registry gave it for the session.
 */
public final class UploadLocations {

    /** The query parameter. */
    public static final String PARAM = "_state";
    /** The shortest secret accepted, in bytes. */
    public static final int MIN_SECRET_BYTES = 16;
    /** States longer than this are refused unread (a real one is about 250 characters). */
    private static final int MAX_STATE_LENGTH = 2048;
    private static final String ALGORITHM = "HmacSHA256";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64_DECODE = Base64.getUrlDecoder();

    private final SecretKeySpec key;

    /** Locations signed with {@code secret} (at least {@link #MIN_SECRET_BYTES} bytes). */
    public UploadLocations(byte[] secret) {
        Objects.requireNonNull(secret, "secret");
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the upload secret must have at least " + MIN_SECRET_BYTES
                    + " bytes, got " + secret.length);
        }
        this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
    }

    /** Locations signed with the UTF-8 bytes of {@code secret} ({@code http.secret}). */
    public static UploadLocations of(String secret) {
        return new UploadLocations(secret.getBytes(StandardCharsets.UTF_8));
    }

    /** Locations signed with a fresh random secret (one process; tests). */
    public static UploadLocations random() {
        return of(randomSecret());
    }

    /** 32 random bytes as 64 hex characters: a good {@code http.secret}. */
    public static String randomSecret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The session's Location: its path and its signed state. */
    public String location(UploadSession session) {
        return Route.UPLOAD.path(session.repository().value(), session.id()) + "?" + PARAM + "=" + state(session);
    }

    /** The signed state of the session as it stands. */
    public String state(UploadSession session) {
        ObjectNode json = JSON.createObjectNode()
                .put("name", session.repository().value())
                .put("uuid", session.id())
                .put("offset", session.size())
                .put("startedAt", session.startedAt().toString());
        String payload = B64.encodeToString(json.toString().getBytes(StandardCharsets.UTF_8));
        return payload + "." + B64.encodeToString(mac(payload));
    }

    /**
     * Checks the {@code _state} values a request carries for session {@code id} of {@code repository}.
     *
     * @param values the values of the query parameter (null or empty when absent)
     * @throws RegistryException BLOB_UPLOAD_UNKNOWN unless exactly one state is given, it verifies, and it names
     *                           this repository and session
     */
    public void verify(RepositoryName repository, String id, List<String> values) {
        if (values == null || values.size() != 1) {
            throw unknown(id, values == null || values.isEmpty() ? "the upload URL has no _state"
                    : "the upload URL has more than one _state");
        }
        String state = values.get(0);
        int dot = state.indexOf('.');
        if (state.length() > MAX_STATE_LENGTH || dot <= 0 || dot != state.lastIndexOf('.')) {
            throw unknown(id, "malformed _state");
        }
        String payload = state.substring(0, dot);
        byte[] given;
        try {
            given = B64_DECODE.decode(state.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            throw unknown(id, "malformed _state");
        }
        if (!MessageDigest.isEqual(mac(payload), given)) {
            throw unknown(id, "_state signature does not verify");
        }
        JsonNode json;
        try {
            json = JSON.readTree(B64_DECODE.decode(payload));
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw unknown(id, "malformed _state");
        }
        if (json == null || !repository.value().equals(json.path("name").asText(null))
                || !id.equals(json.path("uuid").asText(null))) {
            throw unknown(id, "_state is for another upload");
        }
    }

    /** The decoded fields of a state (unverified), for tests and debugging. */
    public static JsonNode decode(String state) throws java.io.IOException {
        int dot = state.indexOf('.');
        return JSON.readTree(B64_DECODE.decode(dot < 0 ? state : state.substring(0, dot)));
    }

    private byte[] mac(String payload) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    private static RegistryException unknown(String id, String detail) {
        return ErrorCode.BLOB_UPLOAD_UNKNOWN.exception("upload " + id + " is not known in this repository", detail);
    }

    @Override
    public String toString() {
        return "UploadLocations[secret=*****]";
    }
}
