package dev.berth.registry;

import dev.berth.oci.Digest;
import dev.berth.storage.StorageWriter;
import dev.berth.storage.filesystem.FilesystemDriver;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The push path without HTTP: {@link ChunkCopier#copy} streams 64 MiB from a body stream into a file of the
 * filesystem driver while hashing it (reader hashes, a second thread writes), the way every PATCH and PUT does.
 * The body stream hands out at most {@code read} bytes per call, as Netty's receive buffers reach BodyStream.
 * Compared with the same copy without the hash ({@code writeOnly}) and the hash without the write
 * ({@code hashOnly}), it shows how well hashing and writing overlap. Throughput in MiB/s is 64 / score (s).
 * {@code copyPiecesHashAndWrite} is the path the server takes: the body as the network's buffers
 * ({@link BodyPieces}). The files live in a temporary directory (page cache; nothing is forced to disk, as Berth's
 * default).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, batchSize = 1)
@Measurement(iterations = 15, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens=java.base/sun.security.provider=ALL-UNNAMED", "-XX:+UseSerialGC",
        "-Xms32m", "-Xmx192m", "-XX:MaxDirectMemorySize=64m"})
public class ChunkCopierBenchmark {

    static final long SIZE = 64L << 20;

    /** Largest piece the body stream returns per read (Netty's adaptive allocator goes up to 256 KiB). */
    @Param({"65536", "262144"})
    int read;

    private Path dir;
    private FilesystemDriver storage;
    private byte[] pattern;
    private int n;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("berth-jmh-copy");
        storage = new FilesystemDriver(dir);
        pattern = new byte[1 << 20];
        new SplittableRandom(3).nextBytes(pattern);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A body of {@link #SIZE} bytes served in pieces of at most {@code read} bytes. */
    private InputStream body() {
        return new InputStream() {
            long left = SIZE;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) {
                    return -1;
                }
                int at = (int) ((SIZE - left) % pattern.length);
                int k = (int) Math.min(Math.min(len, read), Math.min(left, pattern.length - at));
                System.arraycopy(pattern, at, b, off, k);
                left -= k;
                return k;
            }
        };
    }

    /**
     * The same body handed out as buffers (what the HTTP layer's body stream does, {@link BodyPieces}): direct
     * buffers of {@code read} bytes taken in turn from a small ring, as from Netty's pool; release gives them back.
     */
    private PieceBody pieces() {
        return new PieceBody();
    }

    private final class PieceBody extends InputStream implements BodyPieces {
        private final ByteBuffer[] ring = new ByteBuffer[16];
        private long left = SIZE;
        private int next;

        PieceBody() {
            for (int i = 0; i < ring.length; i++) {
                ring[i] = ByteBuffer.allocateDirect(read);
                ring[i].put(0, pattern, (i * read) % (pattern.length - read), read);
            }
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Piece next() {
            if (left == 0) {
                return null;
            }
            int k = (int) Math.min(read, left);
            left -= k;
            ByteBuffer data = ring[next++ % ring.length].slice(0, k);
            return new Piece() {
                @Override
                public ByteBuffer data() {
                    return data;
                }

                @Override
                public void release() {
                }
            };
        }
    }

    private String nextPath() {
        return "/docker/registry/v2/repositories/jmh/_uploads/u" + (n++ % 4) + "/data";
    }

    @Benchmark
    public long copyHashAndWrite() throws IOException {
        ResumableDigest digest = ResumableDigest.create(Digest.Algorithm.SHA256);
        try (StorageWriter w = storage.writer(nextPath(), 0)) {
            long copied = ChunkCopier.copy(body(), SIZE, Long.MAX_VALUE, digest, w);
            w.commit();
            return copied + digest.digest().hex().length();
        }
    }

    /** The server's push path: the network's own buffers hashed and written, without copying them into arrays. */
    @Benchmark
    public long copyPiecesHashAndWrite() throws IOException {
        ResumableDigest digest = ResumableDigest.create(Digest.Algorithm.SHA256);
        try (StorageWriter w = storage.writer(nextPath(), 0)) {
            long copied = ChunkCopier.copy(pieces(), SIZE, Long.MAX_VALUE, digest, w);
            w.commit();
            return copied + digest.digest().hex().length();
        }
    }

    @Benchmark
    public long writeOnly() throws IOException {
        byte[] buf = new byte[ChunkCopier.BUFFER];
        InputStream in = body();
        long total = 0;
        try (StorageWriter w = storage.writer(nextPath(), 0)) {
            int k;
            while ((k = in.read(buf, 0, buf.length)) > 0) {
                w.write(ByteBuffer.wrap(buf, 0, k));
                total += k;
            }
            w.commit();
        }
        return total;
    }

    @Benchmark
    public long hashOnly() throws IOException {
        ResumableDigest digest = ResumableDigest.create(Digest.Algorithm.SHA256);
        byte[] buf = new byte[ChunkCopier.BUFFER];
        InputStream in = body();
        int k;
        while ((k = in.read(buf, 0, buf.length)) > 0) {
            digest.update(buf, 0, k);
        }
        return digest.digest().hex().length();
    }
}
