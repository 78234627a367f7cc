package dev.berth.http.netty;

import dev.berth.api.ErrorCode;
import dev.berth.api.Route;
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
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
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
    private final RequestLog requestLog;

    // event-loop confined
    private ChannelHandlerContext ctx;
    private boolean reading;
    private boolean inFlight;
    private boolean lingering;
    private BodyStream body;
    private final ArrayDeque<Object> backlog = new ArrayDeque<>();

    ConnectionHandler(Router router, ExecutorService workers, RequestLog requestLog) {
        this.router = router;
        this.workers = workers;
        this.requestLog = requestLog;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        maybeRead();
        ctx.fireChannelActive();
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            LOG.log(Level.FINE, "connection error", cause);
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
            writeSimple(bad, version, false, false, "-", "-");
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
        String remote = String.valueOf(ctx.channel().remoteAddress());
        Route.Method method = parseMethod(methodName);
        if (method == null) {
            Response r = Router.error(ErrorCode.METHOD_NOT_ALLOWED.exception(methodName + " is not supported"));
            writeSimple(r, version, keepAlive && stream.ended(), false, methodName, decoder.rawPath());
            stream.discard();       // no handler will read the body: release what arrives of it
            return;
        }
        Request request = new Request(method, decoder.rawPath(), decoder.parameters(), new NettyHeaders(headers),
                contentLength, stream, remote);
        boolean head = method == Route.Method.HEAD;
        workers.execute(() -> process(request, stream, version, keepAlive, head));
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
    private void process(Request request, BodyStream stream, HttpVersion version, boolean keepAlive, boolean head) {
        long started = System.nanoTime();
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
                requestLog.log(request, 499, 0, started);
                ctx.channel().eventLoop().execute(() -> ctx.close());
                return;
            } else {
                LOG.log(Level.WARNING, "I/O error on " + request.method() + " " + request.path(), e);
                response = Router.error(ErrorCode.UNKNOWN.exception(
                        "storage error; the server log has the details"));
            }
        }
        long sent;
        try {
            sent = write(response, version, keepAlive && stream.ended(), head);
        } catch (IOException | RuntimeException e) {
            sent = -1;
            LOG.log(Level.FINE, "response to " + request.method() + " " + request.path() + " failed", e);
            ctx.channel().eventLoop().execute(() -> ctx.close());
        } finally {
            stream.discard();
        }
        requestLog.log(request, response.status(), Math.max(sent, 0), started);
    }

    /** Writes the response; returns the body bytes sent. Blocks while the channel is not writable. */
    private long write(Response response, HttpVersion version, boolean keepAlive, boolean head) throws IOException {
        return switch (response.body()) {
            case Response.Empty e -> writeSimple(response, version, keepAlive, head, null, null);
            case Response.Bytes b -> writeSimple(response, version, keepAlive, head, null, null);
            case Response.FileRegion f -> {
                if (head) {
                    yield writeSimple(response.headLength(f.length()), version, keepAlive, true, null, null);
                }
                FileChannel file = FileChannel.open(f.file(), StandardOpenOption.READ);
                HttpResponse start = startLine(response, version, keepAlive, f.length());
                ctx.write(start);
                ctx.write(new DefaultFileRegion(file, f.offset(), f.length()));
                finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keepAlive);
                yield f.length();
            }
            case Response.Stream s -> {
                try (InputStream in = s.in()) {
                    if (head) {
                        yield writeSimple(response.headLength(s.length()), version, keepAlive, true, null, null);
                    }
                    yield writeStream(response, version, keepAlive, in, s.length());
                }
            }
        };
    }

    private long writeStream(Response response, HttpVersion version, boolean keepAlive, InputStream in, long length)
            throws IOException {
        ctx.write(startLine(response, version, keepAlive, length));
        long remaining = length;
        while (remaining > 0) {
            int want = (int) Math.min(STREAM_CHUNK, remaining);
            ByteBuf buf = ctx.alloc().buffer(want);
            int n;
            try {
                n = buf.writeBytes(in, want);
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
        finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keepAlive);
        return length;
    }

    private long writeSimple(Response response, HttpVersion version, boolean keepAlive, boolean head,
                             String logMethod, String logPath) {
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
    private void finish(ChannelFuture lastWrite, boolean keepAlive) {
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
            maybeRead();
        });
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
