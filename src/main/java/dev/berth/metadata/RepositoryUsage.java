package dev.berth.metadata;

import java.util.Objects;

/**
 * Storage one repository uses: the distinct blobs it links, its manifests' bytes and the blobs its manifests refer
 * to, counted once each.
 */
public record RepositoryUsage(String repository, long blobs, long bytes) {

    public RepositoryUsage {
        Objects.requireNonNull(repository, "repository");
    }
}
