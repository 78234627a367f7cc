package dev.berth.api.telemetry;

import java.util.concurrent.ThreadLocalRandom;

/**
 * What is known about the request the current thread is answering: who asked (address, user agent, the user once
 * authenticated), what (method, path, the route matched), and its trace context. The HTTP adapter opens a scope
 * for each request on the request's own (virtual) thread; services and loggers read it through {@link #current()}
 * without it being passed around. Outside a request there is none ({@code current()} is null).
 *
 * <p>Authentication records the user with {@link #setUser(String)}; the access log, notifications and traces show
 * it. Nothing here ever holds a credential.
 */
public final class RequestScope {

    private static final ThreadLocal<RequestScope> CURRENT = new ThreadLocal<>();

    private final String method;
    private final String path;
    private final String remoteAddress;
    private final String host;
    private final String userAgent;
    private final TraceContext trace;
    private final long startNanos;
    private volatile String user;
    private volatile Object route;
    private String id;

    /**
     * @param remoteAddress the client as {@code host:port}
     * @param host          the request's {@code Host} header, or null
     * @param trace         the request's trace context (from {@code traceparent}, or new), or null when none
     */
    public RequestScope(String method, String path, String remoteAddress, String host, String userAgent,
                        TraceContext trace, long startNanos) {
        this.method = method;
        this.path = path;
        this.remoteAddress = remoteAddress;
        this.host = host;
        this.userAgent = userAgent;
        this.trace = trace;
        this.startNanos = startNanos;
    }

    /** The scope of the request this thread is answering, or null. */
    public static RequestScope current() {
        return CURRENT.get();
    }

    /** Makes {@code scope} current on this thread (null clears it). */
    public static void enter(RequestScope scope) {
        if (scope == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(scope);
        }
    }

    /** Records the authenticated user of the current request, if there is one. */
    public static void setUser(String name) {
        RequestScope s = CURRENT.get();
        if (s != null) {
            s.user = name;
        }
    }

    public String method() {
        return method;
    }

    public String path() {
        return path;
    }

    public String remoteAddress() {
        return remoteAddress;
    }

    /** The {@code Host} header, or null. */
    public String host() {
        return host;
    }

    /** The {@code User-Agent} header, or null. */
    public String userAgent() {
        return userAgent;
    }

    /** The trace context, or null when the request has none and tracing is off. */
    public TraceContext trace() {
        return trace;
    }

    public long startNanos() {
        return startNanos;
    }

    /** The authenticated user, or null. */
    public String user() {
        return user;
    }

    public void user(String name) {
        this.user = name;
    }

    /** The route the request matched (a {@code dev.berth.api.Route}), or null. */
    public Object route() {
        return route;
    }

    public void route(Object r) {
        this.route = r;
    }

    /** An id for this request (the span id when traced), made on first use. */
    public synchronized String id() {
        if (id == null) {
            id = trace != null ? trace.spanId() : TraceContext.randomHex(ThreadLocalRandom.current(), 8);
        }
        return id;
    }
}
