package dev.berth.bench;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class HistogramTest {

    @Test
    void smallValues_areExact() {
        Histogram h = new Histogram();
        for (int v = 1; v <= 100; v++) {
            h.record(v);
        }
        assertThat(h.percentile(50)).isEqualTo(50);
        assertThat(h.percentile(99)).isEqualTo(99);
        assertThat(h.percentile(100)).isEqualTo(100);
        assertThat(h.count()).isEqualTo(100);
        assertThat(h.mean()).isCloseTo(50.5, within(1e-9));
    }

    @Test
    void largeValues_areWithinOnePercent() {
        Histogram h = new Histogram();
        Random r = new Random(7);
        long[] values = new long[100_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = 1_000 + (long) (r.nextDouble() * 50_000_000);   // 1 us to 50 ms in ns
            h.record(values[i]);
        }
        java.util.Arrays.sort(values);
        for (double p : new double[] {50, 90, 99, 99.9}) {
            long exact = values[(int) Math.ceil(p / 100 * values.length) - 1];
            assertThat((double) h.percentile(p)).as("p" + p).isCloseTo(exact, within(exact * 0.01));
        }
        assertThat(h.max()).isEqualTo(values[values.length - 1]);
        assertThat(h.min()).isEqualTo(values[0]);
    }

    @Test
    void index_andLowestOf_agreeAcrossTheRange() {
        for (long v : new long[] {0, 1, 255, 256, 257, 511, 512, 1_000_000, 123_456_789_012L, Long.MAX_VALUE / 2}) {
            int i = Histogram.index(v);
            assertThat(Histogram.lowestOf(i)).isLessThanOrEqualTo(v);
            assertThat(Histogram.lowestOf(i) + Histogram.widthOf(i)).isGreaterThan(v);
        }
    }

    @Test
    void add_mergesCounts() {
        Histogram a = new Histogram();
        Histogram b = new Histogram();
        a.record(10);
        b.record(1_000_000);
        b.record(2_000_000);
        a.add(b);
        assertThat(a.count()).isEqualTo(3);
        assertThat(a.max()).isEqualTo(2_000_000);
        assertThat(a.min()).isEqualTo(10);
    }

    @Test
    void empty_reportsZero() {
        assertThat(new Histogram().percentile(99)).isZero();
    }
}
