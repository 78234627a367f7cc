package dev.berth.bench;

import java.util.Arrays;

/**
 * A log-linear histogram of non-negative longs (latencies in nanoseconds), the shape HdrHistogram uses: values
 * below 256 are counted exactly, larger ones in 128 linear sub-buckets per power of two, so a recorded value is
 * known to within 1/128 (0.8%) whatever its magnitude. Fixed memory (about 30 KiB), no allocation per record.
 * Not thread-safe: one per recording thread, then {@link #add} them.
 */
final class Histogram {

    private static final int SUB_BITS = 7;
    private static final int SUB = 1 << SUB_BITS;            // 128 sub-buckets per power of two
    private static final int EXACT = SUB << 1;               // values below 256 are exact
    private static final int SIZE = (64 - SUB_BITS) * SUB + SUB;

    private final long[] counts = new long[SIZE];
    private long total;
    private long min = Long.MAX_VALUE;
    private long max;
    private double sum;

    void record(long value) {
        if (value < 0) {
            value = 0;
        }
        counts[index(value)]++;
        total++;
        sum += value;
        if (value < min) {
            min = value;
        }
        if (value > max) {
            max = value;
        }
    }

    void add(Histogram other) {
        for (int i = 0; i < SIZE; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        sum += other.sum;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
    }

    long count() {
        return total;
    }

    long max() {
        return total == 0 ? 0 : max;
    }

    long min() {
        return total == 0 ? 0 : min;
    }

    double mean() {
        return total == 0 ? 0 : sum / total;
    }

    /**
     * The value at {@code percentile} (0-100): the smallest recorded bucket below which at least that share of
     * values lie, reported as the middle of its bucket (and never beyond the largest value recorded).
     */
    long percentile(double percentile) {
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(percentile / 100.0 * total);
        rank = Math.max(1, Math.min(total, rank));
        long seen = 0;
        for (int i = 0; i < SIZE; i++) {
            seen += counts[i];
            if (seen >= rank) {
                long mid = lowestOf(i) + (widthOf(i) - 1) / 2;
                return Math.max(min, Math.min(max, mid));
            }
        }
        return max;
    }

    void reset() {
        Arrays.fill(counts, 0);
        total = 0;
        sum = 0;
        min = Long.MAX_VALUE;
        max = 0;
    }

    static int index(long v) {
        if (v < EXACT) {
            return (int) v;
        }
        int exp = 63 - Long.numberOfLeadingZeros(v);      // >= 8
        int shift = exp - SUB_BITS;                        // >= 1
        return (shift << SUB_BITS) + (int) (v >>> shift);  // (v >>> shift) is in [128, 256)
    }

    static long lowestOf(int index) {
        if (index < EXACT) {
            return index;
        }
        int shift = (index >>> SUB_BITS) - 1;
        long sub = (index & (SUB - 1)) + SUB;
        return sub << shift;
    }

    static long widthOf(int index) {
        if (index < EXACT) {
            return 1;
        }
        return 1L << ((index >>> SUB_BITS) - 1);
    }
}
