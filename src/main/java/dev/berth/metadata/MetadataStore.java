package dev.berth.metadata;

import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Everything about the registry's content that is not the bytes: repositories, which blobs each repository may
 * serve (distribution's per-repository {@code _layers} link), manifests with what they refer to, tags, and upload
 * sessions. One JDBC implementation serves
 * SQLite (default) and PostgreSQL. All methods are safe to call from many threads at once; each write is one
 * transaction. Storage is written before metadata, so metadata never names content that is not stored.
 */
public interface MetadataStore extends AutoCloseable {

    // ---- blobs -------------------------------------------------------------------------------------------

    /** The size of a committed blob, wherever it was pushed; empty if the registry has never stored it. */
    Optional<Long> blobSize(Digest digest);

    /** The size of a blob that {@code repository} may serve (it was pushed or mounted there). */
    Optional<Long> linkedBlobSize(RepositoryName repository, Digest digest);

    /**
     * Records a blob just committed to storage and links it to {@code repository}, creating the repository if
     * needed. Idempotent: recording a known blob, or linking it twice, changes nothing.
     */
    void putBlob(RepositoryName repository, Digest digest, long size, Instant now);

    /**
     * Links a blob the registry already holds to {@code repository} (a cross-repository mount); when
     * {@code from} is given, only if {@code from} links it. Returns the blob's size, or empty when nothing was
     * linked.
     */
    Optional<Long> linkBlob(RepositoryName repository, Digest digest, Optional<RepositoryName> from, Instant now);

    /** Removes the link of a blob from a repository; returns whether there was one. The blob itself stays. */
    boolean unlinkBlob(RepositoryName repository, Digest digest);

    // ---- repositories ------------------------------------------------------------------------------------

    boolean repositoryExists(RepositoryName repository);

    /** Names of repositories after {@code last} (exclusive) in lexical (byte) order, at most {@code limit}. */
    List<String> repositories(Optional<String> last, int limit);

    // ---- manifests and tags ------------------------------------------------------------------------------

    /**
     * Records a manifest whose bytes were just stored, with the blobs and manifests it refers to, and points
     * {@code tag} at it when given; one transaction, creating the repository if needed. Putting a known manifest
     * again only moves the tag.
     */
    void putManifest(RepositoryName repository, ManifestEntry manifest, Collection<Digest> blobs,
                     Collection<Digest> manifests, Optional<String> tag, Instant now);

    /** A manifest of {@code repository} by digest. */
    Optional<ManifestEntry> manifest(RepositoryName repository, Digest digest);

    /** The manifest {@code tag} points to in {@code repository}. */
    Optional<ManifestEntry> taggedManifest(RepositoryName repository, String tag);

    /** Deletes a manifest and every tag pointing to it; returns whether it existed. */
    boolean deleteManifest(RepositoryName repository, Digest digest);

    /** Deletes one tag (the manifest stays); returns whether it existed. */
    boolean deleteTag(RepositoryName repository, String tag);

    /** Tags of {@code repository} after {@code last} (exclusive) in lexical (byte) order, at most {@code limit}. */
    List<String> tags(RepositoryName repository, Optional<String> last, int limit);

    /**
     * Manifests of {@code repository} whose subject is {@code subject}, optionally only those of
     * {@code artifactType}, ordered by digest, after {@code after} (exclusive), at most {@code limit}.
     */
    List<ManifestEntry> referrers(RepositoryName repository, Digest subject, Optional<String> artifactType,
                                  Optional<Digest> after, int limit);

    /** Those of {@code digests} that {@code repository} does not link as blobs. */
    Set<Digest> missingBlobs(RepositoryName repository, Collection<Digest> digests);

    /** Those of {@code digests} that are not manifests of {@code repository}. */
    Set<Digest> missingManifests(RepositoryName repository, Collection<Digest> digests);

    // ---- upload sessions ---------------------------------------------------------------------------------

    /** Records a new upload session (creating its repository if needed). */
    void createUpload(UploadSession session);

    Optional<UploadSession> upload(String id);

    /**
     * Moves an upload from {@code expectedSize} to {@code newSize}, with the saved state of its running digest at
     * {@code newSize} (opaque here; null when there is none), in one update. Returns false (and changes nothing)
     * when the session is gone or its size is no longer {@code expectedSize}: someone else moved it first.
     */
    boolean advanceUpload(String id, long expectedSize, long newSize, Instant now, String hashState);

    /** {@link #advanceUpload(String, long, long, Instant, String)} without a digest state. */
    default boolean advanceUpload(String id, long expectedSize, long newSize, Instant now) {
        return advanceUpload(id, expectedSize, newSize, now, null);
    }

    /** Forgets an upload session; returns whether it existed. */
    boolean deleteUpload(String id);

    /** Sessions not touched since {@code cutoff}, oldest first, at most {@code limit}. */
    List<UploadSession> uploadsIdleSince(Instant cutoff, int limit);

    // ---- holding content while it is recorded (see ContentGuard) ------------------------------------------------

    /**
     * {@link #putBlob(RepositoryName, Digest, long, Instant)}, with {@code guard} run first inside the transaction,
     * holding the digest's lock: the guard puts the bytes in place if they are not there (garbage collection may
     * have removed them a moment ago). If the guard throws, nothing is recorded and the exception is rethrown.
     * A link that already exists is confirmed: its time becomes {@code now}.
     */
    void putBlob(RepositoryName repository, Digest digest, long size, Instant now, ContentGuard guard)
            throws IOException;

    /**
     * A blob pushed through upload session {@code uploadId}: {@link #putBlob(RepositoryName, Digest, long, Instant,
     * ContentGuard)} and {@link #deleteUpload(String)} in one transaction. If the guard throws, nothing changes.
     */
    void commitUpload(String uploadId, RepositoryName repository, Digest digest, long size, Instant now,
                      ContentGuard guard) throws IOException;

    /**
     * {@link #putManifest(RepositoryName, ManifestEntry, Collection, Collection, Optional, Instant)}, holding the
     * locks of the manifest's digest and of everything it refers to: {@code guard} first makes sure the manifest's
     * bytes are stored, then every blob must still be linked to the repository and every listed manifest still be
     * in it, else {@link MissingReferencesException} and nothing is recorded.
     */
    void putManifest(RepositoryName repository, ManifestEntry manifest, Collection<Digest> blobs,
                     Collection<Digest> manifests, Optional<String> tag, Instant now, ContentGuard guard)
            throws IOException;

    /**
     * The size of a blob {@code repository} links, like {@link #linkedBlobSize}, and confirms the link: when its time
     * is before {@code staleBefore} it is set to {@code now}, so garbage collection keeps a link a client has just
     * seen. Empty when not linked (also when the link vanished while being confirmed).
     */
    Optional<Long> touchLink(RepositoryName repository, Digest digest, Instant now, Instant staleBefore);

    // ---- garbage collection: lease -------------------------------------------------------------------------------

    /**
     * Takes the lease {@code name} for {@code holder} until {@code now + ttl} when nobody holds it, it has expired,
     * or {@code holder} already holds it (a renewal). Returns whether {@code holder} holds it now.
     */
    boolean acquireLease(String name, String holder, Instant now, Duration ttl);

    /** Gives the lease up if {@code holder} holds it. */
    void releaseLease(String name, String holder);

    /** The lease's last holder and expiry (which may be past), if it was ever taken. */
    Optional<Lease> lease(String name);

    // ---- garbage collection: marking the review queue -------------------------------------------------------------

    /** Removes every entry of the given kinds from the review queue. */
    void clearReview(Collection<ReviewItem.Kind> kinds);

    /** Marks a tag for deletion by a retention policy, with the manifest it points to and its time. */
    void markTag(RepositoryName repository, TagRecord tag);

    /**
     * Marks, in {@code repository}, the manifests recorded before {@code cutoff} that no unmarked tag points to, no
     * unmarked manifest lists, and whose subject (if any) is not an unmarked manifest of the repository; with
     * {@code untagged} false, only those that lost their last tag to a marked tag, are listed only by marked
     * manifests, or refer to a marked subject. Returns how many were marked in this {@code round}.
     */
    int markUnusedManifests(RepositoryName repository, Instant cutoff, int round, boolean untagged);

    /**
     * Marks the links of {@code repository} last confirmed before {@code cutoff} whose blob no unmarked manifest of
     * the repository refers to. Returns how many.
     */
    int markUnusedLinks(RepositoryName repository, Instant cutoff);

    /** Digests of recorded blobs after {@code after} (exclusive), in order, at most {@code limit}. */
    List<Digest> blobDigests(Optional<Digest> after, int limit);

    /**
     * Marks the blobs with digests in ({@code after}, {@code upTo}] recorded before {@code cutoff} that no unmarked
     * link, unmarked manifest or reference of an unmarked manifest needs. Returns how many.
     */
    int markUnusedBlobs(Optional<Digest> after, Digest upTo, Instant cutoff);

    /**
     * Entries of one kind in sweeping order (round, repository, item), after {@code after} (exclusive; empty for the
     * first page), at most {@code limit}.
     */
    List<ReviewItem> reviewItems(ReviewItem.Kind kind, Optional<ReviewItem> after, int limit);

    /** Removes one entry from the review queue. */
    void forget(ReviewItem item);

    /** Whether the review queue holds an entry for removing the bytes of {@code digest}. */
    boolean contentDeletionPending(Digest digest);

    // ---- garbage collection: sweeping (each step re-checks, in its own transaction, under the digest's lock) ----

    /** Deletes a tag if it still points to {@code digest} and was not pushed again since {@code updatedAt}. */
    boolean deleteTagIfUnchanged(RepositoryName repository, String tag, Digest digest, Instant updatedAt);

    /**
     * Deletes a manifest (with its references) if it was recorded before {@code cutoff}, no tag points to it, no
     * manifest of the repository lists it, and its subject (if any) is not a manifest of the repository.
     */
    boolean deleteManifestIfUnused(RepositoryName repository, Digest digest, Instant cutoff);

    /** Deletes a link last confirmed before {@code cutoff} if no manifest of the repository refers to the blob. */
    boolean deleteLinkIfUnused(RepositoryName repository, Digest digest, Instant cutoff);

    /**
     * Deletes a blob row recorded before {@code cutoff} that no link, manifest or manifest reference needs, and queues
     * its bytes for removal ({@link ReviewItem.Kind#CONTENT}). Returns the blob's size when deleted.
     */
    Optional<Long> deleteBlobIfUnused(Digest digest, Instant cutoff);

    /**
     * Under the digest's lock: when no row records the blob, runs {@code remover} (which deletes its bytes) and
     * returns true; when a row does (the blob was pushed again), leaves the bytes alone and returns false. Either
     * way the pending {@link ReviewItem.Kind#CONTENT} entry, if any, is removed. If the remover throws, nothing
     * changes and the exception is rethrown.
     */
    boolean deleteContentIfUnrecorded(Digest digest, ContentGuard remover) throws IOException;

    // ---- garbage collection: checking storage, usage, retention ----------------------------------------------------

    /** Blob rows whose digest string starts with {@code prefix} (for example {@code "sha256:ab"}), in digest order. */
    List<BlobRecord> blobsWithPrefix(String prefix);

    /**
     * What needs a blob, in words, for reports: {@code "<repo> (link)"}, {@code "<repo>@<manifest>"} for a manifest
     * whose bytes it is or that refers to it. At most {@code limit} entries.
     */
    List<String> usersOf(Digest digest, int limit);

    /** Every tag of {@code repository} with its manifest and time, newest first (ties by name). */
    List<TagRecord> tagRecords(RepositoryName repository);

    /** Storage used per repository and in total, each blob counted once in the total. */
    StorageUsage usage();

    // ---- settings ----------------------------------------------------------------------------------------

    /**
     * The value of the registry-wide setting {@code name}; when it has none yet, {@code valueIfAbsent} is stored
     * first. Several nodes asking at once all get the value of the one that stored first.
     */
    String setting(String name, String valueIfAbsent, Instant now);

    @Override
    void close();
}
