package dev.berth.jmh;

import dev.berth.oci.Digest;
import dev.berth.registry.ResumableDigest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Hashing a streamed body: the JDK's SHA-256 (SHA-NI intrinsic) on heap arrays of the sizes the upload path
 * uses, through {@link ResumableDigest} (what uploads use), and the copies around it (a direct buffer, as Netty
 * delivers socket bytes, copied to a heap array first). Throughput in MiB/s is 1 MiB / score.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens=java.base/sun.security.provider=ALL-UNNAMED", "-XX:+UseSerialGC",
        "-Xmx192m"})
public class HashingBenchmark {

    /** Bytes per update call: a Netty read (16-256 KiB), ChunkCopier's buffer (1 MiB). */
    @Param({"16384", "262144", "1048576"})
    int chunk;

    private byte[] heap;
    private ByteBuffer direct;
    private byte[] scratch;
    private MessageDigest sha;
    private ResumableDigest resumable;

    private static final int TOTAL = 1 << 20;

    @Setup
    public void setup() {
        heap = new byte[TOTAL];
        new SplittableRandom(1).nextBytes(heap);
        direct = ByteBuffer.allocateDirect(TOTAL);
        direct.put(heap).flip();
        scratch = new byte[chunk];
        sha = Digest.Algorithm.SHA256.newMessageDigest();
        resumable = ResumableDigest.create(Digest.Algorithm.SHA256);
    }

    /** 1 MiB through MessageDigest in updates of {@code chunk} bytes. */
    @Benchmark
    public MessageDigest sha256Heap() {
        for (int off = 0; off < TOTAL; off += chunk) {
            sha.update(heap, off, chunk);
        }
        return sha;
    }

    /** 1 MiB through ResumableDigest (the upload path's hasher). */
    @Benchmark
    public ResumableDigest resumableDigest() {
        for (int off = 0; off < TOTAL; off += chunk) {
            resumable.update(heap, off, chunk);
        }
        return resumable;
    }

    /** 1 MiB from a direct buffer: copied to a heap array of {@code chunk} bytes, then hashed. */
    @Benchmark
    public MessageDigest directCopyThenSha256() {
        ByteBuffer d = direct.duplicate();
        while (d.hasRemaining()) {
            int n = Math.min(chunk, d.remaining());
            d.get(scratch, 0, n);
            sha.update(scratch, 0, n);
        }
        return sha;
    }

    /** 1 MiB copied from a direct buffer to a heap array, no hash: the cost of BodyStream's copy alone. */
    @Benchmark
    public byte[] directCopyOnly() {
        ByteBuffer d = direct.duplicate();
        while (d.hasRemaining()) {
            int n = Math.min(chunk, d.remaining());
            d.get(scratch, 0, n);
        }
        return scratch;
    }
}
