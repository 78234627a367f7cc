package dev.berth.api;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;

/**
 * The registry API as data: every route, its path template and its methods. The HTTP layer matches requests
 * against this table (in declaration order); the services build {@code Location} and {@code Link} headers with
 * {@link #path(String...)}; the docs list it. {@code {name}} spans several path segments, every other variable
 * exactly one. Every route is under {@code /v2/} but {@link #TOKEN}, the built-in token server.
 */
public enum Route {
    BASE("/v2/", "API version check", Method.GET, Method.HEAD),
    CATALOG("/v2/_catalog", "list repositories", Method.GET),
    TAGS("/v2/{name}/tags/list", "list tags", Method.GET),
    MANIFEST("/v2/{name}/manifests/{reference}", "manifest by tag or digest",
            Method.GET, Method.HEAD, Method.PUT, Method.DELETE),
    UPLOADS("/v2/{name}/blobs/uploads/", "start an upload, monolithic upload, or mount", Method.POST),
    UPLOAD("/v2/{name}/blobs/uploads/{uuid}", "upload session: status, chunk, finish, cancel",
            Method.GET, Method.PATCH, Method.PUT, Method.DELETE),
    BLOB("/v2/{name}/blobs/{digest}", "blob by digest", Method.GET, Method.HEAD, Method.DELETE),
    REFERRERS("/v2/{name}/referrers/{digest}", "manifests whose subject is a digest", Method.GET),
    /** Berth's built-in token server (docs/auth.md); served only when it is enabled, and never authenticated. */
    TOKEN("/auth/token", "built-in token server: a bearer token for the scopes asked", Method.GET, Method.POST);

    public enum Method { GET, HEAD, PUT, POST, PATCH, DELETE }

    /** A path matched: its route and the route's variables bound to their raw (undecoded) values. */
    public record Match(Route route, Map<String, String> variables) {
    }

    /** The variable that may span several path segments; every other variable is exactly one segment. */
    private static final String MULTI_SEGMENT = "name";
    private static final String[] NO_VALUES = new String[0];
    private static final Route[] ROUTES = values();

    private final String template;
    private final String summary;
    private final Set<Method> methods;
    /** The template compiled: {@code literals[0] {keys[0]} literals[1] ... {keys[k-1]} literals[k]}. */
    private final String[] literals;
    private final String[] keys;
    /** The index in {@link #keys} of the multi-segment variable, or -1. */
    private final int multi;

    Route(String template, String summary, Method first, Method... rest) {
        this.template = template;
        this.summary = summary;
        this.methods = java.util.Collections.unmodifiableSet(EnumSet.of(first, rest));
        List<String> lits = new ArrayList<>();
        List<String> vars = new ArrayList<>();
        // a variable is '{' [a-z]+ '}'; any other '{' is a literal character
        int last = 0;
        for (int i = template.indexOf('{'); i >= 0; i = template.indexOf('{', i + 1)) {
            int j = i + 1;
            while (j < template.length() && template.charAt(j) >= 'a' && template.charAt(j) <= 'z') {
                j++;
            }
            if (j > i + 1 && j < template.length() && template.charAt(j) == '}') {
                lits.add(template.substring(last, i));
                vars.add(template.substring(i + 1, j));
                last = j + 1;
                i = j;
            }
        }
        lits.add(template.substring(last));
        this.literals = lits.toArray(String[]::new);
        this.keys = vars.toArray(String[]::new);
        this.multi = vars.indexOf(MULTI_SEGMENT);
        if (vars.lastIndexOf(MULTI_SEGMENT) != multi) {
            throw new IllegalStateException(template + ": more than one {" + MULTI_SEGMENT + "}");
        }
        checkShape();
    }

    /**
     * Refuses a template {@link #bind} cannot match in one pass: where a variable's end is fixed by the literal
     * around it, every match is unique and no backtracking is needed. One multi-segment variable at most; a
     * single-segment variable before it (or in a template without one) must be followed by a literal starting
     * with '/' or end the template; one after it must follow a literal ending with '/'.
     */
    private void checkShape() {
        for (int i = 0; i < keys.length; i++) {
            boolean ok;
            if (i == multi) {
                ok = true;
            } else if (multi < 0 || i < multi) {
                String after = literals[i + 1];
                ok = after.startsWith("/") || (after.isEmpty() && i == keys.length - 1);
            } else {
                ok = literals[i].endsWith("/");
            }
            if (!ok) {
                throw new IllegalStateException(template + ": {" + keys[i] + "} cannot be matched without "
                        + "backtracking");
            }
        }
    }

    public String template() {
        return template;
    }

    public String summary() {
        return summary;
    }

    public Set<Method> methods() {
        return methods;
    }

    /** The variables of this route bound to their raw (undecoded) values, if the path matches. */
    public Optional<Map<String, String>> match(String rawPath) {
        String[] values = bind(rawPath, rawPath.lastIndexOf('/'), true);
        return values == null ? Optional.empty() : Optional.of(new Variables(keys, values));
    }

    /** The route table as a Markdown table, the one docs/api.md carries (a test keeps the two equal). */
    public static String markdownTable() {
        StringBuilder out = new StringBuilder("| path | methods | what |\n|---|---|---|\n");
        for (Route r : values()) {
            out.append("| `").append(r.template).append("` | ")
                    .append(r.methods.stream().map(Enum::name).collect(java.util.stream.Collectors.joining(", ")))
                    .append(" | ").append(r.summary).append(" |\n");
        }
        return out.toString();
    }

    /** The first route whose template matches the path. */
    public static Optional<Route> find(String rawPath) {
        int lastSlash = rawPath.lastIndexOf('/');
        for (Route r : ROUTES) {
            if (r.bind(rawPath, lastSlash, false) != null) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /**
     * The first route whose template matches the path, in declaration order, with its variables: what
     * {@link #find} and then {@link #match} give, in one pass over the table.
     */
    public static Optional<Match> resolve(String rawPath) {
        int lastSlash = rawPath.lastIndexOf('/');
        for (Route r : ROUTES) {
            String[] values = r.bind(rawPath, lastSlash, true);
            if (values != null) {
                return Optional.of(new Match(r, new Variables(r.keys, values)));
            }
        }
        return Optional.empty();
    }

    /**
     * Matches the whole path against the template without regular expressions and gives the variables' values in
     * template order, or null if it does not match. The result is the one the regular expression
     * {@code ^literal(.+)literal([^/]+)literal$} (quoted literals; {@code (.+)} for {@code {name}}, {@code ([^/]+)}
     * for the others) gives: a single-segment variable ends at the next '/' when matched from the left and starts
     * after the last '/' when matched from the right, which makes every match unique ({@link #checkShape}); the
     * multi-segment variable takes the rest, which must be non-empty and, as {@code .} does, hold no line
     * terminator. With {@code capture} false nothing is allocated and a match gives an empty array.
     * {@code lastSlash} is {@code path.lastIndexOf('/')}, found once for all the routes tried.
     */
    private String[] bind(String path, int lastSlash, boolean capture) {
        int k = keys.length;
        String[] values = null;
        int left = multi < 0 ? k : multi;
        int pos = 0;
        for (int i = 0; i < left; i++) {           // literals and single-segment variables, from the left
            String literal = literals[i];
            if (!path.startsWith(literal, pos)) {
                return null;
            }
            pos += literal.length();
            int slash = path.indexOf('/', pos);
            int end = literals[i + 1].isEmpty() ? (slash < 0 ? path.length() : -1) : slash;
            if (end <= pos) {
                return null;
            }
            if (capture) {
                values = values == null ? new String[k] : values;
                values[i] = path.substring(pos, end);
            }
            pos = end;
        }
        String literal = literals[left];
        if (!path.startsWith(literal, pos)) {
            return null;
        }
        pos += literal.length();
        if (multi < 0) {
            if (pos != path.length()) {
                return null;
            }
            return values == null ? NO_VALUES : values;
        }
        int end = path.length() - literals[k].length();
        if (end <= pos || !path.startsWith(literals[k], end)) {
            return null;
        }
        for (int i = k - 1; i > multi; i--) {      // single-segment variables and literals, from the right
            int start = (end == path.length() ? lastSlash : path.lastIndexOf('/', end - 1)) + 1;
            int before = start - literals[i].length();
            if (start >= end || before <= pos || !path.startsWith(literals[i], before)) {
                return null;
            }
            if (capture) {
                values = values == null ? new String[k] : values;
                values[i] = path.substring(start, end);
            }
            end = before;
        }
        for (int c = pos; c < end; c++) {          // the multi-segment variable: pos < end, no line terminator
            char ch = path.charAt(c);
            if (ch == '\n' || ch == '\r' || ch == '\u0085' || ch == '\u2028' || ch == '\u2029') {
                return null;
            }
        }
        if (!capture) {
            return NO_VALUES;
        }
        values = values == null ? new String[k] : values;
        values[multi] = path.substring(pos, end);
        return values;
    }

    /**
     * Builds this route's path from values given in template order. Values come from validated types
     * (names, digests, tags, upload ids), so none may contain a character that would need escaping: one that
     * does is a bug, refused here so it can never reach a {@code Location} or {@code Link} header.
     */
    public String path(String... values) {
        if (values.length != keys.length) {
            throw new IllegalArgumentException(name() + " takes " + keys.length + " values");
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < keys.length; i++) {
            out.append(literals[i]);
            boolean multiSegment = i == multi;
            String v = values[i];
            if (v.isEmpty()) {
                throw new IllegalArgumentException("empty path value");
            }
            for (int k = 0; k < v.length(); k++) {
                char c = v.charAt(k);
                boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '.' || c == '_' || c == '-' || c == ':' || c == '=' || c == '~'
                        || (c == '/' && multiSegment);
                if (!safe) {
                    throw new IllegalArgumentException("unsafe character in path value: " + (int) c);
                }
            }
            out.append(v);
        }
        return out.append(literals[keys.length]).toString();
    }

    /** A route's variables: its keys (shared) and a match's values, in template order; immutable. */
    private static final class Variables extends AbstractMap<String, String> {
        private final String[] keys;
        private final String[] values;

        Variables(String[] keys, String[] values) {
            this.keys = keys;
            this.values = values;
        }

        @Override
        public int size() {
            return keys.length;
        }

        @Override
        public boolean containsKey(Object key) {
            return indexOf(key) >= 0;
        }

        @Override
        public String get(Object key) {
            int i = indexOf(key);
            return i < 0 ? null : values[i];
        }

        private int indexOf(Object key) {
            for (int i = 0; i < keys.length; i++) {
                if (keys[i].equals(key)) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public Set<Map.Entry<String, String>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public int size() {
                    return keys.length;
                }

                @Override
                public Iterator<Map.Entry<String, String>> iterator() {
                    return new Iterator<>() {
                        private int next;

                        @Override
                        public boolean hasNext() {
                            return next < keys.length;
                        }

                        @Override
                        public Map.Entry<String, String> next() {
                            if (next >= keys.length) {
                                throw new NoSuchElementException();
                            }
                            int i = next++;
                            return Map.entry(keys[i], values[i]);
                        }
                    };
                }
            };
        }
    }
}
