package dev.berth.registry.gc;

import dev.berth.metadata.BlobRecord;
import dev.berth.metadata.Lease;
import dev.berth.metadata.MetadataStore;
import dev.berth.metadata.ReviewItem;
import dev.berth.metadata.TagRecord;
import dev.berth.metadata.UploadSession;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import dev.berth.registry.Uploads;
import dev.berth.storage.FileInfo;
import dev.berth.storage.Layout;
import dev.berth.storage.StorageDriver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Online garbage collection: removes what nothing needs any more while the registry keeps serving pushes and
 * pulls. See docs/gc.md for the rules; in short, one run
 *
 * <ol>
 *   <li>takes the {@code gc} lease (at most one collector at a time across nodes; it lapses when its holder dies);
 *   <li>finishes what an interrupted run left: contents whose records were deleted but whose bytes were not;
 *   <li>marks, in the metadata's review queue: tags a retention policy deletes, then manifests nothing needs any
 *       more (in rounds, so an index goes before the manifests only it listed), then repository links to blobs no
 *       remaining manifest of the repository refers to, then blobs nothing remaining needs. Nothing recorded,
 *       linked, confirmed or pushed within the grace period is marked;
 *   <li>sweeps the marks in that order, each deletion in its own transaction that re-checks, under the lock of
 *       the digest, that the item is still unused (a push at the same moment wins), and deletes a blob's bytes
 *       only after its record is gone;
 *   <li>walks the blob store: bytes no record names (older than the grace period) are deleted, and records whose
 *       bytes are gone are reported, never dropped; upload data without a session is deleted;
 *   <li>optionally purges upload sessions idle for longer than an age.
 * </ol>
 *
 * A dry run marks and reports but deletes nothing. Every step can be repeated: a run that dies half-way leaves
 * marks (rebuilt by the next run) and pending content deletions (finished by the next run), never a record
 * pointing at missing bytes.
 */
public final class GarbageCollector {

    private static final Logger LOG = Logger.getLogger(GarbageCollector.class.getName());

    /** The name of the lease that admits one collector at a time. */
    public static final String LEASE = "gc";
    /** How long a lease lasts unless renewed; a holder renews it at a third of this. */
    public static final Duration LEASE_TTL = Duration.ofMinutes(5);

    private static final int PAGE = 500;
    private static final List<ReviewItem.Kind> MARKS = List.of(ReviewItem.Kind.TAG, ReviewItem.Kind.MANIFEST,
            ReviewItem.Kind.LINK, ReviewItem.Kind.BLOB);
    private static final String BLOBS = Layout.ROOT + "/blobs";
    private static final String REPOSITORIES = Layout.ROOT + "/repositories";

    private final StorageDriver storage;
    private final MetadataStore metadata;
    private final Uploads uploads;
    private final Clock clock;
    private final String nodeId;

    /**
     * @param uploads the upload service, for purging idle sessions
     * @param nodeId  this collector's name in the lease (see {@link #nodeId()})
     */
    public GarbageCollector(StorageDriver storage, MetadataStore metadata, Uploads uploads, Clock clock,
                            String nodeId) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        this.uploads = Objects.requireNonNull(uploads, "uploads");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    }

    /** A name for this process in the lease: {@code host/pid/random}. */
    public static String nodeId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown-host";
        }
        byte[] random = new byte[3];
        ThreadLocalRandom.current().nextBytes(random);
        return host + "/" + ProcessHandle.current().pid() + "/" + HexFormat.of().formatHex(random);
    }

    /**
     * What one collection does.
     *
     * @param dryRun         report only, change nothing
     * @param gracePeriod    nothing younger than this is removed
     * @param deleteUntagged remove manifests no tag points to (else only those this run's retention untags)
     * @param retention      tag retention policies (the first matching a repository applies)
     * @param uploadPurgeAge when present, upload sessions idle for longer are purged with their data
     */
    public record Options(boolean dryRun, Duration gracePeriod, boolean deleteUntagged,
                          List<RetentionPolicy> retention, Optional<Duration> uploadPurgeAge) {

        public Options {
            Objects.requireNonNull(gracePeriod, "gracePeriod");
            retention = List.copyOf(retention);
            Objects.requireNonNull(uploadPurgeAge, "uploadPurgeAge");
            if (gracePeriod.isNegative()) {
                throw new IllegalArgumentException("grace period must not be negative");
            }
        }

        public static Options of(GcSettings settings, boolean dryRun, Optional<Duration> uploadPurgeAge) {
            return new Options(dryRun, settings.gracePeriod(), settings.deleteUntagged(), settings.retention(),
                    uploadPurgeAge);
        }
    }

    /** Another collector holds the lease; nothing was done. */
    public static final class LeaseBusyException extends RuntimeException {
        private final transient Lease lease;

        LeaseBusyException(Lease lease) {
            super("another garbage collection is running"
                    + (lease == null ? "" : " (" + lease.holder() + ", lease until " + lease.expiresAt() + ")"));
            this.lease = lease;
        }

        public Optional<Lease> lease() {
            return Optional.ofNullable(lease);
        }
    }

    /** The lease was lost during a run (this node stalled past its expiry); the run stopped. */
    public static final class LeaseLostException extends RuntimeException {
        LeaseLostException() {
            super("garbage collection lost its lease and stopped; the next run continues");
        }
    }

    /**
     * Runs one collection. Findings (what is deleted, or would be; what is missing) go to {@code findings} as they
     * happen.
     *
     * @throws LeaseBusyException when another collection is running
     */
    public GcReport run(Options options, Consumer<Finding> findings) {
        Run run = new Run(options, findings);
        if (!metadata.acquireLease(LEASE, nodeId, run.start, LEASE_TTL)) {
            throw new LeaseBusyException(metadata.lease(LEASE).orElse(null));
        }
        try {
            run.execute();
        } finally {
            try {
                metadata.clearReview(MARKS);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "could not clear the garbage collection marks; the next run does", e);
            }
            metadata.releaseLease(LEASE, nodeId);
        }
        return run.report();
    }

    /** Told how each background collection ended (for metrics); every method may be left out. */
    public interface RunListener {
        RunListener NONE = new RunListener() { };

        /** A collection finished; {@link GcReport#failed()} counts items it could not delete. */
        default void ran(GcReport report) {
        }

        /** Another node held the lease; nothing was done. */
        default void skipped() {
        }

        /** The collection stopped with an exception (logged); the next one continues. */
        default void failed(RuntimeException e) {
        }
    }

    /** {@link #scheduled(GcSettings, RunListener)} with no listener. */
    public Runnable scheduled(GcSettings settings) {
        return scheduled(settings, RunListener.NONE);
    }

    /**
     * The background task for a server: one collection with {@code settings} (idle uploads are purged by their own
     * task), its summary logged at INFO, deletions at FINE, missing content at WARNING; a busy lease or a failure
     * is logged and told to {@code listener}, never thrown.
     */
    public Runnable scheduled(GcSettings settings, RunListener listener) {
        return () -> {
            GcReport report;
            try {
                report = run(Options.of(settings, false, Optional.empty()), f -> {
                    if (f.kind() == Finding.Kind.MISSING) {
                        LOG.warning(f.line(false));
                    } else {
                        LOG.fine(() -> f.line(false));
                    }
                });
            } catch (LeaseBusyException e) {
                LOG.info("garbage collection skipped: " + e.getMessage());
                listener.skipped();
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "garbage collection failed; the next run continues", e);
                listener.failed(e);
                return;
            }
            LOG.info("garbage collection: " + report.summary());
            listener.ran(report);
        };
    }

    // ---------------------------------------------------------------------------------------------------------

    /** One collection in progress. */
    private final class Run {
        final Options o;
        final Consumer<Finding> findings;
        final Instant start;
        final Instant cutoff;
        Instant renewed;
        int tags;
        int manifests;
        int links;
        int blobs;
        int contents;
        int uploadCount;
        long bytes;
        int missing;
        int kept;
        int failed;

        Run(Options o, Consumer<Finding> findings) {
            this.o = o;
            this.findings = findings;
            this.start = clock.instant();
            this.cutoff = start.minus(o.gracePeriod());
            this.renewed = start;
        }

        GcReport report() {
            return new GcReport(o.dryRun(), tags, manifests, links, blobs, contents, uploadCount, bytes, missing,
                    kept, failed);
        }

        void execute() {
            pendingContents();
            metadata.clearReview(MARKS);
            markTags();
            markManifests();
            markLinks();
            markBlobs();
            sweepTags();
            sweepManifests();
            sweepLinks();
            sweepBlobs();
            checkBlobStore();
            sweepUploadDirectories();
            purgeUploads();
        }

        /** Renews the lease when a third of it has passed; stops the run when it was lost. */
        void keepLease() {
            Instant now = clock.instant();
            if (Duration.between(renewed, now).compareTo(LEASE_TTL.dividedBy(3)) >= 0) {
                if (!metadata.acquireLease(LEASE, nodeId, now, LEASE_TTL)) {
                    throw new LeaseLostException();
                }
                renewed = now;
            }
        }

        void found(Finding f) {
            findings.accept(f);
        }

        // ---- contents whose records are gone ---------------------------------------------------------------

        void pendingContents() {
            Optional<ReviewItem> after = Optional.empty();
            while (true) {
                List<ReviewItem> page = metadata.reviewItems(ReviewItem.Kind.CONTENT, after, PAGE);
                if (page.isEmpty()) {
                    return;
                }
                for (ReviewItem item : page) {
                    keepLease();
                    if (o.dryRun()) {
                        contents++;
                        bytes += item.size();
                        found(new Finding(Finding.Kind.CONTENT, item.item(), item.size(),
                                "record deleted by an earlier collection"));
                    } else if (deleteContent(item.digest())) {
                        contents++;
                        bytes += item.size();
                        found(new Finding(Finding.Kind.CONTENT, item.item(), item.size(),
                                "record deleted by an earlier collection"));
                    }
                }
                after = Optional.of(page.getLast());
            }
        }

        /** Deletes a blob's bytes if no record names it; false when recorded again, or on a storage error. */
        boolean deleteContent(Digest digest) {
            try {
                return metadata.deleteContentIfUnrecorded(digest,
                        () -> storage.delete(Layout.blobDirectory(digest)));
            } catch (IOException e) {
                failed++;
                LOG.log(Level.WARNING, "could not delete the content of " + digest + "; the next collection retries",
                        e);
                return false;
            }
        }

        // ---- marking ---------------------------------------------------------------------------------------

        void forEachRepository(Consumer<RepositoryName> action) {
            Optional<String> last = Optional.empty();
            while (true) {
                List<String> page = metadata.repositories(last, PAGE);
                for (String name : page) {
                    keepLease();
                    action.accept(RepositoryName.of(name));
                }
                if (page.size() < PAGE) {
                    return;
                }
                last = Optional.of(page.getLast());
            }
        }

        void markTags() {
            if (o.retention().isEmpty()) {
                return;
            }
            forEachRepository(repository -> RetentionPolicy.first(o.retention(), repository.value())
                    .ifPresent(policy -> {
                        for (TagRecord t : policy.tagsToDelete(metadata.tagRecords(repository), start)) {
                            metadata.markTag(repository, t);
                        }
                    }));
        }

        void markManifests() {
            if (!o.deleteUntagged() && o.retention().isEmpty()) {
                return; // only untagged manifests, or those retention untags, are ever candidates
            }
            forEachRepository(repository -> {
                int round = 1;
                while (metadata.markUnusedManifests(repository, cutoff, round, o.deleteUntagged()) > 0) {
                    round++;
                }
            });
        }

        void markLinks() {
            forEachRepository(repository -> metadata.markUnusedLinks(repository, cutoff));
        }

        void markBlobs() {
            Optional<Digest> after = Optional.empty();
            while (true) {
                keepLease();
                List<Digest> page = metadata.blobDigests(after, PAGE);
                if (page.isEmpty()) {
                    return;
                }
                metadata.markUnusedBlobs(after, page.getLast(), cutoff);
                after = Optional.of(page.getLast());
            }
        }

        // ---- sweeping --------------------------------------------------------------------------------------

        /**
         * Hands every mark of {@code kind} to {@code step} in sweeping order, page by page; outside a dry run each
         * mark is forgotten once handled.
         */
        void sweep(ReviewItem.Kind kind, Consumer<ReviewItem> step) {
            Optional<ReviewItem> after = Optional.empty();
            while (true) {
                List<ReviewItem> page = metadata.reviewItems(kind, after, PAGE);
                if (page.isEmpty()) {
                    return;
                }
                for (ReviewItem item : page) {
                    keepLease();
                    step.accept(item);
                    if (!o.dryRun()) {
                        metadata.forget(item);
                    }
                }
                after = Optional.of(page.getLast());
            }
        }

        void sweepTags() {
            sweep(ReviewItem.Kind.TAG, item -> {
                RepositoryName repository = RepositoryName.of(item.repository());
                String policy = RetentionPolicy.first(o.retention(), repository.value())
                        .map(p -> "retention policy " + p.repositories()).orElse("retention policy");
                if (o.dryRun() || metadata.deleteTagIfUnchanged(repository, item.item(), item.tagDigest(),
                        item.tagUpdatedAt())) {
                    tags++;
                    found(new Finding(Finding.Kind.TAG, item.repository() + ":" + item.item(), 0, policy));
                } else {
                    kept++;
                }
            });
        }

        void sweepManifests() {
            sweep(ReviewItem.Kind.MANIFEST, item -> {
                if (o.dryRun() || metadata.deleteManifestIfUnused(RepositoryName.of(item.repository()),
                        item.digest(), cutoff)) {
                    manifests++;
                    found(new Finding(Finding.Kind.MANIFEST, item.repository() + "@" + item.item(), 0,
                            "unused"));
                } else {
                    kept++;
                }
            });
        }

        void sweepLinks() {
            sweep(ReviewItem.Kind.LINK, item -> {
                if (o.dryRun() || metadata.deleteLinkIfUnused(RepositoryName.of(item.repository()), item.digest(),
                        cutoff)) {
                    links++;
                    found(new Finding(Finding.Kind.LINK, item.repository() + "@" + item.item(), 0,
                            "no manifest of the repository refers to it"));
                } else {
                    kept++;
                }
            });
        }

        void sweepBlobs() {
            sweep(ReviewItem.Kind.BLOB, item -> {
                if (o.dryRun()) {
                    blobs++;
                    bytes += item.size();
                    found(new Finding(Finding.Kind.BLOB, item.item(), item.size(), ""));
                    return;
                }
                Optional<Long> size = metadata.deleteBlobIfUnused(item.digest(), cutoff);
                if (size.isEmpty()) {
                    kept++;
                    return;
                }
                // the record is gone and the content queued: a failure here is finished by the next run
                blobs++;
                if (deleteContent(item.digest())) {
                    bytes += size.get();
                }
                found(new Finding(Finding.Kind.BLOB, item.item(), size.get(), ""));
            });
        }

        // ---- the blob store --------------------------------------------------------------------------------

        /**
         * Compares records with the blob store, one two-hex-digit prefix at a time: content without a record
         * (older than the grace period) is deleted; a record without content is reported.
         */
        void checkBlobStore() {
            for (Digest.Algorithm algorithm : Digest.Algorithm.values()) {
                for (int p = 0; p < 256; p++) {
                    keepLease();
                    String prefix = String.format("%02x", p);
                    checkPrefix(algorithm, prefix);
                }
            }
        }

        void checkPrefix(Digest.Algorithm algorithm, String prefix) {
            Map<Digest, BlobRecord> records = new HashMap<>();
            for (BlobRecord r : metadata.blobsWithPrefix(algorithm.id() + ":" + prefix)) {
                records.put(r.digest(), r);
            }
            List<String> directories = list(BLOBS + "/" + algorithm.id() + "/" + prefix);
            for (String directory : directories) {
                String hex = directory.substring(directory.lastIndexOf('/') + 1);
                Digest digest;
                try {
                    digest = new Digest(algorithm, hex);
                } catch (IllegalArgumentException e) {
                    continue; // not a blob directory: left alone
                }
                Optional<FileInfo> data = stat(directory + "/data");
                if (records.remove(digest) != null) {
                    if (data.isEmpty()) {
                        reportMissing(digest);
                    }
                    continue;
                }
                Optional<FileInfo> seen = data.isPresent() ? data : stat(directory);
                if (seen.isEmpty() || !seen.get().modified().isBefore(cutoff)) {
                    continue; // young: it may be a push on its way
                }
                long size = data.map(FileInfo::size).orElse(0L);
                if (o.dryRun()) {
                    if (!metadata.contentDeletionPending(digest)) { // counted with the pending ones
                        contents++;
                        bytes += size;
                        found(new Finding(Finding.Kind.CONTENT, digest.toString(), size, "not recorded"));
                    }
                } else if (deleteContent(digest)) {
                    contents++;
                    bytes += size;
                    found(new Finding(Finding.Kind.CONTENT, digest.toString(), size, "not recorded"));
                }
            }
            for (Digest digest : records.keySet()) { // records whose prefix directory has no directory for them
                reportMissing(digest);
            }
        }

        void reportMissing(Digest digest) {
            // look again: the record may have been deleted (or the content written) since the listing
            Optional<Long> size = metadata.blobSize(digest);
            if (size.isEmpty() || stat(Layout.blobData(digest)).isPresent()) {
                return;
            }
            missing++;
            List<String> users = metadata.usersOf(digest, 6);
            String needed = users.isEmpty() ? "nothing refers to it any more"
                    : "needed by " + String.join(", ", users.subList(0, Math.min(5, users.size())))
                    + (users.size() > 5 ? ", ..." : "");
            found(new Finding(Finding.Kind.MISSING, digest.toString(), size.get(),
                    "recorded but its content is not in storage; " + needed));
        }

        // ---- uploads -----------------------------------------------------------------------------------------

        /** Upload data whose session is gone (a crash between forgetting a session and deleting its data). */
        void sweepUploadDirectories() {
            walkRepositories(REPOSITORIES, 0);
        }

        void walkRepositories(String directory, int depth) {
            if (depth > 64) {
                return;
            }
            for (String child : list(directory)) {
                keepLease();
                String name = child.substring(child.lastIndexOf('/') + 1);
                if (name.equals("_uploads")) {
                    if (depth == 0) {
                        continue; // not inside a repository
                    }
                    for (String upload : list(child)) {
                        sweepUploadDirectory(directory.substring(REPOSITORIES.length() + 1), upload);
                    }
                } else if (!name.startsWith("_")) {
                    walkRepositories(child, depth + 1);
                }
            }
        }

        void sweepUploadDirectory(String repository, String directory) {
            String id = directory.substring(directory.lastIndexOf('/') + 1);
            if (!Layout.isUploadId(id) || metadata.upload(id).isPresent()) {
                return;
            }
            Optional<FileInfo> data = stat(directory + "/data");
            Optional<FileInfo> seen = data.isPresent() ? data : stat(directory);
            if (seen.isEmpty() || !seen.get().modified().isBefore(cutoff)) {
                return;
            }
            long size = data.map(FileInfo::size).orElse(0L);
            if (!o.dryRun()) {
                try {
                    storage.delete(directory);
                } catch (IOException e) {
                    failed++;
                    LOG.log(Level.WARNING, "could not delete " + directory, e);
                    return;
                }
            }
            uploadCount++;
            bytes += size;
            found(new Finding(Finding.Kind.UPLOAD, repository + "/" + id, size, "data without a session"));
        }

        void purgeUploads() {
            if (o.uploadPurgeAge().isEmpty()) {
                return;
            }
            Duration age = o.uploadPurgeAge().get();
            Consumer<UploadSession> report = s -> {
                uploadCount++;
                bytes += s.size();
                found(new Finding(Finding.Kind.UPLOAD, s.repository() + "/" + s.id(), s.size(),
                        "idle since " + s.updatedAt()));
            };
            if (o.dryRun()) {
                metadata.uploadsIdleSince(clock.instant().minus(age), 100_000).forEach(report);
            } else {
                uploads.purgeIdle(age, report);
            }
        }

        // ---- storage helpers -------------------------------------------------------------------------------

        List<String> list(String path) {
            try {
                return storage.list(path);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + path, e);
            }
        }

        Optional<FileInfo> stat(String path) {
            try {
                return storage.stat(path);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot stat " + path, e);
            }
        }
    }
}
