package dev.berth.registry;

/** The bytes a chunk claims to carry, inclusive on both ends, as in an upload's {@code Content-Range: <start>-<end>}. */
public record ChunkRange(long start, long end) {

    public ChunkRange {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("range must satisfy 0 <= start <= end");
        }
    }

    public long length() {
        return end - start + 1;
    }
}
