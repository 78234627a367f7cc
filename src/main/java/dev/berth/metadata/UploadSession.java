package dev.berth.metadata;

import dev.berth.oci.RepositoryName;

import java.time.Instant;
import java.util.Objects;

/**
 * An upload in progress: {@code size} bytes of its data are committed in storage (the client's next chunk
 * starts there).
 *
 * @param hashState the saved state of the running digest of those {@code size} bytes, as the registry encoded it
 *                  (opaque to the metadata store), or null when there is none: the data is then re-read once
 */
public record UploadSession(String id, RepositoryName repository, long size, Instant startedAt, Instant updatedAt,
                            String hashState) {

    /** A session without a saved digest state. */
    public UploadSession(String id, RepositoryName repository, long size, Instant startedAt, Instant updatedAt) {
        this(id, repository, size, startedAt, updatedAt, null);
    }

    public UploadSession {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0");
        }
    }
}
