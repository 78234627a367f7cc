package dev.berth.registry;

import dev.berth.storage.StorageWriter;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
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
        if (in instanceof BodyPieces pieces) {
            return copyPieces(pieces, maxBytes, digest, out);
        }
        return copyPipelined(in, maxBytes, digest, out);
    }

    /** Network buffers handed to the writer at most at once (one gathering write). */
    private static final int GATHER = 64;
    /** Hashing copies direct buffers through this much array, small enough to stay in the core's cache. */
    private static final int SCRATCH = 32 * 1024;
    private static final BodyPieces.Piece NO_MORE = new BodyPieces.Piece() {
        @Override
        public ByteBuffer data() {
            return ByteBuffer.allocate(0);
        }

        @Override
        public void release() {
        }
    };

    /**
     * The body's own buffers, hashed on the calling thread and then written and released by a writer thread, with
     * no copy in user space but the hash's cache-sized scratch. Whatever is waiting for the writer still counts
     * against the body's read-ahead limit, so memory stays bounded by that limit.
     */
    private static long copyPieces(BodyPieces body, long maxBytes, ResumableDigest digest, StorageWriter out)
            throws IOException {
        BlockingQueue<BodyPieces.Piece> toWrite = new ArrayBlockingQueue<>(GATHER * 2);
        IOException[] writeFailure = new IOException[1];   // written by the writer, read after a hand-off
        Thread writer = Thread.ofVirtual().name("blob-writer").start(() -> {
            BodyPieces.Piece[] batch = new BodyPieces.Piece[GATHER];
            ByteBuffer[] buffers = new ByteBuffer[GATHER];
            ArrayList<BodyPieces.Piece> drained = new ArrayList<>(GATHER);
            boolean end = false;
            try {
                while (!end) {
                    drained.add(toWrite.take());
                    toWrite.drainTo(drained, GATHER - 1);
                    int n = 0;
                    for (BodyPieces.Piece p : drained) {
                        if (p == NO_MORE) {
                            end = true;
                        } else {
                            batch[n] = p;
                            buffers[n] = p.data();
                            n++;
                        }
                    }
                    drained.clear();
                    try {
                        if (n > 0 && writeFailure[0] == null) {
                            out.write(buffers, 0, n);
                        }
                    } catch (Throwable e) {
                        // Anything, an Error included, must reach the reader, or it would wait forever.
                        writeFailure[0] = e instanceof IOException io ? io : new IOException(e);
                    } finally {
                        for (int i = 0; i < n; i++) {
                            batch[i].release();
                            batch[i] = null;
                            buffers[i] = null;
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        byte[] scratch = new byte[SCRATCH];
        long total = 0;
        boolean ended = false;
        BodyPieces.Piece piece = null;
        try {
            while ((piece = body.next()) != null) {
                ByteBuffer data = piece.data();
                total += data.remaining();
                if (total > maxBytes) {
                    throw new TooLargeException(maxBytes);
                }
                digest.update(data.duplicate(), scratch);
                if (writeFailure[0] != null) {
                    throw writeFailure[0];
                }
                toWrite.put(piece);
                piece = null;
            }
            toWrite.put(NO_MORE);
            ended = true;
            awaitWriter(writer, writeFailure);
            return total;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while storing a blob");
        } finally {
            if (piece != null) {
                piece.release();
            }
            if (!ended) {
                stop(writer);
                // what the writer did not get to goes back to the network layer's pool
                BodyPieces.Piece left;
                while ((left = toWrite.poll()) != null) {
                    left.release();
                }
            }
        }
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
            awaitWriter(writer, writeFailure);
            return total;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while storing a blob");
        } finally {
            if (!ended) {
                stop(writer);
            }
        }
    }

    /** Waits for the writer, which has its end marker, to finish, and throws what it failed with. */
    private static void awaitWriter(Thread writer, IOException[] writeFailure) throws InterruptedException,
            IOException {
        writer.join();
        if (writeFailure[0] != null) {
            throw writeFailure[0];
        }
    }

    /** The copy failed: stops the writer and waits for it. */
    private static void stop(Thread writer) {
        writer.interrupt();
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The body is longer than allowed. */
    static final class TooLargeException extends IOException {
        TooLargeException(long max) {
            super("body longer than " + max + " bytes");
        }
    }
}
