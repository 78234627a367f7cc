package dev.berth.auth;

import java.util.Objects;

/**
 * Who makes a request: a user authenticated by the htpasswd file or named by a token's {@code sub}, or nobody
 * ({@link #ANONYMOUS}, whose name is empty as in a token issued to an anonymous client).
 */
public record Principal(String name) {

    public static final Principal ANONYMOUS = new Principal("");

    public Principal {
        Objects.requireNonNull(name, "principal name");
    }

    /** A named user; the name must not be empty. */
    public static Principal user(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a user name must not be empty");
        }
        return new Principal(name);
    }

    public boolean isAnonymous() {
        return name.isEmpty();
    }

    /** The name for logs: {@code anonymous} or the user name, made safe to log. */
    @Override
    public String toString() {
        return isAnonymous() ? "anonymous" : LogSafe.text(name);
    }
}
