package dev.berth.auth;

import java.util.Collection;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What may be done to a repository, by the names distribution's token specification uses. They are independent:
 * {@link #PUSH} does not imply {@link #PULL} (pushing a manifest needs both, as in distribution), and
 * {@link #DELETE} implies neither.
 */
public enum Action {
    PULL("pull"),
    PUSH("push"),
    DELETE("delete");

    /** The wildcard action of a scope or an {@code access} claim: every action. */
    public static final String WILDCARD = "*";

    private final String wireName;

    Action(String wireName) {
        this.wireName = wireName;
    }

    /** The name in scopes and {@code access} claims: {@code pull}, {@code push}, {@code delete}. */
    public String wireName() {
        return wireName;
    }

    /** The action with this wire name; empty for any other word (including the wildcard). */
    public static Optional<Action> fromWireName(String name) {
        for (Action a : values()) {
            if (a.wireName.equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** Parses a configured action name, case-insensitively; anything else is refused with a message. */
    public static Action parse(String name) {
        return fromWireName(name == null ? "" : name.strip().toLowerCase(Locale.ROOT)).orElseThrow(() ->
                new IllegalArgumentException("unknown action \"" + LogSafe.text(name) + "\" (use pull, push, delete)"));
    }

    /** The actions a list of wire names grants: known names, and every action for the wildcard. */
    public static Set<Action> ofWireNames(Collection<String> names) {
        if (names.contains(WILDCARD)) {
            return EnumSet.allOf(Action.class);
        }
        Set<Action> out = EnumSet.noneOf(Action.class);
        for (String n : names) {
            fromWireName(n).ifPresent(out::add);
        }
        return out;
    }

    /** {@code pull,push,delete} order, comma-separated, as a scope writes them. */
    public static String join(Set<Action> actions) {
        return actions.stream().sorted().map(Action::wireName).collect(Collectors.joining(","));
    }
}
