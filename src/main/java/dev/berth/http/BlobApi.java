package dev.berth.http;

import dev.berth.api.ErrorCode;
import dev.berth.api.Route;
import dev.berth.auth.Action;
import dev.berth.auth.Grant;
import dev.berth.metadata.UploadSession;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import dev.berth.registry.BlobInfo;
import dev.berth.registry.Blobs;
import dev.berth.registry.ChunkRange;
import dev.berth.registry.Uploads;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** The handlers of the blob and upload routes: parse, call {@link Blobs} or {@link Uploads}, write headers. */
public final class BlobApi {

    private static final String DIGEST_HEADER = "Docker-Content-Digest";
    private static final String UPLOAD_UUID_HEADER = "Docker-Upload-UUID";

    private final Blobs blobs;
    private final Uploads uploads;

    public BlobApi(Blobs blobs, Uploads uploads) {
        this.blobs = blobs;
        this.uploads = uploads;
    }

    public void register(Router router) {
        router.on(Route.BASE, Route.Method.GET, (req, vars) -> base())
                .on(Route.BASE, Route.Method.HEAD, (req, vars) -> base())
                .on(Route.BLOB, Route.Method.GET, this::getBlob)
                .on(Route.BLOB, Route.Method.HEAD, this::getBlob)
                .on(Route.BLOB, Route.Method.DELETE, this::deleteBlob)
                .on(Route.UPLOADS, Route.Method.POST, this::startUpload)
                .on(Route.UPLOAD, Route.Method.GET, this::uploadStatus)
                .on(Route.UPLOAD, Route.Method.PATCH, this::patchUpload)
                .on(Route.UPLOAD, Route.Method.PUT, this::finishUpload)
                .on(Route.UPLOAD, Route.Method.DELETE, this::cancelUpload);
    }

    private static Response base() {
        return Response.status(200).bytes("application/json", "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    // ---- blobs -------------------------------------------------------------------------------------------------

    private Response getBlob(Request req, Map<String, String> vars) throws Exception {
        RepositoryName name = Params.name(vars);
        Digest digest = Params.digest(vars.get("digest"));
        BlobInfo blob = blobs.stat(name, digest);
        String etag = "\"" + digest + "\"";
        if (req.header("If-None-Match").map(v -> v.equals(etag) || v.equals("*")).orElse(false)) {
            return Response.status(304).header("ETag", etag).header(DIGEST_HEADER, digest.toString());
        }
        long size = blob.size();
        Optional<ByteRanges.Range> range = req.header("Range").flatMap(h -> ByteRanges.parse(h, size));
        long offset = range.map(ByteRanges.Range::start).orElse(0L);
        long length = range.map(ByteRanges.Range::length).orElse(size);
        Response r = Response.status(range.isPresent() ? 206 : 200)
                .header("Content-Type", "application/octet-stream")
                .header(DIGEST_HEADER, digest.toString())
                .header("ETag", etag)
                .header("Accept-Ranges", "bytes")
                .headLength(length);
        range.ifPresent(rg -> r.header("Content-Range", "bytes " + rg.start() + "-" + rg.end() + "/" + size));
        if (req.method() == Route.Method.HEAD) {
            return r;
        }
        blobs.pulled(name, blob);
        if (length == 0) {
            return r;
        }
        // scale-out: storage.redirect, a 307 to a pre-signed URL of the bucket (HEAD is always answered here)
        Optional<java.net.URI> redirect = blobs.redirect(digest);
        if (redirect.isPresent()) {
            return Response.status(307).header("Location", redirect.get().toString())
                    .header(DIGEST_HEADER, digest.toString());
        }
        Optional<Path> file = blobs.localFile(digest);
        if (file.isPresent()) {
            return r.body(new Response.FileRegion(file.get(), offset, length));
        }
        return r.body(new Response.Stream(blobs.open(digest, offset), length));
    }

    private Response deleteBlob(Request req, Map<String, String> vars) {
        RepositoryName name = Params.name(vars);
        Digest digest = Params.digest(vars.get("digest"));
        blobs.delete(name, digest);
        return Response.status(202).header(DIGEST_HEADER, digest.toString());
    }

    // ---- uploads -----------------------------------------------------------------------------------------------

    private Response startUpload(Request req, Map<String, String> vars) throws Exception {
        RepositoryName name = Params.name(vars);
        Optional<String> mount = req.queryParam("mount");
        if (mount.isPresent()) {
            Digest digest = Params.digest(mount.get());
            Optional<RepositoryName> from = req.queryParam("from").map(Params::repository);
            // auth: a mount only from where the client may pull (else an ordinary upload), and never "from anywhere"
            boolean mayMount = from.isPresent() ? req.grant().permits(from.get(), Action.PULL)
                    : req.grant() == Grant.unrestricted();
            Optional<BlobInfo> mounted = mayMount ? uploads.mount(name, digest, from) : Optional.empty();
            if (mounted.isPresent()) {
                return blobCreated(name, digest);
            }
        }
        Optional<String> digestParam = req.queryParam("digest");
        if (digestParam.isPresent()) {
            Digest digest = Params.digest(digestParam.get());
            uploads.monolithic(name, digest, req.body(), req.contentLength());
            return blobCreated(name, digest);
        }
        return uploadAccepted(uploads.start(name), 202);
    }

    private Response uploadStatus(Request req, Map<String, String> vars) {
        RepositoryName name = Params.name(vars);
        UploadSession session = uploads.status(name, signedUploadId(req, name, vars));
        return uploadAccepted(session, 204);
    }

    /** The session id of an upload URL, once its signed {@code _state} checks out (else 404 BLOB_UPLOAD_UNKNOWN). */
    private String signedUploadId(Request req, RepositoryName name, Map<String, String> vars) {
        String id = vars.get("uuid");
        uploads.checkState(name, id, req.query().get(dev.berth.registry.UploadLocations.PARAM));
        return id;
    }

    private Response patchUpload(Request req, Map<String, String> vars) throws Exception {
        RepositoryName name = Params.name(vars);
        String id = signedUploadId(req, name, vars);
        Optional<ChunkRange> range = req.header("Content-Range").map(ByteRanges::parseChunkRange);
        UploadSession session = uploads.append(name, id, req.body(), req.contentLength(), range);
        return uploadAccepted(session, 202);
    }

    private Response finishUpload(Request req, Map<String, String> vars) throws Exception {
        RepositoryName name = Params.name(vars);
        String id = signedUploadId(req, name, vars);
        Digest digest = Params.digest(req.queryParam("digest").orElseThrow(() ->
                ErrorCode.DIGEST_INVALID.exception("digest parameter missing",
                        "the digest query parameter is required to finish an upload")));
        Optional<ChunkRange> range = req.header("Content-Range").map(ByteRanges::parseChunkRange);
        uploads.finish(name, id, digest, req.hasBody() ? req.body() : null, req.contentLength(), range);
        return blobCreated(name, digest);
    }

    private Response cancelUpload(Request req, Map<String, String> vars) throws Exception {
        RepositoryName name = Params.name(vars);
        uploads.cancel(name, signedUploadId(req, name, vars));
        return Response.status(204);
    }

    private static Response blobCreated(RepositoryName name, Digest digest) {
        return Response.status(201)
                .header("Location", Route.BLOB.path(name.value(), digest.toString()))
                .header(DIGEST_HEADER, digest.toString());
    }

    private Response uploadAccepted(UploadSession session, int status) {
        return Response.status(status)
                .header("Location", uploads.location(session))
                .header("Range", Uploads.rangeHeader(session.size()))
                .header(UPLOAD_UUID_HEADER, session.id());
    }
}
