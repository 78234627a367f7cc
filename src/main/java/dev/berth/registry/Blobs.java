package dev.berth.registry;

import dev.berth.api.ErrorCode;
import dev.berth.metadata.MetadataStore;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import dev.berth.storage.Layout;
import dev.berth.storage.StorageDriver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Committed blobs as a repository sees them: a blob is served in a repository only if that repository links it
 * (pushed or mounted there), whoever else holds the same digest.
 */
public final class Blobs {

    private final StorageDriver storage;
    private final MetadataStore metadata;
    private final boolean deleteEnabled;

    public Blobs(StorageDriver storage, MetadataStore metadata, boolean deleteEnabled) {
        this.storage = storage;
        this.metadata = metadata;
        this.deleteEnabled = deleteEnabled;
    }

    /** The blob as {@code repository} may serve it; BLOB_UNKNOWN otherwise. */
    public BlobInfo stat(RepositoryName repository, Digest digest) {
        return metadata.linkedBlobSize(repository, digest)
                .map(size -> new BlobInfo(digest, size))
                .orElseThrow(() -> ErrorCode.BLOB_UNKNOWN.exception("blob " + digest + " is not in repository "
                        + repository));
    }

    /** A local file with the blob's bytes when the storage keeps files (for zero-copy sending). */
    public Optional<Path> localFile(Digest digest) throws IOException {
        return storage.localFile(Layout.blobData(digest));
    }

    /** Streams the blob's bytes from {@code offset}. */
    public InputStream open(Digest digest, long offset) throws IOException {
        return storage.reader(Layout.blobData(digest), offset);
    }

    /** Removes the blob from {@code repository} (its bytes stay until garbage collection). */
    public void delete(RepositoryName repository, Digest digest) {
        if (!deleteEnabled) {
            throw ErrorCode.UNSUPPORTED.exception("deletes are disabled (storage.delete.enabled: false)");
        }
        if (!metadata.unlinkBlob(repository, digest)) {
            throw ErrorCode.BLOB_UNKNOWN.exception("blob " + digest + " is not in repository " + repository);
        }
    }
}
