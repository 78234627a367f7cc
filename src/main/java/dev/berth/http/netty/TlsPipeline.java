package dev.berth.http.netty;

import dev.berth.http.Router;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;

import java.security.cert.X509Certificate;
import java.util.concurrent.ExecutorService;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLException;

/**
 * HTTPS on the API listener: the JDK's TLS (no native library), ALPN offering {@code h2} and {@code http/1.1}.
 *
 * <ul>
 * <li>HTTP/1.1: the plain pipeline behind the {@code SslHandler}, reads driven by demand as without TLS.</li>
 * <li>HTTP/2: {@link Http2FrameCodecBuilder Http2FrameCodec} and {@link Http2MultiplexHandler}; each stream is a
 *     child channel whose pipeline is {@link Http2StreamFrameToHttpObjectCodec} and the same
 *     {@link ConnectionHandler} as HTTP/1 (one request per stream). The connection reads freely; each stream reads by
 *     demand, and HTTP/2 flow control (1 MiB a stream, 8 MiB a connection) stops a client that sends faster than
 *     the handler reads.</li>
 * </ul>
 * File bodies are read into buffers under TLS (sendfile cannot encrypt).
 */
final class TlsPipeline {

    private static final Logger LOG = Logger.getLogger(TlsPipeline.class.getName());

    static final int STREAM_WINDOW = 1024 * 1024;
    static final int CONNECTION_WINDOW = 8 * 1024 * 1024;
    static final int MAX_STREAMS = 32;
    /** The window every HTTP/2 connection starts with (RFC 9113); the server widens its own once. */
    private static final int DEFAULT_WINDOW = 65_535;

    private TlsPipeline() {
    }

    static SslContext context(NettyHttpServer.Tls tls) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forServer(tls.key(), tls.chain().toArray(X509Certificate[]::new))
                .sslProvider(SslProvider.JDK)
                .protocols(tls.tls13Only() ? new String[] {"TLSv1.3"} : new String[] {"TLSv1.3", "TLSv1.2"})
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        tls.http2() ? new String[] {ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1}
                                : new String[] {ApplicationProtocolNames.HTTP_1_1}));
        if (!tls.clientCas().isEmpty()) {
            b.trustManager(tls.clientCas().toArray(X509Certificate[]::new)).clientAuth(ClientAuth.REQUIRE);
        }
        return b.build();
    }

    /** A new connection: TLS, then the protocol ALPN chose. The handshake reads freely. */
    static void init(SocketChannel ch, SslContext ssl, HttpDecoderConfig decoderConfig, Router router,
                     ExecutorService requests, ServerContext server) {
        ch.config().setAutoRead(true);
        ch.pipeline()
                .addLast("tls", ssl.newHandler(ch.alloc()))
                .addLast("alpn", new Negotiator(decoderConfig, router, requests, server));
    }

    private static final class Negotiator extends ApplicationProtocolNegotiationHandler {
        private final HttpDecoderConfig decoderConfig;
        private final Router router;
        private final ExecutorService requests;
        private final ServerContext server;

        Negotiator(HttpDecoderConfig decoderConfig, Router router, ExecutorService requests, ServerContext server) {
            super(ApplicationProtocolNames.HTTP_1_1);
            this.decoderConfig = decoderConfig;
            this.router = router;
            this.requests = requests;
            this.server = server;
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            ChannelPipeline p = ctx.pipeline();
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                Http2Settings settings = Http2Settings.defaultSettings()
                        .maxConcurrentStreams(MAX_STREAMS)
                        .initialWindowSize(STREAM_WINDOW)
                        .maxHeaderListSize(64 * 1024);
                p.addLast("h2", Http2FrameCodecBuilder.forServer().initialSettings(settings).build());
                p.addLast("h2-streams", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.config().setAutoRead(false);
                        stream.pipeline()
                                .addLast("h2-http", new Http2StreamFrameToHttpObjectCodec(true))
                                .addLast("registry", new ConnectionHandler(router, requests, server, false));
                    }
                }));
                // the connection window starts at 64 KiB whatever SETTINGS say: widen it once
                ctx.channel().writeAndFlush(new DefaultHttp2WindowUpdateFrame(CONNECTION_WINDOW - DEFAULT_WINDOW));
            } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol)) {
                ctx.channel().config().setAutoRead(false);
                p.addLast("http", new HttpServerCodec(decoderConfig))
                        .addLast("registry", new ConnectionHandler(router, requests, server, false));
            } else {
                throw new IllegalStateException("unexpected application protocol " + protocol);
            }
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(Level.FINE, "TLS handshake with " + ConnectionHandler.clientAddress(ctx.channel().remoteAddress())
                    + " failed: " + cause);
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(Level.FINE, "TLS connection from " + ConnectionHandler.clientAddress(ctx.channel().remoteAddress())
                    + " failed: " + cause);
            ctx.close();
        }
    }
}
