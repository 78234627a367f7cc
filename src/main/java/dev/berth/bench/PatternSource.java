package dev.berth.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.util.SplittableRandom;

/**
 * A deterministic pseudo-random byte source of any length, cheap enough to feed a socket at several GiB/s: a
 * 1 MiB block of random bytes drawn from the seed, repeated, with the first 16 bytes of every 64 KiB segment
 * replaced by the seed and the segment's number, so no two segments of a blob (nor of blobs with different seeds)
 * are equal. The byte at an offset depends only on the seed and the offset, so a blob can be hashed in one pass and
 * then sent (whole, in chunks, or a range of it) by a second pass with the same generator, without a file.
 *
 * <p>Sending writes straight from one direct buffer (patched in place between writes), so the client adds no
 * copy of its own to the kernel's.
 */
final class PatternSource {

    static final int BLOCK = 1 << 20;
    private static final int SEGMENT_BITS = 16;
    private static final int SEGMENT = 1 << SEGMENT_BITS;

    private final long seed;
    private final byte[] heap = new byte[BLOCK];
    private final ByteBuffer direct = ByteBuffer.allocateDirect(BLOCK);
    private long heapBlock = -1;
    private long directBlock = -1;

    PatternSource(long seed) {
        this.seed = seed;
        new SplittableRandom(seed).nextBytes(heap);
        direct.put(0, heap);
    }

    long seed() {
        return seed;
    }

    /** The byte at {@code offset} (slow; for tests and checks). */
    byte byteAt(long offset) {
        long block = offset / BLOCK;
        patch(heap, block);
        heapBlock = block;
        return heap[(int) (offset % BLOCK)];
    }

    /** Feeds {@code length} bytes from {@code offset} to {@code digest}. */
    void hash(MessageDigest digest, long offset, long length) {
        walk(false, offset, length, (from, n, done) -> digest.update(heap, from, n));
    }

    /** Copies {@code length} bytes from {@code offset} into {@code out} (heap, for small blobs). */
    void copy(byte[] out, int outOffset, long offset, int length) {
        walk(false, offset, length, (from, n, done) -> System.arraycopy(heap, from, out, outOffset + (int) done, n));
    }

    byte[] bytes(long offset, int length) {
        byte[] out = new byte[length];
        copy(out, 0, offset, length);
        return out;
    }

    /** Writes {@code length} bytes from {@code offset} to {@code channel} (blocking), from the direct block. */
    void writeTo(WritableByteChannel channel, long offset, long length) throws IOException {
        walk(true, offset, length, (from, n, done) -> {
            ByteBuffer slice = direct.slice(from, n);
            while (slice.hasRemaining()) {
                if (channel.write(slice) < 0) {
                    throw new IOException("channel closed");
                }
            }
        });
    }

    /** A stretch of one block: {@code n} bytes from {@code from} in it, after {@code done} bytes of the walk. */
    @FunctionalInterface
    private interface Span<E extends Exception> {
        void accept(int from, int n, long done) throws E;
    }

    /**
     * Walks {@code [offset, offset + length)} a block at a time, patching the heap or the direct block for each block
     * it enters, and hands each stretch to {@code span}.
     */
    private <E extends Exception> void walk(boolean inDirect, long offset, long length, Span<E> span) throws E {
        long end = offset + length;
        long p = offset;
        while (p < end) {
            long block = p / BLOCK;
            if (inDirect && directBlock != block) {
                patch(direct, block);
                directBlock = block;
            } else if (!inDirect && heapBlock != block) {
                patch(heap, block);
                heapBlock = block;
            }
            int from = (int) (p - block * BLOCK);
            int n = (int) Math.min(BLOCK - from, end - p);
            span.accept(from, n, p - offset);
            p += n;
        }
    }

    private void patch(byte[] b, long block) {
        long firstSegment = block * (BLOCK / SEGMENT);
        for (int s = 0; s < BLOCK / SEGMENT; s++) {
            int at = s * SEGMENT;
            putLong(b, at, seed);
            putLong(b, at + 8, firstSegment + s);
        }
    }

    private void patch(ByteBuffer b, long block) {
        long firstSegment = block * (BLOCK / SEGMENT);
        for (int s = 0; s < BLOCK / SEGMENT; s++) {
            int at = s * SEGMENT;
            b.putLong(at, seed);
            b.putLong(at + 8, firstSegment + s);
        }
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 7; i >= 0; i--) {
            b[at + i] = (byte) v;
            v >>>= 8;
        }
    }
}
