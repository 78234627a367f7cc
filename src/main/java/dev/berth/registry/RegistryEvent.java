package dev.berth.registry;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Something that happened to a manifest or a blob, as CNCF distribution's notifications describe it: a push, a pull,
 * a cross-repository mount or a delete. The services publish these to an {@link EventListener}; who asked (the
 * request, the user) is added by the listener from the request's scope.
 *
 * @param action         what happened
 * @param subject        to a manifest or a blob
 * @param repository     in which repository
 * @param digest         the content's digest; null only for the delete of a tag
 * @param mediaType      the content's media type (blobs: {@code application/octet-stream}); null when not known
 * @param size           its size in bytes; -1 when not known (deletes)
 * @param tag            the tag pushed, pulled or deleted; null when none
 * @param fromRepository for a mount: the repository the blob was mounted from, or null
 * @param references     for a manifest push: the descriptors it references (config and layers, or manifests)
 * @param timestamp      when
 */
public record RegistryEvent(Action action, Subject subject, RepositoryName repository, Digest digest,
                            String mediaType, long size, String tag, RepositoryName fromRepository,
                            List<Descriptor> references, Instant timestamp) {

    /** The media type distribution gives blobs in events. */
    public static final String BLOB_MEDIA_TYPE = "application/octet-stream";

    public enum Action {
        PUSH, PULL, MOUNT, DELETE;

        /** The action as distribution writes it: {@code push}, {@code pull}, {@code mount}, {@code delete}. */
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public enum Subject { MANIFEST, BLOB }

    public RegistryEvent {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(timestamp, "timestamp");
        if (digest == null && tag == null) {
            throw new IllegalArgumentException("an event names a digest or a tag");
        }
        references = references == null ? List.of() : List.copyOf(references);
    }

    static RegistryEvent blob(Action action, RepositoryName repository, Digest digest, long size,
                              RepositoryName from, Instant now) {
        return new RegistryEvent(action, Subject.BLOB, repository, digest, size < 0 ? null : BLOB_MEDIA_TYPE, size,
                null, from, List.of(), now);
    }
}
