package dev.berth.registry;

import dev.berth.storage.StorageWriter;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Streams a request body into storage while hashing it, with hashing and writing overlapped: the calling thread
 * reads a buffer and hashes it while a second (virtual) thread writes the previous buffer. Two buffers per copy,
 * so memory per upload is bounded ({@code 2 x BUFFER} at most) whatever the blob size. Small bodies (known length
 * up to one small buffer) are copied on the calling thread alone.
 */
final class ChunkCopier {

    /**
     * 1 MiB less 64 bytes: with its 16-byte header the array still fits one G1 region of 1 MiB (heaps under 2 GiB), and
     * stays an ordinary young object with regions of 2 MiB and more. A whole 1 MiB array would be a humongous object
     * spanning two regions, so every upload would hold 4 MiB of heap instead of 2 (S3MemoryIT measured it: 32 pushes
     * at once did not fit in -Xmx128m).
     */
    static final int BUFFER = 1024 * 1024 - 64;
    private static final int SMALL = 64 * 1024;

    private ChunkCopier() {
    }

    /**
     * Copies {@code in} to {@code out} until end of stream, updating {@code digest}; returns the bytes copied.
     *
     * @param expectedLength the body length if known (Content-Length), else -1; used only to size buffers
     * @param maxBytes       refuse (with {@link TooLargeException}) bodies longer than this
     */
    static long copy(InputStream in, long expectedLength, long maxBytes, ResumableDigest digest, StorageWriter out)
            throws IOException {
        if (expectedLength >= 0 && expectedLength <= SMALL) {
            return copySmall(in, (int) expectedLength, maxBytes, digest, out);
        }
        return copyPipelined(in, maxBytes, digest, out);
    }

    private static long copySmall(InputStream in, int expected, long maxBytes, ResumableDigest digest,
                                  StorageWriter out) throws IOException {
        byte[] buf = new byte[Math.max(expected, 1) + 1];
        long total = 0;
        int n;
        while ((n = in.read(buf, 0, buf.length)) > 0) {
            total += n;
            if (total > maxBytes) {
                throw new TooLargeException(maxBytes);
            }
            digest.update(buf, 0, n);
            out.write(ByteBuffer.wrap(buf, 0, n));
        }
        return total;
    }

    private record Filled(byte[] buffer, int length) {
    }

    private static final Filled END = new Filled(new byte[0], 0);

    private static long copyPipelined(InputStream in, long maxBytes, ResumableDigest digest, StorageWriter out)
            throws IOException {
        BlockingQueue<Filled> toWrite = new ArrayBlockingQueue<>(1);
        BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(2);
        IOException[] writeFailure = new IOException[1];   // written by the writer, read after a hand-off
        Thread writer = Thread.ofVirtual().name("blob-writer").start(() -> {
            try {
                while (true) {
                    Filled f = toWrite.take();
                    if (f == END) {
                        return;
                    }
                    if (writeFailure[0] == null) {
                        try {
                            out.write(ByteBuffer.wrap(f.buffer(), 0, f.length()));
                        } catch (Throwable e) {
                            // Anything, an Error included, must reach the reader, or it would wait forever.
                            writeFailure[0] = e instanceof IOException io ? io : new IOException(e);
                        }
                    }
                    free.put(f.buffer());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        free.add(new byte[BUFFER]);
        free.add(new byte[BUFFER]);
        long total = 0;
        boolean ended = false;
        try {
            while (true) {
                byte[] buf = free.take();
                int filled = 0;
                int n = 0;
                while (filled < buf.length && (n = in.read(buf, filled, buf.length - filled)) > 0) {
                    filled += n;
                }
                if (filled > 0) {
                    total += filled;
                    if (total > maxBytes) {
                        throw new TooLargeException(maxBytes);
                    }
                    digest.update(buf, 0, filled);
                    if (writeFailure[0] != null) {
                        throw writeFailure[0];
                    }
                    toWrite.put(new Filled(buf, filled));
                }
                if (n < 0 || filled < buf.length) {
                    break;
                }
            }
            toWrite.put(END);
            ended = true;
            writer.join();
            if (writeFailure[0] != null) {
                throw writeFailure[0];
            }
            return total;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while storing a blob");
        } finally {
            if (!ended) {
                writer.interrupt();
                try {
                    writer.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** The body is longer than allowed. */
    static final class TooLargeException extends IOException {
        TooLargeException(long max) {
            super("body longer than " + max + " bytes");
        }
    }
}
