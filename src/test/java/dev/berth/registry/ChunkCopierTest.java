package dev.berth.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.berth.oci.Digest;
import dev.berth.storage.StorageWriter;
import dev.berth.storage.memory.MemoryDriver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ChunkCopierTest {

    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;
    private static final String PATH = "/docker/registry/v2/repositories/a/_uploads/u/data";
    private static final Duration NO_HANG = Duration.ofSeconds(20);
    private static final int[] SIZES = {0, 1, 64 * KIB, 64 * KIB + 1, MIB, MIB + 1, 5 * MIB + 7};

    private final MemoryDriver driver = new MemoryDriver();

    static Stream<Arguments> sizes() {
        return Arrays.stream(SIZES).boxed().flatMap(size -> Stream.of(
                Arguments.of(size, true, false), Arguments.of(size, false, false),
                Arguments.of(size, true, true), Arguments.of(size, false, true)));
    }

    @ParameterizedTest(name = "{0} bytes, length known: {1}, short reads: {2}")
    @MethodSource("sizes")
    void copy_writesIdenticalBytes_andHashesThem(int size, boolean lengthKnown, boolean shortReads)
            throws Exception {
        byte[] data = random(size, size);
        InputStream in = shortReads ? new TrickleStream(data, size) : new ByteArrayInputStream(data);
        ResumableDigest digest = ResumableDigest.create(Digest.Algorithm.SHA256);

        long copied;
        try (StorageWriter writer = driver.writer(PATH, 0)) {
            copied = assertTimeoutPreemptively(NO_HANG,
                    () -> ChunkCopier.copy(in, lengthKnown ? size : -1, Long.MAX_VALUE, digest, writer));
            writer.commit();
        }

        assertThat(copied).isEqualTo(size);
        assertThat(digest.length()).isEqualTo(size);
        assertThat(driver.getContent(PATH)).isEqualTo(data);
        assertThat(digest.digest()).isEqualTo(Digest.sha256(data));
    }

    @Test
    void copy_continuesAnExistingObjectAtItsOffset() throws Exception {
        byte[] first = random(3 * MIB + 5, 1);
        byte[] second = random(2 * MIB + 9, 2);
        ResumableDigest digest = ResumableDigest.create(Digest.Algorithm.SHA256);
        try (StorageWriter w = driver.writer(PATH, 0)) {
            ChunkCopier.copy(new ByteArrayInputStream(first), first.length, Long.MAX_VALUE, digest, w);
            w.commit();
        }
        try (StorageWriter w = driver.writer(PATH, first.length)) {
            ChunkCopier.copy(new ByteArrayInputStream(second), -1, Long.MAX_VALUE, digest, w);
            w.commit();
        }
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);

        assertThat(driver.getContent(PATH)).isEqualTo(both);
        assertThat(digest.digest()).isEqualTo(Digest.sha256(both));
    }

    @Test
    void copy_lengthDeclaredSmallButBodyLarger_stillCopiesEverything() throws Exception {
        byte[] data = random(3 * MIB, 9);
        ResumableDigest digest = ResumableDigest.create(Digest.Algorithm.SHA256);

        long copied;
        try (StorageWriter w = driver.writer(PATH, 0)) {
            copied = ChunkCopier.copy(new ByteArrayInputStream(data), 10, Long.MAX_VALUE, digest, w);
            w.commit();
        }

        assertThat(copied).isEqualTo(data.length);
        assertThat(driver.getContent(PATH)).isEqualTo(data);
        assertThat(digest.digest()).isEqualTo(Digest.sha256(data));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 64 * KIB, 64 * KIB + 1, MIB, MIB + 1, 5 * MIB + 7})
    void copy_bodyLongerThanMax_isRefused(int size) throws Exception {
        byte[] data = random(size, 5);
        for (long declared : new long[] {size, -1}) {
            try (StorageWriter w = driver.writer(PATH, 0)) {
                assertTimeoutPreemptively(NO_HANG, () -> assertThatThrownBy(() -> ChunkCopier.copy(
                        new ByteArrayInputStream(data), declared, size - 1, ResumableDigest.create(
                                Digest.Algorithm.SHA256), w))
                        .isInstanceOf(ChunkCopier.TooLargeException.class));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 64 * KIB, MIB + 1, 5 * MIB + 7})
    void copy_bodyOfExactlyMax_isAccepted(int size) throws Exception {
        byte[] data = random(size, 6);
        try (StorageWriter w = driver.writer(PATH, 0)) {
            assertThat(ChunkCopier.copy(new ByteArrayInputStream(data), -1, size,
                    ResumableDigest.create(Digest.Algorithm.SHA256), w)).isEqualTo(size);
        }
    }

    static Stream<Arguments> failingStreams() {
        return IntStream.of(0, 1, 1000, 64 * KIB, MIB, MIB + 1, 3 * MIB + 5).boxed().flatMap(failAt -> Stream.of(
                Arguments.of(failAt, (long) failAt + 10), Arguments.of(failAt, -1L), Arguments.of(failAt, 10L)));
    }

    @ParameterizedTest(name = "fails after {0} bytes, declared length {1}")
    @MethodSource("failingStreams")
    void copy_streamThrowsMidway_propagatesTheIOException_andStopsTheWriterThread(int failAt, long declared)
            throws Exception {
        IOException failure = new IOException("connection reset by peer");
        InputStream in = new FailingStream(random(failAt, failAt), failure);
        RecordingWriter writer = new RecordingWriter(driver.writer(PATH, 0), Long.MAX_VALUE, null);

        assertTimeoutPreemptively(NO_HANG, () -> assertThatThrownBy(() -> ChunkCopier.copy(in, declared,
                Long.MAX_VALUE, ResumableDigest.create(Digest.Algorithm.SHA256), writer))
                .isSameAs(failure));

        assertNoWriterThreadIsLeft(writer);
    }

    static Stream<Arguments> failingWriters() {
        Stream<Arguments> large = Stream.of(0L, 1L, (long) MIB, 2L * MIB, 4L * MIB, 5L * MIB).flatMap(failAt ->
                Stream.of(Arguments.of(failAt, 5 * MIB + 7, 5L * MIB + 7), Arguments.of(failAt, 5 * MIB + 7, -1L)));
        Stream<Arguments> small = Stream.of(0L, 1L, 20L * KIB).flatMap(failAt ->
                Stream.of(Arguments.of(failAt, 40 * KIB, 40L * KIB), Arguments.of(failAt, 40 * KIB, -1L)));
        return Stream.concat(large, small);
    }

    @ParameterizedTest(name = "writer fails after {0} bytes of {1}, declared {2}")
    @MethodSource("failingWriters")
    void copy_writerFails_propagatesItsIOException_withoutHanging(long failAt, int size, long declared)
            throws Exception {
        IOException failure = new IOException("No space left on device");
        RecordingWriter writer = new RecordingWriter(driver.writer(PATH, 0), failAt, failure);
        byte[] data = random(size, 11);

        assertTimeoutPreemptively(NO_HANG, () -> assertThatThrownBy(() -> ChunkCopier.copy(
                new ByteArrayInputStream(data), declared, Long.MAX_VALUE,
                ResumableDigest.create(Digest.Algorithm.SHA256), writer))
                .isSameAs(failure));

        assertNoWriterThreadIsLeft(writer);
    }

    @Test
    void copy_writerThrowsRuntimeException_propagatesAsIOException() throws Exception {
        RuntimeException failure = new IllegalStateException("bucket gone");
        RecordingWriter writer = new RecordingWriter(driver.writer(PATH, 0), MIB, failure);

        assertTimeoutPreemptively(NO_HANG, () -> assertThatThrownBy(() -> ChunkCopier.copy(
                new ByteArrayInputStream(random(5 * MIB + 7, 12)), -1, Long.MAX_VALUE,
                ResumableDigest.create(Digest.Algorithm.SHA256), writer))
                .isInstanceOf(IOException.class)
                .hasCause(failure));

        assertNoWriterThreadIsLeft(writer);
    }

    @Test
    void copy_writerThrowsAnError_doesNotHang() throws Exception {
        // An Error (OutOfMemoryError growing a buffer, a LinkageError in a driver's SDK) must fail the copy,
        // not park the request thread forever waiting for a buffer the dead writer thread never gives back.
        Error failure = new OutOfMemoryError("Java heap space");
        RecordingWriter writer = new RecordingWriter(driver.writer(PATH, 0), 0, failure);

        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> ChunkCopier.copy(
                new ByteArrayInputStream(random(5 * MIB + 7, 13)), -1, Long.MAX_VALUE,
                ResumableDigest.create(Digest.Algorithm.SHA256), writer))
                .isInstanceOfAny(IOException.class, Error.class));

        assertNoWriterThreadIsLeft(writer);
    }

    @Test
    void copy_largeBody_writesOnAnotherThread_inBoundedChunks() throws Exception {
        byte[] data = random(5 * MIB + 7, 14);
        RecordingWriter writer = new RecordingWriter(driver.writer(PATH, 0), Long.MAX_VALUE, null);

        ChunkCopier.copy(new ByteArrayInputStream(data), data.length, Long.MAX_VALUE,
                ResumableDigest.create(Digest.Algorithm.SHA256), writer);

        assertThat(writer.thread.get()).isNotSameAs(Thread.currentThread());
        assertThat(writer.largestWrite.get()).isLessThanOrEqualTo(ChunkCopier.BUFFER);
        assertThat(driver.getContent(PATH)).isEqualTo(data);
        assertNoWriterThreadIsLeft(writer);
    }

    // ---- bodies handed out as the network's own buffers (BodyPieces) -----------------------------------------

    static Stream<Arguments> pieceSizes() {
        return IntStream.of(0, 1, 64 * KIB + 1, MIB, 5 * MIB + 7).boxed().flatMap(size -> Stream.of(
                Arguments.of(size, true), Arguments.of(size, false)));
    }

    @ParameterizedTest(name = "{0} bytes in pieces, length known: {1}")
    @MethodSource("pieceSizes")
    void copyPieces_writesIdenticalBytes_hashesThem_andReleasesEveryPiece(int size, boolean lengthKnown)
            throws Exception {
        byte[] data = random(size, size + 100);
        PieceStream body = new PieceStream(data, size, null);
        ResumableDigest digest = ResumableDigest.create(Digest.Algorithm.SHA256);

        long copied;
        try (StorageWriter writer = driver.writer(PATH, 0)) {
            copied = assertTimeoutPreemptively(NO_HANG,
                    () -> ChunkCopier.copy(body, lengthKnown ? size : -1, Long.MAX_VALUE, digest, writer));
            writer.commit();
        }

        assertThat(copied).isEqualTo(size);
        assertThat(driver.getContent(PATH)).isEqualTo(data);
        assertThat(digest.digest()).isEqualTo(Digest.sha256(data));
        assertThat(body.outstanding.get()).as("pieces taken and not released").isZero();
        if (size > 64 * KIB || !lengthKnown && size > 0) {
            assertThat(body.taken.get()).as("the body was taken as pieces, not read as a stream").isPositive();
        }
    }

    @ParameterizedTest(name = "writer fails after {0} bytes")
    @ValueSource(longs = {0, 1, MIB, 4 * MIB})
    void copyPieces_writerFails_propagatesItsIOException_andReleasesEveryPiece(long failAt) throws Exception {
        IOException failure = new IOException("No space left on device");
        RecordingWriter writer = new RecordingWriter(driver.writer(PATH, 0), failAt, failure);
        PieceStream body = new PieceStream(random(5 * MIB + 7, 21), 21, null);

        assertTimeoutPreemptively(NO_HANG, () -> assertThatThrownBy(() -> ChunkCopier.copy(body, -1,
                Long.MAX_VALUE, ResumableDigest.create(Digest.Algorithm.SHA256), writer)).isSameAs(failure));

        assertNoWriterThreadIsLeft(writer);
        assertThat(body.outstanding.get()).as("pieces taken and not released").isZero();
    }

    @ParameterizedTest(name = "body fails after {0} bytes")
    @ValueSource(ints = {0, 1000, MIB + 1, 3 * MIB})
    void copyPieces_bodyFailsMidway_propagatesTheIOException_andReleasesEveryPiece(int failAt) throws Exception {
        IOException failure = new IOException("connection reset by peer");
        RecordingWriter writer = new RecordingWriter(driver.writer(PATH, 0), Long.MAX_VALUE, null);
        PieceStream body = new PieceStream(random(failAt, 22), 22, failure);

        assertTimeoutPreemptively(NO_HANG, () -> assertThatThrownBy(() -> ChunkCopier.copy(body, -1,
                Long.MAX_VALUE, ResumableDigest.create(Digest.Algorithm.SHA256), writer)).isSameAs(failure));

        assertNoWriterThreadIsLeft(writer);
        assertThat(body.outstanding.get()).as("pieces taken and not released").isZero();
    }

    @Test
    void copyPieces_bodyLongerThanMax_isRefused_andReleasesEveryPiece() throws Exception {
        PieceStream body = new PieceStream(random(3 * MIB, 23), 23, null);
        try (StorageWriter w = driver.writer(PATH, 0)) {
            assertTimeoutPreemptively(NO_HANG, () -> assertThatThrownBy(() -> ChunkCopier.copy(body, -1,
                    2 * MIB, ResumableDigest.create(Digest.Algorithm.SHA256), w))
                    .isInstanceOf(ChunkCopier.TooLargeException.class));
        }
        assertThat(body.outstanding.get()).as("pieces taken and not released").isZero();
    }

    private static void assertNoWriterThreadIsLeft(RecordingWriter writer) throws InterruptedException {
        Thread t = writer.thread.get();
        if (t != null && t != Thread.currentThread()) {
            t.join(Duration.ofSeconds(5));
            assertThat(t.isAlive()).as("the copier's writer thread has ended").isFalse();
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** Returns a few random-sized bytes per read, as a network stream does. */
    private static final class TrickleStream extends InputStream {
        private final byte[] data;
        private final SplittableRandom random;
        private int pos;

        TrickleStream(byte[] data, long seed) {
            this.data = data;
            this.random = new SplittableRandom(seed);
        }

        @Override
        public int read() {
            return pos < data.length ? data[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (pos >= data.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, data.length - pos), 1 + random.nextInt(20_000));
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    /**
     * A body that hands out direct-buffer pieces of random sizes (up to 300 KiB, as the network layer does) and
     * counts the pieces taken and not yet released; with a failure, throws it instead of reporting the end.
     */
    private static final class PieceStream extends InputStream implements BodyPieces {
        private final byte[] data;
        private final SplittableRandom random;
        private final IOException failure;
        private int pos;
        final AtomicLong outstanding = new AtomicLong();
        final AtomicLong taken = new AtomicLong();

        PieceStream(byte[] data, long seed, IOException failure) {
            this.data = data;
            this.random = new SplittableRandom(seed);
            this.failure = failure;
        }

        @Override
        public int read() throws IOException {
            throw new AssertionError("a body with pieces is not read byte by byte");
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (pos >= data.length) {
                if (failure != null) {
                    throw failure;
                }
                return -1;
            }
            int n = Math.min(len, data.length - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public Piece next() throws IOException {
            if (pos >= data.length) {
                if (failure != null) {
                    throw failure;
                }
                return null;
            }
            int n = Math.min(data.length - pos, 1 + random.nextInt(300 * KIB));
            ByteBuffer buf = ByteBuffer.allocateDirect(n).put(data, pos, n).flip();
            pos += n;
            taken.incrementAndGet();
            outstanding.incrementAndGet();
            return new Piece() {
                private boolean released;

                @Override
                public ByteBuffer data() {
                    return buf;
                }

                @Override
                public synchronized void release() {
                    assertThat(released).as("a piece is released once").isFalse();
                    released = true;
                    outstanding.decrementAndGet();
                }
            };
        }
    }

    /** Serves its bytes, then throws instead of reporting the end of the stream. */
    private static final class FailingStream extends InputStream {
        private final byte[] data;
        private final IOException failure;
        private int pos;

        FailingStream(byte[] data, IOException failure) {
            this.data = data;
            this.failure = failure;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (pos >= data.length) {
                throw failure;
            }
            int n = Math.min(Math.min(len, data.length - pos), 64 * KIB);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    /** Delegates to a real writer, records the writing thread, and fails once {@code failAt} bytes are written. */
    private static final class RecordingWriter implements StorageWriter {
        private final StorageWriter delegate;
        private final long failAt;
        private final Throwable failure;
        private final AtomicLong written = new AtomicLong();
        private final AtomicLong largestWrite = new AtomicLong();
        final AtomicReference<Thread> thread = new AtomicReference<>();

        RecordingWriter(StorageWriter delegate, long failAt, Throwable failure) {
            this.delegate = delegate;
            this.failAt = failAt;
            this.failure = failure;
        }

        @Override
        public void write(ByteBuffer src) throws IOException {
            thread.set(Thread.currentThread());
            largestWrite.accumulateAndGet(src.remaining(), Math::max);
            if (failure != null && written.get() + src.remaining() > failAt) {
                if (failure instanceof IOException io) {
                    throw io;
                }
                if (failure instanceof RuntimeException re) {
                    throw re;
                }
                throw (Error) failure;
            }
            written.addAndGet(src.remaining());
            delegate.write(src);
        }

        @Override
        public long size() {
            return delegate.size();
        }

        @Override
        public void commit() throws IOException {
            delegate.commit();
        }

        @Override
        public void cancel() throws IOException {
            delegate.cancel();
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }
}
