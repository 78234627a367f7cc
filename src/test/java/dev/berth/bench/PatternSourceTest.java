package dev.berth.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.security.MessageDigest;

import static org.assertj.core.api.Assertions.assertThat;

class PatternSourceTest {

    private static byte[] written(PatternSource s, long offset, long length) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        s.writeTo(Channels.newChannel(out), offset, length);
        return out.toByteArray();
    }

    @Test
    void hashing_andWriting_giveTheSameBytes() throws Exception {
        PatternSource s = new PatternSource(42);
        long length = 3 * PatternSource.BLOCK + 12345;
        MessageDigest md = Bench.sha256();
        s.hash(md, 0, length);
        byte[] bytes = written(new PatternSource(42), 0, length);
        assertThat(bytes).hasSize((int) length);
        assertThat(MessageDigest.isEqual(md.digest(), Bench.sha256().digest(bytes))).isTrue();
        assertThat(new PatternSource(42).bytes(0, (int) length)).isEqualTo(bytes);
    }

    @Test
    void anyRange_isTheSameAsInTheWhole() throws Exception {
        PatternSource s = new PatternSource(9);
        byte[] whole = written(s, 0, 2 * PatternSource.BLOCK + 100);
        long from = PatternSource.BLOCK - 7;
        byte[] range = written(new PatternSource(9), from, PatternSource.BLOCK + 50);
        for (int i = 0; i < range.length; i++) {
            assertThat(range[i]).isEqualTo(whole[(int) from + i]);
        }
        assertThat(s.byteAt(from + 3)).isEqualTo(whole[(int) from + 3]);
    }

    @Test
    void segments_andSeeds_differ() throws Exception {
        byte[] a = written(new PatternSource(1), 0, 2 * PatternSource.BLOCK);
        byte[] b = written(new PatternSource(2), 0, 2 * PatternSource.BLOCK);
        byte[] firstBlock = java.util.Arrays.copyOfRange(a, 0, PatternSource.BLOCK);
        byte[] secondBlock = java.util.Arrays.copyOfRange(a, PatternSource.BLOCK, 2 * PatternSource.BLOCK);
        assertThat(firstBlock).isNotEqualTo(secondBlock);
        assertThat(a).isNotEqualTo(b);
    }
}
