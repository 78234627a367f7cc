package dev.berth.auth;

import dev.berth.oci.RepositoryName;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A resource scope of distribution's token specification, {@code type:name:action[,action...]}: what a client asks
 * the token server for ({@code scope} query parameter), what a {@code WWW-Authenticate} challenge names, and one
 * entry of a token's {@code access} claim ({@code {"type","name","actions"}}).
 *
 * <p>Parsing is strict: the type is {@code [a-z0-9]+} (a resource class in parentheses, {@code repository(plugin)},
 * is accepted and dropped); the name is everything between the first and the last colon (so a name may hold one
 * {@code host:port} colon), and for {@code repository} it must be a valid repository name; the actions are a
 * non-empty comma-separated list of {@code [a-z]+} words or {@code *}. Anything else is an
 * {@link IllegalArgumentException}. Well-formed actions Berth does not know are kept: they are simply never granted.
 *
 * @param type    {@code repository}, {@code registry}, ...
 * @param name    the resource name ({@code a/b}, {@code catalog})
 * @param actions the actions, in the order first given, without repeats
 */
public record Scope(String type, String name, List<String> actions) {

    public static final String REPOSITORY = "repository";
    public static final String REGISTRY = "registry";

    /** {@code registry:catalog:*}, what listing the catalog needs. */
    public static final Scope CATALOG = new Scope(REGISTRY, "catalog", List.of(Action.WILDCARD));

    private static final Pattern TYPE = Pattern.compile("[a-z0-9]+(?:\\([a-z0-9]+\\))?");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._/:-]+");
    private static final Pattern ACTION = Pattern.compile("[a-z]+|\\*");
    private static final int MAX_LENGTH = 1024;

    public Scope {
        Objects.requireNonNull(type, "scope type");
        Objects.requireNonNull(name, "scope name");
        actions = List.copyOf(new LinkedHashSet<>(actions));
    }

    /** A repository scope for the given actions, in pull, push, delete order. */
    public static Scope repository(RepositoryName repository, Set<Action> actions) {
        return new Scope(REPOSITORY, repository.value(), actions.stream().sorted().map(Action::wireName).toList());
    }

    /** Parses one resource scope; a malformed one is an {@link IllegalArgumentException} naming it. */
    public static Scope parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_LENGTH) {
            throw malformed(text, "a scope is type:name:actions, 1 to " + MAX_LENGTH + " characters");
        }
        int first = text.indexOf(':');
        int last = text.lastIndexOf(':');
        if (first < 0 || first == last) {
            throw malformed(text, "a scope is type:name:actions");
        }
        String type = text.substring(0, first);
        String name = text.substring(first + 1, last);
        String actionList = text.substring(last + 1);
        if (!TYPE.matcher(type).matches()) {
            throw malformed(text, "the resource type must be lower-case letters and digits");
        }
        int paren = type.indexOf('(');
        if (paren >= 0) {
            type = type.substring(0, paren);
        }
        if (name.isEmpty() || !NAME.matcher(name).matches() || name.indexOf(':') != name.lastIndexOf(':')) {
            throw malformed(text, "the resource name is empty or has characters a name cannot have");
        }
        if (type.equals(REPOSITORY)) {
            try {
                RepositoryName.of(name);
            } catch (IllegalArgumentException e) {
                throw malformed(text, "not a valid repository name");
            }
        }
        List<String> actions = new ArrayList<>();
        for (String a : actionList.split(",", -1)) {
            if (!ACTION.matcher(a).matches()) {
                throw malformed(text, "actions are a comma-separated list of lower-case words or *");
            }
            actions.add(a);
        }
        return new Scope(type, name, actions);
    }

    /**
     * Parses the {@code scope} values of a token request: each value may hold several scopes separated by spaces
     * (the form the OAuth2 POST uses and the challenge header shows); blank values are no scope at all.
     */
    public static List<Scope> parseAll(Collection<String> values) {
        List<Scope> out = new ArrayList<>();
        for (String value : values) {
            if (value == null) {
                continue;
            }
            for (String part : value.split(" ")) {
                if (!part.isEmpty()) {
                    out.add(parse(part));
                }
            }
        }
        return out;
    }

    /** The Berth actions among {@link #actions()}; all of them for {@code *}. */
    public Set<Action> knownActions() {
        return Action.ofWireNames(actions);
    }

    public boolean isRepository() {
        return type.equals(REPOSITORY);
    }

    public boolean isCatalog() {
        return type.equals(REGISTRY) && name.equals("catalog");
    }

    /** {@code type:name:a,b}, the scope syntax. */
    @Override
    public String toString() {
        return type + ":" + name + ":" + String.join(",", actions);
    }

    private static IllegalArgumentException malformed(String text, String why) {
        return new IllegalArgumentException("malformed scope \"" + LogSafe.text(text) + "\": " + why);
    }
}
