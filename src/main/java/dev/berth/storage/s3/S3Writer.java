package dev.berth.storage.s3;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.berth.storage.StorageWriter;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * Appends to one S3 object through a multipart upload (see {@link S3Driver} for the whole scheme). Bytes are spooled
 * to a local file; each full part ({@link S3Settings#chunkSize}) is uploaded on a virtual thread while the next part
 * fills a second spool file, so a writer holds at most two parts on local disk and a few buffers in memory, whatever
 * the object's size. Parts grow (by one chunk size per thousand parts) so an object can outgrow S3's 10,000 parts.
 *
 * <p>How a writer starts at {@code offset}:
 * <ul>
 *   <li>a pending object (an open upload with a state): the parts wholly below {@code offset} are kept as they are,
 *       and the tail's first bytes are read back into the spool (under 5 MiB). An offset inside an uploaded part
 *       (only after a failed request) completes the upload first and continues as from a plain object;</li>
 *   <li>a plain object: below 5 MiB its first {@code offset} bytes are read into the spool; from 5 MiB on they become
 *       the first parts of a new upload by server-side {@code UploadPartCopy};</li>
 *   <li>nothing, or offset 0: a new object.</li>
 * </ul>
 * {@link #commit()} and {@link #close()} both persist: with no part uploaded the spool is written as one object;
 * otherwise a last part is uploaded if the spool holds 5 MiB or more, the rest goes to a tail object, and the state is
 * written. {@link #cancel()} aborts the upload and deletes the object, its state and its tail.
 */
final class S3Writer implements StorageWriter {

    private static final int MAX_HEAP_SLICE = 256 * 1024;

    private final S3Driver driver;
    private final String path;
    private final String key;
    private final long chunkSize;
    private final Path spoolDirectory;

    /** The open multipart upload, or null while every byte is in the spool. */
    private String uploadId;
    private final List<PendingState.Part> parts = new ArrayList<>();
    private int nextPartNumber = 1;
    /** The tail object of the state this writer continues, deleted once the writer has persisted its own. */
    private String oldTailKey;
    /** Whether a state object exists that this writer must replace or remove. */
    private boolean hasState;
    /** Whether a plain object may be at the key, to delete before this writer's state is written. */
    private boolean replacesObject;

    private Spool filling;
    private Spool spare;
    private FutureTask<PendingState.Part> inFlight;
    private long size;
    private boolean closed;
    private boolean broken;
    /** Whether the writer started at the object's end: then, until a byte is written, there is nothing to do. */
    private boolean atEnd;
    private boolean wrote;
    /** What a writer at the object's end must do before its first byte (read a tail back, copy a start). */
    private Preparation deferred;

    @FunctionalInterface
    private interface Preparation {
        void run() throws IOException;
    }

    private S3Writer(S3Driver driver, String path, String key, long offset) {
        this.driver = driver;
        this.path = path;
        this.key = key;
        this.chunkSize = driver.settings().chunkSize();
        this.spoolDirectory = driver.settings().spoolDirectory();
        this.size = offset;
    }

    static S3Writer open(S3Driver driver, String path, String key, long offset) throws IOException {
        S3Writer writer = new S3Writer(driver, path, key, offset);
        try {
            writer.start(offset);
            return writer;
        } catch (IOException | RuntimeException e) {
            writer.releaseSpools();
            if (writer.uploadId != null && !writer.hasState) {
                driver.abortQuietly(key, writer.uploadId);
            }
            throw e;
        }
    }

    private void start(long offset) throws IOException {
        S3Driver.Stored<PendingState> stored = driver.readState(key);
        if (stored != null) {
            PendingState state = stored.value();
            if (offset > state.size()) {
                throw new IOException("cannot continue " + path + " at offset " + offset + ": its size is "
                        + state.size());
            }
            if (offset == 0) {
                driver.discard(key, state);
                replacesObject = true;
                return;
            }
            long end = 0;
            int keep = 0;
            for (PendingState.Part part : state.parts()) {
                if (end + part.size() > offset) {
                    break;
                }
                end += part.size();
                keep++;
            }
            if (keep == state.parts().size() || end == offset) {
                uploadId = state.uploadId();
                parts.addAll(state.parts().subList(0, keep));
                nextPartNumber = state.nextPartNumber();
                hasState = true;
                oldTailKey = state.tailKey();
                atEnd = offset == state.size();
                if (offset > end) {
                    String tail = state.tailKey();
                    long tailBytes = offset - end;
                    prepare(() -> readIntoSpool(tail, tailBytes));
                }
                return;
            }
            // inside an uploaded part, whose bytes S3 gives back only once the upload is complete
            driver.materialize(key, state);
        }
        HeadObjectResponse head = driver.head(key, path);
        if (head == null) {
            if (offset > 0) {
                throw new NoSuchFileException(path, null, "cannot continue at offset " + offset
                        + ": there is no object");
            }
            replacesObject = true;
            return;
        }
        if (offset > head.contentLength()) {
            throw new IOException("cannot continue " + path + " at offset " + offset + ": its size is "
                    + head.contentLength());
        }
        replacesObject = true;
        if (offset == 0) {
            return;
        }
        atEnd = offset == head.contentLength();
        if (offset < S3Settings.MIN_PART_SIZE) {
            prepare(() -> readIntoSpool(key, offset));
            return;
        }
        // the first bytes become the first parts of a new upload, copied by S3 itself
        // (in equal ranges: each at least 5 MiB, as more parts follow, and at most 5 GiB)
        prepare(() -> {
            uploadId = driver.createUpload(key);
            int count = (int) S3Driver.ceilDiv(offset, S3Settings.MAX_PART_SIZE);
            List<long[]> ranges = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                ranges.add(new long[] {offset * i / count, offset * (i + 1) / count});
            }
            parts.addAll(driver.copyRanges(key, key, uploadId, 1, ranges, path));
            nextPartNumber = count + 1;
        });
    }

    /** Runs {@code preparation} now, or before the first byte when the writer is at the object's end. */
    private void prepare(Preparation preparation) throws IOException {
        if (atEnd) {
            deferred = preparation;
        } else {
            preparation.run();
        }
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        ensureWritable();
        if (!src.hasRemaining()) {
            return;
        }
        try {
            if (deferred != null) {
                Preparation preparation = deferred;
                deferred = null;
                preparation.run();
            }
            wrote = true;
            while (src.hasRemaining()) {
                Spool spool = filling();
                long room = partTarget() - spool.bytes;
                int n = (int) Math.min(room, src.remaining());
                spool.append(src.slice(src.position(), n));
                src.position(src.position() + n);
                size += n;
                if (spool.bytes == partTarget()) {
                    startPartUpload();
                }
            }
        } catch (IOException | RuntimeException e) {
            broken = true;
            throw e;
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void commit() throws IOException {
        if (broken) {
            if (!closed) {
                closed = true;
                abandon();
            }
            throw new IOException("writer for " + path + " failed earlier; nothing more was committed");
        }
        if (closed) {
            return;
        }
        persist();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        if (broken) {
            closed = true;
            abandon();
            return;
        }
        persist();
    }

    @Override
    public void cancel() throws IOException {
        closed = true;
        abandon();
        driver.delete(path); // the object, its state and tail, and the upload the state names
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Makes everything written durable and readable, as a plain object or as a pending one; closes the writer. */
    private void persist() throws IOException {
        closed = true;
        if (atEnd && !wrote) {
            releaseSpools(); // nothing changed: the object stays as it was
            return;
        }
        try {
            awaitInFlight();
            Spool spool = filling;
            long spooled = spool == null ? 0 : spool.bytes;
            if (uploadId == null) {
                // everything is here: one plain object
                driver.call("write", path, () -> driver.client().putObject(driver.putRequest(key, true),
                        spooled == 0 ? RequestBody.empty() : spool.body()));
                return;
            }
            String tailKey = null;
            if (spooled >= S3Settings.MIN_PART_SIZE) {
                startPartUpload();
                awaitInFlight();
            } else if (spooled > 0) {
                tailKey = S3Driver.newTailKey(key);
                String tail = tailKey;
                driver.call("write the tail of", path, () -> driver.client().putObject(driver.putRequest(tail, false),
                        spool.body()));
            }
            if (replacesObject) {
                // before the state: a reader must never see an old plain object where a pending one is newer
                driver.deleteKeys(List.of(key), path);
            }
            driver.writeState(key, new PendingState(uploadId, parts, tailKey, tailKey == null ? 0 : spooled,
                    nextPartNumber));
            hasState = true;
            if (oldTailKey != null && !oldTailKey.equals(tailKey)) {
                driver.deleteKeys(List.of(oldTailKey), path);
            }
        } catch (IOException | RuntimeException e) {
            broken = true;
            if (uploadId != null && !hasState) {
                driver.abortQuietly(key, uploadId);
            }
            throw e;
        } finally {
            releaseSpools();
        }
    }

    /**
     * Stops without persisting anything more: what an earlier writer persisted stays as it was, and a multipart
     * upload no state names (this writer started it) is aborted.
     */
    private void abandon() {
        if (inFlight != null) {
            try {
                inFlight.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                // the writer is being given up anyway
            }
            inFlight = null;
        }
        releaseSpools();
        if (uploadId != null && !hasState) {
            driver.abortQuietly(key, uploadId);
        }
    }

    /** The size of the part being filled: the chunk size, one more chunk size for every thousand parts. */
    private long partTarget() {
        long grown = chunkSize * (1 + (nextPartNumber - 1) / 1000);
        return Math.min(S3Settings.MAX_PART_SIZE, grown);
    }

    /** Hands the filled spool to a virtual thread that uploads it as the next part, and fills the other one. */
    private void startPartUpload() throws IOException {
        awaitInFlight();
        if (uploadId == null) {
            uploadId = driver.createUpload(key);
        }
        int number = nextPartNumber;
        if (number > S3Driver.MAX_PARTS) {
            throw new IOException("object " + path + " needs more than " + S3Driver.MAX_PARTS + " parts");
        }
        nextPartNumber++;
        Spool full = filling;
        filling = spare;
        spare = full;
        String upload = uploadId;
        long length = full.bytes;
        inFlight = new FutureTask<>(() -> {
            String etag = driver.client().uploadPart(b -> b.bucket(driver.bucket()).key(key).uploadId(upload)
                    .partNumber(number).contentLength(length), full.body()).eTag();
            return new PendingState.Part(number, length, etag);
        });
        Thread.ofVirtual().name("berth-s3-part").start(inFlight);
    }

    private void awaitInFlight() throws IOException {
        if (inFlight == null) {
            return;
        }
        try {
            parts.add(inFlight.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while uploading a part of " + path);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SdkException sdk) {
                throw driver.failure("upload a part of", path, sdk);
            }
            throw new IOException("cannot upload a part of " + path + ": " + e.getCause(), e.getCause());
        } finally {
            inFlight = null;
        }
        spare.reset();
    }

    /** Reads the first {@code length} bytes of the object at {@code sourceKey} into the spool. */
    private void readIntoSpool(String sourceKey, long length) throws IOException {
        Spool spool = filling();
        try (ResponseInputStream<GetObjectResponse> in = driver.client().getObject(b -> b.bucket(driver.bucket())
                .key(sourceKey).range("bytes=0-" + (length - 1)))) {
            byte[] buffer = new byte[64 * 1024];
            long remaining = length;
            while (remaining > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                if (n < 0) {
                    throw new IOException("object " + sourceKey + " ended before " + length + " bytes");
                }
                spool.append(ByteBuffer.wrap(buffer, 0, n));
                remaining -= n;
            }
        } catch (SdkException e) {
            throw driver.failure("read back the start of", path, e);
        }
    }

    private Spool filling() throws IOException {
        if (filling == null) {
            filling = new Spool(Files.createTempFile(spoolDirectory, "berth-part-", ".spool"));
            spare = new Spool(Files.createTempFile(spoolDirectory, "berth-part-", ".spool"));
        }
        return filling;
    }

    private void releaseSpools() {
        for (Spool s : new Spool[] {filling, spare}) {
            if (s != null) {
                s.release();
            }
        }
        filling = null;
        spare = null;
    }

    private void ensureWritable() throws IOException {
        if (closed) {
            throw new IOException("writer for " + path + " is closed");
        }
        if (broken) {
            throw new IOException("writer for " + path + " failed earlier");
        }
    }

    /** A local file holding the bytes of one part. */
    private static final class Spool {

        private final Path file;
        private final FileChannel channel;
        private long bytes;

        Spool(Path file) throws IOException {
            this.file = file;
            this.channel = FileChannel.open(file, READ, WRITE);
        }

        void append(ByteBuffer src) throws IOException {
            while (src.hasRemaining()) {
                if (src.isDirect() || src.remaining() <= MAX_HEAP_SLICE) {
                    bytes += channel.write(src, bytes);
                } else {
                    // the JDK copies heap buffers through a temporary direct buffer as large as the write: keep it small
                    ByteBuffer slice = src.slice(src.position(), MAX_HEAP_SLICE);
                    int n = channel.write(slice, bytes);
                    src.position(src.position() + n);
                    bytes += n;
                }
            }
        }

        void reset() throws IOException {
            channel.truncate(0);
            bytes = 0;
        }

        /** The spooled bytes as a request body that can be read again (signing, retries). */
        RequestBody body() {
            long length = bytes;
            ContentStreamProvider provider = () -> {
                try {
                    InputStream in = Channels.newInputStream(FileChannel.open(file, READ));
                    return new BufferedInputStream(new BoundedInputStream(in, length), 64 * 1024);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            return RequestBody.fromContentProvider(provider, length, "application/octet-stream");
        }

        void release() {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing more to do with it
            }
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // left in the spool directory; harmless
            }
        }
    }

    /** At most {@code limit} bytes of a stream. */
    private static final class BoundedInputStream extends java.io.FilterInputStream {

        private long remaining;

        BoundedInputStream(InputStream in, long limit) {
            super(in);
            this.remaining = limit;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = super.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = super.read(buf, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }
    }
}
