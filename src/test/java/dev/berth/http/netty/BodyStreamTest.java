package dev.berth.http.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.BodyPieces;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BodyStreamTest {

    private static final int MIB = 1024 * 1024;

    private final AtomicInteger demands = new AtomicInteger();
    private final BodyStream body = new BodyStream(new EmbeddedChannel(), demands::incrementAndGet, () -> { });

    private static ByteBuf direct(int size, int fill) {
        byte[] bytes = new byte[size];
        java.util.Arrays.fill(bytes, (byte) fill);
        return PooledByteBufAllocator.DEFAULT.directBuffer(size).writeBytes(bytes);
    }

    @Test
    void piecesTakenButNotReleased_keepCountingAgainstTheReadAheadLimit() throws Exception {
        ByteBuf first = direct(3 * MIB, 1);
        ByteBuf second = direct(2 * MIB, 2);
        body.offer(first, false);
        body.offer(second, false);
        assertThat(body.wantsMore()).as("5 MiB waiting is above the high-water mark").isFalse();

        BodyPieces.Piece a = body.next();
        BodyPieces.Piece b = body.next();
        assertThat(body.wantsMore()).as("taken pieces still hold their memory").isFalse();
        assertThat(demands).hasValue(0);

        a.release();
        assertThat(first.refCnt()).isZero();
        assertThat(body.wantsMore()).as("2 MiB held is below the high-water mark").isTrue();
        assertThat(demands).as("not yet below the low-water mark").hasValue(0);

        b.release();
        assertThat(second.refCnt()).isZero();
        assertThat(demands).as("asked for more once the level fell below the low-water mark").hasValue(1);

        b.release();
        assertThat(demands).as("a second release changes nothing").hasValue(1);
    }

    @Test
    void next_handsOutTheBytesAsTheyCame_withoutCopying_andEndsWithNull() throws Exception {
        body.offer(direct(10, 7), false);
        body.offer(direct(5, 8), true);

        BodyPieces.Piece p = body.next();
        ByteBuffer data = p.data();
        assertThat(data.isDirect()).isTrue();
        assertThat(data.remaining()).isEqualTo(10);
        assertThat(data.get(0)).isEqualTo((byte) 7);
        p.release();
        BodyPieces.Piece q = body.next();
        assertThat(q.data().remaining()).isEqualTo(5);
        q.release();
        assertThat(body.next()).isNull();
    }

    @Test
    void readsAndPiecesMix_inOrder() throws Exception {
        body.offer(direct(4, 1), false);
        body.offer(direct(3, 2), true);

        byte[] two = new byte[2];
        assertThat(body.read(two, 0, 2)).isEqualTo(2);
        BodyPieces.Piece rest = body.next();
        assertThat(rest.data().remaining()).as("the rest of the first buffer").isEqualTo(2);
        rest.release();
        byte[] three = new byte[8];
        assertThat(body.read(three, 0, 8)).isEqualTo(3);
        assertThat(three[0]).isEqualTo((byte) 2);
        assertThat(body.read(three, 0, 8)).isEqualTo(-1);
    }

    @Test
    void aPieceReleasedAfterTheBodyWasDiscarded_isStillFreed() throws Exception {
        ByteBuf buf = direct(100, 3);
        body.offer(buf, false);
        BodyPieces.Piece p = body.next();
        body.discard();

        p.release();

        assertThat(buf.refCnt()).isZero();
        assertThat(body.next()).isNull();
    }
}
