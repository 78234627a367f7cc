package dev.berth.http;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A response as handlers build it: status, headers and one of four bodies. Content-Length is always set by the
 * adapter from the body (for a HEAD, from {@link #headLength}).
 */
public final class Response {

    /** What the body is made of. */
    public sealed interface Body permits Empty, Bytes, FileRegion, Stream {
    }

    public record Empty() implements Body {
    }

    public record Bytes(byte[] content) implements Body {
    }

    /** Part of a local file, sent with zero copies where the transport allows. */
    public record FileRegion(Path file, long offset, long length) implements Body {
    }

    /** A stream of exactly {@code length} bytes, closed by the adapter. */
    public record Stream(InputStream in, long length) implements Body {
    }

    private final int status;
    private final List<Map.Entry<String, String>> headers = new ArrayList<>(6);
    private Body body = new Empty();
    private long headLength = -1;

    private Response(int status) {
        this.status = status;
    }

    public static Response status(int status) {
        return new Response(status);
    }

    public Response header(String name, String value) {
        headers.add(Map.entry(name, value));
        return this;
    }

    public Response body(Body newBody) {
        this.body = newBody;
        return this;
    }

    public Response bytes(String contentType, byte[] content) {
        header("Content-Type", contentType);
        this.body = new Bytes(content);
        return this;
    }

    /** For a HEAD: the Content-Length a GET would have, sent without a body. */
    public Response headLength(long length) {
        this.headLength = length;
        return this;
    }

    public int status() {
        return status;
    }

    public List<Map.Entry<String, String>> headers() {
        return headers;
    }

    public Body body() {
        return body;
    }

    public long headLength() {
        return headLength;
    }
}
