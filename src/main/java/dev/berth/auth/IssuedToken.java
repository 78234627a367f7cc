package dev.berth.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A token the built-in token server issued, and the JSON answer of the token endpoint. Its {@link #toString()}
 * leaves the token out.
 *
 * @param token     the signed JWT
 * @param issuedAt  its {@code iat}
 * @param expiresIn its lifetime ({@code exp - iat})
 * @param granted   its {@code access} claim: the requested access the principal has
 */
public record IssuedToken(String token, Instant issuedAt, Duration expiresIn, List<Scope> granted) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public IssuedToken {
        granted = List.copyOf(granted);
    }

    /**
     * The token endpoint's answer: {@code {"token","access_token","expires_in","issued_at"}} (both names of the
     * token, as distribution's specification allows, for old and OAuth2 clients), and {@code scope} for the OAuth2
     * POST form.
     */
    public byte[] json(boolean oauth) {
        ObjectNode root = JSON.createObjectNode();
        root.put("token", token);
        root.put("access_token", token);
        root.put("expires_in", expiresIn.toSeconds());
        root.put("issued_at", issuedAt.toString());
        if (oauth) {
            root.put("scope", granted.stream().map(Scope::toString).collect(Collectors.joining(" ")));
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "IssuedToken[issuedAt=" + issuedAt + ", expiresIn=" + expiresIn + ", granted=" + granted + "]";
    }
}
