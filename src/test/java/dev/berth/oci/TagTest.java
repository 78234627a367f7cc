package dev.berth.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TagTest {

    static Stream<String> accepted() {
        return Stream.of(
                "latest", "a", "A", "0", "_", "__", "_a", "v1.0.0", "1.2.3-rc.1", "V1_2", "my-tag", "a.b-c_d",
                "sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.sig",
                "a...", "a---", "UPPER", "x".repeat(128), "_" + "-".repeat(127));
    }

    @ParameterizedTest
    @MethodSource("accepted")
    void of_validTag_isAcceptedAndKeptVerbatim(String s) {
        Tag tag = Tag.of(s);

        assertThat(tag.value()).isEqualTo(s);
        assertThat(tag).hasToString(s);
    }

    @Test
    void of_128Characters_isAccepted_and129AreRejected() {
        assertThat(Tag.of("t".repeat(128)).value()).hasSize(128);
        assertThatThrownBy(() -> Tag.of("t".repeat(129))).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", ".", "..", ".a", "-", "-a", "a:b", "sha256:abc", "a/b", "/a", "a/", "a b", " a", "a ", "a\tb",
            "a\nb", "a\rb", "a\0b", "a@b", "a+b", "a%2e", "%41", "a\\b", "a?b", "a#b", "a~b", "a,b",
            "\u00e9", "caf\u00e9", "\uff41", "\u0661", "a\u00a0",
    })
    void of_invalidTag_isRejected(String s) {
        assertThatThrownBy(() -> Tag.of(s)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void of_null_isRejected() {
        assertThatThrownBy(() -> Tag.of(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void compareTo_ordersByValue() {
        List<Tag> tags = new ArrayList<>(List.of(Tag.of("v2"), Tag.of("latest"), Tag.of("V1"), Tag.of("_x")));
        Collections.sort(tags);

        assertThat(tags).extracting(Tag::value).containsExactly("V1", "_x", "latest", "v2");
    }
}
