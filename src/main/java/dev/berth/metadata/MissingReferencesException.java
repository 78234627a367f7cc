package dev.berth.metadata;

import dev.berth.oci.Digest;

import java.util.Set;

/**
 * A manifest could not be recorded because, inside its transaction, some blob it refers to is no longer linked to
 * the repository or some manifest it lists is no longer there (garbage collection removed it after the caller
 * checked). Nothing was written.
 */
public final class MissingReferencesException extends MetadataException {

    private final Set<Digest> blobs;
    private final Set<Digest> manifests;

    public MissingReferencesException(Set<Digest> blobs, Set<Digest> manifests) {
        super("references missing: blobs " + blobs + ", manifests " + manifests);
        this.blobs = Set.copyOf(blobs);
        this.manifests = Set.copyOf(manifests);
    }

    /** Blobs the manifest refers to that the repository no longer links. */
    public Set<Digest> blobs() {
        return blobs;
    }

    /** Manifests an index lists that the repository no longer holds. */
    public Set<Digest> manifests() {
        return manifests;
    }
}
