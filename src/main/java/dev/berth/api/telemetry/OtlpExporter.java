package dev.berth.api.telemetry;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends spans to an OpenTelemetry collector over OTLP/HTTP with the JSON encoding ({@code POST /v1/traces},
 * {@code application/json}, ids in hex), in batches, from one background thread. Spans wait in a bounded queue;
 * when the collector is slow or away the queue fills and new spans are dropped and counted
 * ({@code berth_tracing_spans_dropped_total}): tracing never slows a request.
 */
public final class OtlpExporter implements Tracer {

    private static final Logger LOG = Logger.getLogger(OtlpExporter.class.getName());
    private static final JsonFactory JSON = new JsonFactory();
    private static final int QUEUE = 4096;
    private static final int MAX_BATCH = 512;
    private static final long FLUSH_MILLIS = 1000;

    private final URI endpoint;
    private final Map<String, String> headers;
    private final String serviceName;
    private final String serviceInstance;
    private final double ratio;
    private final ArrayBlockingQueue<Span> queue = new ArrayBlockingQueue<>(QUEUE);
    private final HttpClient client;
    private final Metrics.Counter exported;
    private final Metrics.Counter dropped;
    private final Metrics.Counter failures;
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param endpoint  the collector's traces URL, for example {@code http://127.0.0.1:4318/v1/traces}
     * @param headers   extra headers (a collector's credential; never logged)
     * @param ratio     probability that a trace started here is sampled (traces from a caller keep its choice)
     */
    public OtlpExporter(URI endpoint, Map<String, String> headers, String serviceName, String serviceInstance,
                        double ratio, Metrics metrics) {
        this.endpoint = endpoint;
        this.headers = Map.copyOf(headers);
        this.serviceName = serviceName;
        this.serviceInstance = serviceInstance;
        this.ratio = ratio;
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        this.exported = metrics.counter("berth_tracing_spans_exported_total", "Spans sent to the collector.").get();
        this.dropped = metrics.counter("berth_tracing_spans_dropped_total",
                "Spans dropped because the export queue was full or the collector refused them.").get();
        this.failures = metrics.counter("berth_tracing_export_failures_total",
                "Failed attempts to send spans to the collector.").get();
        this.thread = Thread.ofPlatform().daemon().name("berth-otlp-exporter").start(this::run);
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public double samplingRatio() {
        return ratio;
    }

    @Override
    public void record(Span span) {
        if (!queue.offer(span)) {
            dropped.inc();
        }
    }

    /** Sends what is queued (waiting up to two seconds), then stops. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(3));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.shutdownNow();
    }

    private void run() {
        boolean failing = false;
        while (true) {
            List<Span> batch = new ArrayList<>();
            try {
                Span first = running ? queue.poll(FLUSH_MILLIS, TimeUnit.MILLISECONDS) : queue.poll();
                if (first == null) {
                    if (!running) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
            } catch (InterruptedException e) {
                // closing: send what is left, once
                Span s = queue.poll();
                if (s == null) {
                    return;
                }
                batch.add(s);
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            try {
                HttpRequest.Builder b = HttpRequest.newBuilder(endpoint)
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(encode(batch)));
                headers.forEach(b::header);
                HttpResponse<Void> r = client.send(b.build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() >= 300) {
                    throw new IOException("collector answered " + r.statusCode());
                }
                exported.add(batch.size());
                if (failing) {
                    LOG.info("OTLP collector reachable again");
                    failing = false;
                }
            } catch (IOException e) {
                failures.inc();
                dropped.add(batch.size());
                if (!failing) {
                    LOG.log(Level.WARNING, "could not send spans to the OTLP collector: " + e.getMessage());
                    failing = true;
                }
            } catch (InterruptedException e) {
                dropped.add(batch.size());
                return;
            }
        }
    }

    /** OTLP JSON: {"resourceSpans":[{"resource":{...},"scopeSpans":[{"scope":{...},"spans":[...]}]}]}. */
    byte[] encode(List<Span> spans) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + 512 * spans.size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("resourceSpans");
            g.writeStartObject();
            g.writeObjectFieldStart("resource");
            g.writeArrayFieldStart("attributes");
            attribute(g, "service.name", serviceName);
            attribute(g, "service.instance.id", serviceInstance);
            attribute(g, "telemetry.sdk.name", "berth");
            g.writeEndArray();
            g.writeEndObject();
            g.writeArrayFieldStart("scopeSpans");
            g.writeStartObject();
            g.writeObjectFieldStart("scope");
            g.writeStringField("name", "dev.berth");
            g.writeEndObject();
            g.writeArrayFieldStart("spans");
            for (Span s : spans) {
                g.writeStartObject();
                g.writeStringField("traceId", s.context().traceId());
                g.writeStringField("spanId", s.context().spanId());
                if (s.context().parentSpanId() != null) {
                    g.writeStringField("parentSpanId", s.context().parentSpanId());
                }
                g.writeStringField("name", s.name());
                g.writeNumberField("kind", 2); // SPAN_KIND_SERVER
                g.writeStringField("startTimeUnixNano", Long.toString(s.startEpochNanos()));
                g.writeStringField("endTimeUnixNano", Long.toString(s.endEpochNanos()));
                g.writeArrayFieldStart("attributes");
                for (Map.Entry<String, Object> a : s.attributes().entrySet()) {
                    attribute(g, a.getKey(), a.getValue());
                }
                g.writeEndArray();
                g.writeObjectFieldStart("status");
                g.writeNumberField("code", s.error() ? 2 : 0); // STATUS_CODE_ERROR : STATUS_CODE_UNSET
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static void attribute(JsonGenerator g, String key, Object value) throws IOException {
        if (value == null) {
            return;
        }
        g.writeStartObject();
        g.writeStringField("key", key);
        g.writeObjectFieldStart("value");
        switch (value) {
            case Long l -> g.writeStringField("intValue", Long.toString(l));
            case Integer i -> g.writeStringField("intValue", Integer.toString(i));
            case Boolean b -> g.writeBooleanField("boolValue", b);
            default -> g.writeStringField("stringValue", value.toString());
        }
        g.writeEndObject();
        g.writeEndObject();
    }
}
