package dev.berth.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.oci.Digest.Algorithm;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The saved state must be exactly Go's {@code crypto/sha256} / {@code crypto/sha512} {@code MarshalBinary} bytes.
 * The known vectors below were computed with an independent, from-scratch SHA-256/SHA-512 compression (checked
 * against a reference library), not with the JDK.
 */
class ResumableDigestTest {

    private static final int MIB = 1024 * 1024;
    private static final int[] SPLITS = {0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000, MIB + 3};
    private static final byte[] DATA = random(MIB + 3 + 517, 42);

    /** Go's sha256 state words after one block of 64 'a' bytes. */
    private static final String SHA256_WORDS_AFTER_64_A =
            "df5bb81ce81e0626fb45a8944fd40f31b25e6816d6d499c1ab90492900635e66";
    /** Go's sha512 state words after one block of 128 'a' bytes. */
    private static final String SHA512_WORDS_AFTER_128_A =
            "03bf7c6e55c11b040d48757f45285fdced46689bfc9026c0281701a1424c80f5"
            + "ca31738befe6afee30f5fe8d4e41e2489379d57c74895af44b1e84ebc1bab8b0";

    private static final HexFormat HEX = HexFormat.of();

    @BeforeAll
    static void internalsAreReachable() {
        assertThat(ResumableDigest.resumable())
                .as("the test JVM runs with --add-opens java.base/sun.security.provider=ALL-UNNAMED")
                .isTrue();
    }

    @Test
    void resumable_isTrueUnderTheTestJvmsAddOpens() {
        assertThat(ResumableDigest.resumable()).isTrue();
        assertThat(ResumableDigest.create(Algorithm.SHA256).exportState()).isPresent();
    }

    static Stream<Arguments> splits() {
        return Stream.of(Algorithm.values())
                .flatMap(a -> Arrays.stream(SPLITS).mapToObj(split -> Arguments.of(a, split)));
    }

    @ParameterizedTest(name = "{0} split at {1}")
    @MethodSource("splits")
    void exportRestoreContinue_givesTheJdksDigest(Algorithm algorithm, int split) {
        ResumableDigest first = ResumableDigest.create(algorithm);
        first.update(DATA, 0, split);
        byte[] state = first.exportState().orElseThrow();

        ResumableDigest second = ResumableDigest.restore(algorithm, state).orElseThrow();
        assertThat(second.length()).isEqualTo(split);
        second.update(DATA, split, DATA.length - split);

        assertThat(second.length()).isEqualTo(DATA.length);
        assertThat(second.digest()).isEqualTo(jdk(algorithm, DATA));
    }

    @ParameterizedTest(name = "{0} split at {1}")
    @MethodSource("splits")
    void exportedState_hasGoSizeMagicBufferAndBigEndianLength(Algorithm algorithm, int split) {
        ResumableDigest d = ResumableDigest.create(algorithm);
        d.update(DATA, 0, split);

        byte[] state = d.exportState().orElseThrow();

        int words = algorithm == Algorithm.SHA256 ? 32 : 64;
        int block = algorithm == Algorithm.SHA256 ? 64 : 128;
        assertThat(state).hasSize(algorithm == Algorithm.SHA256 ? 108 : 204);
        assertThat(Arrays.copyOf(state, 4)).isEqualTo(algorithm == Algorithm.SHA256
                ? new byte[] {'s', 'h', 'a', 3} : new byte[] {'s', 'h', 'a', 7});
        assertThat(ByteBuffer.wrap(state, state.length - 8, 8).getLong()).isEqualTo(split);
        int buffered = split % block;
        assertThat(Arrays.copyOfRange(state, 4 + words, 4 + words + buffered))
                .as("the unprocessed tail of the input")
                .isEqualTo(Arrays.copyOfRange(DATA, split - buffered, split));
        assertThat(Arrays.copyOfRange(state, 4 + words + buffered, 4 + words + block))
                .as("Go zero-fills the rest of the block")
                .containsOnly((byte) 0);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void exportRestoreAtEverySplitInTurn_givesTheJdksDigest(Algorithm algorithm) {
        ResumableDigest d = ResumableDigest.create(algorithm);
        int done = 0;
        for (int split : SPLITS) {
            d.update(DATA, done, split - done);
            done = split;
            d = ResumableDigest.restore(algorithm, d.exportState().orElseThrow()).orElseThrow();
            assertThat(d.length()).isEqualTo(split);
        }
        d.update(DATA, done, DATA.length - done);

        assertThat(d.digest()).isEqualTo(jdk(algorithm, DATA));
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void exportState_doesNotDisturbTheRunningDigest_andIsStable(Algorithm algorithm) {
        ResumableDigest d = ResumableDigest.create(algorithm);
        d.update(DATA, 0, 1000);

        byte[] once = d.exportState().orElseThrow();
        byte[] twice = d.exportState().orElseThrow();
        byte[] again = ResumableDigest.restore(algorithm, once).orElseThrow().exportState().orElseThrow();
        d.update(DATA, 1000, DATA.length - 1000);

        assertThat(twice).isEqualTo(once);
        assertThat(again).as("restore then export gives the same bytes").isEqualTo(once);
        assertThat(d.digest()).isEqualTo(jdk(algorithm, DATA));
    }

    @Test
    void sha256_emptyState_holdsTheInitialHashValuesInGosLayout() {
        byte[] state = ResumableDigest.create(Algorithm.SHA256).exportState().orElseThrow();

        assertThat(HEX.formatHex(state)).isEqualTo("73686103"
                + "6a09e667" + "bb67ae85" + "3c6ef372" + "a54ff53a" + "510e527f" + "9b05688c" + "1f83d9ab" + "5be0cd19"
                + "00".repeat(64) + "0000000000000000");
    }

    @Test
    void sha512_emptyState_holdsTheInitialHashValuesInGosLayout() {
        byte[] state = ResumableDigest.create(Algorithm.SHA512).exportState().orElseThrow();

        assertThat(HEX.formatHex(state)).isEqualTo("73686107"
                + "6a09e667f3bcc908" + "bb67ae8584caa73b" + "3c6ef372fe94f82b" + "a54ff53a5f1d36f1"
                + "510e527fade682d1" + "9b05688c2b3e6c1f" + "1f83d9abfb41bd6b" + "5be0cd19137e2179"
                + "00".repeat(128) + "0000000000000000");
    }

    @Test
    void sha256_after64BytesOfA_equalsGosMarshalBinary() {
        ResumableDigest d = ResumableDigest.create(Algorithm.SHA256);
        d.update(a(64), 0, 64);

        assertThat(HEX.formatHex(d.exportState().orElseThrow()))
                .isEqualTo("73686103" + SHA256_WORDS_AFTER_64_A + "00".repeat(64) + "0000000000000040");
    }

    @Test
    void sha256_after100BytesOfA_equalsGosMarshalBinary() {
        ResumableDigest d = ResumableDigest.create(Algorithm.SHA256);
        d.update(a(100), 0, 100);

        assertThat(HEX.formatHex(d.exportState().orElseThrow())).isEqualTo("73686103" + SHA256_WORDS_AFTER_64_A
                + "61".repeat(36) + "00".repeat(28) + "0000000000000064");
    }

    /**
     * Once C2 intrinsifies the multi-block compression, the JDK may leave exactly one whole block buffered after an
     * update of a block-size multiple; the exported state must still be Go's form (less than a block buffered) and
     * restore to the same digest. Warm the path up until the JIT has compiled it, checking every round.
     */
    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void exportAfterJitWarmup_wholeBlockUpdates_restoreToTheJdksDigest(Algorithm algorithm) {
        int block = algorithm == Algorithm.SHA256 ? 64 : 128;
        byte[] data = java.util.Arrays.copyOf(DATA, block * 3);
        for (int round = 0; round < 30_000; round++) {
            ResumableDigest first = ResumableDigest.create(algorithm);
            first.update(data, 0, block);
            byte[] state = first.exportState().orElseThrow();
            ResumableDigest second = ResumableDigest.restore(algorithm, state).orElseThrow();
            second.update(data, block, data.length - block);
            if (!second.digest().equals(jdk(algorithm, data))) {
                throw new AssertionError("round " + round + ": restored state gives another digest");
            }
        }
    }

    @Test
    void sha512_after128BytesOfA_equalsGosMarshalBinary() {
        ResumableDigest d = ResumableDigest.create(Algorithm.SHA512);
        d.update(a(128), 0, 128);

        assertThat(HEX.formatHex(d.exportState().orElseThrow()))
                .isEqualTo("73686107" + SHA512_WORDS_AFTER_128_A + "00".repeat(128) + "0000000000000080");
    }

    @Test
    void sha512_after200BytesOfA_equalsGosMarshalBinary() {
        ResumableDigest d = ResumableDigest.create(Algorithm.SHA512);
        d.update(a(200), 0, 200);

        assertThat(HEX.formatHex(d.exportState().orElseThrow())).isEqualTo("73686107" + SHA512_WORDS_AFTER_128_A
                + "61".repeat(72) + "00".repeat(56) + "00000000000000c8");
    }

    @Test
    void restore_goWrittenState_continuesToTheRightDigest() {
        // a distribution hashstates/sha256/100 file for an upload of 100 'a' bytes, as Go writes it
        byte[] goState = HEX.parseHex("73686103" + SHA256_WORDS_AFTER_64_A
                + "61".repeat(36) + "00".repeat(28) + "0000000000000064");
        byte[] whole = a(100 + 4000);

        ResumableDigest d = ResumableDigest.restore(Algorithm.SHA256, goState).orElseThrow();
        assertThat(d.length()).isEqualTo(100);
        d.update(whole, 100, 4000);

        assertThat(d.length()).isEqualTo(4100);
        assertThat(d.digest()).isEqualTo(jdk(Algorithm.SHA256, whole));
    }

    @Test
    void restore_goWrittenSha512State_continuesToTheRightDigest() {
        byte[] goState = HEX.parseHex("73686107" + SHA512_WORDS_AFTER_128_A
                + "61".repeat(72) + "00".repeat(56) + "00000000000000c8");
        byte[] whole = a(200 + 333);

        ResumableDigest d = ResumableDigest.restore(Algorithm.SHA512, goState).orElseThrow();
        d.update(whole, 200, 333);

        assertThat(d.digest()).isEqualTo(jdk(Algorithm.SHA512, whole));
    }

    @Test
    void goState_sizesAndMagics_areGos() {
        assertThat(ResumableDigest.GoState.size(Algorithm.SHA256)).isEqualTo(108);
        assertThat(ResumableDigest.GoState.size(Algorithm.SHA512)).isEqualTo(204);
        assertThat(ResumableDigest.GoState.magic(Algorithm.SHA256)).isEqualTo(new byte[] {'s', 'h', 'a', 3});
        assertThat(ResumableDigest.GoState.magic(Algorithm.SHA512)).isEqualTo(new byte[] {'s', 'h', 'a', 7});
    }

    static Stream<Arguments> badStates() {
        byte[] good256 = exported(Algorithm.SHA256, 100);
        byte[] good512 = exported(Algorithm.SHA512, 100);
        return Stream.of(
                Arguments.of("empty", Algorithm.SHA256, new byte[0]),
                Arguments.of("magic only", Algorithm.SHA256, Arrays.copyOf(good256, 4)),
                Arguments.of("truncated by one", Algorithm.SHA256, Arrays.copyOf(good256, 107)),
                Arguments.of("one byte too many", Algorithm.SHA256, Arrays.copyOf(good256, 109)),
                Arguments.of("sha512 state as sha256", Algorithm.SHA256, good512),
                Arguments.of("sha256 state as sha512", Algorithm.SHA512, good256),
                Arguments.of("sha224 magic", Algorithm.SHA256, withByte(good256, 3, (byte) 2)),
                Arguments.of("sha384 magic", Algorithm.SHA512, withByte(good512, 3, (byte) 4)),
                Arguments.of("sha512/256 magic", Algorithm.SHA512, withByte(good512, 3, (byte) 6)),
                Arguments.of("capital magic", Algorithm.SHA256, withByte(good256, 0, (byte) 'S')),
                Arguments.of("zeroes", Algorithm.SHA256, new byte[108]),
                Arguments.of("truncated sha512", Algorithm.SHA512, Arrays.copyOf(good512, 203)),
                Arguments.of("negative length", Algorithm.SHA256, withByte(good256, 100, (byte) 0x80)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badStates")
    void restore_malformedState_isEmpty(String why, Algorithm algorithm, byte[] state) {
        assertThat(ResumableDigest.restore(algorithm, state)).isEmpty();
    }

    @Test
    void length_countsBytesHashed() {
        ResumableDigest d = ResumableDigest.create(Algorithm.SHA256);
        assertThat(d.length()).isZero();

        d.update(DATA, 0, 10);
        assertThat(d.length()).isEqualTo(10);
        d.update(DATA, 10, 0);
        assertThat(d.length()).isEqualTo(10);
        d.update(ByteBuffer.wrap(DATA, 10, 90));
        assertThat(d.length()).isEqualTo(100);
        ByteBuffer direct = ByteBuffer.allocateDirect(200_000);
        direct.put(DATA, 100, 200_000).flip();
        d.update(direct);
        assertThat(d.length()).isEqualTo(200_100);
        assertThat(direct.hasRemaining()).isFalse();

        assertThat(d.digest()).isEqualTo(jdk(Algorithm.SHA256, Arrays.copyOf(DATA, 200_100)));
    }

    @Test
    void update_heapBufferWithOffset_hashesOnlyItsRemainingBytes() {
        ByteBuffer slice = ByteBuffer.wrap(DATA, 0, 5000).position(1234).slice();
        slice.limit(1000);
        ResumableDigest d = ResumableDigest.create(Algorithm.SHA512);

        d.update(slice);

        assertThat(slice.hasRemaining()).isFalse();
        assertThat(d.length()).isEqualTo(1000);
        assertThat(d.digest()).isEqualTo(jdk(Algorithm.SHA512, Arrays.copyOfRange(DATA, 1234, 2234)));
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void digest_ofNothing_isTheEmptyDigest(Algorithm algorithm) {
        ResumableDigest d = ResumableDigest.create(algorithm);

        assertThat(d.algorithm()).isEqualTo(algorithm);
        assertThat(d.digest()).isEqualTo(jdk(algorithm, new byte[0]));
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void digest_manySmallUpdates_equalsTheJdks(Algorithm algorithm) {
        ResumableDigest d = ResumableDigest.create(algorithm);
        SplittableRandom random = new SplittableRandom(3);
        int done = 0;
        while (done < 300_000) {
            int n = Math.min(random.nextInt(0, 300), 300_000 - done);
            d.update(DATA, done, n);
            done += n;
        }

        assertThat(d.digest()).isEqualTo(jdk(algorithm, Arrays.copyOf(DATA, 300_000)));
    }

    private static byte[] exported(Algorithm algorithm, int n) {
        ResumableDigest d = ResumableDigest.create(algorithm);
        d.update(DATA, 0, n);
        return d.exportState().orElseThrow();
    }

    private static byte[] withByte(byte[] b, int index, byte value) {
        byte[] copy = b.clone();
        copy[index] = value;
        return copy;
    }

    private static byte[] a(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'a');
        return b;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private static Digest jdk(Algorithm algorithm, byte[] data) {
        return Digest.of(algorithm, algorithm.newMessageDigest().digest(data));
    }
}
