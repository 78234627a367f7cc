package dev.berth.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A lean closed-loop HTTP load generator, in the manner of wrk: a few threads, each running one selector over its
 * share of N keep-alive connections; every connection sends one request, waits for the whole response, records
 * the latency and sends the next (no pipelining). Responses are parsed in place ({@code Content-Length}, chunked,
 * HEAD), with no allocation per request, so one client thread drives well over 100k requests/s on loopback.
 *
 * <p>Bounded: it runs for warm-up plus duration, or until {@code maxRequests} completed, whichever comes first.
 * Requests completed during warm-up are not counted. A response with a status outside 200-299 counts as an error.
 */
final class LoadGenerator {

    /** What a run measured. */
    record Result(long requests, long errors, int lastErrorStatus, String lastError, double seconds,
                  Histogram latency, long connects) {
        double perSecond() {
            return seconds <= 0 ? 0 : requests / seconds;
        }
    }

    /** The settings of one run. */
    record Plan(String host, int port, byte[] request, boolean head, int connections, int threads,
                long warmupNanos, long durationNanos, long maxRequests) {
    }

    private LoadGenerator() {
    }

    static Result run(Plan plan) throws InterruptedException {
        int threads = Math.max(1, Math.min(plan.threads(), plan.connections()));
        List<Worker> workers = new ArrayList<>();
        long start = System.nanoTime();
        long measureFrom = start + plan.warmupNanos();
        long end = measureFrom + plan.durationNanos();
        long perThreadMax = Math.max(1, plan.maxRequests() / threads);
        for (int t = 0; t < threads; t++) {
            int conns = plan.connections() / threads + (t < plan.connections() % threads ? 1 : 0);
            workers.add(new Worker(plan, conns, measureFrom, end, perThreadMax));
        }
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < workers.size(); t++) {
            running.add(Thread.ofPlatform().name("bench-load-" + t).start(workers.get(t)));
        }
        for (Thread t : running) {
            t.join();
        }
        Histogram all = new Histogram();
        long requests = 0;
        long errors = 0;
        long connects = 0;
        int lastStatus = 0;
        String lastError = null;
        long lastEnd = measureFrom;
        for (Worker w : workers) {
            all.add(w.latency);
            requests += w.completed;
            errors += w.errors;
            connects += w.connects;
            if (w.lastErrorStatus != 0) {
                lastStatus = w.lastErrorStatus;
            }
            if (w.lastError != null) {
                lastError = w.lastError;
            }
            lastEnd = Math.max(lastEnd, w.stoppedAt);
        }
        double seconds = (Math.min(lastEnd, end) - measureFrom) / 1e9;
        if (seconds <= 0) {
            seconds = (lastEnd - measureFrom) / 1e9;
        }
        return new Result(requests, errors, lastStatus, lastError, seconds, all, connects);
    }

    /** One thread: a selector over its connections. */
    private static final class Worker implements Runnable {
        private final Plan plan;
        private final int count;
        private final long measureFrom;
        private final long end;
        private final long maxRequests;
        final Histogram latency = new Histogram();
        long completed;
        long errors;
        long connects;
        int lastErrorStatus;
        String lastError;
        long stoppedAt;

        Worker(Plan plan, int count, long measureFrom, long end, long maxRequests) {
            this.plan = plan;
            this.count = count;
            this.measureFrom = measureFrom;
            this.end = end;
            this.maxRequests = maxRequests;
        }

        @Override
        public void run() {
            try (Selector selector = Selector.open()) {
                Conn[] conns = new Conn[count];
                for (int i = 0; i < count; i++) {
                    conns[i] = new Conn(plan.request(), plan.head());
                    open(selector, conns[i]);
                }
                boolean stopping = false;
                while (true) {
                    long now = System.nanoTime();
                    if (!stopping && (now - end >= 0 || completed >= maxRequests)) {
                        stopping = true;
                        stoppedAt = now;
                    }
                    if (stopping) {
                        break;
                    }
                    for (Conn c : conns) {
                        if (c.channel == null && now - c.retryAt >= 0) {
                            open(selector, c);
                        }
                    }
                    selector.select(5);
                    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                    while (it.hasNext()) {
                        SelectionKey key = it.next();
                        it.remove();
                        Conn c = (Conn) key.attachment();
                        try {
                            if (!key.isValid()) {
                                continue;
                            }
                            if (key.isConnectable()) {
                                if (c.channel.finishConnect()) {
                                    send(c, key);
                                }
                            } else if (key.isWritable()) {
                                writeMore(c, key);
                            } else if (key.isReadable()) {
                                readMore(c, key);
                            }
                        } catch (IOException | RuntimeException e) {
                            fail(c, e.toString());
                        }
                    }
                }
                for (Conn c : conns) {
                    c.close();
                }
            } catch (IOException e) {
                lastError = e.toString();
                errors++;
            }
            if (stoppedAt == 0) {
                stoppedAt = System.nanoTime();
            }
        }

        private void open(Selector selector, Conn c) {
            try {
                SocketChannel ch = SocketChannel.open();
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                c.channel = ch;
                c.reset();
                connects++;
                if (ch.connect(new InetSocketAddress(plan.host(), plan.port()))) {
                    c.key = ch.register(selector, 0, c);
                    send(c, c.key);
                } else {
                    c.key = ch.register(selector, SelectionKey.OP_CONNECT, c);
                }
            } catch (IOException e) {
                fail(c, e.toString());
            }
        }

        private void fail(Conn c, String why) {
            errors++;
            lastError = why;
            c.close();
            c.retryAt = System.nanoTime() + 10_000_000L;
        }

        private void send(Conn c, SelectionKey key) throws IOException {
            c.out.clear();
            c.sentAt = System.nanoTime();
            c.channel.write(c.out);
            if (c.out.hasRemaining()) {
                key.interestOps(SelectionKey.OP_WRITE);
            } else {
                key.interestOps(SelectionKey.OP_READ);
            }
        }

        private void writeMore(Conn c, SelectionKey key) throws IOException {
            c.channel.write(c.out);
            if (!c.out.hasRemaining()) {
                key.interestOps(SelectionKey.OP_READ);
            }
        }

        private void readMore(Conn c, SelectionKey key) throws IOException {
            int n = c.channel.read(c.in);
            if (n < 0) {
                throw new IOException("connection closed by the server mid-response");
            }
            int state = c.parse();
            if (state == Conn.MORE) {
                return;
            }
            long now = System.nanoTime();
            if (c.status < 200 || c.status > 299) {
                errors++;
                lastErrorStatus = c.status;
            } else if (c.sentAt - measureFrom >= 0 && now - end <= 0) {
                latency.record(now - c.sentAt);
                completed++;
            }
            boolean keepAlive = c.keepAlive;
            c.reset();
            if (!keepAlive) {
                c.close();
                c.retryAt = now;
                return;
            }
            if (now - end < 0) {
                send(c, key);
            }
        }
    }

    /** One connection and its response parser. */
    private static final class Conn {
        static final int MORE = 0;
        static final int DONE = 1;

        private static final int IN_HEAD = 0;
        private static final int IN_BODY = 1;
        private static final int CHUNK_SIZE = 2;
        private static final int CHUNK_DATA = 3;
        private static final int CHUNK_CRLF = 4;
        private static final int TRAILER = 5;

        final ByteBuffer out;
        final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
        final boolean head;
        SocketChannel channel;
        SelectionKey key;
        long sentAt;
        long retryAt;

        // parser state
        private int phase;
        private int scan;            // head: where to continue looking for CRLFCRLF
        private long bodyLeft;
        private long chunkSize;
        private int crlfLeft;
        private int lineLen;         // trailer: length of the current line
        private boolean inExtension; // chunk size line: past the digits
        int status;
        boolean keepAlive;

        Conn(byte[] request, boolean head) {
            this.out = ByteBuffer.allocateDirect(request.length);
            this.out.put(request).flip();
            this.head = head;
        }

        void reset() {
            in.clear();
            phase = IN_HEAD;
            scan = 0;
            bodyLeft = 0;
            status = 0;
            keepAlive = true;
            chunkSize = 0;
            inExtension = false;
        }

        void close() {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
            channel = null;
            key = null;
        }

        /** Consumes what has been read; DONE when a whole response is in. */
        int parse() throws IOException {
            int limit = in.position();
            int pos = phase == IN_HEAD ? scan : 0;
            if (phase == IN_HEAD) {
                int endOfHead = -1;
                for (int i = Math.max(0, scan); i + 3 < limit; i++) {
                    if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r'
                            && in.get(i + 3) == '\n') {
                        endOfHead = i;
                        break;
                    }
                }
                if (endOfHead < 0) {
                    scan = Math.max(0, limit - 3);
                    if (limit == in.capacity()) {
                        throw new IOException("response head larger than " + in.capacity() + " bytes");
                    }
                    return MORE;
                }
                parseHead(endOfHead);
                pos = endOfHead + 4;
            }
            // the body: skip what has arrived of it
            while (true) {
                switch (phase) {
                    case IN_BODY -> {
                        long n = Math.min(bodyLeft, limit - pos);
                        bodyLeft -= n;
                        pos += (int) n;
                        if (bodyLeft == 0) {
                            return DONE;
                        }
                        in.clear();
                        return MORE;
                    }
                    case CHUNK_SIZE -> {
                        boolean lineDone = false;
                        while (pos < limit) {
                            byte b = in.get(pos++);
                            if (b == '\n') {
                                lineDone = true;
                                break;
                            }
                            int d = Character.digit(b, 16);
                            if (b == '\r' || inExtension) {
                                continue;
                            }
                            if (d >= 0) {
                                chunkSize = chunkSize * 16 + d;
                            } else {
                                inExtension = true;     // ';' starts an extension; its text is ignored
                            }
                        }
                        if (!lineDone) {
                            in.clear();
                            return MORE;
                        }
                        inExtension = false;
                        if (chunkSize == 0) {
                            phase = TRAILER;
                            lineLen = 0;
                        } else {
                            phase = CHUNK_DATA;
                            bodyLeft = chunkSize;
                        }
                    }
                    case CHUNK_DATA -> {
                        long n = Math.min(bodyLeft, limit - pos);
                        bodyLeft -= n;
                        pos += (int) n;
                        if (bodyLeft > 0) {
                            in.clear();
                            return MORE;
                        }
                        phase = CHUNK_CRLF;
                        crlfLeft = 2;
                    }
                    case CHUNK_CRLF -> {
                        while (crlfLeft > 0 && pos < limit) {
                            pos++;
                            crlfLeft--;
                        }
                        if (crlfLeft > 0) {
                            in.clear();
                            return MORE;
                        }
                        phase = CHUNK_SIZE;
                        chunkSize = 0;
                    }
                    case TRAILER -> {
                        while (pos < limit) {
                            byte b = in.get(pos++);
                            if (b == '\n') {
                                if (lineLen == 0) {
                                    return DONE;
                                }
                                lineLen = 0;
                            } else if (b != '\r') {
                                lineLen++;
                            }
                        }
                        in.clear();
                        return MORE;
                    }
                    default -> throw new IllegalStateException("phase " + phase);
                }
            }
        }

        private void parseHead(int endOfHead) throws IOException {
            // status line: HTTP/1.x SSS
            if (endOfHead < 12 || in.get(0) != 'H') {
                throw new IOException("not an HTTP response");
            }
            boolean http10 = in.get(7) == '0';
            status = (in.get(9) - '0') * 100 + (in.get(10) - '0') * 10 + (in.get(11) - '0');
            long contentLength = -1;
            boolean chunked = false;
            String connection = null;
            int lineStart = indexOfLf(0, endOfHead) + 1;
            while (lineStart > 0 && lineStart < endOfHead) {
                int lineEnd = indexOfLf(lineStart, endOfHead + 2);
                if (lineEnd < 0) {
                    lineEnd = endOfHead;
                }
                int valueEnd = lineEnd > lineStart && in.get(lineEnd - 1) == '\r' ? lineEnd - 1 : lineEnd;
                if (startsWithIgnoreCase(lineStart, "content-length:")) {
                    contentLength = parseLong(lineStart + 15, valueEnd);
                } else if (startsWithIgnoreCase(lineStart, "transfer-encoding:")) {
                    chunked = containsIgnoreCase(lineStart + 18, valueEnd, "chunked");
                } else if (startsWithIgnoreCase(lineStart, "connection:")) {
                    connection = containsIgnoreCase(lineStart + 11, valueEnd, "close") ? "close"
                            : containsIgnoreCase(lineStart + 11, valueEnd, "keep-alive") ? "keep-alive" : null;
                }
                lineStart = lineEnd + 1;
            }
            keepAlive = http10 ? "keep-alive".equals(connection) : !"close".equals(connection);
            if (head || status == 204 || status == 304 || (status >= 100 && status < 200)) {
                phase = IN_BODY;
                bodyLeft = 0;
            } else if (chunked) {
                phase = CHUNK_SIZE;
                chunkSize = 0;
            } else if (contentLength >= 0) {
                phase = IN_BODY;
                bodyLeft = contentLength;
            } else {
                throw new IOException("response without Content-Length or chunked encoding");
            }
        }

        private int indexOfLf(int from, int to) {
            for (int i = from; i < to; i++) {
                if (in.get(i) == '\n') {
                    return i;
                }
            }
            return -1;
        }

        private boolean startsWithIgnoreCase(int at, String lowerPrefix) {
            for (int k = 0; k < lowerPrefix.length(); k++) {
                int b = in.get(at + k);
                if (b >= 'A' && b <= 'Z') {
                    b += 32;
                }
                if (b != lowerPrefix.charAt(k)) {
                    return false;
                }
            }
            return true;
        }

        private boolean containsIgnoreCase(int from, int to, String lower) {
            outer:
            for (int i = from; i + lower.length() <= to; i++) {
                for (int k = 0; k < lower.length(); k++) {
                    int b = in.get(i + k);
                    if (b >= 'A' && b <= 'Z') {
                        b += 32;
                    }
                    if (b != lower.charAt(k)) {
                        continue outer;
                    }
                }
                return true;
            }
            return false;
        }

        private long parseLong(int from, int to) {
            long v = 0;
            boolean any = false;
            for (int i = from; i < to; i++) {
                byte b = in.get(i);
                if (b >= '0' && b <= '9') {
                    v = v * 10 + (b - '0');
                    any = true;
                } else if (any) {
                    break;
                }
            }
            return any ? v : -1;
        }
    }
}
