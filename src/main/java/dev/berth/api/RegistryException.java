package dev.berth.api;

import java.util.Map;
import java.util.Objects;

/**
 * The one exception that becomes an OCI error response. Thrown anywhere; rendered once, by the HTTP layer,
 * as {@code {"errors":[{"code","message","detail"}]}} with {@link ErrorCode#status()}.
 */
public final class RegistryException extends RuntimeException {

    private final ErrorCode errorCode;
    private final String detail;
    private final Map<String, String> headers;

    public RegistryException(ErrorCode errorCode, String message, String detail) {
        this(errorCode, message, detail, Map.of());
    }

    private RegistryException(ErrorCode errorCode, String message, String detail, Map<String, String> headers) {
        super(message, null, false, false);
        this.errorCode = Objects.requireNonNull(errorCode);
        this.detail = detail;
        this.headers = headers;
    }

    public ErrorCode errorCode() {
        return errorCode;
    }

    /** Free-form detail for the envelope; may be null. */
    public String detail() {
        return detail;
    }

    /** Headers the error response must carry (Range on a 416 upload error, Content-Range on a 416 GET, Allow on 405). */
    public Map<String, String> headers() {
        return headers;
    }

    public RegistryException withHeader(String name, String value) {
        var copy = new java.util.LinkedHashMap<>(headers);
        copy.put(name, value);
        return new RegistryException(errorCode, getMessage(), detail, Map.copyOf(copy));
    }
}
