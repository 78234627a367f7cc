package dev.berth.auth;

import dev.berth.oci.RepositoryName;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A bearer token that passed every check of {@link TokenVerifier}: who it was issued to and the access it grants.
 * Access is exact: an entry for repository {@code a/b} grants nothing on {@code a/b/c} or {@code a/bc}.
 *
 * @param subject   the {@code sub} claim ({@link Principal#ANONYMOUS} when empty or absent)
 * @param id        the {@code jti} claim, or empty
 * @param expiresAt the {@code exp} claim
 * @param access    the {@code access} claim
 */
public record VerifiedToken(Principal subject, String id, Instant expiresAt, List<Scope> access) {

    public VerifiedToken {
        access = List.copyOf(access);
    }

    /** The actions the token grants on exactly this repository. */
    public Set<Action> actionsOn(RepositoryName repository) {
        Set<Action> out = EnumSet.noneOf(Action.class);
        for (Scope s : access) {
            if (s.isRepository() && s.name().equals(repository.value())) {
                out.addAll(s.knownActions());
            }
        }
        return out;
    }

    public boolean permits(RepositoryName repository, Action action) {
        return actionsOn(repository).contains(action);
    }

    /** Whether the token grants {@code registry:catalog:*}. */
    public boolean permitsCatalog() {
        return access.stream().anyMatch(s -> s.isCatalog() && s.actions().contains(Action.WILDCARD));
    }
}
