package dev.berth.http.netty;

import dev.berth.registry.BodyPieces;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A request body as a blocking {@link InputStream} fed by the event loop. The event loop offers buffers as they
 * arrive and stops reading from the socket once {@link #HIGH_WATER} bytes wait unread; the handler's reads pull the
 * level down and ask for more below {@link #LOW_WATER}. So a slow handler never makes the server buffer a blob, and
 * a fast one finds the next bytes already there. An upload takes the buffers themselves ({@link #next()}), without
 * copying them; they count against the high-water mark until released.
 */
final class BodyStream extends InputStream implements BodyPieces {

    static final int HIGH_WATER = 4 * 1024 * 1024;
    static final int LOW_WATER = 1024 * 1024;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
    private final Channel channel;
    private final Runnable demand;
    private final Runnable firstRead;
    private long buffered;
    private long lent;          // handed out by next() and not yet released: still counts against HIGH_WATER
    private long received;
    private boolean ended;
    private boolean discarded;
    private boolean touched;
    private IOException failure;

    /**
     * @param demand    run (on any thread) when the handler has drained below the low-water mark
     * @param firstRead run once, on the handler's first read (sends {@code 100 Continue} when expected)
     */
    BodyStream(Channel channel, Runnable demand, Runnable firstRead) {
        this.channel = channel;
        this.demand = demand;
        this.firstRead = firstRead;
    }

    /** Event loop: a piece of the body arrived; this stream now owns {@code buf}. */
    void offer(ByteBuf buf, boolean last) {
        lock.lock();
        try {
            if (discarded || failure != null) {
                buf.release();
            } else if (buf.isReadable()) {
                queue.add(buf);
                buffered += buf.readableBytes();
                received += buf.readableBytes();
            } else {
                buf.release();
            }
            if (last) {
                ended = true;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Event loop: the connection broke; readers get an IOException. */
    void fail(IOException e) {
        lock.lock();
        try {
            if (!ended && failure == null) {
                failure = e;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the socket should be read for this body. */
    boolean wantsMore() {
        lock.lock();
        try {
            return !ended && failure == null && !discarded && buffered + lent < HIGH_WATER;
        } finally {
            lock.unlock();
        }
    }

    /** Body bytes that arrived and were kept for the handler (what came after a discard is not counted). */
    long received() {
        lock.lock();
        try {
            return received;
        } finally {
            lock.unlock();
        }
    }

    boolean ended() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    boolean failed() {
        lock.lock();
        try {
            return failure != null;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the body was cut short because it was malformed (a bad chunk), not because the client went away. */
    boolean malformed() {
        lock.lock();
        try {
            return failure instanceof MalformedBodyException;
        } finally {
            lock.unlock();
        }
    }

    /** The request body could not be decoded: what arrived of it must not be taken for the whole. */
    static final class MalformedBodyException extends IOException {
        MalformedBodyException(Throwable cause) {
            super("malformed request body: " + cause.getMessage(), cause);
        }
    }

    /** Releases whatever is queued; later offers are released at once. */
    void discard() {
        lock.lock();
        try {
            discarded = true;
            ByteBuf b;
            while ((b = queue.poll()) != null) {
                b.release();
            }
            buffered = 0;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        boolean askForMore;
        int copied = 0;
        lock.lock();
        try {
            if (!awaitData()) {
                return -1;
            }
            while (copied < len && !queue.isEmpty()) {
                ByteBuf head = queue.peek();
                int n = Math.min(len - copied, head.readableBytes());
                head.readBytes(b, off + copied, n);
                copied += n;
                if (!head.isReadable()) {
                    queue.poll().release();
                }
            }
            askForMore = consumed(copied);
        } finally {
            lock.unlock();
        }
        if (askForMore) {
            demand.run();
        }
        return copied;
    }

    /**
     * The next buffer as it came from the network, without copying it; it keeps counting against the read-ahead
     * limit until released. Reads with {@link #read} and pieces can be mixed.
     */
    @Override
    public Piece next() throws IOException {
        lock.lock();
        try {
            if (!awaitData()) {
                return null;
            }
            ByteBuf head = queue.poll();
            int length = head.readableBytes();
            buffered -= length;
            lent += length;
            return new NettyPiece(head, head.nioBuffer(), length);
        } finally {
            lock.unlock();
        }
    }

    private final class NettyPiece implements Piece {
        private final ByteBuf buf;
        private final ByteBuffer data;
        private final int length;
        private boolean released;

        NettyPiece(ByteBuf buf, ByteBuffer data, int length) {
            this.buf = buf;
            this.data = data;
            this.length = length;
        }

        @Override
        public ByteBuffer data() {
            return data;
        }

        @Override
        public void release() {
            boolean askForMore;
            lock.lock();
            try {
                if (released) {
                    return;
                }
                released = true;
                buf.release();
                long before = buffered + lent;
                lent -= length;
                askForMore = before >= LOW_WATER && buffered + lent < LOW_WATER && !ended;
            } finally {
                lock.unlock();
            }
            if (askForMore) {
                demand.run();
            }
        }
    }

    /**
     * Under the lock: waits until a buffer is queued (true) or the body is over (false), asking the event loop for
     * more while the level is low. Throws the connection's failure.
     */
    private boolean awaitData() throws IOException {
        if (!touched) {
            touched = true;
            firstRead.run();
        }
        while (queue.isEmpty()) {
            if (failure != null) {
                throw failure;
            }
            if (ended || discarded) {
                return false;
            }
            if (buffered + lent < LOW_WATER) {
                lock.unlock();
                try {
                    demand.run();
                } finally {
                    lock.lock();
                }
                if (!queue.isEmpty() || ended || failure != null || discarded) {
                    continue;
                }
            }
            try {
                changed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while reading the request body");
            }
        }
        return true;
    }

    /** Under the lock: {@code n} queued bytes were read; whether the level just fell below the low-water mark. */
    private boolean consumed(int n) {
        long before = buffered + lent;
        buffered -= n;
        return before >= LOW_WATER && buffered + lent < LOW_WATER && !ended;
    }

    @Override
    public int available() {
        lock.lock();
        try {
            return (int) Math.min(Integer.MAX_VALUE, buffered);
        } finally {
            lock.unlock();
        }
    }

    Channel channel() {
        return channel;
    }
}
