package dev.berth.api;

/**
 * Every error Berth answers with, its wire code (the {@code code} of the OCI error envelope) and its HTTP status.
 * The codes are those of the OCI distribution spec, plus the few CNCF distribution added that clients know.
 * A wire code may appear with more than one status (an out-of-order chunk is BLOB_UPLOAD_INVALID with 416).
 */
public enum ErrorCode {
    BLOB_UNKNOWN("BLOB_UNKNOWN", 404, "blob unknown to registry"),
    BLOB_UPLOAD_INVALID("BLOB_UPLOAD_INVALID", 400, "blob upload invalid"),
    /** A chunk that does not start where the upload stands. */
    BLOB_UPLOAD_OUT_OF_ORDER("BLOB_UPLOAD_INVALID", 416, "blob upload invalid: chunk out of order"),
    BLOB_UPLOAD_UNKNOWN("BLOB_UPLOAD_UNKNOWN", 404, "blob upload unknown to registry"),
    DIGEST_INVALID("DIGEST_INVALID", 400, "provided digest did not match uploaded content"),
    MANIFEST_BLOB_UNKNOWN("MANIFEST_BLOB_UNKNOWN", 400, "manifest references a manifest or blob unknown to registry"),
    MANIFEST_INVALID("MANIFEST_INVALID", 400, "manifest invalid"),
    MANIFEST_TOO_LARGE("MANIFEST_INVALID", 413, "manifest too large"),
    MANIFEST_UNKNOWN("MANIFEST_UNKNOWN", 404, "manifest unknown to registry"),
    NAME_INVALID("NAME_INVALID", 400, "invalid repository name"),
    NAME_UNKNOWN("NAME_UNKNOWN", 404, "repository name not known to registry"),
    SIZE_INVALID("SIZE_INVALID", 400, "provided length did not match content length"),
    TAG_INVALID("TAG_INVALID", 400, "manifest tag did not match URI"),
    UNAUTHORIZED("UNAUTHORIZED", 401, "authentication required"),
    DENIED("DENIED", 403, "requested access to the resource is denied"),
    UNSUPPORTED("UNSUPPORTED", 405, "the operation is unsupported"),
    TOO_MANY_REQUESTS("TOOMANYREQUESTS", 429, "too many requests"),
    /** A blob GET with a Range no byte of the blob satisfies. */
    RANGE_INVALID("RANGE_INVALID", 416, "invalid content range"),
    PAGINATION_NUMBER_INVALID("PAGINATION_NUMBER_INVALID", 400, "invalid number of results requested"),
    /** A request that does not make sense at the HTTP level: bad query parameter, bad header. */
    BAD_REQUEST("BAD_REQUEST", 400, "bad request"),
    NOT_FOUND("NOT_FOUND", 404, "no route matches the request path"),
    METHOD_NOT_ALLOWED("UNSUPPORTED", 405, "method not allowed on this route"),
    PAYLOAD_TOO_LARGE("SIZE_INVALID", 413, "request body too large"),
    UNKNOWN("UNKNOWN", 500, "unknown error"),
    UNAVAILABLE("UNAVAILABLE", 503, "service unavailable");

    private final String code;
    private final int status;
    private final String message;

    ErrorCode(String code, int status, String message) {
        this.code = code;
        this.status = status;
        this.message = message;
    }

    /** The code as it appears in the error envelope. */
    public String code() {
        return code;
    }

    public int status() {
        return status;
    }

    public String message() {
        return message;
    }

    public RegistryException exception() {
        return new RegistryException(this, message, null);
    }

    public RegistryException exception(String detail) {
        return new RegistryException(this, message, detail);
    }

    public RegistryException exception(String message, String detail) {
        return new RegistryException(this, message, detail);
    }
}
