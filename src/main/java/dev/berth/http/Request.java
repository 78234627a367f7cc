package dev.berth.http;

import dev.berth.api.Route;
import dev.berth.auth.Grant;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A request as handlers see it: blocking, Netty-free. The body is a stream that pulls from the connection only as
 * the handler reads it (backpressure), and an {@code Expect: 100-continue} is answered only on the first read, so
 * a handler that rejects a request before reading its body never receives it.
 *
 * @param method        the HTTP method
 * @param path          the raw (undecoded) path, without the query
 * @param query         decoded query parameters
 * @param headers       request headers, looked up case-insensitively
 * @param contentLength the declared body length; -1 for a streamed (chunked) body; 0 for none
 * @param body          the body stream (empty when there is none)
 * @param remoteAddress the client's address, for logs
 * @param grant         what the client may do, as authentication decided before the handler runs
 *                      ({@link Grant#unrestricted()} when authentication is off)
 */
public record Request(Route.Method method, String path, Map<String, List<String>> query, Headers headers,
                      long contentLength, InputStream body, String remoteAddress, Grant grant) {

    public Request {
        java.util.Objects.requireNonNull(grant, "grant");
    }

    /** A request not (yet) authorized: {@link Grant#unrestricted()}; the router sets the real grant. */
    public Request(Route.Method method, String path, Map<String, List<String>> query, Headers headers,
                   long contentLength, InputStream body, String remoteAddress) {
        this(method, path, query, headers, contentLength, body, remoteAddress, Grant.unrestricted());
    }

    /** This request with {@code newGrant}. */
    public Request withGrant(Grant newGrant) {
        return new Request(method, path, query, headers, contentLength, body, remoteAddress, newGrant);
    }

    /** Headers, case-insensitive on names. */
    public interface Headers {
        Optional<String> get(String name);

        List<String> getAll(String name);
    }

    public Optional<String> header(String name) {
        return headers.get(name);
    }

    /** The single value of a query parameter; a parameter given twice is a client error. */
    public Optional<String> queryParam(String name) {
        List<String> values = query.get(name);
        if (values == null || values.isEmpty()) {
            return Optional.empty();
        }
        if (values.size() > 1) {
            throw dev.berth.api.ErrorCode.BAD_REQUEST.exception("query parameter '" + name + "' given more than once");
        }
        return Optional.of(values.get(0));
    }

    public boolean hasQueryParam(String name) {
        return query.containsKey(name);
    }

    /** Whether the request carries a body (declared non-empty, or streamed). */
    public boolean hasBody() {
        return contentLength != 0;
    }
}
