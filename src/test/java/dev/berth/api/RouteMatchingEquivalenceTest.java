package dev.berth.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Route} matches paths without regular expressions; this keeps it identical to the regular expressions it
 * replaced, kept here as the reference: {@code ^quoted(.+)quoted([^/]+)quoted$} per template ({@code (.+)} for
 * {@code {name}}, {@code ([^/]+)} for every other variable), tried in declaration order, with
 * {@link Matcher#matches()}. Several hundred thousand paths, valid and not, go through both.
 */
class RouteMatchingEquivalenceTest {

    private static final String D256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String UUID = "0f5e9c1a-7a4b-4c43-9b7e-3c1f0e2d5a6b";

    /** The old matcher, verbatim: one pattern and the variable names per route. */
    private static final class Oracle {
        final Pattern pattern;
        final List<String> variables = new ArrayList<>();

        Oracle(String template) {
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

        Optional<Map<String, String>> match(String rawPath) {
            Matcher m = pattern.matcher(rawPath);
            if (!m.matches()) {
                return Optional.empty();
            }
            var values = new LinkedHashMap<String, String>();
            for (int i = 0; i < variables.size(); i++) {
                values.put(variables.get(i), m.group(i + 1));
            }
            return Optional.of(values);
        }
    }

    /** The old {@code Route.path}, verbatim. */
    private static String oldPath(Route route, String... values) {
        List<String> variables = ORACLES.get(route).variables;
        String template = route.template();
        if (values.length != variables.size()) {
            throw new IllegalArgumentException(route.name() + " takes " + variables.size() + " values");
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

    private static final Map<Route, Oracle> ORACLES = new EnumMap<>(Route.class);

    private static Set<String> paths;

    @BeforeAll
    static void build() {
        for (Route r : Route.values()) {
            ORACLES.put(r, new Oracle(r.template()));
        }
        paths = corpus();
    }

    /** Path pieces: the templates' literals and the other routes' keywords, separators, and odd characters. */
    private static final List<String> KEYWORDS = List.of("/", "a", "blobs", "uploads", "manifests", "tags", "list",
            "referrers", "_catalog", "v2", "auth", "token", "\n", "x:y");

    private static final List<String> ODD = List.of("", "//", "/", "/", "/", "%2F", "%2f", "%3A", "?", "?n=1&last=x",
            "#frag", " ", "\t", "\0", "\r", "\r\n", "\u0085", "\u2028", "\u2029", "\u000b", "\u000c", "caf\u00e9",
            "\uD83D\uDE00", "\uD800", "\uDC00", D256, UUID, "{name}", "{digest}", ".", "..", "_", "-", "V2", "BLOBS",
            "Manifests", "blobs/uploads", "tags/list", "/v2/", "v2/", "/v2", "latest", "a.b-c_d", "x%2Fy", ";", "+",
            "\\", "~", "=", "@");

    private static Set<String> corpus() {
        Set<String> out = new LinkedHashSet<>();
        // every path that names a route, and the hand-picked odd ones
        for (Route r : Route.values()) {
            out.add(r.template());
        }
        out.addAll(List.of("", "/", "/v2", "/v2/", "/v2//", "v2/", "//v2/", "/V2/", "/v2/_catalog", "/v2/_catalog/",
                "/v2//_catalog", "/v2/_catalog?n=1", "/v2/?x", "/auth/token", "/auth/token/", "/auth/token?x=1",
                "/v2/a", "/v2/a/", "/v2/tags/list", "/v2//tags/list", "/v2///tags/list", "/v2/a//tags/list",
                "/v2/a/tags/list/", "/v2/a/tags/list?n=10&last=b", "/v2/a/manifests/", "/v2/a/manifests//",
                "/v2/a/manifests/latest/", "/v2/a/manifests/a/b", "/v2//manifests/latest", "/v2/a//manifests/x",
                "/v2/a/manifests/latest?x=y", "/v2/a/manifests/latest\n", "/v2/a\n/manifests/latest",
                "/v2/\n/manifests/latest", "/v2/a/manifests/\n", "/v2/a\r/tags/list", "/v2/a\u2028b/tags/list",
                "/v2/a\u0085/blobs/uploads/", "/v2/a/blobs/uploads/\n", "/v2/a/blobs/uploads//",
                "/v2/a/blobs/uploads", "/v2/a/blobs/uploads/u/", "/v2/a/blobs/", "/v2/a/blobs", "/v2/blobs/x",
                "/v2/a/blobs/" + D256 + "/", "/v2/a/blobs/sha256%3Aabc", "/v2/a%2Fb/manifests/x%3Ay",
                "/v2/a/referrers/", "/v2/a/referrers/" + D256, "/v2/x/blobs/y/blobs/" + D256,
                "/v2/x/blobs/y/manifests/latest", "/v2/x/blobs/y/tags/list", "/v2/x/blobs/y/blobs/uploads/",
                "/v2/x/blobs/y/blobs/uploads/" + UUID, "/v2/a/blobs/uploads/blobs/" + D256,
                "/v2/a/blobs/uploads/blobs/uploads/", "/v2/a/manifests/b/manifests/c", "/v2/a/tags/list/tags/list",
                "/v2/a/referrers/b/blobs/uploads/", "/v2/_catalog/tags/list", "/v2/v2/manifests/latest",
                "/v2/blobs/uploads/", "/v2//blobs/uploads/", "/v2/a/blobs/uploads/" + UUID + "?digest=" + D256,
                "/v2/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/manifests/latest", "/v2/\uD83D\uDE00/tags/list",
                "/v2/\uD800/manifests/\uDC00", "/v2/a/manifests/\uD83D\uDE00", "/v2/ /manifests/ "));
        // exhaustive: every sequence of up to 4 keywords, bare and under /v2/
        List<String> prefix = List.of("", "/v2/");
        List<String> seqs = new ArrayList<>(List.of(""));
        for (int len = 1; len <= 4; len++) {
            List<String> next = new ArrayList<>();
            for (String s : seqs) {
                for (String k : KEYWORDS) {
                    next.add(s + k);
                }
            }
            for (String p : prefix) {
                for (String s : next) {
                    out.add(p + s);
                }
            }
            seqs = next;
        }
        // exhaustive under /v2/: five pieces from the route keywords, separators and a name segment
        List<String> five = List.of("/", "a", "blobs", "uploads", "manifests", "tags", "list", "referrers", "\n");
        List<String> level = List.of("/v2/");
        for (int len = 1; len <= 5; len++) {
            List<String> next = new ArrayList<>();
            for (String s : level) {
                for (String k : five) {
                    next.add(s + k);
                }
            }
            out.addAll(next);
            level = next;
        }
        // random: longer paths from every piece, most under /v2/, many ending in a route's suffix
        Random random = new Random(20240611L);
        List<String> all = new ArrayList<>(KEYWORDS);
        all.addAll(ODD);
        List<String> tails = List.of("", "/tags/list", "/manifests/latest", "/manifests/" + D256, "/blobs/" + D256,
                "/blobs/uploads/", "/blobs/uploads/" + UUID, "/referrers/" + D256, "/_catalog", "/");
        for (int n = 0; n < 200_000; n++) {
            StringBuilder b = new StringBuilder(random.nextInt(10) < 8 ? "/v2/" : "");
            int len = random.nextInt(14);
            for (int i = 0; i < len; i++) {
                b.append(all.get(random.nextInt(all.size())));
            }
            if (random.nextBoolean()) {
                b.append(tails.get(random.nextInt(tails.size())));
            }
            out.add(b.toString());
        }
        return out;
    }

    private static Optional<Route> oracleFind(String path) {
        for (Route r : Route.values()) {
            if (ORACLES.get(r).match(path).isPresent()) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    private static String show(String path) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : path.toCharArray()) {
            b.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return b.append('"').toString();
    }

    @Test
    void corpus_isLargeAndHoldsEveryRoute() {
        assertThat(paths).hasSizeGreaterThan(250_000);
        Map<Route, Integer> hits = new EnumMap<>(Route.class);
        for (String p : paths) {
            oracleFind(p).ifPresent(r -> hits.merge(r, 1, Integer::sum));
        }
        assertThat(hits.keySet()).as("routes the corpus reaches").containsExactlyInAnyOrder(Route.values());
        for (Route r : Route.values()) {
            if (r != Route.BASE && r != Route.CATALOG && r != Route.TOKEN) {
                assertThat(hits.get(r)).as(r + " paths").isGreaterThan(500);
            }
        }
    }

    @Test
    void find_isTheRegexFind_forEveryPath() {
        List<String> wrong = new ArrayList<>();
        for (String p : paths) {
            Optional<Route> expected = oracleFind(p);
            Optional<Route> actual = Route.find(p);
            if (!expected.equals(actual)) {
                wrong.add(show(p) + ": regex " + expected + ", now " + actual);
            }
        }
        assertThat(wrong).as("paths found differently").isEmpty();
    }

    @Test
    void match_isTheRegexMatch_forEveryRouteAndPath() {
        List<String> wrong = new ArrayList<>();
        for (String p : paths) {
            for (Route r : Route.values()) {
                Optional<Map<String, String>> expected = ORACLES.get(r).match(p);
                Optional<Map<String, String>> actual = r.match(p);
                if (!sameBinding(expected, actual)) {
                    wrong.add(r + " " + show(p) + ": regex " + expected + ", now " + actual);
                }
            }
        }
        assertThat(wrong).as("paths matched differently").isEmpty();
    }

    @Test
    void resolve_isTheRegexFindThenMatch_forEveryPath() {
        List<String> wrong = new ArrayList<>();
        for (String p : paths) {
            Optional<Route> route = oracleFind(p);
            Optional<Map<String, String>> expected = route.flatMap(r -> ORACLES.get(r).match(p));
            Optional<Route.Match> actual = Route.resolve(p);
            if (!route.equals(actual.map(Route.Match::route))
                    || !sameBinding(expected, actual.map(Route.Match::variables))) {
                wrong.add(show(p) + ": regex " + route + " " + expected + ", now " + actual);
            }
        }
        assertThat(wrong).as("paths resolved differently").isEmpty();
    }

    /** Same presence, same entries in the same order, and a map that behaves as the old LinkedHashMap did. */
    private static boolean sameBinding(Optional<Map<String, String>> expected, Optional<Map<String, String>> actual) {
        if (expected.isPresent() != actual.isPresent()) {
            return false;
        }
        if (expected.isEmpty()) {
            return true;
        }
        Map<String, String> e = expected.get();
        Map<String, String> a = actual.get();
        if (!List.copyOf(e.entrySet()).equals(List.copyOf(a.entrySet()))
                || !List.copyOf(e.keySet()).equals(List.copyOf(a.keySet()))
                || !List.copyOf(e.values()).equals(List.copyOf(a.values()))
                || !e.equals(a) || !a.equals(e) || e.hashCode() != a.hashCode()
                || !e.toString().equals(a.toString()) || e.size() != a.size() || a.containsKey("nope")
                || a.get("nope") != null) {
            return false;
        }
        for (Map.Entry<String, String> entry : e.entrySet()) {
            if (!a.containsKey(entry.getKey()) || !entry.getValue().equals(a.get(entry.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void path_isTheOldPath_forAnyValues() {
        Random random = new Random(7L);
        List<String> pieces = new ArrayList<>(KEYWORDS);
        pieces.addAll(ODD);
        List<String> wrong = new ArrayList<>();
        for (int n = 0; n < 20_000; n++) {
            for (Route r : Route.values()) {
                int count = Math.max(0, ORACLES.get(r).variables.size() + (random.nextInt(8) == 0 ? 1 : 0)
                        - (random.nextInt(8) == 0 ? 1 : 0));
                String[] values = new String[count];
                for (int i = 0; i < count; i++) {
                    StringBuilder v = new StringBuilder();
                    int len = random.nextInt(4);
                    for (int j = 0; j < len; j++) {
                        v.append(random.nextInt(3) == 0 ? pieces.get(random.nextInt(pieces.size())) : "a");
                    }
                    values[i] = v.toString();
                }
                String expected = outcome(() -> oldPath(r, values));
                String actual = outcome(() -> r.path(values));
                if (!expected.equals(actual)) {
                    wrong.add(r + " " + List.of(values) + ": old " + expected + ", now " + actual);
                }
            }
        }
        assertThat(wrong).as("paths built differently").isEmpty();
    }

    private static String outcome(java.util.function.Supplier<String> build) {
        try {
            return "ok " + build.get();
        } catch (RuntimeException e) {
            return e.getClass().getName() + ": " + e.getMessage();
        }
    }

    @Test
    void variables_areImmutable() {
        Map<String, String> vars = Route.resolve("/v2/a/manifests/latest").orElseThrow().variables();

        assertThat(vars).containsExactly(Map.entry("name", "a"), Map.entry("reference", "latest"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> vars.put("name", "b"))
                .isInstanceOf(UnsupportedOperationException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> vars.entrySet().iterator().remove())
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
