package dev.berth.api;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    private final String template;
    private final String summary;
    private final Set<Method> methods;
    private final Pattern pattern;
    private final List<String> variables;

    Route(String template, String summary, Method first, Method... rest) {
        this.template = template;
        this.summary = summary;
        this.methods = java.util.Collections.unmodifiableSet(EnumSet.of(first, rest));
        this.variables = new ArrayList<>();
        StringBuilder regex = new StringBuilder("^");
        Matcher m = Pattern.compile("\\{([a-z]+)}").matcher(template);
        int last = 0;
        while (m.find()) {
            regex.append(Pattern.quote(template.substring(last, m.start())));
            variables.add(m.group(1));
            regex.append(m.group(1).equals("name") ? "(.+)" : "([^/]+)");
            last = m.end();
        }
        regex.append(Pattern.quote(template.substring(last))).append('$');
        this.pattern = Pattern.compile(regex.toString());
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
        Matcher m = pattern.matcher(rawPath);
        if (!m.matches()) {
            return Optional.empty();
        }
        var values = new java.util.LinkedHashMap<String, String>();
        for (int i = 0; i < variables.size(); i++) {
            values.put(variables.get(i), m.group(i + 1));
        }
        return Optional.of(values);
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
        for (Route r : values()) {
            if (r.pattern.matcher(rawPath).matches()) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /**
     * Builds this route's path from values given in template order. Values come from validated types
     * (names, digests, tags, upload ids), so none may contain a character that would need escaping: one that
     * does is a bug, refused here so it can never reach a {@code Location} or {@code Link} header.
     */
    public String path(String... values) {
        if (values.length != variables.size()) {
            throw new IllegalArgumentException(name() + " takes " + variables.size() + " values");
        }
        StringBuilder out = new StringBuilder();
        Matcher m = Pattern.compile("\\{([a-z]+)}").matcher(template);
        int last = 0;
        int i = 0;
        while (m.find()) {
            out.append(template, last, m.start());
            boolean multiSegment = m.group(1).equals("name");
            String v = values[i++];
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
            last = m.end();
        }
        return out.append(template.substring(last)).toString();
    }
}
