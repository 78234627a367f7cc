package dev.berth.api.telemetry;

import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A W3C trace context (https://www.w3.org/TR/trace-context/): the trace id, this server's span id for the request,
 * the caller's span id (the parent) and whether the trace is sampled.
 *
 * @param traceId      32 lower-case hex digits, not all zero
 * @param spanId       16 lower-case hex digits: the span of this request
 * @param parentSpanId 16 hex digits of the caller's span, or null when the request started the trace
 * @param sampled      whether spans of this trace are recorded
 */
public record TraceContext(String traceId, String spanId, String parentSpanId, boolean sampled) {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * The context for a request carrying {@code traceparent} (may be null): a child of the caller's span when the
     * header is valid, else a new trace sampled with probability {@code ratio}.
     */
    public static TraceContext from(String traceparent, double ratio) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String span = randomHex(random, 8);
        if (traceparent != null) {
            String[] parent = parse(traceparent);
            if (parent != null) {
                boolean sampled = (Integer.parseInt(parent[2], 16) & 1) == 1;
                return new TraceContext(parent[0], span, parent[1], sampled);
            }
        }
        String trace;
        do {
            trace = randomHex(random, 16);
        } while (trace.equals("00000000000000000000000000000000"));
        return new TraceContext(trace, span, null, ratio >= 1.0 || (ratio > 0 && random.nextDouble() < ratio));
    }

    /** The child context of a valid {@code traceparent}; null when the header is absent or invalid. */
    public static TraceContext childOf(String traceparent) {
        return traceparent != null && parse(traceparent) != null ? from(traceparent, 0) : null;
    }

    /** {trace id, parent span id, flags} from a valid {@code traceparent}, else null. */
    static String[] parse(String header) {
        String h = header.strip();
        // version "00" is exactly 55 characters; later versions may append fields after a dash
        if (h.length() < 55 || (h.length() > 55 && h.charAt(55) != '-')) {
            return null;
        }
        String version = h.substring(0, 2);
        if (!isHex(version) || version.equals("ff") || (version.equals("00") && h.length() != 55)
                || h.charAt(2) != '-' || h.charAt(35) != '-' || h.charAt(52) != '-') {
            return null;
        }
        String trace = h.substring(3, 35);
        String parent = h.substring(36, 52);
        String flags = h.substring(53, 55);
        if (!isHex(trace) || !isHex(parent) || !isHex(flags) || trace.chars().allMatch(c -> c == '0')
                || parent.chars().allMatch(c -> c == '0')) {
            return null;
        }
        return new String[] {trace, parent, flags};
    }

    /** The {@code traceparent} header naming this request's span as the parent of what it calls. */
    public String traceparent() {
        return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    static String randomHex(Random random, int bytes) {
        char[] out = new char[bytes * 2];
        long bits = 0;
        for (int i = 0; i < bytes; i++) {
            if (i % 8 == 0) {
                bits = random.nextLong();
            }
            int b = (int) (bits & 0xff);
            bits >>>= 8;
            out[2 * i] = HEX[b >>> 4];
            out[2 * i + 1] = HEX[b & 0xf];
        }
        return new String(out);
    }
}
