package dev.berth.metadata;

import dev.berth.oci.Digest;

import java.time.Instant;
import java.util.Objects;

/** A blob row: digest, size, and when the registry first recorded it. */
public record BlobRecord(Digest digest, long size, Instant createdAt) {

    public BlobRecord {
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
