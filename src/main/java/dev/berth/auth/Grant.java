package dev.berth.auth;

import dev.berth.oci.RepositoryName;

/**
 * What the client of one request may do, once {@link Authenticator} has let the request through. Handlers use it
 * for the checks the route alone cannot make: the source of a cross-repository mount ({@code from} needs pull there:
 * without it the mount quietly becomes an ordinary upload) and filtering the catalog.
 */
public interface Grant {

    /** The principal, for logs: a user name, a token's subject, or empty for an anonymous client. */
    Principal principal();

    /** Whether the client may do {@code action} on {@code repository}. */
    boolean permits(RepositoryName repository, Action action);

    /** Whether {@code repository} may appear in this client's catalog listing. */
    boolean mayList(RepositoryName repository);

    /** Everything allowed: what handlers get when authentication is off. */
    static Grant unrestricted() {
        return Unrestricted.INSTANCE;
    }

    /** The grant of {@link #unrestricted()}. */
    enum Unrestricted implements Grant {
        INSTANCE;

        @Override
        public Principal principal() {
            return Principal.ANONYMOUS;
        }

        @Override
        public boolean permits(RepositoryName repository, Action action) {
            return true;
        }

        @Override
        public boolean mayList(RepositoryName repository) {
            return true;
        }
    }
}
