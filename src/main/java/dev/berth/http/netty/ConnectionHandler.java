package dev.berth.http.netty;

import dev.berth.api.ErrorCode;
import dev.berth.api.Route;
import dev.berth.api.telemetry.RequestScope;
import dev.berth.api.telemetry.TraceContext;
import dev.berth.api.telemetry.Tracer;
import dev.berth.http.Request;
import dev.berth.http.Response;
import dev.berth.http.Router;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One connection: turns Netty's events into blocking {@link Request}s handled on virtual threads, one request at a
 * time (pipelined requests wait their turn), and writes {@link Response}s back with backpressure. Event-loop state
 * is touched only on the event loop.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = Logger.getLogger(ConnectionHandler.class.getName());
    private static final int STREAM_CHUNK = 64 * 1024;
    /**
     * How long a connection answered before its request body was read keeps reading (and dropping) that body
     * after the response, before it is closed. Closing a socket with unread input makes the kernel reset the
     * connection, and a reset can destroy the response before the client reads it (the lingering close of
     * Apache httpd, Go's rstAvoidanceDelay).
     */
    static final long LINGER_MILLIS = 1000;

    private final Router router;
    private final ExecutorService workers;
    private final ServerContext server;
    /** Whether a file body may go out as a {@link DefaultFileRegion} (sendfile): plain HTTP/1 only, not TLS nor h2. */
    private final boolean zeroCopy;

    // event-loop confined
    private ChannelHandlerContext ctx;
    private String client = "-";
    private boolean reading;
    private boolean inFlight;
    private boolean lingering;
    private BodyStream body;
    private final ArrayDeque<Object> backlog = new ArrayDeque<>();

    ConnectionHandler(Router router, ExecutorService workers, ServerContext server) {
        this(router, workers, server, true);
    }

    /**
     * @param zeroCopy whether file bodies may be sent with sendfile; false under TLS and for HTTP/2 streams, where
     *                 they are read into buffers and written like a stream
     */
    ConnectionHandler(Router router, ExecutorService workers, ServerContext server, boolean zeroCopy) {
        this.router = router;
        this.workers = workers;
        this.server = server;
        this.zeroCopy = zeroCopy;
    }

    /**
     * Added to a connection that is already active (HTTP/1.1 chosen by ALPN after the TLS handshake): no
     * {@code channelActive} follows, so reading starts here. Messages replayed by the negotiation handler may arrive
     * before the scheduled read; they are handled as usual.
     */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            this.client = clientAddress(ctx.channel().remoteAddress());
            ctx.channel().eventLoop().execute(this::maybeRead);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.client = clientAddress(ctx.channel().remoteAddress());
        maybeRead();
        ctx.fireChannelActive();
    }

    /** {@code 10.0.0.7:51234}, {@code [::1]:51234}. */
    static String clientAddress(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            String host = inet.getAddress().getHostAddress();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }

    /** Event loop: the server is shutting down; an idle connection closes now, a busy one after its answer. */
    void drain() {
        if (!inFlight) {
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (lingering) {
            ReferenceCountUtil.release(msg);     // answered already: the rest is dropped
            return;
        }
        if (inFlight && (body == null || body.ended())) {
            backlog.add(msg);       // a pipelined request: its turn comes when the current one is answered
            return;
        }
        handle(msg);
    }

    private void handle(Object msg) {
        if (msg instanceof HttpRequest request) {
            startRequest(request);
        }
        if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                // a bad chunk: the body so far is not the whole body; the decoder now ignores the connection
                if (body != null && !body.ended()) {
                    body.fail(new BodyStream.MalformedBodyException(content.decoderResult().cause()));
                }
                content.release();
                return;
            }
            if (body != null && !body.ended()) {
                body.offer(content.content(), content instanceof LastHttpContent);
            } else {
                content.release();
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        maybeRead();
    }

    private void maybeRead() {
        if (reading || !ctx.channel().isActive()) {
            return;
        }
        boolean want = lingering || !inFlight || (body != null && body.wantsMore());
        if (want) {
            reading = true;
            ctx.read();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (body != null) {
            body.fail(new ClosedChannelException());   // buffers are released when the handler is done
        }
        Object m;
        while ((m = backlog.poll()) != null) {
            ReferenceCountUtil.release(m);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.log(Level.FINE, "connection error", cause);      // the client went away: routine
        } else {
            LOG.log(Level.WARNING, "connection closed after an unexpected error", cause);
        }
        ctx.close();
    }

    // ---------------------------------------------------------------------------------------------------------

    private void startRequest(HttpRequest nettyRequest) {
        inFlight = true;
        HttpVersion version = nettyRequest.protocolVersion();
        if (nettyRequest.decoderResult().isFailure()) {
            body = null;
            Response bad = Router.error(ErrorCode.BAD_REQUEST.exception("malformed HTTP request",
                    String.valueOf(nettyRequest.decoderResult().cause().getMessage())));
            writeSimple(bad, version, false, false);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(nettyRequest);
        HttpHeaders headers = nettyRequest.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(nettyRequest);
        long contentLength = chunked ? -1 : HttpUtil.getContentLength(nettyRequest, 0L);
        boolean expectContinue = HttpUtil.is100ContinueExpected(nettyRequest);
        BodyStream stream = new BodyStream(ctx.channel(),
                () -> ctx.channel().eventLoop().execute(this::maybeRead),
                expectContinue ? () -> ctx.writeAndFlush(new DefaultFullHttpResponse(version,
                        HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER)) : () -> { });
        if (contentLength == 0) {
            stream.offer(Unpooled.EMPTY_BUFFER, true);
        }
        body = stream;
        QueryStringDecoder decoder = new QueryStringDecoder(nettyRequest.uri());
        String methodName = nettyRequest.method().name();
        long started = System.nanoTime();
        RequestScope scope = new RequestScope(methodName, decoder.rawPath(), client, headers.get(HttpHeaderNames.HOST),
                headers.get(HttpHeaderNames.USER_AGENT), traceContext(headers), started);
        Route.Method method = parseMethod(methodName);
        if (method == null) {
            Response r = Router.error(ErrorCode.METHOD_NOT_ALLOWED.exception(methodName + " is not supported"));
            writeSimple(r, version, keepAlive && stream.ended(), false);
            stream.discard();       // no handler will read the body: release what arrives of it
            server.accessLog.log(scope, r.status(), 0, 0, System.nanoTime() - started);
            return;
        }
        Request request = new Request(method, decoder.rawPath(), decoder.parameters(), new NettyHeaders(headers),
                contentLength, stream, client);
        boolean head = method == Route.Method.HEAD;
        try {
            workers.execute(() -> process(request, stream, version, keepAlive, head, scope));
        } catch (RejectedExecutionException shuttingDown) {
            Response r = Router.error(ErrorCode.UNAVAILABLE.exception("the registry is shutting down"));
            writeSimple(r, version, false, head);
            stream.discard();
        }
    }

    /** The request's trace context: from its {@code traceparent}, or new when tracing is on, else none. */
    private TraceContext traceContext(HttpHeaders headers) {
        Tracer tracer = server.tracer;
        String parent = headers.get("traceparent");
        if (tracer.enabled()) {
            return TraceContext.from(parent, tracer.samplingRatio());
        }
        return TraceContext.childOf(parent);
    }

    private static Route.Method parseMethod(String name) {
        for (Route.Method m : Route.Method.values()) {
            if (m.name().equals(name)) {
                return m;
            }
        }
        return null;
    }

    /** Runs on a virtual thread. */
    private void process(Request request, BodyStream stream, HttpVersion version, boolean keepAlive, boolean head,
                         RequestScope scope) {
        RequestScope.enter(scope);
        boolean upload = isUpload(request);
        HttpMetrics metrics = server.metrics;
        metrics.inFlight.inc();
        if (upload) {
            metrics.uploadsInProgress.inc();
        }
        int status = 0;
        long sent = 0;
        try {
            Response response;
            try {
                response = router.dispatch(request);
            } catch (IOException e) {
                if (stream.malformed()) {
                    // answered, then closed: the body never ended, so the connection is not kept alive
                    response = Router.error(ErrorCode.BAD_REQUEST.exception("malformed request body",
                            String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage())));
                } else if (stream.failed() || !ctx.channel().isActive()) {
                    stream.discard();
                    status = 499;   // the client went away (nginx's code): nothing is answered
                    ctx.channel().eventLoop().execute(() -> ctx.close());
                    return;
                } else {
                    LOG.log(Level.WARNING, "I/O error on " + request.method() + " " + request.path(), e);
                    response = Router.error(ErrorCode.UNKNOWN.exception(
                            "storage error; the server log has the details"));
                }
            }
            status = response.status();
            try {
                sent = write(response, version, keepAlive && stream.ended() && !server.draining, head);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "response to " + request.method() + " " + request.path() + " failed", e);
                ctx.channel().eventLoop().execute(() -> ctx.close());
            } finally {
                stream.discard();
            }
        } finally {
            if (upload) {
                metrics.uploadsInProgress.dec();
            }
            metrics.inFlight.dec();
            done(scope, request.method(), status, stream.received(), sent);
            RequestScope.enter(null);
        }
    }

    private static boolean isUpload(Request request) {
        Route.Method m = request.method();
        return (m == Route.Method.POST || m == Route.Method.PATCH || m == Route.Method.PUT)
                && request.path().contains("/blobs/uploads/");
    }

    /** The request is answered: metrics, the access log line, the span. */
    private void done(RequestScope scope, Route.Method method, int status, long received, long sent) {
        long duration = System.nanoTime() - scope.startNanos();
        server.accessLog.log(scope, status, received, sent, duration);
        server.metrics.record(scope.route(), method, status, received, sent, duration);
        TraceContext trace = scope.trace();
        if (trace != null && trace.sampled() && server.tracer.enabled()) {
            long end = System.currentTimeMillis() * 1_000_000L;
            String route = scope.route() instanceof Route r ? r.template() : null;
            Map<String, Object> attributes = new LinkedHashMap<>();
            attributes.put("http.request.method", scope.method());
            attributes.put("url.path", scope.path());
            attributes.put("http.route", route);
            attributes.put("http.response.status_code", (long) status);
            attributes.put("client.address", scope.remoteAddress());
            attributes.put("user_agent.original", scope.userAgent());
            attributes.put("http.request.body.size", received);
            attributes.put("http.response.body.size", sent);
            attributes.put("enduser.id", scope.user());
            server.tracer.record(new Tracer.Span(trace, scope.method() + (route == null ? "" : " " + route),
                    end - duration, end, attributes, status >= 500));
        }
    }

    /**
     * Writes the response; returns the body bytes sent. Blocks while the channel is not writable, and until a file
     * or stream body is sent to the end: a request is in flight (and holds up a graceful shutdown) until then.
     */
    private long write(Response response, HttpVersion version, boolean keepAlive, boolean head) throws IOException {
        return switch (response.body()) {
            case Response.Empty e -> writeSimple(response, version, keepAlive, head);
            case Response.Bytes b -> writeSimple(response, version, keepAlive, head);
            case Response.FileRegion f -> {
                if (head) {
                    yield writeSimple(response.headLength(f.length()), version, keepAlive, true);
                }
                if (!zeroCopy) {
                    try (FileChannel file = FileChannel.open(f.file(), StandardOpenOption.READ)) {
                        long[] position = {f.offset()};
                        yield writeChunks(response, version, keepAlive, f.length(), (buf, want) -> {
                            int n = buf.writeBytes(file, position[0], want);
                            if (n > 0) {
                                position[0] += n;
                            }
                            return n;
                        });
                    }
                }
                FileChannel file = FileChannel.open(f.file(), StandardOpenOption.READ);
                HttpResponse start = startLine(response, version, keepAlive, f.length());
                ctx.write(start);
                ctx.write(new DefaultFileRegion(file, f.offset(), f.length()));
                ChannelFuture last = finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keepAlive);
                last.awaitUninterruptibly();
                if (!last.isSuccess()) {
                    throw new IOException("client went away", last.cause());
                }
                yield f.length();
            }
            case Response.Stream s -> {
                try (InputStream in = s.in()) {
                    if (head) {
                        yield writeSimple(response.headLength(s.length()), version, keepAlive, true);
                    }
                    yield writeStream(response, version, keepAlive, in, s.length());
                }
            }
        };
    }

    /** Fills a buffer with up to {@code want} bytes of a body; -1 at its end. */
    private interface Chunks {
        int read(ByteBuf buf, int want) throws IOException;
    }

    private long writeStream(Response response, HttpVersion version, boolean keepAlive, InputStream in, long length)
            throws IOException {
        return writeChunks(response, version, keepAlive, length, (buf, want) -> buf.writeBytes(in, want));
    }

    private long writeChunks(Response response, HttpVersion version, boolean keepAlive, long length, Chunks in)
            throws IOException {
        ctx.write(startLine(response, version, keepAlive, length));
        long remaining = length;
        while (remaining > 0) {
            int want = (int) Math.min(STREAM_CHUNK, remaining);
            ByteBuf buf = ctx.alloc().buffer(want);
            int n;
            try {
                n = in.read(buf, want);
            } catch (IOException | RuntimeException e) {
                buf.release();
                throw e;
            }
            if (n < 0) {
                buf.release();
                throw new IOException("stored content ended " + remaining + " bytes early");
            }
            remaining -= n;
            ChannelFuture f = ctx.writeAndFlush(new DefaultHttpContent(buf));
            if (!ctx.channel().isWritable()) {
                f.awaitUninterruptibly();
                if (!f.isSuccess()) {
                    throw new IOException("client went away", f.cause());
                }
            }
        }
        ChannelFuture last = finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keepAlive);
        last.awaitUninterruptibly();
        if (!last.isSuccess()) {
            throw new IOException("client went away", last.cause());
        }
        return length;
    }

    private long writeSimple(Response response, HttpVersion version, boolean keepAlive, boolean head) {
        byte[] content = response.body() instanceof Response.Bytes b ? b.content() : new byte[0];
        long length = head && response.headLength() >= 0 ? response.headLength() : content.length;
        FullHttpResponse full = new DefaultFullHttpResponse(version, HttpResponseStatus.valueOf(response.status()),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(content));
        applyHeaders(full, response, keepAlive, length);
        finish(ctx.writeAndFlush(full), keepAlive);
        return head ? 0 : content.length;
    }

    private HttpResponse startLine(Response response, HttpVersion version, boolean keepAlive, long length) {
        HttpResponse start = new DefaultHttpResponse(version, HttpResponseStatus.valueOf(response.status()));
        applyHeaders(start, response, keepAlive, length);
        return start;
    }

    private static void applyHeaders(HttpResponse out, Response response, boolean keepAlive, long length) {
        HttpHeaders h = out.headers();
        for (Map.Entry<String, String> e : response.headers()) {
            h.add(e.getKey(), e.getValue());
        }
        int status = response.status();
        if (status != 204 && status != 304 && !(status >= 100 && status < 200)) {
            h.set(HttpHeaderNames.CONTENT_LENGTH, length);
        }
        HttpUtil.setKeepAlive(out, keepAlive);
    }

    /** When the last write completes: close, or make the connection ready for its next request. */
    private ChannelFuture finish(ChannelFuture lastWrite, boolean keepAlive) {
        lastWrite.addListener((ChannelFutureListener) f -> {
            if (!keepAlive || !f.isSuccess()) {
                if (f.isSuccess() && body != null && !body.ended()) {
                    lingerAndClose();
                } else {
                    f.channel().close();
                }
                return;
            }
            // on the event loop
            if (body != null) {
                body.discard();
                body = null;
            }
            inFlight = false;
            Object m;
            while (!inFlight && (m = backlog.poll()) != null) {
                handle(m);
            }
            if (server.draining) {
                f.channel().close();
                return;
            }
            maybeRead();
        });
        return lastWrite;
    }

    /**
     * Closes a connection whose client may still be sending the body of a request already answered: first only
     * our side (the client reads the response, then end of stream), while reading and dropping what still comes,
     * until the client closes too or {@link #LINGER_MILLIS} pass.
     */
    private void lingerAndClose() {
        Channel ch = ctx.channel();
        if (!(ch instanceof DuplexChannel duplex)) {
            ch.close();
            return;
        }
        lingering = true;
        if (body != null) {
            body.discard();
        }
        duplex.shutdownOutput().addListener(done -> {
            if (!done.isSuccess()) {
                ch.close();
            }
        });
        ch.eventLoop().schedule(() -> ch.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        maybeRead();
    }

    /** Netty headers seen through the Netty-free {@link Request.Headers}. */
    private record NettyHeaders(HttpHeaders headers) implements Request.Headers {
        @Override
        public Optional<String> get(String name) {
            return Optional.ofNullable(headers.get(name));
        }

        @Override
        public List<String> getAll(String name) {
            return headers.getAll(name);
        }
    }

}
