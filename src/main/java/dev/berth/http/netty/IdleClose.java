package dev.berth.http.netty;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Closes a connection idle for {@code http.idletimeout}, whatever it is doing: placed right after the
 * {@code IdleStateHandler}, before TLS and the HTTP codecs, so one handler serves plain HTTP/1.1 and TLS (before or
 * after the handshake, HTTP/1.1 or HTTP/2). Stateless, so one instance serves every connection.
 */
@ChannelHandler.Sharable
final class IdleClose extends ChannelInboundHandlerAdapter {

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }
}
