package dev.berth.metadata;

import java.util.List;
import java.util.Objects;

/**
 * Storage used per repository and in total. A blob shared by several repositories counts in each of them, and once
 * in {@link #bytes()}; {@link #unusedBytes()} are blobs no repository uses any more (garbage collection removes them
 * after its grace period).
 *
 * @param repositories per repository, by name
 * @param blobs        distinct blobs used by at least one repository
 * @param bytes        their bytes, each blob once
 * @param unusedBlobs  recorded blobs no repository uses
 * @param unusedBytes  their bytes
 */
public record StorageUsage(List<RepositoryUsage> repositories, long blobs, long bytes, long unusedBlobs,
                           long unusedBytes) {

    public StorageUsage {
        repositories = List.copyOf(Objects.requireNonNull(repositories, "repositories"));
    }
}
