package dev.berth.auth;

/**
 * A bearer token that cannot be trusted: malformed, signed by an unknown key or with a refused algorithm, for
 * another issuer or audience, expired or not yet valid. The message says which, for logs and the error detail;
 * it never contains the token.
 */
public final class InvalidTokenException extends Exception {

    private final boolean expired;

    InvalidTokenException(String reason) {
        this(reason, false);
    }

    InvalidTokenException(String reason, boolean expired) {
        super(reason, null, false, false);
        this.expired = expired;
    }

    /** Whether the token was good but is out of its validity window: routine, clients fetch a new one. */
    public boolean expired() {
        return expired;
    }
}
