package dev.berth.registry;

import dev.berth.oci.Digest;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A SHA-256 or SHA-512 whose running state can be saved after a chunk and restored later (after a restart, on
 * another node), so hashing resumes at the JDK's intrinsic speed instead of re-reading the upload.
 *
 * <p>The state is read from and written to the JDK's own implementation ({@code sun.security.provider.SHA2} /
 * {@code SHA5} and {@code DigestBase}: {@code state}, {@code buffer}, {@code bufOfs}, {@code bytesProcessed}),
 * which needs {@code --add-opens java.base/sun.security.provider=ALL-UNNAMED} (the launcher and the jar manifest
 * pass it). The saved form is Go's {@code crypto/sha256} / {@code crypto/sha512} {@code MarshalBinary} encoding,
 * the content of CNCF distribution's {@code hashstates/<alg>/<offset>} files. Where the JDK internals are not
 * reachable, this falls back to a plain {@link MessageDigest}: {@link #exportState()} is then empty and the caller
 * re-reads the upload once at commit.
 */
public final class ResumableDigest {

    private static final Logger LOG = Logger.getLogger(ResumableDigest.class.getName());
    private static final Internals INTERNALS = Internals.probe();

    private final Digest.Algorithm algorithm;
    private final Object spi;                 // JDK DigestBase instance when INTERNALS != null
    private final MessageDigest fallback;     // otherwise
    private long length;

    private ResumableDigest(Digest.Algorithm algorithm, Object spi, MessageDigest fallback, long length) {
        this.algorithm = algorithm;
        this.spi = spi;
        this.fallback = fallback;
        this.length = length;
    }

    /** Whether saved states can be taken and restored on this JVM. */
    public static boolean resumable() {
        return INTERNALS != null;
    }

    public static ResumableDigest create(Digest.Algorithm algorithm) {
        if (INTERNALS != null) {
            return new ResumableDigest(algorithm, INTERNALS.newSpi(algorithm), null, 0);
        }
        return new ResumableDigest(algorithm, null, algorithm.newMessageDigest(), 0);
    }

    /** Restores a state saved by {@link #exportState()}; empty when it cannot be (bad bytes, no JDK access). */
    public static Optional<ResumableDigest> restore(Digest.Algorithm algorithm, byte[] saved) {
        if (INTERNALS == null || saved == null) {
            return Optional.empty();
        }
        return INTERNALS.restore(algorithm, saved).map(spi ->
                new ResumableDigest(algorithm, spi, null, GoState.length(algorithm, saved)));
    }

    public Digest.Algorithm algorithm() {
        return algorithm;
    }

    /** Bytes hashed so far. */
    public long length() {
        return length;
    }

    public void update(byte[] b, int off, int len) {
        if (len == 0) {
            return;
        }
        if (spi != null) {
            INTERNALS.update(spi, b, off, len);
        } else {
            fallback.update(b, off, len);
        }
        length += len;
    }

    public void update(ByteBuffer buffer) {
        update(buffer, buffer.hasArray() ? null : new byte[Math.min(buffer.remaining(), 64 * 1024)]);
    }

    /**
     * Hashes the buffer's remaining bytes and moves its position to its limit. A direct buffer is copied through
     * {@code scratch} a piece at a time (the intrinsic hashes arrays only); a small scratch stays in the CPU's cache.
     */
    public void update(ByteBuffer buffer, byte[] scratch) {
        if (buffer.hasArray()) {
            update(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
            buffer.position(buffer.limit());
        } else {
            while (buffer.hasRemaining()) {
                int n = Math.min(scratch.length, buffer.remaining());
                buffer.get(scratch, 0, n);
                update(scratch, 0, n);
            }
        }
    }

    /** Finishes the hash. The object must not be used afterwards. */
    public Digest digest() {
        byte[] raw = spi != null ? INTERNALS.digest(spi) : fallback.digest();
        return Digest.of(algorithm, raw);
    }

    /** The running state in Go's MarshalBinary form, or empty when this JVM cannot export it. */
    public Optional<byte[]> exportState() {
        return spi == null ? Optional.empty() : Optional.of(INTERNALS.export(spi, algorithm));
    }

    /** Go's MarshalBinary layout: magic, state words (big endian), one block of buffered bytes, length. */
    static final class GoState {
        static final byte[] MAGIC_256 = {'s', 'h', 'a', 3};
        static final byte[] MAGIC_512 = {'s', 'h', 'a', 7};

        static int block(Digest.Algorithm a) {
            return a == Digest.Algorithm.SHA256 ? 64 : 128;
        }

        static int wordBytes(Digest.Algorithm a) {
            return a == Digest.Algorithm.SHA256 ? 4 : 8;
        }

        static int size(Digest.Algorithm a) {
            return 4 + 8 * wordBytes(a) + block(a) + 8;
        }

        static byte[] magic(Digest.Algorithm a) {
            return a == Digest.Algorithm.SHA256 ? MAGIC_256 : MAGIC_512;
        }

        static boolean valid(Digest.Algorithm a, byte[] saved) {
            return saved.length == size(a) && Arrays.equals(saved, 0, 4, magic(a), 0, 4) && length(a, saved) >= 0;
        }

        static long length(Digest.Algorithm a, byte[] saved) {
            return ByteBuffer.wrap(saved, size(a) - 8, 8).getLong();
        }
    }

    /** Reflective access to the JDK's digest implementation, probed once. */
    private record Internals(MethodHandle ctor256, MethodHandle ctor512, MethodHandle update, MethodHandle digest,
                             MethodHandle compress, VarHandle state256, VarHandle state512, VarHandle buffer,
                             VarHandle bufOfs, VarHandle bytesProcessed) {

        static Internals probe() {
            try {
                Class<?> base = Class.forName("sun.security.provider.DigestBase");
                Class<?> sha2 = Class.forName("sun.security.provider.SHA2");
                Class<?> sha5 = Class.forName("sun.security.provider.SHA5");
                Class<?> sha256 = Class.forName("sun.security.provider.SHA2$SHA256");
                Class<?> sha512 = Class.forName("sun.security.provider.SHA5$SHA512");
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                MethodHandles.Lookup baseLookup = MethodHandles.privateLookupIn(base, lookup);
                Internals internals = new Internals(
                        MethodHandles.privateLookupIn(sha256, lookup).findConstructor(sha256,
                                MethodType.methodType(void.class)),
                        MethodHandles.privateLookupIn(sha512, lookup).findConstructor(sha512,
                                MethodType.methodType(void.class)),
                        baseLookup.findVirtual(base, "engineUpdate",
                                        MethodType.methodType(void.class, byte[].class, int.class, int.class))
                                .asType(MethodType.methodType(void.class, Object.class, byte[].class, int.class,
                                        int.class)),
                        baseLookup.findVirtual(base, "engineDigest", MethodType.methodType(byte[].class)),
                        baseLookup.findVirtual(base, "implCompress",
                                MethodType.methodType(void.class, byte[].class, int.class)),
                        MethodHandles.privateLookupIn(sha2, lookup).findVarHandle(sha2, "state", int[].class),
                        MethodHandles.privateLookupIn(sha5, lookup).findVarHandle(sha5, "state", long[].class),
                        baseLookup.findVarHandle(base, "buffer", byte[].class),
                        baseLookup.findVarHandle(base, "bufOfs", int.class),
                        baseLookup.findVarHandle(base, "bytesProcessed", long.class));
                internals.selfTest();
                return internals;
            } catch (Throwable e) {
                LOG.log(Level.INFO, "resumable SHA-256 state is not available on this JVM ({0}); uploads continued "
                        + "after a restart are re-read once at commit. Run with --add-opens "
                        + "java.base/sun.security.provider=ALL-UNNAMED to enable it.", e.toString());
                return null;
            }
        }

        /** Splits a known input across an export/restore and checks the result equals the JDK's own digest. */
        private void selfTest() {
            byte[] data = new byte[1000];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31 + 7);
            }
            for (Digest.Algorithm a : Digest.Algorithm.values()) {
                Object first = newSpi(a);
                update(first, data, 0, 333);
                Object second = restore(a, export(first, a)).orElseThrow();
                update(second, data, 333, data.length - 333);
                if (!Arrays.equals(digest(second), a.newMessageDigest().digest(data))) {
                    throw new IllegalStateException("self-test failed for " + a.id());
                }
            }
        }

        Object newSpi(Digest.Algorithm a) {
            try {
                return a == Digest.Algorithm.SHA256 ? ctor256.invoke() : ctor512.invoke();
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        void update(Object spi, byte[] b, int off, int len) {
            try {
                // invokeExact on the handle's own type: no per-call type adaptation on the hot path
                update.invokeExact(spi, b, off, len);
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        byte[] digest(Object spi) {
            try {
                return (byte[]) digest.invoke(spi);
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        byte[] export(Object spi, Digest.Algorithm a) {
            byte[] buf = (byte[]) buffer.get(spi);
            int ofs = (int) bufOfs.get(spi);
            if (ofs >= GoState.block(a)) {
                // With the multi-block intrinsic, the JDK may leave a whole block buffered (bufOfs == block size)
                // and compress it on the next update. Go's form has fewer than a block buffered: compress it now,
                // as the JDK's next update would.
                try {
                    compress.invoke(spi, buf, 0);
                } catch (Throwable e) {
                    throw new IllegalStateException(e);
                }
                bufOfs.set(spi, 0);
                ofs = 0;
            }
            ByteBuffer out = ByteBuffer.allocate(GoState.size(a));
            out.put(GoState.magic(a));
            if (a == Digest.Algorithm.SHA256) {
                for (int w : (int[]) state256.get(spi)) {
                    out.putInt(w);
                }
            } else {
                for (long w : (long[]) state512.get(spi)) {
                    out.putLong(w);
                }
            }
            out.put(buf, 0, ofs);
            out.position(out.position() + GoState.block(a) - ofs);
            out.putLong((long) bytesProcessed.get(spi));
            return out.array();
        }

        Optional<Object> restore(Digest.Algorithm a, byte[] saved) {
            if (!GoState.valid(a, saved)) {
                return Optional.empty();
            }
            Object spi = newSpi(a);
            ByteBuffer in = ByteBuffer.wrap(saved, 4, saved.length - 4);
            if (a == Digest.Algorithm.SHA256) {
                int[] s = (int[]) state256.get(spi);
                for (int i = 0; i < 8; i++) {
                    s[i] = in.getInt();
                }
            } else {
                long[] s = (long[]) state512.get(spi);
                for (int i = 0; i < 8; i++) {
                    s[i] = in.getLong();
                }
            }
            long length = GoState.length(a, saved);
            int ofs = (int) (length % GoState.block(a));
            byte[] buf = (byte[]) buffer.get(spi);
            in.get(buf, 0, ofs);
            bufOfs.set(spi, ofs);
            bytesProcessed.set(spi, length);
            return Optional.of(spi);
        }
    }
}
