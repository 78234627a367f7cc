package dev.berth.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Appends to one object. Not thread-safe: one writer per object at a time. {@link #close()} keeps what was
 * written so a later writer can continue it; {@link #cancel()} removes the object.
 */
public interface StorageWriter extends Closeable {

    /** Writes all remaining bytes of {@code src}. */
    void write(ByteBuffer src) throws IOException;

    /**
     * Writes all remaining bytes of {@code srcs[offset]} to {@code srcs[offset + length - 1]}, in order: one
     * gathering write where the driver has one.
     */
    default void write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        for (int i = offset; i < offset + length; i++) {
            write(srcs[i]);
        }
    }

    /** The object's size so far, including what was there before the writer's offset. */
    long size();

    /**
     * Makes what was written visible to readers and closes the writer; durable on disk only where the driver is
     * configured to sync (the filesystem driver does not by default, as distribution does not).
     */
    void commit() throws IOException;

    /** Discards the object and closes the writer. */
    void cancel() throws IOException;
}
