package dev.berth.bench;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The few OCI distribution calls the benchmarks make, over one keep-alive {@link HttpConn}: what docker, podman
 * and containerd send (POST then PUT for a monolithic upload, PATCH with {@code Content-Range} for chunks).
 */
final class OciClient implements Closeable {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String ACCEPT_MANIFESTS = OCI_MANIFEST + ", " + DOCKER_MANIFEST
            + ", application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json";
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

    private final Target target;
    private final HttpConn http;

    OciClient(Target target, Duration timeout) {
        this.target = target;
        this.http = new HttpConn(target.host(), target.port(), timeout);
    }

    Target target() {
        return target;
    }

    HttpConn http() {
        return http;
    }

    /** POST /v2/NAME/blobs/uploads/: the upload's location (a request target: path and query). */
    String startUpload(String repo) throws IOException {
        HttpConn.Response r = http.exchange("POST", "/v2/" + repo + "/blobs/uploads/", Map.of());
        expect(r, 202, "start an upload in " + repo);
        return location(r);
    }

    /** PUT LOCATION?digest= with the body (monolithic when it is the whole blob, or null to just commit). */
    void finishUpload(String location, String digest, HttpConn.Body body) throws IOException {
        Map<String, String> h = body == null ? Map.of() : Map.of("Content-Type", "application/octet-stream");
        HttpConn.Response r = http.exchange("PUT", withQuery(location, "digest=" + digest), h, body, null, 4096);
        expect(r, 201, "finish the upload of " + digest);
    }

    /** PATCH LOCATION with one chunk and its Content-Range; the next location. */
    String patch(String location, long offset, HttpConn.Body body) throws IOException {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", "application/octet-stream");
        h.put("Content-Range", offset + "-" + (offset + body.length() - 1));
        HttpConn.Response r = http.exchange("PATCH", location, h, body, null, 4096);
        expect(r, 202, "upload a chunk at " + offset);
        return location(r);
    }

    /** A whole blob in two requests (POST, then PUT with the body), as clients push small blobs. */
    void pushBlob(String repo, String digest, HttpConn.Body body) throws IOException {
        finishUpload(startUpload(repo), digest, body);
    }

    /** Cross-repository mount; true when the registry mounted it (201). */
    boolean mount(String repo, String digest, String from) throws IOException {
        HttpConn.Response r = http.exchange("POST", "/v2/" + repo + "/blobs/uploads/?mount=" + digest + "&from="
                + from, Map.of());
        if (r.status() == 201) {
            return true;
        }
        expect(r, 202, "mount " + digest + " into " + repo);
        // not mounted: cancel the session the registry opened instead
        String location = location(r);
        http.exchange("DELETE", location, Map.of());
        return false;
    }

    void putManifest(String repo, String reference, String mediaType, byte[] manifest) throws IOException {
        HttpConn.Response r = http.exchange("PUT", "/v2/" + repo + "/manifests/" + reference,
                Map.of("Content-Type", mediaType), HttpConn.Body.of(manifest), null, 4096);
        expect(r, 201, "put manifest " + repo + ":" + reference);
    }

    byte[] getManifest(String repo, String reference) throws IOException {
        HttpConn.Response r = http.exchange("GET", "/v2/" + repo + "/manifests/" + reference,
                Map.of("Accept", ACCEPT_MANIFESTS));
        expect(r, 200, "get manifest " + repo + ":" + reference);
        return r.body();
    }

    /** GET a blob (or a range of it), the body passed to {@code sink}; the response (body not kept). */
    HttpConn.Response getBlob(String repo, String digest, String range, HttpConn.BodySink sink) throws IOException {
        Map<String, String> h = range == null ? Map.of() : Map.of("Range", range);
        HttpConn.Response r = http.exchange("GET", "/v2/" + repo + "/blobs/" + digest, h, null, sink, 0);
        expect(r, range == null ? 200 : 206, "get blob " + digest + (range == null ? "" : " " + range));
        return r;
    }

    /** GET any path of this server (for a static file server), the body passed to {@code sink}. */
    HttpConn.Response get(String path, HttpConn.BodySink sink) throws IOException {
        HttpConn.Response r = http.exchange("GET", path, Map.of(), null, sink, 0);
        expect(r, 200, "get " + path);
        return r;
    }

    HttpConn.Response getText(String path) throws IOException {
        return http.exchange("GET", path, Map.of());
    }

    /** The request target of a {@code Link: <...>; rel="next"} header, or null. */
    static String nextLink(HttpConn.Response r) {
        String link = r.header("link");
        if (link == null) {
            return null;
        }
        Matcher m = NEXT_LINK.matcher(link);
        if (!m.find()) {
            return null;
        }
        return requestTarget(m.group(1));
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String location(HttpConn.Response r) {
        String location = r.header("location");
        if (location == null) {
            throw new BenchException("the registry answered " + r.status() + " without a Location header");
        }
        return requestTarget(location);
    }

    /** An absolute URL or a path, as the path-and-query to send to this registry. */
    static String requestTarget(String location) {
        if (location.startsWith("http://") || location.startsWith("https://")) {
            URI u = URI.create(location);
            return u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        }
        return location;
    }

    static String withQuery(String target, String param) {
        return target + (target.indexOf('?') >= 0 ? "&" : "?") + param;
    }

    private void expect(HttpConn.Response r, int status, String what) {
        if (r.status() != status) {
            throw new BenchException(target.label() + ": " + what + ": expected " + status + ", got "
                    + r.describe());
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
