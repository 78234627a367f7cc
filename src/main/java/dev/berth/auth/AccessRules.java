package dev.berth.auth;

import dev.berth.oci.RepositoryName;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may do what to which repository, for the htpasswd mode and the built-in token server.
 *
 * <p><b>Semantics: administrators first, then the first matching rule.</b> An administrator may do everything,
 * everywhere, and list the whole catalog. For anybody else the rules are read in order, and the <em>first</em> rule
 * whose {@code repository} pattern matches the repository <em>and</em> whose {@code who} names the principal
 * decides, alone, the actions allowed; later rules are not consulted. No matching rule: nothing is allowed. A rule
 * with no actions is therefore a deny ("nobody but the administrators touches {@code secret/**}"), and specific
 * rules go before general ones, as in a firewall.
 *
 * <p>Patterns: an exact name ({@code library/alpine}); {@code *} for any characters within one path component
 * ({@code team/app-*}, <code>&#42;/base</code>); {@code **} for any characters across components ({@code team/**} matches
 * {@code team/a} and {@code team/a/b} but not {@code team}; {@code **} alone matches every repository).
 *
 * <p>Subjects ({@code who}, {@code admins}, {@code catalog}): {@code user:NAME}, {@code group:NAME} (members from
 * {@code groups}), {@code authenticated} (any user who logged in), {@code anonymous} (only clients that did not),
 * {@code anyone} (both). Actions are {@link Action pull, push, delete}, independent of each other.
 *
 * <p>The catalog ({@code GET /v2/_catalog}, scope {@code registry:catalog:*}) is open to administrators and to the
 * {@code catalog} subjects ({@code authenticated} when not configured), and lists only what the principal may pull.
 */
public final class AccessRules {

    /**
     * One rule.
     *
     * @param repository the repository pattern
     * @param who        the subjects it applies to
     * @param actions    what they may do; empty denies
     */
    public record Rule(String repository, List<String> who, Set<Action> actions) {
        public Rule {
            Objects.requireNonNull(repository, "repository pattern");
            who = List.copyOf(who);
            actions = actions.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(actions));
        }
    }

    /**
     * The rules as configured.
     *
     * @param admins  subjects with every right
     * @param groups  group name to user names
     * @param rules   the rules, in order
     * @param catalog subjects who may list the catalog (filtered); empty means {@code authenticated}
     */
    public record Settings(List<String> admins, Map<String, List<String>> groups, List<Rule> rules,
                           List<String> catalog) {
        public Settings {
            admins = List.copyOf(admins);
            Map<String, List<String>> g = new LinkedHashMap<>();
            groups.forEach((k, v) -> g.put(k, List.copyOf(v)));
            groups = Collections.unmodifiableMap(g);
            rules = List.copyOf(rules);
            catalog = List.copyOf(catalog);
        }

        /**
         * What distribution does without rules: every authenticated user may pull, push and delete everywhere
         * (deletes still need {@code storage.delete.enabled}); anonymous clients get nothing.
         */
        public static Settings authenticatedMayDoEverything() {
            return new Settings(List.of(), Map.of(),
                    List.of(new Rule("**", List.of("authenticated"), EnumSet.allOf(Action.class))), List.of());
        }

        /** No administrators, no groups, no rules: only an empty catalog for logged-in users. */
        public static Settings none() {
            return new Settings(List.of(), Map.of(), List.of(), List.of());
        }
    }

    private sealed interface Subject {
        boolean matches(Principal p, Set<String> groupsOfP);
    }

    private record Anyone() implements Subject {
        public boolean matches(Principal p, Set<String> g) {
            return true;
        }
    }

    private record Authenticated() implements Subject {
        public boolean matches(Principal p, Set<String> g) {
            return !p.isAnonymous();
        }
    }

    private record Anonymous() implements Subject {
        public boolean matches(Principal p, Set<String> g) {
            return p.isAnonymous();
        }
    }

    private record User(String name) implements Subject {
        public boolean matches(Principal p, Set<String> g) {
            return !p.isAnonymous() && p.name().equals(name);
        }
    }

    private record Group(String name) implements Subject {
        public boolean matches(Principal p, Set<String> g) {
            return !p.isAnonymous() && g.contains(name);
        }
    }

    private record CompiledRule(Pattern pattern, List<Subject> who, Set<Action> actions) {
    }

    private static final Pattern GLOB = Pattern.compile("[a-z0-9._/*-]+");
    private static final Pattern GROUP_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private final List<Subject> admins;
    private final List<Subject> catalog;
    private final List<CompiledRule> rules;
    private final Map<String, Set<String>> groupsByUser;

    /** Validates and compiles {@code settings}; a problem is an {@link IllegalArgumentException} saying where. */
    public AccessRules(Settings settings) {
        Map<String, Set<String>> byUser = new HashMap<>();
        settings.groups().forEach((group, members) -> {
            if (!GROUP_NAME.matcher(group).matches()) {
                throw new IllegalArgumentException("groups: \"" + LogSafe.text(group)
                        + "\" is not a group name ([A-Za-z0-9._-]+)");
            }
            for (String m : members) {
                checkUserName(m, "groups." + group);
                byUser.computeIfAbsent(m, k -> new HashSet<>()).add(group);
            }
        });
        this.groupsByUser = byUser;
        this.admins = subjects(settings.admins(), settings.groups().keySet(), "admins");
        this.catalog = settings.catalog().isEmpty() ? List.of(new Authenticated())
                : subjects(settings.catalog(), settings.groups().keySet(), "catalog");
        List<CompiledRule> compiled = new ArrayList<>();
        for (int i = 0; i < settings.rules().size(); i++) {
            Rule r = settings.rules().get(i);
            String where = "rules[" + i + "]";
            if (r.who().isEmpty()) {
                throw new IllegalArgumentException(where + ".who: name at least one subject");
            }
            compiled.add(new CompiledRule(glob(r.repository(), where + ".repository"),
                    subjects(r.who(), settings.groups().keySet(), where + ".who"), r.actions()));
        }
        this.rules = List.copyOf(compiled);
    }

    /** The actions {@code principal} may do on {@code repository}. */
    public Set<Action> allowed(Principal principal, RepositoryName repository) {
        Set<String> groups = groupsOf(principal);
        if (any(admins, principal, groups)) {
            return EnumSet.allOf(Action.class);
        }
        for (CompiledRule r : rules) {
            if (r.pattern().matcher(repository.value()).matches() && any(r.who(), principal, groups)) {
                return r.actions().isEmpty() ? EnumSet.noneOf(Action.class) : EnumSet.copyOf(r.actions());
            }
        }
        return EnumSet.noneOf(Action.class);
    }

    /** Whether {@code repository} appears in {@code principal}'s catalog listing: whether they may pull it. */
    public boolean mayList(Principal principal, RepositoryName repository) {
        return allowed(principal, repository).contains(Action.PULL);
    }

    /** Whether {@code principal} may call the catalog at all ({@code registry:catalog:*}). */
    public boolean mayUseCatalog(Principal principal) {
        Set<String> groups = groupsOf(principal);
        return any(admins, principal, groups) || any(catalog, principal, groups);
    }

    public boolean isAdmin(Principal principal) {
        return any(admins, principal, groupsOf(principal));
    }

    /** The grant these rules give {@code principal}. */
    public Grant grant(Principal principal) {
        Objects.requireNonNull(principal);
        return new Grant() {
            @Override
            public Principal principal() {
                return principal;
            }

            @Override
            public boolean permits(RepositoryName repository, Action action) {
                return allowed(principal, repository).contains(action);
            }

            @Override
            public boolean mayList(RepositoryName repository) {
                return AccessRules.this.mayList(principal, repository);
            }
        };
    }

    private Set<String> groupsOf(Principal p) {
        return p.isAnonymous() ? Set.of() : groupsByUser.getOrDefault(p.name(), Set.of());
    }

    private static boolean any(List<Subject> subjects, Principal p, Set<String> groups) {
        for (Subject s : subjects) {
            if (s.matches(p, groups)) {
                return true;
            }
        }
        return false;
    }

    private static List<Subject> subjects(List<String> texts, Set<String> groups, String where) {
        List<Subject> out = new ArrayList<>();
        for (String t : texts) {
            String s = t == null ? "" : t.strip();
            if (s.equals("anyone")) {
                out.add(new Anyone());
            } else if (s.equals("authenticated")) {
                out.add(new Authenticated());
            } else if (s.equals("anonymous")) {
                out.add(new Anonymous());
            } else if (s.startsWith("user:")) {
                String name = s.substring("user:".length());
                checkUserName(name, where);
                out.add(new User(name));
            } else if (s.startsWith("group:")) {
                String name = s.substring("group:".length());
                if (!groups.contains(name)) {
                    throw new IllegalArgumentException(where + ": group \"" + LogSafe.text(name)
                            + "\" is not defined under groups");
                }
                out.add(new Group(name));
            } else {
                throw new IllegalArgumentException(where + ": unknown subject \"" + LogSafe.text(s)
                        + "\"; use user:NAME, group:NAME, authenticated, anonymous or anyone");
            }
        }
        return List.copyOf(out);
    }

    private static void checkUserName(String name, String where) {
        if (name == null || name.isEmpty() || name.indexOf(':') >= 0 || name.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(where + ": \"" + LogSafe.text(name) + "\" is not a user name");
        }
    }

    /** Compiles a repository pattern: {@code **} any characters, {@code *} any but {@code /}, the rest literal. */
    static Pattern glob(String pattern, String where) {
        if (pattern == null || !GLOB.matcher(pattern).matches() || pattern.contains("***")) {
            throw new IllegalArgumentException(where + ": \"" + LogSafe.text(pattern)
                    + "\" is not a repository pattern (lower-case name characters, / and the wildcards * and **)");
        }
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*' && i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
                regex.append(".*");
                i++;
            } else if (c == '*') {
                regex.append("[^/]*");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }
}
