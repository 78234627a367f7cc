package dev.berth.metadata;

import dev.berth.oci.Digest;

import java.time.Instant;
import java.util.Objects;

/** A tag with the manifest it points to and when it was last pushed (moved). */
public record TagRecord(String name, Digest digest, Instant updatedAt) {

    public TagRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
