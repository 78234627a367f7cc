package dev.berth.oci;

import java.util.Map;
import java.util.Objects;

/**
 * A content descriptor: what a manifest says of a blob or another manifest.
 *
 * @param artifactType null when absent
 * @param annotations  empty when absent
 */
public record Descriptor(String mediaType, Digest digest, long size, String artifactType,
                         Map<String, String> annotations) {

    public Descriptor {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0");
        }
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }
}
