package dev.berth.http.netty;

import dev.berth.api.Route;
import dev.berth.api.telemetry.Metrics;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The HTTP adapter's metrics: requests by route, method and status, latency by route and method, bytes received
 * and sent by route, requests and uploads in flight. Children are created on first use and then found by array
 * index, so recording a request costs a few {@code LongAdder} increments and no allocation.
 */
final class HttpMetrics {

    private static final Route[] ROUTES = Route.values();
    private static final Route.Method[] METHODS = Route.Method.values();
    private static final int NO_ROUTE = ROUTES.length;
    private static final int MAX_STATUS = 600;

    private final Metrics.CounterFamily requests;
    private final Metrics.HistogramFamily duration;
    private final String[] routeNames = new String[ROUTES.length + 1];
    private final AtomicReferenceArray<Metrics.Histogram> latency;
    private final AtomicReferenceArray<Metrics.Counter> byStatus;
    private final Metrics.Counter[] bytesIn;
    private final Metrics.Counter[] bytesOut;
    final Metrics.Gauge inFlight;
    final Metrics.Gauge uploadsInProgress;

    HttpMetrics(Metrics metrics) {
        for (Route r : ROUTES) {
            routeNames[r.ordinal()] = r.name().toLowerCase(Locale.ROOT);
        }
        routeNames[NO_ROUTE] = "none";
        requests = metrics.counter("berth_http_requests_total",
                "HTTP requests answered, by route (none: no route matched), method and status.",
                "route", "method", "status");
        duration = metrics.histogram("berth_http_request_duration_seconds",
                "Time from a request's arrival to the last byte of its answer handed to the kernel, in seconds.",
                Metrics.LATENCY_BUCKETS, "route", "method");
        Metrics.CounterFamily in = metrics.counter("berth_http_request_bytes_total",
                "Request body bytes received, by route.", "route");
        Metrics.CounterFamily out = metrics.counter("berth_http_response_bytes_total",
                "Response body bytes sent, by route.", "route");
        int cells = routeNames.length * METHODS.length;
        latency = new AtomicReferenceArray<>(cells);
        byStatus = new AtomicReferenceArray<>(cells * MAX_STATUS);
        bytesIn = new Metrics.Counter[routeNames.length];
        bytesOut = new Metrics.Counter[routeNames.length];
        for (int r = 0; r < routeNames.length; r++) {
            bytesIn[r] = in.labels(routeNames[r]);
            bytesOut[r] = out.labels(routeNames[r]);
        }
        inFlight = metrics.gauge("berth_http_requests_in_flight", "HTTP requests being answered right now.").get();
        uploadsInProgress = metrics.gauge("berth_uploads_in_progress",
                "Blob upload requests (POST, PATCH, PUT of upload sessions) being received right now.").get();
        metrics.counterCallback("berth_accesslog_dropped_total",
                "Access-log lines dropped because stderr did not take them fast enough.", AccessLog::dropped);
    }

    /**
     * @param route the {@link Route} matched, or anything else (null) when none did
     */
    void record(Object route, Route.Method method, int status, long in, long out, long durationNanos) {
        int r = route instanceof Route known ? known.ordinal() : NO_ROUTE;
        int cell = r * METHODS.length + method.ordinal();
        Metrics.Histogram h = latency.get(cell);
        if (h == null) {
            h = duration.labels(routeNames[r], method.name());
            latency.compareAndSet(cell, null, h);
        }
        h.observeNanos(durationNanos);
        int s = status >= 100 && status < MAX_STATUS ? status : 0;
        int statusCell = cell * MAX_STATUS + s;
        Metrics.Counter c = byStatus.get(statusCell);
        if (c == null) {
            c = requests.labels(routeNames[r], method.name(), Integer.toString(s));
            byStatus.compareAndSet(statusCell, null, c);
        }
        c.inc();
        if (in > 0) {
            bytesIn[r].add(in);
        }
        if (out > 0) {
            bytesOut[r].add(out);
        }
    }
}
