package dev.berth.metadata;

import dev.berth.oci.Digest;

import java.util.Objects;

/**
 * What the metadata store keeps of a manifest; its bytes live in storage at the blob path of its digest.
 *
 * @param artifactType the artifact type the referrers API reports (null when none)
 * @param subject      the digest of the manifest this one refers to, or null
 * @param annotations  the manifest's annotations as a JSON object text, or null when it has none
 */
public record ManifestEntry(Digest digest, String mediaType, long size, String artifactType, Digest subject,
                            String annotations) {

    public ManifestEntry {
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(mediaType, "mediaType");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0");
        }
    }
}
