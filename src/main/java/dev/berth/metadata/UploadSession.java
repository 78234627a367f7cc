package dev.berth.metadata;

import dev.berth.oci.RepositoryName;

import java.time.Instant;
import java.util.Objects;

/**
 * An upload in progress: {@code size} bytes of its data are committed in storage (the client's next chunk
 * starts there).
 */
public record UploadSession(String id, RepositoryName repository, long size, Instant startedAt, Instant updatedAt) {

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
