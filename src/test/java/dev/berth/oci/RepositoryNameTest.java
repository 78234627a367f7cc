package dev.berth.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class RepositoryNameTest {

    /** The distribution spec's grammar, written out independently of the production pattern. */
    private static final Pattern SPEC = Pattern.compile(
            "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");

    static Stream<String> accepted() {
        return Stream.of(
                "a", "0", "abc123", "library/ubuntu", "a/b/c/d", "a-b", "a--b", "a---------b", "a__b", "a_b",
                "a.b", "a.b.c", "a-b_c.d__e", "gcr.io/project/image", "1/2/3", "a0-b1/c2__d3.e4",
                "docker.io/library/hello-world", "x/blobs/y", "x/manifests/latest", "a/tags/list",
                "a/blobs/uploads", "v2", "_catalog".substring(1),
                "a".repeat(255),
                ("abcdefghi/").repeat(25) + "abcde",   // 255 characters over 26 components
                "a" + "-".repeat(253) + "b");
    }

    @ParameterizedTest
    @MethodSource("accepted")
    void of_validName_isAcceptedAndKeptVerbatim(String s) {
        assertThat(SPEC.matcher(s).matches()).as("test data follows the spec grammar").isTrue();
        assertThat(s.length()).isLessThanOrEqualTo(255);

        RepositoryName name = RepositoryName.of(s);

        assertThat(name.value()).isEqualTo(s);
        assertThat(name).hasToString(s);
    }

    @Test
    void of_255Characters_isAccepted() {
        assertThat(RepositoryName.of("b".repeat(RepositoryName.MAX_LENGTH)).value()).hasSize(255);
    }

    @Test
    void of_256Characters_isRejected() {
        assertThatThrownBy(() -> RepositoryName.of("b".repeat(256))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RepositoryName.of(("abcdefghi/").repeat(25) + "abcdef"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "A", "Library/ubuntu", "library/Ubuntu", "aB",
            "..", ".", "a..b", "a/../b", "../a", "a/..", "a/./b", "./a",
            "/a", "a/", "a//b", "/", "//",
            "a___b", "a____b", "_a", "a_", "-a", "a-", ".a", "a.", "a._b", "a-.b", "a_-b", "a.-b",
            "a/_b", "a/b-", "a/.b",
            "%2e", "%2e%2e/a", "a%2fb", "a%20b", "a\\b", "..\\a", "a b", " a", "a ", "a\tb", "a\nb", "a\rb",
            "a\0b", "a:b", "a@b", "a?b", "a#b", "a+b", "a~b", "a*b", "a;b",
            "\u00e9", "caf\u00e9", "a\u2024b", "\uff41", "\u0430", "a\u2215b", "a\u00a0b", "\u0661",
    })
    void of_invalidName_isRejected(String s) {
        assertThat(SPEC.matcher(s).matches()).as("test data breaks the spec grammar").isFalse();

        assertThatThrownBy(() -> RepositoryName.of(s)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void of_null_isRejected() {
        assertThatThrownBy(() -> RepositoryName.of(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void of_manyGeneratedNames_agreesWithTheSpecGrammar() {
        // every string of length 1..4 over a small alphabet that exercises every rule of the grammar
        char[] alphabet = {'a', '1', '.', '_', '-', '/', 'A'};
        List<String> all = new ArrayList<>();
        all.add("");
        List<String> previous = List.of("");
        for (int len = 1; len <= 4; len++) {
            List<String> next = new ArrayList<>();
            for (String p : previous) {
                for (char c : alphabet) {
                    next.add(p + c);
                }
            }
            all.addAll(next);
            previous = next;
        }
        List<String> disagreements = new ArrayList<>();
        for (String s : all) {
            boolean spec = SPEC.matcher(s).matches();
            boolean accepted;
            try {
                RepositoryName.of(s);
                accepted = true;
            } catch (IllegalArgumentException e) {
                accepted = false;
            }
            if (spec != accepted) {
                disagreements.add("'" + s + "' spec=" + spec + " berth=" + accepted);
            }
        }
        assertThat(disagreements).isEmpty();
    }

    @Test
    void compareTo_ordersByValue() {
        List<RepositoryName> names = new ArrayList<>(List.of(
                RepositoryName.of("b"), RepositoryName.of("a/b"), RepositoryName.of("a"), RepositoryName.of("a-b")));
        Collections.sort(names);

        assertThat(names).extracting(RepositoryName::value).containsExactly("a", "a-b", "a/b", "b");
    }

    @Test
    void equals_sameValue_isEqual() {
        assertThat(RepositoryName.of("library/ubuntu")).isEqualTo(new RepositoryName("library/ubuntu"))
                .hasSameHashCodeAs(RepositoryName.of("library/ubuntu"));
    }
}
