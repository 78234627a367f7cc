package dev.berth.metadata;

import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;

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
     * Moves an upload from {@code expectedSize} to {@code newSize}. Returns false (and changes nothing) when the
     * session is gone or its size is no longer {@code expectedSize}: someone else moved it first.
     */
    boolean advanceUpload(String id, long expectedSize, long newSize, Instant now);

    /** Forgets an upload session; returns whether it existed. */
    boolean deleteUpload(String id);

    /** Sessions not touched since {@code cutoff}, oldest first, at most {@code limit}. */
    List<UploadSession> uploadsIdleSince(Instant cutoff, int limit);

    @Override
    void close();
}
