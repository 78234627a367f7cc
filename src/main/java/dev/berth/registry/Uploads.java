package dev.berth.registry;

import dev.berth.api.ErrorCode;
import dev.berth.api.RegistryException;
import dev.berth.metadata.MetadataStore;
import dev.berth.metadata.UploadSession;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import dev.berth.storage.Layout;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageWriter;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Blob uploads: sessions, chunks, commit, cancel and cross-repository mounts, with the spec's rules.
 *
 * <p>A session's data lives at {@link Layout#uploadData}; its committed size lives in the metadata store and is
 * the only truth about where the next chunk starts: bytes a failed request left beyond it are cut off by the next
 * writer. After each chunk the running SHA-256 state (the 108 bytes of Go's {@code MarshalBinary} form, which
 * distribution writes to {@code hashstates/sha256/<offset>}) is saved in the session's metadata row, in the same
 * update that advances its size, so a session continued after a restart (or on another node) resumes hashing
 * without re-reading, and a chunk costs no storage request besides its data. Without a saved state the data is
 * re-read once.
 *
 * <p>A session's {@code Location} carries its state signed with the secret all nodes share ({@link UploadLocations}),
 * which the HTTP layer checks ({@link #checkState}) before any request on the session.
 *
 * <p>A blob becomes visible by verify-then-move: the digest of the uploaded bytes is checked first, then the data
 * is moved atomically to the blob path, then the metadata links it. A mismatch leaves nothing visible.
 */
public final class Uploads {

    private static final Logger LOG = Logger.getLogger(Uploads.class.getName());
    private static final int LOCK_STRIPES = 256;
    /** How a saved digest state is written into the session's metadata row. */
    private static final Base64.Encoder STATE = Base64.getEncoder();
    private static final Base64.Decoder STATE_DECODER = Base64.getDecoder();

    private final StorageDriver storage;
    private final MetadataStore metadata;
    private final Clock clock;
    private final Supplier<String> ids;
    private final ReentrantLock[] locks = new ReentrantLock[LOCK_STRIPES];
    private final EventListener events;
    private final UploadLocations locations;

    public Uploads(StorageDriver storage, MetadataStore metadata, Clock clock, Supplier<String> ids) {
        this(storage, metadata, clock, ids, EventListener.NONE);
    }

    /** @param events told of every blob pushed (an upload finished) and mounted */
    public Uploads(StorageDriver storage, MetadataStore metadata, Clock clock, Supplier<String> ids,
                   EventListener events) {
        this(storage, metadata, clock, ids, events, UploadLocations.random());
    }

    /**
     * @param events    told of every blob pushed (an upload finished) and mounted
     * @param locations signs the Locations of sessions with the secret every node shares, and checks them
     */
    public Uploads(StorageDriver storage, MetadataStore metadata, Clock clock, Supplier<String> ids,
                   EventListener events, UploadLocations locations) {
        this.storage = storage;
        this.metadata = metadata;
        this.clock = clock;
        this.ids = ids;
        this.events = events;
        this.locations = java.util.Objects.requireNonNull(locations, "locations");
        for (int i = 0; i < LOCK_STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /** A blob just committed. */
    public record Committed(Digest digest, long size) {
    }

    /** Opens a new upload session in {@code repository}. */
    public UploadSession start(RepositoryName repository) {
        var now = clock.instant();
        String id = Layout.checkUploadId(ids.get());
        UploadSession session = new UploadSession(id, repository, 0, now, now);
        metadata.createUpload(session);
        return session;
    }

    /** The session, if it exists and belongs to {@code repository}; BLOB_UPLOAD_UNKNOWN otherwise. */
    public UploadSession status(RepositoryName repository, String id) {
        return session(repository, id);
    }

    /**
     * Appends one chunk (a PATCH). With a {@code range}, the chunk must start where the session stands (else 416)
     * and carry exactly the range's length.
     *
     * @param contentLength the body's declared length, or -1 when it is streamed without one
     */
    public UploadSession append(RepositoryName repository, String id, InputStream body, long contentLength,
                                Optional<ChunkRange> range) throws IOException {
        ReentrantLock lock = lockFor(id);
        lock.lock();
        try {
            UploadSession session = session(repository, id);
            return appendLocked(session, body, contentLength, range, false).session();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Finishes an upload (a PUT with {@code ?digest=}), optionally with a last chunk: verifies the digest of
     * everything uploaded, makes the blob visible in {@code repository}, and removes the session.
     *
     * @param body          the last chunk, or null when the request has no body
     * @param contentLength the last chunk's declared length, or -1 when streamed without one
     */
    public Committed finish(RepositoryName repository, String id, Digest expected, InputStream body,
                            long contentLength, Optional<ChunkRange> range) throws IOException {
        ReentrantLock lock = lockFor(id);
        lock.lock();
        try {
            UploadSession session = session(repository, id);
            ResumableDigest running = null;
            if (body != null) {
                Appended appended = appendLocked(session, body, contentLength, range, true);
                session = appended.session();
                running = appended.digest();
            } else if (range.isPresent()) {
                throw ErrorCode.BLOB_UPLOAD_INVALID.exception("Content-Range given without a body");
            }
            Digest actual = digestOf(session, expected.algorithm(), running);
            if (!actual.equals(expected)) {
                discard(session);
                throw ErrorCode.DIGEST_INVALID.exception("digest of the uploaded content is " + actual
                        + ", not " + expected);
            }
            commitBlob(session, expected);
            EventListener.publish(events, RegistryEvent.blob(RegistryEvent.Action.PUSH, repository, expected,
                    session.size(), null, clock.instant()));
            return new Committed(expected, session.size());
        } finally {
            lock.unlock();
        }
    }

    /** A monolithic upload (POST with {@code ?digest=} and the whole blob as body). */
    public Committed monolithic(RepositoryName repository, Digest expected, InputStream body, long contentLength)
            throws IOException {
        UploadSession session = start(repository);
        try {
            return finish(repository, session.id(), expected, body, contentLength, Optional.empty());
        } catch (IOException | RuntimeException e) {
            // nobody else knows this session's id: a failed monolithic upload must not leave it behind
            try {
                discard(session);
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /** Cancels an upload: its data and session are removed. */
    public void cancel(RepositoryName repository, String id) throws IOException {
        ReentrantLock lock = lockFor(id);
        lock.lock();
        try {
            discard(session(repository, id));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Links a blob into {@code repository} without uploading it: from {@code from} when given (only if that
     * repository has it), else from anywhere in the registry. Empty when there is nothing to mount.
     */
    public Optional<BlobInfo> mount(RepositoryName repository, Digest digest, Optional<RepositoryName> from) {
        Optional<BlobInfo> mounted = metadata.linkBlob(repository, digest, from, clock.instant())
                .map(size -> new BlobInfo(digest, size));
        mounted.ifPresent(b -> EventListener.publish(events, RegistryEvent.blob(RegistryEvent.Action.MOUNT,
                repository, digest, b.size(), from.orElse(null), clock.instant())));
        return mounted;
    }

    /**
     * Removes upload sessions not touched for {@code age}, with their data; returns how many. Sessions are taken
     * under their lock, so a chunk arriving at the same moment either lands first (and the session is no longer
     * idle) or finds the session gone (404, as for any purged upload).
     */
    public int purgeIdle(java.time.Duration age) {
        return purgeIdle(age, session -> { });
    }

    /** {@link #purgeIdle(java.time.Duration)}, telling {@code purged} of every session removed. */
    public int purgeIdle(java.time.Duration age, java.util.function.Consumer<UploadSession> purgedSessions) {
        int purged = 0;
        while (true) {
            var idle = metadata.uploadsIdleSince(clock.instant().minus(age), 100);
            if (idle.isEmpty()) {
                return purged;
            }
            for (UploadSession candidate : idle) {
                ReentrantLock lock = lockFor(candidate.id());
                lock.lock();
                try {
                    Optional<UploadSession> current = metadata.upload(candidate.id());
                    if (current.isPresent() && current.get().updatedAt().equals(candidate.updatedAt())) {
                        discard(current.get());
                        purged++;
                        purgedSessions.accept(current.get());
                    }
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "could not purge upload " + candidate.id(), e);
                    return purged;
                } finally {
                    lock.unlock();
                }
            }
            if (idle.size() < 100) {
                return purged;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private record Appended(UploadSession session, ResumableDigest digest) {
    }

    /**
     * @param last whether the session is committed or discarded in this same request (a PUT with the last chunk):
     *             a session written whole in one request then keeps neither a hash state nor a new size, as
     *             nothing will continue it (it is committed, or discarded, or, if the request fails, it still
     *             stands at 0 and the next writer starts over)
     */
    private Appended appendLocked(UploadSession session, InputStream body, long contentLength,
                                  Optional<ChunkRange> range, boolean last) throws IOException {
        if (range.isPresent()) {
            ChunkRange r = range.get();
            if (r.start() != session.size()) {
                throw ErrorCode.BLOB_UPLOAD_OUT_OF_ORDER.exception("chunk starts at " + r.start()
                                + " but the upload stands at " + session.size())
                        .withHeader("Range", rangeHeader(session.size()))
                        .withHeader("Location", location(session));
            }
            if (contentLength >= 0 && contentLength != r.length()) {
                throw ErrorCode.SIZE_INVALID.exception("Content-Range covers " + r.length()
                        + " bytes but Content-Length is " + contentLength);
            }
        }
        ResumableDigest digest = resumeDigest(session);
        String data = Layout.uploadData(session.repository(), session.id());
        long written;
        StorageWriter writer = storage.writer(data, session.size());
        try {
            written = ChunkCopier.copy(body, contentLength, Long.MAX_VALUE - session.size(), digest, writer);
            writer.commit();
        } finally {
            writer.close();
        }
        long expectedLength = range.map(ChunkRange::length).orElse(contentLength);
        if (expectedLength >= 0 && written != expectedLength) {
            // The next writer cuts these bytes off again: the session still stands at its old size.
            throw ErrorCode.SIZE_INVALID.exception("received " + written + " bytes, expected " + expectedLength);
        }
        if (written == 0) {
            return new Appended(session, digest);
        }
        long newSize = session.size() + written;
        var now = clock.instant();
        if (last && session.size() == 0) {
            return new Appended(new UploadSession(session.id(), session.repository(), newSize, session.startedAt(),
                    now), digest);
        }
        String state = digest.exportState().map(STATE::encodeToString).orElse(null);
        if (!metadata.advanceUpload(session.id(), session.size(), newSize, now, state)) {
            throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception("the upload was changed or cancelled concurrently");
        }
        return new Appended(new UploadSession(session.id(), session.repository(), newSize, session.startedAt(), now,
                state), digest);
    }

    /** The running SHA-256 of the session's data: restored from its saved state, or by re-reading the data once. */
    private ResumableDigest resumeDigest(UploadSession session) throws IOException {
        if (session.size() == 0) {
            return ResumableDigest.create(Digest.Algorithm.SHA256);
        }
        if (session.hashState() != null) {
            byte[] saved;
            try {
                saved = STATE_DECODER.decode(session.hashState());
            } catch (IllegalArgumentException e) {
                saved = new byte[0];    // not base64: restore refuses it, and the data is re-read
            }
            Optional<ResumableDigest> restored = ResumableDigest.restore(Digest.Algorithm.SHA256, saved);
            if (restored.isPresent() && restored.get().length() == session.size()) {
                return restored.get();
            }
        }
        return rehash(session, Digest.Algorithm.SHA256);
    }

    private ResumableDigest rehash(UploadSession session, Digest.Algorithm algorithm) throws IOException {
        ResumableDigest digest = ResumableDigest.create(algorithm);
        byte[] buf = new byte[ChunkCopier.BUFFER];
        long remaining = session.size();
        try (InputStream in = storage.reader(Layout.uploadData(session.repository(), session.id()), 0)) {
            while (remaining > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
                if (n < 0) {
                    throw new IOException("upload data is shorter than its recorded size " + session.size());
                }
                digest.update(buf, 0, n);
                remaining -= n;
            }
        }
        return digest;
    }

    private Digest digestOf(UploadSession session, Digest.Algorithm algorithm, ResumableDigest running)
            throws IOException {
        if (algorithm == Digest.Algorithm.SHA256) {
            return (running != null ? running : resumeDigest(session)).digest();
        }
        return rehash(session, algorithm).digest();
    }

    /**
     * Moves the data to the blob path unless the blob is there already, and records it; both under the digest's lock
     * (see {@link dev.berth.metadata.ContentGuard}), so garbage collection cannot remove the bytes between the check
     * and the record. The upload's data is kept until then: bytes removed a moment before are put back from it.
     * The session is forgotten in the same transaction.
     */
    private void commitBlob(UploadSession session, Digest digest) throws IOException {
        String blob = Layout.blobData(digest);
        metadata.commitUpload(session.id(), session.repository(), digest, session.size(), clock.instant(), () -> {
            if (storage.stat(blob).isEmpty()) {
                if (session.size() == 0) {
                    storage.putContent(blob, new byte[0]);
                } else {
                    storage.move(Layout.uploadData(session.repository(), session.id()), blob);
                }
            }
        });
        deleteQuietly(Layout.upload(session.repository(), session.id()));
    }

    private void discard(UploadSession session) throws IOException {
        metadata.deleteUpload(session.id());
        deleteQuietly(Layout.upload(session.repository(), session.id()));
    }

    private void deleteQuietly(String path) {
        try {
            storage.delete(path);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not delete " + path + "; garbage collection will retry", e);
        }
    }

    private UploadSession session(RepositoryName repository, String id) {
        if (!Layout.isUploadId(id)) {
            throw unknown(id);
        }
        return metadata.upload(id)
                .filter(s -> s.repository().equals(repository))
                .orElseThrow(() -> unknown(id));
    }

    private static RegistryException unknown(String id) {
        return ErrorCode.BLOB_UPLOAD_UNKNOWN.exception("upload " + id + " is not known in this repository");
    }

    private ReentrantLock lockFor(String id) {
        return locks[Math.floorMod(id.hashCode(), LOCK_STRIPES)];
    }

    /** The {@code Range} header value for a session of {@code size} bytes: {@code 0-<last byte>}. */
    public static String rangeHeader(long size) {
        return "0-" + Math.max(0, size - 1);
    }

    /** The session's {@code Location}: its path with its signed state (see {@link UploadLocations}). */
    public String location(UploadSession session) {
        return locations.location(session);
    }

    /**
     * Checks the signed state a request on session {@code id} of {@code repository} carries (the values of its
     * {@code _state} query parameter); BLOB_UPLOAD_UNKNOWN unless it verifies and names this session.
     */
    public void checkState(RepositoryName repository, String id, java.util.List<String> states) {
        locations.verify(repository, id, states);
    }
}
