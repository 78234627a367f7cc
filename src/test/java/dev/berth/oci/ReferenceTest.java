package dev.berth.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReferenceTest {

    private static final String SHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String SHA512 = "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

    @ParameterizedTest
    @ValueSource(strings = {SHA256, SHA512})
    void parse_withColon_isADigest(String s) {
        Reference r = Reference.parse(s);

        assertThat(r).isInstanceOf(Digest.class).isEqualTo(Digest.parse(s));
        assertThat(r).hasToString(s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"latest", "v1.0.0", "sha256", "_", "sha256-abc.sig", "UPPER"})
    void parse_withoutColon_isATag(String s) {
        Reference r = Reference.parse(s);

        assertThat(r).isInstanceOf(Tag.class).isEqualTo(Tag.of(s));
        assertThat(r).hasToString(s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sha256:totallywrong", "latest:1", "a:b", ":", "md5:d41d8cd98f00b204e9800998ecf8427e",
            "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"})
    void parse_colonButNoValidDigest_isRejectedRatherThanTakenAsTag(String s) {
        assertThatThrownBy(() -> Reference.parse(s)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".hidden", "-x", "a/b", "a b", "caf\u00e9"})
    void parse_invalidTag_isRejected(String s) {
        assertThatThrownBy(() -> Reference.parse(s)).isInstanceOf(IllegalArgumentException.class);
    }

    @org.junit.jupiter.api.Test
    void reference_isSealedOverTagAndDigest() {
        assertThat(Reference.class.isSealed()).isTrue();
        assertThat(Reference.class.getPermittedSubclasses()).containsExactlyInAnyOrder(Tag.class, Digest.class);
    }
}
