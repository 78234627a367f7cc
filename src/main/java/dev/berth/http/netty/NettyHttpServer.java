package dev.berth.http.netty;

import dev.berth.api.telemetry.Metrics;
import dev.berth.api.telemetry.Tracer;
import dev.berth.http.Router;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;

import io.netty.handler.ssl.SslContext;

import java.net.InetSocketAddress;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The HTTP server: Netty (epoll where available) parses and writes HTTP; every request runs on its own virtual
 * thread through the {@link Router}. Reads are driven by demand ({@code autoRead} off). With {@link Tls} it speaks
 * only HTTPS: HTTP/2 or HTTP/1.1 as ALPN decides ({@link TlsPipeline}); without, plain HTTP/1.1.
 */
public final class NettyHttpServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(NettyHttpServer.class.getName());

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ExecutorService requests;
    private final Channel serverChannel;
    private final ChannelGroup connections = new DefaultChannelGroup("berth-connections", GlobalEventExecutor.INSTANCE);
    private final ServerContext context;
    private final Duration drainTimeout;

    /**
     * How the server reports and stops.
     *
     * @param drainTimeout how long a shutdown waits for requests in flight ({@link #close()})
     * @param accessLog    whether each request gets a line on the {@code berth.access} logger
     * @param metrics      where request metrics go
     * @param tracer       where spans go ({@link Tracer#OFF}: none)
     * @param tls          HTTPS on the listener; null for plain HTTP
     */
    public record Options(Duration drainTimeout, boolean accessLog, Metrics metrics, Tracer tracer, Tls tls) {
        public Options {
            Objects.requireNonNull(drainTimeout, "drainTimeout");
            Objects.requireNonNull(metrics, "metrics");
            Objects.requireNonNull(tracer, "tracer");
        }

        /** Plain HTTP. */
        public Options(Duration drainTimeout, boolean accessLog, Metrics metrics, Tracer tracer) {
            this(drainTimeout, accessLog, metrics, tracer, null);
        }

        /** These options with HTTPS ({@code null}: plain HTTP). */
        public Options withTls(Tls newTls) {
            return new Options(drainTimeout, accessLog, metrics, tracer, newTls);
        }

        /** 10 seconds to drain, access log on, metrics kept in a registry of its own, no tracing. */
        public static Options defaults() {
            return new Options(Duration.ofSeconds(10), true, new Metrics(), Tracer.OFF);
        }
    }

    /**
     * HTTPS for the listener.
     *
     * @param key       the server's private key
     * @param chain     its certificate, then any intermediates
     * @param clientCas when not empty, clients must present a certificate issued by one of these (mutual TLS)
     * @param tls13Only refuse TLS 1.2 (the default minimum)
     * @param http2     offer HTTP/2 ({@code h2}) by ALPN beside HTTP/1.1
     */
    public record Tls(PrivateKey key, List<X509Certificate> chain, List<X509Certificate> clientCas, boolean tls13Only,
                      boolean http2) {
        public Tls {
            Objects.requireNonNull(key, "key");
            chain = List.copyOf(chain);
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("a TLS certificate is needed");
            }
            clientCas = List.copyOf(clientCas);
        }

        @Override
        public String toString() {
            return "Tls[" + chain.get(0).getSubjectX500Principal() + ", clientCas=" + clientCas.size()
                    + ", tls13Only=" + tls13Only + ", http2=" + http2 + "]";
        }
    }

    public NettyHttpServer(String host, int port, Duration idleTimeout, Router router) throws InterruptedException {
        this(host, port, idleTimeout, router, Options.defaults());
    }

    public NettyHttpServer(String host, int port, Duration idleTimeout, Router router, Options options)
            throws InterruptedException {
        SslContext ssl;
        try {
            ssl = options.tls() == null ? null : TlsPipeline.context(options.tls());
        } catch (SSLException e) {
            throw new IllegalArgumentException("TLS cannot be set up with this certificate and key: " + e.getMessage(),
                    e);
        }
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        this.boss = new MultiThreadIoEventLoopGroup(1, io);
        this.workers = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), io);
        this.requests = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("berth-request-", 0).factory());
        this.context = new ServerContext(new HttpMetrics(options.metrics()), new AccessLog(options.accessLog()),
                options.tracer());
        this.drainTimeout = options.drainTimeout();
        ServerContext serverContext = context;
        long idleSeconds = Math.max(1, idleTimeout.toSeconds());
        IdleClose idleClose = new IdleClose();
        HttpDecoderConfig decoderConfig = new HttpDecoderConfig()
                .setMaxInitialLineLength(16 * 1024)
                .setMaxHeaderSize(64 * 1024)
                .setMaxChunkSize(1024 * 1024);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR,
                        new AdaptiveRecvByteBufAllocator(512, 16 * 1024, 256 * 1024).maxMessagesPerRead(4))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.pipeline()
                                .addLast("idle", new IdleStateHandler(0, 0, idleSeconds, TimeUnit.SECONDS))
                                .addLast("idle-close", idleClose);
                        if (ssl != null) {
                            TlsPipeline.init(ch, ssl, decoderConfig, router, requests, serverContext);
                            return;
                        }
                        ch.pipeline()
                                .addLast("http", new HttpServerCodec(decoderConfig))
                                .addLast("registry", new ConnectionHandler(router, requests, serverContext));
                    }
                });
        this.serverChannel = bootstrap.bind(new InetSocketAddress(host, port)).sync().channel();
        LOG.info("HTTP transport: " + (epoll ? "epoll" : "nio") + ", listening on " + serverChannel.localAddress()
                + (ssl == null ? " (plain HTTP)" : " (HTTPS, " + (options.tls().http2() ? "HTTP/2 and HTTP/1.1" : "HTTP/1.1")
                + (options.tls().clientCas().isEmpty() ? "" : ", client certificates required") + ")"));
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /**
     * Stops gracefully: stops accepting, closes idle connections, lets requests in flight finish (a blob being
     * sent is sent to the end) for up to {@code drain}, then closes what is left and stops the event loops. Answers
     * given meanwhile close their connection; requests that arrive meanwhile on open connections are answered 503.
     */
    public void close(Duration drain) {
        serverChannel.close().awaitUninterruptibly();
        context.draining = true;
        for (Channel ch : connections) {
            ch.eventLoop().execute(() -> {
                ConnectionHandler h = ch.pipeline().get(ConnectionHandler.class);
                if (h != null) {
                    h.drain();
                }
            });
        }
        requests.shutdown();
        try {
            if (!requests.awaitTermination(drain.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warning("requests still in flight after the drain timeout of " + drain + ": closing them");
                requests.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** {@link #close(Duration)} with the configured drain timeout. */
    @Override
    public void close() {
        close(drainTimeout);
    }
}
