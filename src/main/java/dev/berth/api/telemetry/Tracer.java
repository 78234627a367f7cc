package dev.berth.api.telemetry;

import java.util.Map;

/**
 * Where finished spans go. {@link #OFF} records nothing (the default); {@link OtlpExporter} sends them to an
 * OpenTelemetry collector.
 */
public interface Tracer extends AutoCloseable {

    /** Records nothing. */
    Tracer OFF = new Tracer() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public void record(Span span) {
        }
    };

    /** Whether spans are recorded at all (when not, requests get a trace context only if they bring one). */
    boolean enabled();

    /** The probability that a trace a request starts is sampled. */
    default double samplingRatio() {
        return 1.0;
    }

    /** Hands over a finished span; must return at once. */
    void record(Span span);

    @Override
    default void close() {
    }

    /**
     * A finished span.
     *
     * @param context        its trace id, span id and parent
     * @param name           for a request, {@code METHOD route-template}
     * @param startEpochNanos when it started, nanoseconds since the Unix epoch
     * @param endEpochNanos  when it ended
     * @param attributes     OpenTelemetry semantic-convention attributes (strings, longs, booleans)
     * @param error          whether it failed (a 5xx answer)
     */
    record Span(TraceContext context, String name, long startEpochNanos, long endEpochNanos,
                Map<String, Object> attributes, boolean error) {
    }
}
