package dev.berth.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class RouteTest {

    private static final String D256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String UUID = "0f5e9c1a-7a4b-4c43-9b7e-3c1f0e2d5a6b";

    static Stream<Arguments> paths() {
        return Stream.of(
                Arguments.of("/v2/", Route.BASE, Map.of()),
                Arguments.of("/v2/_catalog", Route.CATALOG, Map.of()),
                Arguments.of("/v2/a/tags/list", Route.TAGS, Map.of("name", "a")),
                Arguments.of("/v2/a/b/tags/list", Route.TAGS, Map.of("name", "a/b")),
                Arguments.of("/v2/a/b/manifests/latest", Route.MANIFEST,
                        Map.of("name", "a/b", "reference", "latest")),
                Arguments.of("/v2/a/b/manifests/" + D256, Route.MANIFEST, Map.of("name", "a/b", "reference", D256)),
                Arguments.of("/v2/a/b/blobs/uploads/", Route.UPLOADS, Map.of("name", "a/b")),
                Arguments.of("/v2/a/b/blobs/uploads/" + UUID, Route.UPLOAD, Map.of("name", "a/b", "uuid", UUID)),
                Arguments.of("/v2/a/b/blobs/" + D256, Route.BLOB, Map.of("name", "a/b", "digest", D256)),
                Arguments.of("/v2/a/referrers/" + D256, Route.REFERRERS, Map.of("name", "a", "digest", D256)),
                Arguments.of("/v2/a/b/c/d/e/manifests/v1", Route.MANIFEST,
                        Map.of("name", "a/b/c/d/e", "reference", "v1")),
                // a repository literally named x/blobs/y: the route is decided by the end of the path
                Arguments.of("/v2/x/blobs/y/blobs/" + D256, Route.BLOB, Map.of("name", "x/blobs/y", "digest", D256)),
                Arguments.of("/v2/x/blobs/y/manifests/latest", Route.MANIFEST,
                        Map.of("name", "x/blobs/y", "reference", "latest")),
                Arguments.of("/v2/x/blobs/y/tags/list", Route.TAGS, Map.of("name", "x/blobs/y")),
                Arguments.of("/v2/x/blobs/y/blobs/uploads/", Route.UPLOADS, Map.of("name", "x/blobs/y")),
                Arguments.of("/v2/x/blobs/y/blobs/uploads/" + UUID, Route.UPLOAD,
                        Map.of("name", "x/blobs/y", "uuid", UUID)),
                Arguments.of("/v2/x/blobs/y/referrers/" + D256, Route.REFERRERS,
                        Map.of("name", "x/blobs/y", "digest", D256)),
                // names made of the other routes' keywords
                Arguments.of("/v2/a/blobs/uploads/blobs/" + D256, Route.BLOB,
                        Map.of("name", "a/blobs/uploads", "digest", D256)),
                Arguments.of("/v2/a/manifests/b/manifests/c", Route.MANIFEST,
                        Map.of("name", "a/manifests/b", "reference", "c")),
                Arguments.of("/v2/a/tags/list/tags/list", Route.TAGS, Map.of("name", "a/tags/list")),
                Arguments.of("/v2/v2/manifests/latest", Route.MANIFEST, Map.of("name", "v2", "reference", "latest")),
                Arguments.of("/v2/_catalog/tags/list", Route.TAGS, Map.of("name", "_catalog")),
                Arguments.of("/v2/a/referrers/b/blobs/uploads/", Route.UPLOADS, Map.of("name", "a/referrers/b")));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("paths")
    void find_picksTheRouteForThePath(String path, Route expected, Map<String, String> variables) {
        assertThat(Route.find(path)).contains(expected);
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @MethodSource("paths")
    void match_bindsVariablesAcrossSegments(String path, Route route, Map<String, String> variables) {
        assertThat(route.match(path)).contains(variables);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void path_rebuildsTheMatchedPath(String path, Route route, Map<String, String> variables) {
        Map<String, String> bound = route.match(path).orElseThrow();

        assertThat(route.path(bound.values().toArray(String[]::new))).isEqualTo(path);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "/", "/v1/", "/v2", "v2/", "/v2/_catalog/", "/v2/a", "/v2/a/", "/v2/a/tags", "/v2/a/tags/list/",
            "/v2/a/manifests/", "/v2/a/manifests", "/v2/a/manifests/latest/", "/v2/a/manifests/a/b",
            "/v2/a/blobs/", "/v2/a/blobs", "/v2/a/blobs/" + D256 + "/", "/v2/a/blobs/uploads/u/",
            "/v2/a/referrers/", "/v2//manifests/latest", "/v2/tags/list", "/v3/a/tags/list", "/V2/a/tags/list",
            "/x/v2/a/tags/list",
    })
    void find_unknownPath_isEmpty(String path) {
        assertThat(Route.find(path)).isEmpty();
    }

    @Test
    void match_otherRoutesPath_isEmpty() {
        assertThat(Route.BLOB.match("/v2/a/manifests/latest")).isEmpty();
        assertThat(Route.UPLOADS.match("/v2/a/blobs/uploads/" + UUID)).isEmpty();
        assertThat(Route.BASE.match("/v2/_catalog")).isEmpty();
    }

    @Test
    void match_keepsRawUndecodedValues() {
        assertThat(Route.MANIFEST.match("/v2/a%2Fb/manifests/x%3Ay"))
                .contains(Map.of("name", "a%2Fb", "reference", "x%3Ay"));
    }

    @Test
    void match_returnsVariablesInTemplateOrder() {
        Map<String, String> bound = Route.UPLOAD.match("/v2/a/b/blobs/uploads/" + UUID).orElseThrow();

        assertThat(bound.keySet()).containsExactly("name", "uuid");
    }

    @Test
    void find_everyTemplateFilledWithSampleValues_findsItsOwnRoute() {
        for (Route r : Route.values()) {
            String path = r.path(sampleValues(r));
            assertThat(Route.find(path)).as(r + " " + path).contains(r);
        }
    }

    @Test
    void path_buildsTemplates() {
        assertThat(Route.BASE.path()).isEqualTo("/v2/");
        assertThat(Route.CATALOG.path()).isEqualTo("/v2/_catalog");
        assertThat(Route.TAGS.path("library/ubuntu")).isEqualTo("/v2/library/ubuntu/tags/list");
        assertThat(Route.MANIFEST.path("a/b", "latest")).isEqualTo("/v2/a/b/manifests/latest");
        assertThat(Route.UPLOADS.path("a")).isEqualTo("/v2/a/blobs/uploads/");
        assertThat(Route.UPLOAD.path("a/b", UUID)).isEqualTo("/v2/a/b/blobs/uploads/" + UUID);
        assertThat(Route.BLOB.path("a", D256)).isEqualTo("/v2/a/blobs/" + D256);
        assertThat(Route.REFERRERS.path("a", D256)).isEqualTo("/v2/a/referrers/" + D256);
    }

    @ParameterizedTest
    @CsvSource({"BASE,1", "CATALOG,1", "TAGS,0", "TAGS,2", "MANIFEST,1", "MANIFEST,3", "UPLOAD,1", "BLOB,0"})
    void path_wrongNumberOfValues_isRefused(Route route, int count) {
        String[] values = new String[count];
        Arrays.fill(values, "a");

        assertThatThrownBy(() -> route.path(values)).isInstanceOf(IllegalArgumentException.class);
    }

    static Stream<String> unsafeValues() {
        return Stream.of("a\rb", "a\nb", "a\r\nLocation: http://evil", "a b", " a", "a?b", "a#b", "a%2fb", "a%0d%0a",
                "a\"b", "a\tb", "a\0b", "a\\b", "a<b", "a>b", "a;b", "a,b", "a@b", "a+b", "a&b", "a'b", "a`b",
                "a{b}", "a|b", "a^b", "a[b]", "caf\u00e9", "a\u2028b", "a\u0085b", "\uff0e\uff0e", "a\u007fb");
    }

    @ParameterizedTest
    @MethodSource("unsafeValues")
    void path_unsafeCharacterInAnyVariable_isRefused(String unsafe) {
        assertThatThrownBy(() -> Route.TAGS.path(unsafe)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Route.MANIFEST.path("a", unsafe)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Route.MANIFEST.path(unsafe, "latest")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Route.UPLOAD.path("a", unsafe)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Route.BLOB.path("a", unsafe)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Route.REFERRERS.path("a", unsafe)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "A-Z_0.9", "sha256:abc", "k=v", "a~b"})
    void path_safeCharacters_areKept(String safe) {
        assertThat(Route.UPLOAD.path("n", safe)).isEqualTo("/v2/n/blobs/uploads/" + safe);
        assertThat(Route.TAGS.path("a/" + safe.toLowerCase())).isEqualTo("/v2/a/" + safe.toLowerCase() + "/tags/list");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void everyRoute_hasATemplateUnderV2_aSummaryAndMethods_butTheTokenServer(Route r) {
        assertThat(r.template()).startsWith(r == Route.TOKEN ? "/auth/" : "/v2/");
        assertThat(r.summary()).isNotBlank();
        assertThat(r.methods()).isNotEmpty();
    }

    @Test
    void methods_areThoseOfTheSpec() {
        assertThat(Route.BASE.methods()).containsExactlyInAnyOrder(Route.Method.GET, Route.Method.HEAD);
        assertThat(Route.CATALOG.methods()).containsExactly(Route.Method.GET);
        assertThat(Route.TAGS.methods()).containsExactly(Route.Method.GET);
        assertThat(Route.MANIFEST.methods()).containsExactlyInAnyOrder(
                Route.Method.GET, Route.Method.HEAD, Route.Method.PUT, Route.Method.DELETE);
        assertThat(Route.UPLOADS.methods()).containsExactly(Route.Method.POST);
        assertThat(Route.UPLOAD.methods()).containsExactlyInAnyOrder(
                Route.Method.GET, Route.Method.PATCH, Route.Method.PUT, Route.Method.DELETE);
        assertThat(Route.BLOB.methods()).containsExactlyInAnyOrder(
                Route.Method.GET, Route.Method.HEAD, Route.Method.DELETE);
        assertThat(Route.REFERRERS.methods()).containsExactly(Route.Method.GET);
    }

    @Test
    void methods_cannotBeModified() {
        // adding a method already there: refused by an unmodifiable set, and harmless if the set is mutable
        assertThatThrownBy(() -> Route.TAGS.methods().add(Route.Method.GET))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    private static final Pattern VARIABLE = Pattern.compile("\\{([a-z]+)}");

    private static String[] sampleValues(Route r) {
        Map<String, String> samples = new LinkedHashMap<>();
        Matcher m = VARIABLE.matcher(r.template());
        while (m.find()) {
            samples.put(m.group(1), switch (m.group(1)) {
                case "name" -> "x/blobs/y";
                case "digest" -> D256;
                case "uuid" -> UUID;
                default -> "latest";
            });
        }
        return samples.values().toArray(String[]::new);
    }

    @Test
    void find_returnsFirstMatchInDeclarationOrder_andNoTwoRoutesMatchTheSamplePaths() {
        for (Route r : Route.values()) {
            String path = r.path(sampleValues(r));
            List<Route> matching = Arrays.stream(Route.values()).filter(o -> o.match(path).isPresent()).toList();
            assertThat(matching).as(path).containsExactly(r);
            assertThat(Route.find(path)).isEqualTo(Optional.of(r));
        }
    }
}
