package dev.berth.registry.distribution;

import dev.berth.api.RegistryException;
import dev.berth.metadata.MetadataStore;
import dev.berth.oci.Digest;
import dev.berth.oci.Manifest;
import dev.berth.oci.RepositoryName;
import dev.berth.oci.Tag;
import dev.berth.registry.Manifests;
import dev.berth.storage.FileInfo;
import dev.berth.storage.Layout;
import dev.berth.storage.StorageDriver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Reads a CNCF distribution v2 storage tree (the filesystem driver's layout) into Berth's metadata, in place: the
 * blobs already are where Berth looks for them ({@code docker/registry/v2/blobs/...}), so nothing is copied. For
 * every repository under {@code docker/registry/v2/repositories}:
 *
 * <ul>
 *   <li>{@code _layers/<alg>/<hex>/link}: the repository may serve that blob (recorded as a link);
 *   <li>{@code _manifests/revisions/<alg>/<hex>/link}: a manifest of the repository, recorded as if pushed by digest
 *       (image manifests first, then indexes), with the same validation as a push;
 *   <li>{@code _manifests/tags/<tag>/current/link}: a tag.
 * </ul>
 *
 * Anything inconsistent (a link to a missing blob, a revision whose bytes are missing or do not match its digest, a
 * manifest Berth does not accept, a tag pointing nowhere) is skipped and reported; a blob a manifest needs that
 * exists but is not linked is linked and reported. Running it again records nothing new. Upload sessions of
 * distribution are not imported. The tree's link files are read, never changed.
 */
public final class DistributionImport {

    private static final String REPOSITORIES = Layout.ROOT + "/repositories";
    /** Manifests are read whole; a revision larger than this is reported and skipped. */
    static final long MAX_MANIFEST_BYTES = 64L * 1024 * 1024;

    private final StorageDriver storage;
    private final MetadataStore metadata;
    private final Clock clock;
    private final Manifests manifests;

    public DistributionImport(StorageDriver storage, MetadataStore metadata, Clock clock) {
        this.storage = storage;
        this.metadata = metadata;
        this.clock = clock;
        this.manifests = new Manifests(storage, metadata, clock, false, MAX_MANIFEST_BYTES);
    }

    /**
     * Imports every repository of the tree; {@code out} gets one line per repository and per inconsistency as they
     * are found.
     */
    public ImportReport run(Consumer<String> out) throws IOException {
        Totals totals = new Totals(out);
        List<String> repositories = new ArrayList<>();
        findRepositories(REPOSITORIES, repositories, 0);
        for (String path : repositories) {
            String name = path.substring(REPOSITORIES.length() + 1);
            RepositoryName repository;
            try {
                repository = RepositoryName.of(name);
            } catch (IllegalArgumentException e) {
                totals.inconsistent(name + ": not a valid repository name (" + e.getMessage() + "); skipped");
                continue;
            }
            totals.repositories++;
            importRepository(repository, path, totals);
        }
        return totals.report();
    }

    /** What one run has counted so far. */
    private static final class Totals {
        final Consumer<String> out;
        int repositories;
        int links;
        int newLinks;
        int manifests;
        int newManifests;
        int tags;
        int newTags;
        int uploads;
        final List<String> inconsistencies = new ArrayList<>();

        Totals(Consumer<String> out) {
            this.out = out;
        }

        void inconsistent(String what) {
            inconsistencies.add(what);
            out.accept("inconsistent: " + what);
        }

        ImportReport report() {
            return new ImportReport(repositories, links, newLinks, manifests, newManifests, tags, newTags, uploads,
                    inconsistencies);
        }
    }

    /** Directories holding {@code _layers}, {@code _manifests} or {@code _uploads}, in name order. */
    private void findRepositories(String directory, List<String> found, int depth) throws IOException {
        if (depth > 64) {
            return;
        }
        List<String> children = storage.list(directory);
        boolean isRepository = false;
        for (String child : children) {
            String name = last(child);
            if (name.equals("_layers") || name.equals("_manifests") || name.equals("_uploads")) {
                isRepository = true;
            }
        }
        if (isRepository && depth > 0) {
            found.add(directory);
        }
        for (String child : children) {
            if (!last(child).startsWith("_")) {
                findRepositories(child, found, depth + 1);
            }
        }
    }

    private void importRepository(RepositoryName repository, String path, Totals totals) throws IOException {
        int links = totals.links;
        int newLinks = totals.newLinks;
        int manifestCount = totals.manifests;
        int newManifests = totals.newManifests;
        int tagCount = totals.tags;
        int newTags = totals.newTags;

        // blob links
        for (Digest digest : linkedDigests(path + "/_layers", repository, totals)) {
            Optional<FileInfo> blob = storage.stat(Layout.blobData(digest));
            if (blob.isEmpty()) {
                totals.inconsistent(repository + ": _layers link to " + digest + " whose blob is not in storage;"
                        + " skipped");
                continue;
            }
            totals.links++;
            if (link(repository, digest, blob.get().size())) {
                totals.newLinks++;
            }
        }

        // manifests: images before the indexes that list them, nested indexes after their children
        Map<Digest, byte[]> pending = new LinkedHashMap<>();
        for (Digest digest : linkedDigests(path + "/_manifests/revisions", repository, totals)) {
            readRevision(repository, digest, totals).ifPresent(bytes -> pending.put(digest, bytes));
        }
        Map<Digest, String> failures = new LinkedHashMap<>();
        boolean progress = true;
        while (!pending.isEmpty() && progress) {
            progress = false;
            failures.clear();
            for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                Optional<String> problem = importManifest(repository, e.getKey(), e.getValue(), totals);
                if (problem.isEmpty()) {
                    it.remove();
                    progress = true;
                } else {
                    failures.put(e.getKey(), problem.get());
                }
            }
        }
        for (var e : failures.entrySet()) {
            totals.inconsistent(repository + ": manifest " + e.getKey() + " " + e.getValue() + "; skipped");
        }

        // tags
        for (String tagPath : storage.list(path + "/_manifests/tags")) {
            importTag(repository, last(tagPath), tagPath, totals);
        }

        String uploadsPath = path + "/_uploads";
        int uploadsHere = storage.list(uploadsPath).size();
        totals.uploads += uploadsHere;

        totals.out.accept("repository " + repository + ": " + (totals.links - links) + " blob links ("
                + (totals.newLinks - newLinks) + " new), " + (totals.manifests - manifestCount) + " manifests ("
                + (totals.newManifests - newManifests) + " new), " + (totals.tags - tagCount) + " tags ("
                + (totals.newTags - newTags) + " new)"
                + (uploadsHere > 0 ? ", " + uploadsHere + " upload sessions not imported" : ""));
    }

    /** The digests named by {@code <dir>/<alg>/<hex>/link} files, checked against their directory names. */
    private List<Digest> linkedDigests(String directory, RepositoryName repository, Totals totals)
            throws IOException {
        List<Digest> out = new ArrayList<>();
        for (String algorithmDir : storage.list(directory)) {
            for (String hexDir : storage.list(algorithmDir)) {
                String where = hexDir.substring(REPOSITORIES.length() + 1) + "/link";
                Digest named;
                try {
                    named = Digest.parse(last(algorithmDir) + ":" + last(hexDir));
                } catch (IllegalArgumentException e) {
                    totals.inconsistent(where + ": not a digest directory; skipped");
                    continue;
                }
                String link;
                try {
                    link = new String(storage.getContent(hexDir + "/link"), StandardCharsets.UTF_8).strip();
                } catch (NoSuchFileException e) {
                    totals.inconsistent(where + " is missing; skipped");
                    continue;
                }
                if (!link.equals(named.toString())) {
                    totals.inconsistent(where + " says '" + link + "', not " + named + "; skipped");
                    continue;
                }
                out.add(named);
            }
        }
        return out;
    }

    /** Records a link (and the blob) unless already there; true when it was new. */
    private boolean link(RepositoryName repository, Digest digest, long size) throws IOException {
        if (metadata.linkedBlobSize(repository, digest).isPresent()) {
            return false;
        }
        String data = Layout.blobData(digest);
        metadata.putBlob(repository, digest, size, clock.instant(), () -> {
            if (storage.stat(data).isEmpty()) {
                throw new NoSuchFileException(data);
            }
        });
        return true;
    }

    private Optional<byte[]> readRevision(RepositoryName repository, Digest digest, Totals totals)
            throws IOException {
        String data = Layout.blobData(digest);
        Optional<FileInfo> info = storage.stat(data);
        if (info.isEmpty()) {
            totals.inconsistent(repository + ": manifest revision " + digest + " whose bytes are not in storage;"
                    + " skipped");
            return Optional.empty();
        }
        if (info.get().size() > MAX_MANIFEST_BYTES) {
            totals.inconsistent(repository + ": manifest revision " + digest + " is " + info.get().size()
                    + " bytes, more than a manifest can be; skipped");
            return Optional.empty();
        }
        byte[] bytes = storage.getContent(data);
        Digest actual = Digest.of(digest.algorithm(), digest.algorithm().newMessageDigest().digest(bytes));
        if (!actual.equals(digest)) {
            totals.inconsistent(repository + ": manifest revision " + digest + " has content hashing to " + actual
                    + "; skipped");
            return Optional.empty();
        }
        return Optional.of(bytes);
    }

    /** Imports one manifest; empty when done (or already there), else why not (yet). */
    private Optional<String> importManifest(RepositoryName repository, Digest digest, byte[] bytes, Totals totals)
            throws IOException {
        if (metadata.manifest(repository, digest).isPresent()) {
            totals.manifests++;
            return Optional.empty();
        }
        Manifest manifest;
        try {
            manifest = Manifest.parse(bytes, null);
        } catch (Manifest.InvalidManifestException e) {
            return Optional.of("is not a manifest Berth accepts (" + e.getMessage() + ")");
        }
        if (!manifest.isIndex()) {
            // link what the manifest needs and storage has but _layers lacks (distribution serves it anyway)
            List<Digest> needed = new ArrayList<>();
            needed.add(manifest.config().digest());
            manifest.layers().stream()
                    .filter(d -> !dev.berth.oci.MediaTypes.isNonDistributable(d.mediaType()))
                    .forEach(d -> needed.add(d.digest()));
            for (Digest blob : metadata.missingBlobs(repository, needed)) {
                Optional<FileInfo> info = storage.stat(Layout.blobData(blob));
                if (info.isEmpty()) {
                    return Optional.of("refers to blob " + blob + ", which is not in storage");
                }
                link(repository, blob, info.get().size());
                totals.inconsistent(repository + ": blob " + blob + " needed by manifest " + digest
                        + " had no _layers link; linked");
            }
        }
        try {
            manifests.put(repository, digest, bytes, null);
        } catch (RegistryException e) {
            return Optional.of("was refused: " + e.getMessage() + (e.detail() == null ? "" : " (" + e.detail() + ")"));
        }
        totals.manifests++;
        totals.newManifests++;
        return Optional.empty();
    }

    private void importTag(RepositoryName repository, String tag, String tagPath, Totals totals) throws IOException {
        String where = repository + ": tag " + tag;
        try {
            Tag.of(tag);
        } catch (IllegalArgumentException e) {
            totals.inconsistent(where + " is not a valid tag; skipped");
            return;
        }
        Digest digest;
        try {
            digest = Digest.parse(new String(storage.getContent(tagPath + "/current/link"),
                    StandardCharsets.UTF_8).strip());
        } catch (NoSuchFileException e) {
            totals.inconsistent(where + " has no current/link; skipped");
            return;
        } catch (IllegalArgumentException e) {
            totals.inconsistent(where + ": current/link does not hold a digest; skipped");
            return;
        }
        if (metadata.manifest(repository, digest).isEmpty()) {
            totals.inconsistent(where + " points to " + digest + ", which is not a manifest of the repository;"
                    + " skipped");
            return;
        }
        if (digest.algorithm() != Digest.Algorithm.SHA256) {
            totals.inconsistent(where + " points to " + digest + "; Berth tags sha256 manifests only; skipped");
            return;
        }
        totals.tags++;
        if (metadata.taggedManifest(repository, tag).map(m -> m.digest().equals(digest)).orElse(false)) {
            return;
        }
        byte[] bytes = storage.getContent(Layout.blobData(digest));
        try {
            manifests.put(repository, Tag.of(tag), bytes, null);
        } catch (RegistryException e) {
            totals.tags--;
            totals.inconsistent(where + " was refused: " + e.getMessage() + "; skipped");
            return;
        }
        totals.newTags++;
    }

    private static String last(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
