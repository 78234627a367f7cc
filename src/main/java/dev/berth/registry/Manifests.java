package dev.berth.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.ErrorCode;
import dev.berth.metadata.ManifestEntry;
import dev.berth.metadata.MetadataStore;
import dev.berth.metadata.MissingReferencesException;
import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.Manifest;
import dev.berth.oci.MediaTypes;
import dev.berth.oci.Reference;
import dev.berth.oci.RepositoryName;
import dev.berth.oci.Tag;
import dev.berth.storage.Layout;
import dev.berth.storage.StorageDriver;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Manifests by tag or digest: validation on push (type, JSON shape, every referenced blob and manifest present in
 * the repository), storage byte for byte as pushed, reads, and deletes.
 *
 * <p>The bytes are stored at the blob path of the manifest's digest (as CNCF distribution does) before the
 * metadata records the manifest, its references and its tag in one transaction.
 */
public final class Manifests {

    private static final Logger LOG = Logger.getLogger(Manifests.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StorageDriver storage;
    private final MetadataStore metadata;
    private final Clock clock;
    private final boolean deleteEnabled;
    private final long maxBytes;
    private final EventListener events;

    public Manifests(StorageDriver storage, MetadataStore metadata, Clock clock, boolean deleteEnabled,
                     long maxBytes) {
        this(storage, metadata, clock, deleteEnabled, maxBytes, EventListener.NONE);
    }

    /** @param events told of every manifest pushed, pulled (a GET) and deleted */
    public Manifests(StorageDriver storage, MetadataStore metadata, Clock clock, boolean deleteEnabled,
                     long maxBytes, EventListener events) {
        this.storage = storage;
        this.metadata = metadata;
        this.clock = clock;
        this.deleteEnabled = deleteEnabled;
        this.maxBytes = maxBytes;
        this.events = events;
        this.cache = new ContentCache(CACHE_BYTES);
    }

    /** Manifest bytes kept in memory by digest (the hot path of every pull starts with a manifest GET). */
    static final long CACHE_BYTES = 16L * 1024 * 1024;
    private final ContentCache cache;

    /** A manifest with its bytes. */
    public record Stored(ManifestEntry entry, byte[] bytes) {
    }

    /** What a push made: the digest and, when the manifest has one, its subject. */
    public record Pushed(Digest digest, Optional<Digest> subject) {
    }

    /** The largest manifest accepted, in bytes. */
    public long maxBytes() {
        return maxBytes;
    }

    /** The manifest's metadata, for a HEAD. */
    public ManifestEntry stat(RepositoryName repository, Reference reference) {
        Optional<ManifestEntry> entry = switch (reference) {
            case Tag tag -> metadata.taggedManifest(repository, tag.value());
            case Digest digest -> metadata.manifest(repository, digest);
        };
        return entry.orElseThrow(() -> ErrorCode.MANIFEST_UNKNOWN.exception("manifest " + reference
                + " is not in repository " + repository));
    }

    /** The manifest with its bytes, exactly as pushed. */
    public Stored get(RepositoryName repository, Reference reference) throws IOException {
        ManifestEntry entry = stat(repository, reference);
        try {
            byte[] bytes = cache.get(entry.digest());
            if (bytes == null) {
                bytes = storage.getContent(Layout.blobData(entry.digest()));
                cache.put(entry.digest(), bytes);
            }
            Stored stored = new Stored(entry, bytes);
            EventListener.publish(events, new RegistryEvent(RegistryEvent.Action.PULL, RegistryEvent.Subject.MANIFEST,
                    repository, entry.digest(), entry.mediaType(), entry.size(),
                    reference instanceof Tag t ? t.value() : null, null, List.of(), clock.instant()));
            return stored;
        } catch (NoSuchFileException e) {
            LOG.severe("manifest " + entry.digest() + " of " + repository + " is recorded but its bytes are missing "
                    + "from storage");
            throw ErrorCode.MANIFEST_UNKNOWN.exception("manifest " + reference + " is not in repository "
                    + repository, "its content is missing from storage");
        }
    }

    /**
     * Validates and stores a manifest pushed by tag or by digest.
     *
     * @param contentType the request's Content-Type (decides the type when the body has no mediaType field)
     */
    public Pushed put(RepositoryName repository, Reference reference, byte[] body, String contentType)
            throws IOException {
        if (body.length > maxBytes) {
            throw tooLarge();
        }
        Digest digest = switch (reference) {
            case Digest expected -> {
                Digest actual = Digest.of(expected.algorithm(), expected.algorithm().newMessageDigest().digest(body));
                if (!actual.equals(expected)) {
                    throw ErrorCode.DIGEST_INVALID.exception("the manifest's digest is " + actual + ", not "
                            + expected);
                }
                yield actual;
            }
            case Tag tag -> Digest.sha256(body);
        };
        Manifest manifest;
        try {
            manifest = Manifest.parse(body, contentType);
        } catch (Manifest.InvalidManifestException e) {
            throw ErrorCode.MANIFEST_INVALID.exception("manifest invalid", e.getMessage());
        }
        Set<Digest> blobs = new LinkedHashSet<>();
        Set<Digest> children = new LinkedHashSet<>();
        if (manifest.isIndex()) {
            for (Descriptor d : manifest.manifests()) {
                children.add(d.digest());
            }
        } else {
            blobs.add(manifest.config().digest());
            for (Descriptor d : manifest.layers()) {
                if (!MediaTypes.isNonDistributable(d.mediaType())) {
                    blobs.add(d.digest());
                }
            }
        }
        Set<Digest> missingBlobs = metadata.missingBlobs(repository, blobs);
        if (!missingBlobs.isEmpty()) {
            throw ErrorCode.MANIFEST_BLOB_UNKNOWN.exception("manifest references blobs unknown to the repository",
                    "unknown: " + join(missingBlobs));
        }
        Set<Digest> missingManifests = metadata.missingManifests(repository, children);
        if (!missingManifests.isEmpty()) {
            throw ErrorCode.MANIFEST_BLOB_UNKNOWN.exception(
                    "index references manifests unknown to the repository", "unknown: " + join(missingManifests));
        }
        String blobPath = Layout.blobData(digest);
        Digest subject = manifest.subjectDescriptor().map(Descriptor::digest).orElse(null);
        ManifestEntry entry = new ManifestEntry(digest, manifest.mediaType(), body.length,
                manifest.effectiveArtifactType(), subject, annotationsJson(manifest));
        Optional<String> tag = reference instanceof Tag t ? Optional.of(t.value()) : Optional.empty();
        try {
            // the bytes are stored (when not there) and recorded under the digests' locks: garbage collection can
            // remove neither them nor what the manifest refers to in between (see metadata.ContentGuard)
            metadata.putManifest(repository, entry, blobs, children, tag, clock.instant(), () -> {
                if (storage.stat(blobPath).isEmpty()) {
                    storage.putContent(blobPath, body);
                }
            });
        } catch (MissingReferencesException e) {
            Set<Digest> gone = new LinkedHashSet<>(e.blobs());
            gone.addAll(e.manifests());
            throw ErrorCode.MANIFEST_BLOB_UNKNOWN.exception("manifest references content unknown to the repository",
                    "unknown: " + join(gone));
        }
        if (events != EventListener.NONE) {
            List<Descriptor> references = new ArrayList<>();
            if (manifest.isIndex()) {
                references.addAll(manifest.manifests());
            } else {
                references.add(manifest.config());
                references.addAll(manifest.layers());
            }
            EventListener.publish(events, new RegistryEvent(RegistryEvent.Action.PUSH, RegistryEvent.Subject.MANIFEST,
                    repository, digest, manifest.mediaType(), body.length, tag.orElse(null), null, references,
                    clock.instant()));
        }
        return new Pushed(digest, Optional.ofNullable(subject));
    }

    /** Deletes a manifest (by digest: with every tag on it) or just a tag. */
    public void delete(RepositoryName repository, Reference reference) {
        if (!deleteEnabled) {
            throw ErrorCode.UNSUPPORTED.exception("deletes are disabled (storage.delete.enabled: false)");
        }
        boolean deleted = switch (reference) {
            case Tag tag -> metadata.deleteTag(repository, tag.value());
            case Digest digest -> metadata.deleteManifest(repository, digest);
        };
        if (!deleted) {
            throw ErrorCode.MANIFEST_UNKNOWN.exception("manifest " + reference + " is not in repository "
                    + repository);
        }
        EventListener.publish(events, new RegistryEvent(RegistryEvent.Action.DELETE, RegistryEvent.Subject.MANIFEST,
                repository, reference instanceof Digest d ? d : null, null, -1,
                reference instanceof Tag t ? t.value() : null, null, List.of(), clock.instant()));
    }

    public static dev.berth.api.RegistryException tooLarge() {
        return ErrorCode.MANIFEST_TOO_LARGE.exception("manifest too large",
                "the registry accepts manifests up to its configured http.maxmanifestbytes");
    }

    private static String annotationsJson(Manifest manifest) {
        if (manifest.annotations().isEmpty()) {
            return null;
        }
        try {
            return JSON.writeValueAsString(manifest.annotations());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String join(Set<Digest> digests) {
        List<String> out = new ArrayList<>();
        for (Digest d : digests) {
            out.add(d.toString());
        }
        return String.join(", ", out);
    }
}
