package dev.berth.registry;

import dev.berth.api.ErrorCode;
import dev.berth.metadata.MetadataStore;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import dev.berth.storage.Layout;
import dev.berth.storage.StorageDriver;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Committed blobs as a repository sees them: a blob is served in a repository only if that repository links it
 * (pushed or mounted there), whoever else holds the same digest.
 */
public final class Blobs {

    private static final Logger LOG = Logger.getLogger(Blobs.class.getName());

    private final StorageDriver storage;
    private final MetadataStore metadata;
    private final boolean deleteEnabled;
    private final Clock clock;
    private final EventListener events;
    private final Duration confirmLinksAfter;
    private final Duration redirectExpiry;

    /** How old a link must be before a HEAD or GET confirms it, unless configured. */
    public static final Duration DEFAULT_LINK_CONFIRMATION = Duration.ofHours(1);

    public Blobs(StorageDriver storage, MetadataStore metadata, boolean deleteEnabled) {
        this(storage, metadata, deleteEnabled, Clock.systemUTC(), EventListener.NONE);
    }

    /** @param events told of every blob pulled ({@link #pulled}) and deleted */
    public Blobs(StorageDriver storage, MetadataStore metadata, boolean deleteEnabled, Clock clock,
                 EventListener events) {
        this(storage, metadata, deleteEnabled, clock, events, DEFAULT_LINK_CONFIRMATION);
    }

    /**
     * @param confirmLinksAfter a link seen by a HEAD or GET is confirmed (its time set to now) when it is older than
     *                          this, so garbage collection keeps a layer a client has just found in the repository
     *                          and is about to refer to; at most half of the collection's grace period
     */
    public Blobs(StorageDriver storage, MetadataStore metadata, boolean deleteEnabled, Clock clock,
                 EventListener events, Duration confirmLinksAfter) {
        this(storage, metadata, deleteEnabled, clock, events, confirmLinksAfter, null);
    }

    /**
     * @param redirectExpiry when not null, a blob GET may be answered with a redirect to a URL of the storage
     *                       itself valid this long (a pre-signed S3 URL; distribution's {@code storage.redirect}),
     *                       if the driver offers one
     */
    public Blobs(StorageDriver storage, MetadataStore metadata, boolean deleteEnabled, Clock clock,
                 EventListener events, Duration confirmLinksAfter, Duration redirectExpiry) {
        this.storage = storage;
        this.metadata = metadata;
        this.deleteEnabled = deleteEnabled;
        this.clock = clock;
        this.events = events;
        this.confirmLinksAfter = confirmLinksAfter;
        this.redirectExpiry = redirectExpiry;
    }

    /** Records that {@code repository} served the blob's content (a GET): a pull event. */
    public void pulled(RepositoryName repository, BlobInfo blob) {
        EventListener.publish(events, RegistryEvent.blob(RegistryEvent.Action.PULL, repository, blob.digest(),
                blob.size(), null, clock.instant()));
    }

    /** The blob as {@code repository} may serve it; BLOB_UNKNOWN otherwise. */
    public BlobInfo stat(RepositoryName repository, Digest digest) {
        var now = clock.instant();
        return metadata.touchLink(repository, digest, now, now.minus(confirmLinksAfter))
                .map(size -> new BlobInfo(digest, size))
                .orElseThrow(() -> ErrorCode.BLOB_UNKNOWN.exception("blob " + digest + " is not in repository "
                        + repository));
    }

    /** A local file with the blob's bytes when the storage keeps files (for zero-copy sending). */
    public Optional<Path> localFile(Digest digest) throws IOException {
        return storage.localFile(Layout.blobData(digest));
    }

    /**
     * Where a client may fetch the blob's bytes directly (a pre-signed URL of the bucket), when redirects are on and
     * the storage offers one; empty otherwise (the bytes are then served by Berth). A URL that cannot be made is
     * logged and the bytes are served.
     */
    public Optional<URI> redirect(Digest digest) {
        if (redirectExpiry == null) {
            return Optional.empty();
        }
        try {
            return storage.redirectUrl(Layout.blobData(digest), redirectExpiry);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot make a redirect URL for " + digest + "; serving the blob directly", e);
            return Optional.empty();
        }
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
        EventListener.publish(events, RegistryEvent.blob(RegistryEvent.Action.DELETE, repository, digest, -1, null,
                clock.instant()));
    }
}
