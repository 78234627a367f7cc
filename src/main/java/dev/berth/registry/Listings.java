package dev.berth.registry;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.ErrorCode;
import dev.berth.metadata.ManifestEntry;
import dev.berth.metadata.MetadataStore;
import dev.berth.oci.Digest;
import dev.berth.oci.Descriptor;
import dev.berth.oci.RepositoryName;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The three listings, answered from metadata alone (never by walking storage): the catalog of repositories, the
 * tags of a repository, and the referrers of a manifest. Each is paged: a page holds at most the limit asked for
 * (and never more than the configured maximum) and says whether more follow.
 */
public final class Listings {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MetadataStore metadata;
    private final int maxPage;

    public Listings(MetadataStore metadata, int maxPage) {
        this.metadata = metadata;
        this.maxPage = maxPage;
    }

    /** One page of a listing; {@code more} when a next page exists (its {@code last} is the page's last item). */
    public record Page<T>(List<T> items, boolean more) {
    }

    public Page<String> catalog(Optional<String> last, Optional<Integer> n) {
        int limit = limit(n);
        if (limit == 0) {
            return new Page<>(List.of(), false);
        }
        return page(metadata.repositories(last, limit + 1), limit);
    }

    public Page<String> tags(RepositoryName repository, Optional<String> last, Optional<Integer> n) {
        if (!metadata.repositoryExists(repository)) {
            throw ErrorCode.NAME_UNKNOWN.exception("repository " + repository + " is not known to the registry");
        }
        int limit = limit(n);
        if (limit == 0) {
            return new Page<>(List.of(), false);
        }
        return page(metadata.tags(repository, last, limit + 1), limit);
    }

    public Page<Descriptor> referrers(RepositoryName repository, Digest subject, Optional<String> artifactType,
                                      Optional<Digest> after, Optional<Integer> n) {
        int limit = limit(n);
        if (limit == 0) {
            return new Page<>(List.of(), false);
        }
        Page<ManifestEntry> entries = page(metadata.referrers(repository, subject, artifactType, after, limit + 1),
                limit);
        List<Descriptor> out = new ArrayList<>(entries.items().size());
        for (ManifestEntry e : entries.items()) {
            out.add(new Descriptor(e.mediaType(), e.digest(), e.size(), e.artifactType(), annotations(e)));
        }
        return new Page<>(out, entries.more());
    }

    private int limit(Optional<Integer> n) {
        if (n.isPresent() && n.get() < 0) {
            throw ErrorCode.PAGINATION_NUMBER_INVALID.exception("n must not be negative");
        }
        return Math.min(n.orElse(maxPage), maxPage);
    }

    private static <T> Page<T> page(List<T> fetched, int limit) {
        if (fetched.size() > limit) {
            return new Page<>(List.copyOf(fetched.subList(0, limit)), true);
        }
        return new Page<>(fetched, false);
    }

    private static Map<String, String> annotations(ManifestEntry e) {
        if (e.annotations() == null) {
            return Map.of();
        }
        try {
            return JSON.readValue(e.annotations(), new TypeReference<Map<String, String>>() { });
        } catch (IOException ex) {
            throw new IllegalStateException("stored annotations of " + e.digest() + " are not a JSON object", ex);
        }
    }
}
