package dev.berth.registry;

import dev.berth.oci.Digest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ContentCacheTest {

    private static Digest d(int i) {
        return Digest.sha256(("content " + i).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void get_afterPut_returnsTheContent_andUnknownIsNull() {
        ContentCache cache = new ContentCache(1600);
        cache.put(d(1), new byte[10]);
        assertThat(cache.get(d(1))).hasSize(10);
        assertThat(cache.get(d(2))).isNull();
    }

    @Test
    void put_overTheCap_evictsLeastRecentlyUsedFirst() {
        ContentCache cache = new ContentCache(1600);    // entries up to 100 bytes
        cache.put(d(1), new byte[100]);
        for (int i = 2; i <= 16; i++) {
            cache.put(d(i), new byte[100]);
        }
        cache.get(d(1));                                 // 1 is now the most recently used
        cache.put(d(17), new byte[100]);

        assertThat(cache.bytes()).isLessThanOrEqualTo(1600);
        assertThat(cache.get(d(1))).isNotNull();
        assertThat(cache.get(d(2))).isNull();
        assertThat(cache.get(d(17))).isNotNull();
    }

    @Test
    void put_entryOverASixteenthOfTheCap_isNotKept() {
        ContentCache cache = new ContentCache(1600);
        cache.put(d(1), new byte[101]);
        assertThat(cache.get(d(1))).isNull();
        assertThat(cache.size()).isZero();
    }
}
