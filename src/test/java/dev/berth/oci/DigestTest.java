package dev.berth.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class DigestTest {

    private static final String HEX64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String HEX128 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

    @Test
    void parse_sha256_givesAlgorithmAndHex() {
        Digest d = Digest.parse("sha256:" + HEX64);

        assertThat(d.algorithm()).isEqualTo(Digest.Algorithm.SHA256);
        assertThat(d.hex()).isEqualTo(HEX64);
        assertThat(d).hasToString("sha256:" + HEX64);
    }

    @Test
    void parse_sha512_givesAlgorithmAndHex() {
        Digest d = Digest.parse("sha512:" + HEX128);

        assertThat(d.algorithm()).isEqualTo(Digest.Algorithm.SHA512);
        assertThat(d.hex()).isEqualTo(HEX128);
        assertThat(d).hasToString("sha512:" + HEX128);
    }

    @Test
    void parse_equalStrings_giveEqualDigests() {
        assertThat(Digest.parse("sha256:" + HEX64)).isEqualTo(Digest.parse("sha256:" + HEX64))
                .hasSameHashCodeAs(Digest.parse("sha256:" + HEX64))
                .isNotEqualTo(Digest.parse("sha256:" + HEX64.replace('e', 'f')));
    }

    static Stream<Digest> randomDigests() {
        SplittableRandom random = new SplittableRandom(20240611);
        return IntStream.range(0, 500).mapToObj(i -> {
            Digest.Algorithm a = i % 2 == 0 ? Digest.Algorithm.SHA256 : Digest.Algorithm.SHA512;
            byte[] raw = new byte[a.hexLength() / 2];
            random.nextBytes(raw);
            return Digest.of(a, raw);
        });
    }

    @Test
    void parse_toString_roundTripsOverManyRandomDigests() {
        randomDigests().forEach(d -> {
            assertThat(Digest.parse(d.toString())).isEqualTo(d);
            assertThat(Digest.parse(d.toString()).toString()).isEqualTo(d.toString());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // upper-case hex
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85A",
            // algorithm in upper case
            "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            // wrong length
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
            "sha256:0",
            "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            // unknown algorithms
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
            "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "blake3:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256+b64u:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            // empty parts, missing colon
            "",
            ":",
            "sha256:",
            ":e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            // whitespace
            " sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ",
            "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256 :e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
            "sha256:e3b0c44298fc1c149afbf4c8996fb924\t7ae41e4649b934ca495991b7852b855",
            // not hex, two colons, garbage
            "sha256:totallywrong",
            "sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256:sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b785",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855:",
            "sha256:\u0665\u0663b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8",
    })
    void parse_malformedDigest_isRejected(String s) {
        assertThatThrownBy(() -> Digest.parse(s)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parse_upperCaseHex_isRejected() {
        assertThatThrownBy(() -> Digest.parse("sha256:" + HEX64.toUpperCase()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Digest.parse("sha512:" + HEX128.toUpperCase()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parse_null_isRejected() {
        assertThatThrownBy(() -> Digest.parse(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void constructor_validates_likeParse() {
        assertThatThrownBy(() -> new Digest(Digest.Algorithm.SHA256, HEX128))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Digest(Digest.Algorithm.SHA512, HEX64))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Digest(Digest.Algorithm.SHA256, HEX64.toUpperCase()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Digest(null, HEX64)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Digest(Digest.Algorithm.SHA256, null)).isInstanceOf(NullPointerException.class);
    }

    static Stream<Arguments> contents() {
        SplittableRandom random = new SplittableRandom(7);
        return IntStream.of(0, 1, 55, 56, 63, 64, 65, 1000, 100_000).mapToObj(n -> {
            byte[] b = new byte[n];
            random.nextBytes(b);
            return Arguments.of(n, b);
        });
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("contents")
    void sha256_equalsJdkSha256Hex(int size, byte[] content) throws Exception {
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));

        Digest d = Digest.sha256(content);

        assertThat(d.algorithm()).isEqualTo(Digest.Algorithm.SHA256);
        assertThat(d.hex()).isEqualTo(expected).hasSize(64);
    }

    @Test
    void sha256_ofEmptyContent_isTheWellKnownEmptyDigest() {
        assertThat(Digest.sha256(new byte[0])).hasToString("sha256:" + HEX64);
    }

    @Test
    void of_formatsLowerCaseHex() {
        byte[] raw = new byte[32];
        java.util.Arrays.fill(raw, (byte) 0xAB);

        assertThat(Digest.of(Digest.Algorithm.SHA256, raw).hex()).isEqualTo("ab".repeat(32));
    }

    @Test
    void of_wrongRawLength_isRejected() {
        assertThatThrownBy(() -> Digest.of(Digest.Algorithm.SHA512, new byte[32]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void algorithm_fromId_knowsExactlySha256AndSha512() {
        assertThat(Digest.Algorithm.fromId("sha256")).isEqualTo(Digest.Algorithm.SHA256);
        assertThat(Digest.Algorithm.fromId("sha512")).isEqualTo(Digest.Algorithm.SHA512);
        assertThatThrownBy(() -> Digest.Algorithm.fromId("sha384")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Digest.Algorithm.fromId("SHA256")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void algorithm_newMessageDigest_producesDigestsOfTheRightLength() {
        for (Digest.Algorithm a : Digest.Algorithm.values()) {
            assertThat(a.newMessageDigest().digest(new byte[] {1, 2, 3})).hasSize(a.hexLength() / 2);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sha256:abc", "a:b", ":", "sha256:totallywrong"})
    void looksLikeDigest_anyColon_isTrue(String s) {
        assertThat(Digest.looksLikeDigest(s)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"latest", "v1.0", "", "sha256"})
    void looksLikeDigest_noColon_isFalse(String s) {
        assertThat(Digest.looksLikeDigest(s)).isFalse();
    }
}
