package dev.berth.registry.notifications;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One webhook that receives registry events (distribution's {@code notifications.endpoints[]}).
 *
 * @param name              a name for logs and metrics
 * @param url               where events are POSTed
 * @param headers           extra request headers (often a credential; never logged)
 * @param timeout           for one delivery attempt, connecting included
 * @param threshold         failed attempts retried at once before waiting {@code backoff} between attempts
 * @param backoff           the wait between attempts once {@code threshold} attempts in a row failed
 * @param ignoredMediaTypes events whose target has one of these media types are not sent here
 * @param ignoredActions    events with one of these actions ({@code push}, {@code pull}, {@code mount},
 *                          {@code delete}) are not sent here
 * @param queueSize         events waiting for this endpoint at most; more are dropped (and counted)
 */
public record Endpoint(String name, URI url, Map<String, List<String>> headers, Duration timeout, int threshold,
                       Duration backoff, Set<String> ignoredMediaTypes, Set<String> ignoredActions, int queueSize) {

    public Endpoint {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(backoff, "backoff");
        ignoredMediaTypes = Set.copyOf(ignoredMediaTypes);
        ignoredActions = Set.copyOf(ignoredActions);
        if (queueSize < 1) {
            throw new IllegalArgumentException("queue size must be at least 1");
        }
        if (threshold < 0) {
            throw new IllegalArgumentException("threshold must not be negative");
        }
    }

    /** An endpoint with the defaults: no headers, 5s timeout, threshold 3, 1s back-off, no filters, 1000 events. */
    public static Endpoint of(String name, URI url) {
        return new Endpoint(name, url, Map.of(), Duration.ofSeconds(5), 3, Duration.ofSeconds(1), Set.of(), Set.of(),
                1000);
    }

    @Override
    public String toString() {
        return "Endpoint[" + name + " " + url + (headers.isEmpty() ? "" : " headers=" + headers.keySet()) + "]";
    }
}
