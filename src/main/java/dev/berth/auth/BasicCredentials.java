package dev.berth.auth;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * The user and password of an {@code Authorization: Basic ...} header (RFC 7617, UTF-8). Its {@link #toString()}
 * never shows the password.
 */
record BasicCredentials(String user, String password) {

    /**
     * The credentials of a header value; empty when the value is not a well-formed Basic header (absent, another
     * scheme, bad base64, no colon, not UTF-8).
     */
    static Optional<BasicCredentials> parse(String authorization) {
        if (authorization == null) {
            return Optional.empty();
        }
        String value = authorization.strip();
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).equalsIgnoreCase("Basic")) {
            return Optional.empty();
        }
        try {
            byte[] raw = Base64.getDecoder().decode(value.substring(space + 1).strip());
            String decoded = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw)).toString();
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                return Optional.empty();
            }
            return Optional.of(new BasicCredentials(decoded.substring(0, colon), decoded.substring(colon + 1)));
        } catch (IllegalArgumentException | CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /** Whether the client sent no credentials in Basic form ({@code ":"}, as some clients do when they have none). */
    boolean isEmpty() {
        return user.isEmpty() && password.isEmpty();
    }

    @Override
    public String toString() {
        return "BasicCredentials[user=" + LogSafe.text(user) + "]";
    }
}
