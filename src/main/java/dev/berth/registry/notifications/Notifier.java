package dev.berth.registry.notifications;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.berth.api.Route;
import dev.berth.api.telemetry.Metrics;
import dev.berth.api.telemetry.RequestScope;
import dev.berth.oci.Descriptor;
import dev.berth.registry.EventListener;
import dev.berth.registry.RegistryEvent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends registry events to webhooks in CNCF distribution's envelope
 * ({@code application/vnd.docker.distribution.events.v1+json}: {@code {"events":[...]}}).
 *
 * <p>{@link #on} runs on the request's thread: it snapshots who asked (from the {@link RequestScope}), keeps the
 * event for each endpoint whose filters let it through, and returns. Each endpoint has its own bounded queue and
 * its own delivery thread, so a slow or dead endpoint delays only its own events and never a push or a pull: when
 * its queue is full, new events for it are dropped and counted ({@code berth_notifications_dropped_total}).
 * A failed attempt (no connection, timeout, a status of 400 or more) is retried at once up to the endpoint's
 * threshold, then every back-off, until it succeeds or the notifier is closed.
 */
public final class Notifier implements EventListener, AutoCloseable {

    public static final String CONTENT_TYPE = "application/vnd.docker.distribution.events.v1+json";
    private static final Logger LOG = Logger.getLogger(Notifier.class.getName());
    private static final JsonFactory JSON = new JsonFactory();
    private static final int MAX_BATCH = 100;

    /** Who the events come from: distribution's {@code source} ({@code addr}, {@code instanceID}). */
    public record Source(String addr, String instanceId) {
    }

    /** An event with what was known of its request when it happened. */
    private record Pending(String id, RegistryEvent event, String requestId, String remoteAddr, String host,
                           String method, String userAgent, String user) {
    }

    private final List<Delivery> deliveries = new ArrayList<>();
    private final boolean includeReferences;
    private volatile Source source;
    private final String scheme;

    /**
     * @param includeReferences whether manifest events list the descriptors the manifest references
     * @param scheme            {@code http} or {@code https}: how clients reach this registry (for target URLs)
     */
    public Notifier(List<Endpoint> endpoints, boolean includeReferences, Source source, String scheme,
                    Metrics metrics) {
        this.includeReferences = includeReferences;
        this.source = Objects.requireNonNull(source, "source");
        this.scheme = scheme;
        Metrics.CounterFamily sent = metrics.counter("berth_notifications_sent_total",
                "Events delivered to a notification endpoint.", "endpoint");
        Metrics.CounterFamily dropped = metrics.counter("berth_notifications_dropped_total",
                "Events dropped because a notification endpoint's queue was full.", "endpoint");
        Metrics.CounterFamily failures = metrics.counter("berth_notifications_failures_total",
                "Failed delivery attempts to a notification endpoint.", "endpoint");
        for (Endpoint e : endpoints) {
            for (Map.Entry<String, List<String>> h : e.headers().entrySet()) {
                try {
                    HttpRequest.Builder probe = HttpRequest.newBuilder(e.url());
                    for (String v : h.getValue()) {
                        probe.header(h.getKey(), v);
                    }
                } catch (IllegalArgumentException bad) {
                    throw new IllegalArgumentException("notification endpoint " + e.name() + ": header "
                            + h.getKey() + " cannot be set: " + bad.getMessage());
                }
            }
        }
        for (Endpoint e : endpoints) {
            Delivery d = new Delivery(e, sent.labels(e.name()), dropped.labels(e.name()),
                    failures.labels(e.name()));
            deliveries.add(d);
        }
        metrics.gauges("berth_notifications_pending", "Events waiting for (or being sent to) a notification endpoint.",
                "endpoint", () -> {
                    Map<String, Integer> m = new java.util.LinkedHashMap<>();
                    for (Delivery d : deliveries) {
                        m.put(d.endpoint.name(), d.queue.size() + d.inFlight.get());
                    }
                    return m;
                });
        for (Delivery d : deliveries) {
            d.start();
        }
    }

    /** Sets who the events come from (once the server knows its port). */
    public void source(Source s) {
        this.source = Objects.requireNonNull(s, "source");
    }

    @Override
    public void on(RegistryEvent event) {
        Pending p = null;
        for (Delivery d : deliveries) {
            if (!d.accepts(event)) {
                continue;
            }
            if (p == null) {
                p = snapshot(event);
            }
            if (!d.queue.offer(p)) {
                d.dropped.inc();
            }
        }
    }

    private static Pending snapshot(RegistryEvent event) {
        RequestScope r = RequestScope.current();
        String id = UUID.randomUUID().toString();
        if (r == null) {
            return new Pending(id, event, null, null, null, null, null, null);
        }
        return new Pending(id, event, r.id(), r.remoteAddress(), r.host(), r.method(), r.userAgent(), r.user());
    }

    /** Stops the delivery threads; events not delivered yet are dropped (and logged as a count). */
    @Override
    public void close() {
        for (Delivery d : deliveries) {
            d.stop();
        }
        for (Delivery d : deliveries) {
            d.join();
        }
    }

    // ------------------------------------------------------------------------------------------------ envelope

    byte[] envelope(List<Pending> batch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512 * batch.size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("events");
            for (Pending p : batch) {
                writeEvent(g, p);
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private void writeEvent(JsonGenerator g, Pending p) throws IOException {
        RegistryEvent e = p.event();
        g.writeStartObject();
        g.writeStringField("id", p.id());
        g.writeStringField("timestamp", e.timestamp().toString());
        g.writeStringField("action", e.action().wire());
        g.writeObjectFieldStart("target");
        if (e.mediaType() != null) {
            g.writeStringField("mediaType", e.mediaType());
        }
        if (e.size() >= 0) {
            g.writeNumberField("size", e.size());
        }
        if (e.digest() != null) {
            g.writeStringField("digest", e.digest().toString());
        }
        if (e.size() >= 0) {
            g.writeNumberField("length", e.size());
        }
        g.writeStringField("repository", e.repository().value());
        if (e.fromRepository() != null) {
            g.writeStringField("fromRepository", e.fromRepository().value());
        }
        String host = p.host() != null ? p.host() : source.addr();
        if (e.digest() != null && host != null && !host.isEmpty()) {
            Route route = e.subject() == RegistryEvent.Subject.MANIFEST ? Route.MANIFEST : Route.BLOB;
            g.writeStringField("url", scheme + "://" + host + route.path(e.repository().value(), e.digest().toString()));
        }
        if (e.tag() != null) {
            g.writeStringField("tag", e.tag());
        }
        if (includeReferences && !e.references().isEmpty()) {
            g.writeArrayFieldStart("references");
            for (Descriptor d : e.references()) {
                g.writeStartObject();
                g.writeStringField("mediaType", d.mediaType());
                g.writeNumberField("size", d.size());
                g.writeStringField("digest", d.digest().toString());
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        g.writeEndObject();
        g.writeObjectFieldStart("request");
        writeIfSet(g, "id", p.requestId());
        writeIfSet(g, "addr", p.remoteAddr());
        writeIfSet(g, "host", p.host());
        writeIfSet(g, "method", p.method());
        writeIfSet(g, "useragent", p.userAgent());
        g.writeEndObject();
        g.writeObjectFieldStart("actor");
        writeIfSet(g, "name", p.user());
        g.writeEndObject();
        g.writeObjectFieldStart("source");
        writeIfSet(g, "addr", source.addr());
        writeIfSet(g, "instanceID", source.instanceId());
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void writeIfSet(JsonGenerator g, String name, String value) throws IOException {
        if (value != null && !value.isEmpty()) {
            g.writeStringField(name, value);
        }
    }

    /** The URL without user information or query, for logs. */
    static String safe(URI url) {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() >= 0 ? ":" + url.getPort() : "")
                + (url.getRawPath() == null ? "" : url.getRawPath());
    }

    // ------------------------------------------------------------------------------------------------ delivery

    private final class Delivery {
        final Endpoint endpoint;
        final ArrayBlockingQueue<Pending> queue;
        final Metrics.Counter sent;
        final Metrics.Counter dropped;
        final Metrics.Counter failures;
        final AtomicInteger inFlight = new AtomicInteger();
        final HttpClient client;
        volatile boolean running = true;
        Thread thread;

        Delivery(Endpoint endpoint, Metrics.Counter sent, Metrics.Counter dropped, Metrics.Counter failures) {
            this.endpoint = endpoint;
            this.queue = new ArrayBlockingQueue<>(endpoint.queueSize());
            this.sent = sent;
            this.dropped = dropped;
            this.failures = failures;
            this.client = HttpClient.newBuilder()
                    .connectTimeout(endpoint.timeout())
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
        }

        boolean accepts(RegistryEvent e) {
            return !endpoint.ignoredActions().contains(e.action().wire())
                    && (e.mediaType() == null || !endpoint.ignoredMediaTypes().contains(e.mediaType()));
        }

        void start() {
            thread = Thread.ofVirtual().name("berth-notify-" + endpoint.name()).start(this::run);
        }

        void stop() {
            running = false;
            if (thread != null) {
                thread.interrupt();
            }
        }

        void join() {
            try {
                if (thread != null && !thread.join(java.time.Duration.ofSeconds(2))) {
                    LOG.warning("notification endpoint " + endpoint.name() + " did not stop in time");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            client.shutdownNow();
            int left = queue.size() + inFlight.get();
            if (left > 0) {
                LOG.info("notification endpoint " + endpoint.name() + ": " + left
                        + " events not delivered at shutdown");
            }
        }

        private void run() {
            boolean failing = false;
            while (running) {
                List<Pending> batch = new ArrayList<>();
                try {
                    batch.add(queue.take());
                } catch (InterruptedException e) {
                    return;
                }
                queue.drainTo(batch, MAX_BATCH - 1);
                inFlight.set(batch.size());
                byte[] body;
                try {
                    body = envelope(batch);
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "could not encode events for " + endpoint.name(), e);
                    inFlight.set(0);
                    continue;
                }
                int consecutive = 0;
                while (true) {
                    if (!running) {
                        return;     // closing: the batch in flight stays counted as not delivered
                    }
                    String problem = send(body);
                    if (!running) {
                        return;
                    }
                    if (problem == null) {
                        sent.add(batch.size());
                        if (failing) {
                            LOG.info("notification endpoint " + endpoint.name() + " is reachable again");
                            failing = false;
                        }
                        break;
                    }
                    failures.inc();
                    consecutive++;
                    if (!failing) {
                        LOG.warning("notification endpoint " + endpoint.name() + " (" + safe(endpoint.url())
                                + "): " + problem + "; retrying");
                        failing = true;
                    }
                    if (consecutive >= endpoint.threshold()) {
                        try {
                            Thread.sleep(endpoint.backoff());
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
                inFlight.set(0);
            }
        }

        /** Null on success, else what went wrong. */
        private String send(byte[] body) {
            HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.url())
                    .timeout(endpoint.timeout())
                    .header("Content-Type", CONTENT_TYPE)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            endpoint.headers().forEach((name, values) -> values.forEach(v -> b.header(name, v)));
            CompletableFuture<HttpResponse<Void>> f = client.sendAsync(b.build(),
                    HttpResponse.BodyHandlers.discarding());
            try {
                HttpResponse<Void> r = f.get(endpoint.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
                return r.statusCode() < 400 ? null : "answered " + r.statusCode();
            } catch (InterruptedException e) {
                f.cancel(true);
                Thread.currentThread().interrupt();
                return "interrupted";
            } catch (ExecutionException e) {
                Throwable c = e.getCause() == null ? e : e.getCause();
                return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
            } catch (TimeoutException e) {
                f.cancel(true);
                return "timed out after " + endpoint.timeout();
            }
        }
    }
}
