package dev.berth.http.netty;

import dev.berth.api.telemetry.RequestScope;
import dev.berth.api.telemetry.StructuredLog;
import dev.berth.api.telemetry.TraceContext;

import io.netty.util.concurrent.FastThreadLocalThread;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.logging.ConsoleHandler;
import java.util.logging.ErrorManager;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One line per request on the {@code berth.access} logger:
 * {@code GET /v2/demo/app/blobs/sha256:ab... 200 1.234ms in=0 out=5120 client=10.0.0.7:51234 user=alice}
 * (and {@code trace=<id>} when the request has a trace context). The path is logged without its query, and no
 * header is ever logged: {@code Authorization} and cookies carry secrets. The same facts go to the JSON log format
 * as fields (the record's parameter is a {@link StructuredLog}).
 *
 * <p>On the hot path: the line is built with one {@link StringBuilder}, and nothing at all is done when the access
 * log is off ({@code log.accesslog.disabled}) or the logger does not take INFO.
 *
 * <p>When the record would go to exactly one handler and that is the server's {@link ConsoleHandler} (the setup of
 * {@code dev.berth.cli.Logging}), the record is not published on the request's thread: it is queued for one
 * background writer ({@link Writer}) that formats it with that handler's formatter and encoding and writes the
 * lines to {@code System.err} in batches, one {@code write(2)} per ~8 KiB or at least every 100 ms, instead of a
 * lock, a format and a {@code write(2)} per request. The bytes are the same as the handler's; access lines can
 * come out up to 100 ms after other records written meanwhile. A shutdown hook writes what is queued before the
 * JVM exits, and lines logged after it are written at once. Any other setup (a handler added to
 * {@code berth.access} or to the root logger, a filter) publishes through java.util.logging as before.
 */
final class AccessLog {

    static final String LOGGER = "berth.access";
    private static final Logger LOG = Logger.getLogger(LOGGER);

    private final boolean enabled;

    AccessLog(boolean enabled) {
        this.enabled = enabled;
    }

    boolean enabled() {
        return enabled && LOG.isLoggable(Level.INFO);
    }

    void log(RequestScope scope, int status, long bytesIn, long bytesOut, long durationNanos) {
        if (!enabled()) {
            return;
        }
        Entry e = new Entry(scope, status, bytesIn, bytesOut, durationNanos);
        Handler console = soleConsoleHandler();
        if (console != null) {
            Queued record = new Queued(e.line(), console);
            describe(record, e);
            if (console.isLoggable(record)) {
                Writer.INSTANCE.write(record);
            }
            return;
        }
        LogRecord record = new LogRecord(Level.INFO, e.line());
        describe(record, e);
        LOG.log(record);
    }

    private static void describe(LogRecord record, Entry e) {
        record.setLoggerName(LOGGER);
        record.setSourceClassName(AccessLog.class.getName());   // spares java.util.logging a stack walk
        record.setSourceMethodName("log");
        record.setParameters(new Object[] {e});
    }

    /**
     * The handler a record of {@code berth.access} would reach if it is the only one and a plain
     * {@link ConsoleHandler}, with no filter on the logger; else null (the record then goes through
     * {@link Logger#log(LogRecord)}). Walks the loggers as {@code Logger.log} does: a few field reads.
     */
    private static Handler soleConsoleHandler() {
        if (LOG.getFilter() != null) {
            return null;
        }
        Handler found = null;
        for (Logger l = LOG; l != null; l = l.getParent()) {
            for (Handler h : l.getHandlers()) {
                if (found != null) {
                    return null;
                }
                found = h;
            }
            if (!l.getUseParentHandlers()) {
                break;
            }
        }
        return found != null && found.getClass() == ConsoleHandler.class ? found : null;
    }

    /** Writes every queued access-log line now (tests; the shutdown hook does the same). */
    static void flush() {
        Writer.INSTANCE.drain();
    }

    /** Lines the background writer has written in its batches since start (tests). */
    static long batched() {
        return Writer.INSTANCE.batched;
    }

    /** Lines dropped since start because the queue stayed full (the output did not keep up). */
    static long dropped() {
        return Writer.INSTANCE.dropped.get();
    }

    /** A record on its way to the background writer, with the handler that is to format it. */
    private static final class Queued extends LogRecord {
        final transient Handler handler;

        Queued(String message, Handler handler) {
            super(Level.INFO, message);
            this.handler = handler;
        }
    }

    /**
     * The one background writer of the process (every server of a JVM writes to the same stderr): a bounded
     * queue of records, drained by a daemon thread that formats them and writes the bytes to {@code System.err}
     * in chunks of about {@link #CHUNK} bytes. The thread wakes every {@link #PERIOD_NANOS} or as soon as
     * {@link #WAKE_AT} lines are waiting, so under load it writes a chunk per ~64 lines and otherwise a line is
     * out within 100 ms.
     *
     * <p>A full queue (the output stalls, or lines come faster than it takes them) makes a request thread wait up to
     * {@link #FULL_WAIT_NANOS} for room; an event-loop thread never waits. A line that still finds no room is
     * dropped and counted ({@link #dropped}), and a warning on this class's logger says how many.
     */
    static final class Writer implements Runnable {
        static final int CAPACITY = 16_384;
        static final int WAKE_AT = 64;
        static final int CHUNK = 8 * 1024;
        static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
        static final long FULL_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
        private static final long DROP_REPORT_NANOS = TimeUnit.SECONDS.toNanos(10);
        private static final Logger SELF = Logger.getLogger(AccessLog.class.getName());

        static final Writer INSTANCE = start();

        private final ConcurrentLinkedQueue<Queued> queue = new ConcurrentLinkedQueue<>();
        /** Lines queued and not yet taken: the bound, and what wakes the thread early. */
        private final AtomicInteger pending = new AtomicInteger();
        private final AtomicBoolean asleep = new AtomicBoolean();
        final AtomicLong dropped = new AtomicLong();
        /** Held while taking lines and writing them: the thread, {@link AccessLog#flush}, the shutdown hook. */
        private final ReentrantLock lock = new ReentrantLock();
        /** Set by the shutdown hook: from then on every line is written by the thread that logs it. */
        private volatile boolean closed;
        private volatile Thread thread;

        /** Lines written in batches (not through the handler); written under lock. */
        private volatile long batched;

        // guarded by lock
        private byte[] buf = new byte[2 * CHUNK];
        private int len;
        private PrintStream charsetFor;
        private String charsetEncoding;
        private Charset charset;
        private boolean charsetKnown;
        private long droppedReported;
        private long lastDropReport = System.nanoTime() - DROP_REPORT_NANOS;

        private static Writer start() {
            Writer w = new Writer();
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(w::close, "berth-access-log-flush"));
            } catch (IllegalStateException shuttingDown) {
                w.closed = true;
                return w;
            }
            Thread t = new Thread(w, "berth-access-log");
            t.setDaemon(true);
            w.thread = t;
            t.start();
            return w;
        }

        void write(Queued record) {
            if (!offer(record)) {
                boolean mayWait = !(Thread.currentThread() instanceof FastThreadLocalThread);
                long deadline = System.nanoTime() + FULL_WAIT_NANOS;
                do {
                    if (!mayWait || System.nanoTime() - deadline > 0) {
                        dropped.incrementAndGet();
                        return;
                    }
                    wake();
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
                } while (!offer(record));
            }
            if (closed) {
                drain();
            }
        }

        private boolean offer(Queued record) {
            int p = pending.incrementAndGet();
            if (p > CAPACITY) {
                pending.decrementAndGet();
                return false;
            }
            queue.offer(record);
            if (p >= WAKE_AT) {
                wake();
            }
            return true;
        }

        private void wake() {
            Thread t = thread;
            if (t != null && asleep.get() && asleep.compareAndSet(true, false)) {
                LockSupport.unpark(t);
            }
        }

        @Override
        public void run() {
            while (!closed) {
                try {
                    drain();
                } catch (RuntimeException | Error e) {
                    SELF.log(Level.WARNING, "access log writer", e);
                }
                asleep.set(true);
                if (pending.get() < WAKE_AT && !closed) {
                    LockSupport.parkNanos(this, PERIOD_NANOS);
                }
                asleep.set(false);
            }
        }

        /** The shutdown hook: no more batching; what is queued is written now. */
        private void close() {
            closed = true;
            try {
                // a writer stuck on a stalled stderr must not keep the JVM from exiting
                if (lock.tryLock(5, TimeUnit.SECONDS)) {
                    try {
                        drain();
                    } finally {
                        lock.unlock();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Takes every queued line and writes them, a chunk at a time. */
        void drain() {
            lock.lock();
            int taken = 0;
            try {
                Queued r;
                while ((r = queue.poll()) != null) {
                    if (++taken == WAKE_AT) {
                        pending.addAndGet(-taken);
                        taken = 0;
                    }
                    append(r);
                    if (len >= CHUNK) {
                        writeOut();
                    }
                }
                if (len > 0) {
                    writeOut();
                }
                reportDrops();
            } finally {
                pending.addAndGet(-taken);
                lock.unlock();
            }
        }

        /** Formats as the handler would (its formatter, its encoding) into the chunk. */
        private void append(Queued r) {
            Handler h = r.handler;
            Charset cs;
            try {
                cs = charset(h.getEncoding());
            } catch (RuntimeException e) {
                h.getErrorManager().error(null, e, ErrorManager.WRITE_FAILURE);
                return;
            }
            if (cs == null) {
                // a charset whose lines cannot be encoded one by one (a byte-order mark): the handler writes it
                if (len > 0) {
                    writeOut();
                }
                h.publish(r);
                return;
            }
            String text;
            try {
                text = h.getFormatter().format(r);
            } catch (Exception e) {
                h.getErrorManager().error(null, e, ErrorManager.FORMAT_FAILURE);
                return;
            }
            byte[] bytes = text.getBytes(cs);
            if (len + bytes.length > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + bytes.length));
            }
            System.arraycopy(bytes, 0, buf, len, bytes.length);
            len += bytes.length;
            batched++;
        }

        /**
         * The charset a {@link ConsoleHandler} writes {@code System.err} in: its encoding if set, else what an
         * {@link OutputStreamWriter} on the stream picks (the stream's own charset on JDK 18+); null when lines
         * encoded one at a time would differ from the handler's one stream of text (UTF-16 starts with a byte-order
         * mark).
         */
        private Charset charset(String encoding) {
            PrintStream err = System.err;
            if (!charsetKnown || err != charsetFor || !Objects.equals(encoding, charsetEncoding)) {
                Charset cs = Charset.forName(encoding != null ? encoding : new OutputStreamWriter(err).getEncoding());
                boolean lineByLine = "aa".getBytes(cs).length == 2 * "a".getBytes(cs).length;
                charset = lineByLine ? cs : null;
                charsetKnown = true;
                charsetFor = err;
                charsetEncoding = encoding;
            }
            return charset;
        }

        private void writeOut() {
            PrintStream err = System.err;
            err.write(buf, 0, len);     // one write(2): PrintStream hands a big array straight to the file
            err.flush();
            len = 0;
            if (buf.length > 4 * CHUNK) {
                buf = new byte[2 * CHUNK];  // after one huge record
            }
        }

        private void reportDrops() {
            long d = dropped.get();
            if (d != droppedReported && (closed || System.nanoTime() - lastDropReport >= DROP_REPORT_NANOS)) {
                SELF.warning("the access log dropped " + (d - droppedReported) + " lines (" + d
                        + " since start): stderr did not take them fast enough");
                droppedReported = d;
                lastDropReport = System.nanoTime();
            }
        }
    }

    /** One request's facts, as a text line and as fields. */
    record Entry(RequestScope scope, int status, long bytesIn, long bytesOut, long durationNanos)
            implements StructuredLog {

        String line() {
            StringBuilder b = new StringBuilder(160);
            b.append(scope.method()).append(' ');
            appendSafe(b, scope.path());
            b.append(' ').append(status).append(' ');
            appendMillis(b, durationNanos);
            b.append("ms in=").append(bytesIn).append(" out=").append(bytesOut)
                    .append(" client=").append(scope.remoteAddress()).append(" user=");
            String user = scope.user();
            if (user == null || user.isEmpty()) {
                b.append('-');
            } else {
                appendSafe(b, user);
            }
            TraceContext t = scope.trace();
            if (t != null) {
                b.append(" trace=").append(t.traceId());
            }
            return b.toString();
        }

        @Override
        public void fields(BiConsumer<String, Object> field) {
            field.accept("http.request.method", scope.method());
            field.accept("http.request.uri", scope.path());
            field.accept("http.request.remoteaddr", scope.remoteAddress());
            field.accept("http.request.host", scope.host());
            field.accept("http.request.useragent", scope.userAgent());
            field.accept("http.request.contentlength", bytesIn);
            field.accept("http.response.status", status);
            field.accept("http.response.written", bytesOut);
            field.accept("http.response.duration_ms", durationNanos / 1_000_000.0);
            field.accept("auth.user.name", scope.user());
            TraceContext t = scope.trace();
            if (t != null) {
                field.accept("trace_id", t.traceId());
                field.accept("span_id", t.spanId());
            }
        }
    }

    /** {@code 12.345} for 12 345 000 ns, without String.format. */
    static void appendMillis(StringBuilder b, long nanos) {
        long micros = Math.max(0, nanos / 1000);
        b.append(micros / 1000).append('.');
        long frac = micros % 1000;
        if (frac < 100) {
            b.append('0');
        }
        if (frac < 10) {
            b.append('0');
        }
        b.append(frac);
    }

    /** Client-controlled text with control characters (and the separator, space) replaced by {@code ?}. */
    static void appendSafe(StringBuilder b, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c <= ' ' || c == 0x7f || (c >= 0x80 && c < 0xa0) ? '?' : c);
        }
    }
}
