package dev.berth.http.netty;

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
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The HTTP/1.1 server: Netty (epoll where available) parses and writes HTTP; every request runs on its own virtual
 * thread through the {@link Router}. Reads are driven by demand ({@code autoRead} off).
 */
public final class NettyHttpServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(NettyHttpServer.class.getName());

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ExecutorService requests;
    private final Channel serverChannel;

    public NettyHttpServer(String host, int port, Duration idleTimeout, Router router) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        this.boss = new MultiThreadIoEventLoopGroup(1, io);
        this.workers = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), io);
        this.requests = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("berth-request-", 0).factory());
        RequestLog requestLog = new RequestLog();
        long idleSeconds = Math.max(1, idleTimeout.toSeconds());
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
                        ch.pipeline()
                                .addLast("idle", new IdleStateHandler(0, 0, idleSeconds, TimeUnit.SECONDS))
                                .addLast("http", new HttpServerCodec(decoderConfig))
                                .addLast("registry", new ConnectionHandler(router, requests, requestLog));
                    }
                });
        this.serverChannel = bootstrap.bind(new InetSocketAddress(host, port)).sync().channel();
        LOG.info("HTTP transport: " + (epoll ? "epoll" : "nio") + ", listening on " + serverChannel.localAddress());
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Stops accepting, lets requests in flight finish for up to {@code drain}, then stops the event loops. */
    public void close(Duration drain) {
        serverChannel.close().awaitUninterruptibly();
        requests.shutdown();
        try {
            if (!requests.awaitTermination(drain.toMillis(), TimeUnit.MILLISECONDS)) {
                requests.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
