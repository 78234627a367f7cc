package dev.berth.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.ErrorCode;
import dev.berth.api.Route;
import dev.berth.auth.Grant;
import dev.berth.metadata.ManifestEntry;
import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.MediaTypes;
import dev.berth.oci.Reference;
import dev.berth.oci.RepositoryName;
import dev.berth.registry.Listings;
import dev.berth.registry.Manifests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The handlers of the manifest, tag-list, catalog and referrers routes. */
public final class ManifestApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DIGEST_HEADER = "Docker-Content-Digest";

    private final Manifests manifests;
    private final Listings listings;

    public ManifestApi(Manifests manifests, Listings listings) {
        this.manifests = manifests;
        this.listings = listings;
    }

    public void register(Router router) {
        router.on(Route.MANIFEST, Route.Method.GET, this::getManifest)
                .on(Route.MANIFEST, Route.Method.HEAD, this::getManifest)
                .on(Route.MANIFEST, Route.Method.PUT, this::putManifest)
                .on(Route.MANIFEST, Route.Method.DELETE, this::deleteManifest)
                .on(Route.TAGS, Route.Method.GET, this::listTags)
                .on(Route.CATALOG, Route.Method.GET, this::catalog)
                .on(Route.REFERRERS, Route.Method.GET, this::referrers);
    }

    // ---- manifests ---------------------------------------------------------------------------------------------

    private Response getManifest(Request req, Map<String, String> vars) throws IOException {
        RepositoryName name = Params.name(vars);
        Reference reference = Params.reference(vars.get("reference"));
        if (req.method() == Route.Method.HEAD) {
            ManifestEntry entry = manifests.stat(name, reference);
            return manifestHeaders(entry).headLength(entry.size());
        }
        Manifests.Stored stored = manifests.get(name, reference);
        String etag = "\"" + stored.entry().digest() + "\"";
        if (req.header("If-None-Match").map(v -> v.equals(etag)).orElse(false)) {
            return Response.status(304).header("ETag", etag).header(DIGEST_HEADER, stored.entry().digest().toString());
        }
        return manifestHeaders(stored.entry()).body(new Response.Bytes(stored.bytes()));
    }

    private static Response manifestHeaders(ManifestEntry entry) {
        return Response.status(200)
                .header("Content-Type", entry.mediaType())
                .header(DIGEST_HEADER, entry.digest().toString())
                .header("ETag", "\"" + entry.digest() + "\"");
    }

    private Response putManifest(Request req, Map<String, String> vars) throws IOException {
        RepositoryName name = Params.name(vars);
        Reference reference = Params.reference(vars.get("reference"));
        byte[] body = readAll(req, manifests.maxBytes());
        Manifests.Pushed pushed = manifests.put(name, reference, body, req.header("Content-Type").orElse(null));
        Response r = Response.status(201)
                .header("Location", Route.MANIFEST.path(name.value(), pushed.digest().toString()))
                .header(DIGEST_HEADER, pushed.digest().toString());
        pushed.subject().ifPresent(s -> r.header("OCI-Subject", s.toString()));
        return r;
    }

    private Response deleteManifest(Request req, Map<String, String> vars) {
        manifests.delete(Params.name(vars), Params.reference(vars.get("reference")));
        return Response.status(202);
    }

    /** The whole body, refused with 413 past {@code max} bytes (before reading when the length is declared). */
    private static byte[] readAll(Request req, long max) throws IOException {
        if (req.contentLength() > max) {
            throw Manifests.tooLarge();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(req.contentLength() > 0 ? (int) req.contentLength()
                : 4096);
        byte[] buf = new byte[16 * 1024];
        InputStream in = req.body();
        int n;
        long total = 0;
        while ((n = in.read(buf)) > 0) {
            total += n;
            if (total > max) {
                throw Manifests.tooLarge();
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    // ---- listings ----------------------------------------------------------------------------------------------

    private Response listTags(Request req, Map<String, String> vars) {
        RepositoryName name = Params.name(vars);
        Optional<Integer> n = pageSize(req);
        Optional<String> last = req.queryParam("last");
        Listings.Page<String> page = listings.tags(name, last, n);
        ObjectNode root = JSON.createObjectNode();
        root.put("name", name.value());
        ArrayNode tags = root.putArray("tags");
        page.items().forEach(tags::add);
        Response r = json(root, "application/json");
        if (page.more()) {
            r.header("Link", nextLink(Route.TAGS.path(name.value()), page.items(), n));
        }
        return r;
    }

    private Response catalog(Request req, Map<String, String> vars) {
        Optional<Integer> n = pageSize(req);
        Listings.Page<String> page = req.grant() == Grant.unrestricted() ? listings.catalog(req.queryParam("last"), n)
                : visibleCatalog(req.grant(), req.queryParam("last"), n);
        ObjectNode root = JSON.createObjectNode();
        ArrayNode repos = root.putArray("repositories");
        page.items().forEach(repos::add);
        Response r = json(root, "application/json");
        if (page.more()) {
            r.header("Link", nextLink(Route.CATALOG.path(), page.items(), n));
        }
        return r;
    }

    /**
     * A catalog page of only the repositories {@code grant} may list: pages of the whole catalog are read, filtered,
     * until the page is full and one more visible repository is seen (so {@code more} is never a false promise), or
     * the catalog ends.
     */
    private Listings.Page<String> visibleCatalog(Grant grant, Optional<String> last, Optional<Integer> n) {
        Listings.Page<String> page = listings.catalog(last, n);
        int want = page.items().size();     // a full page when more follow: the page size in force
        List<String> visible = new java.util.ArrayList<>();
        while (true) {
            for (String repo : page.items()) {
                if (mayList(grant, repo)) {
                    visible.add(repo);
                    if (visible.size() > want) {
                        return new Listings.Page<>(List.copyOf(visible.subList(0, want)), true);
                    }
                }
            }
            if (!page.more() || page.items().isEmpty()) {
                return new Listings.Page<>(List.copyOf(visible), false);
            }
            String after = page.items().get(page.items().size() - 1);
            page = listings.catalog(Optional.of(after), Optional.empty());
        }
    }

    private static boolean mayList(Grant grant, String repository) {
        try {
            return grant.mayList(RepositoryName.of(repository));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private Response referrers(Request req, Map<String, String> vars) {
        RepositoryName name = Params.name(vars);
        Digest subject = Params.digest(vars.get("digest"));
        Optional<String> artifactType = req.queryParam("artifactType").filter(s -> !s.isEmpty());
        Optional<Digest> after = req.queryParam("last").map(Params::digest);
        Optional<Integer> n = pageSize(req);
        Listings.Page<Descriptor> page = listings.referrers(name, subject, artifactType, after, n);
        ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode list = root.putArray("manifests");
        for (Descriptor d : page.items()) {
            ObjectNode o = list.addObject();
            o.put("mediaType", d.mediaType());
            o.put("digest", d.digest().toString());
            o.put("size", d.size());
            if (d.artifactType() != null) {
                o.put("artifactType", d.artifactType());
            }
            if (!d.annotations().isEmpty()) {
                ObjectNode a = o.putObject("annotations");
                d.annotations().forEach(a::put);
            }
        }
        Response r = json(root, MediaTypes.OCI_INDEX);
        artifactType.ifPresent(t -> r.header("OCI-Filters-Applied", "artifactType"));
        if (page.more()) {
            String lastDigest = page.items().get(page.items().size() - 1).digest().toString();
            StringBuilder next = new StringBuilder(Route.REFERRERS.path(name.value(), subject.toString()))
                    .append("?last=").append(lastDigest);
            n.ifPresent(v -> next.append("&n=").append(v));
            artifactType.ifPresent(t -> next.append("&artifactType=").append(urlEncode(t)));
            r.header("Link", "<" + next + ">; rel=\"next\"");
        }
        return r;
    }

    private static Optional<Integer> pageSize(Request req) {
        return req.queryParam("n").filter(s -> !s.isEmpty()).map(s -> {
            try {
                int v = Integer.parseInt(s);
                if (v < 0) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException e) {
                throw ErrorCode.PAGINATION_NUMBER_INVALID.exception("n must be a non-negative integer");
            }
        });
    }

    private static String nextLink(String path, List<String> items, Optional<Integer> n) {
        String last = items.get(items.size() - 1);
        StringBuilder next = new StringBuilder(path).append("?last=").append(urlEncode(last));
        n.ifPresent(v -> next.append("&n=").append(v));
        return "<" + next + ">; rel=\"next\"";
    }

    private static String urlEncode(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static Response json(ObjectNode root, String contentType) {
        try {
            return Response.status(200).bytes(contentType, JSON.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
