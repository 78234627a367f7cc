package dev.berth.http.netty;

import dev.berth.api.telemetry.RequestScope;
import dev.berth.api.telemetry.StructuredLog;
import dev.berth.api.telemetry.TraceContext;

import java.util.function.BiConsumer;
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
        LogRecord record = new LogRecord(Level.INFO, e.line());
        record.setLoggerName(LOGGER);
        record.setSourceClassName(AccessLog.class.getName());   // spares java.util.logging a stack walk
        record.setSourceMethodName("log");
        record.setParameters(new Object[] {e});
        LOG.log(record);
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
