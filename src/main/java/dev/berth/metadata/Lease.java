package dev.berth.metadata;

import java.time.Instant;
import java.util.Objects;

/** Who holds a named lease (garbage collection's "one collector at a time") and until when. */
public record Lease(String name, String holder, Instant acquiredAt, Instant expiresAt) {

    public Lease {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(holder, "holder");
        Objects.requireNonNull(acquiredAt, "acquiredAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }
}
