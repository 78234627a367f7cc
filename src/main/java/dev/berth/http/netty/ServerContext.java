package dev.berth.http.netty;

import dev.berth.api.telemetry.Tracer;

/** What every connection of one server shares: its metrics, access log, tracer, and whether it is draining. */
final class ServerContext {

    final HttpMetrics metrics;
    final AccessLog accessLog;
    final Tracer tracer;
    /** Set once when the server starts shutting down: answers close their connection instead of keeping it. */
    volatile boolean draining;

    ServerContext(HttpMetrics metrics, AccessLog accessLog, Tracer tracer) {
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.tracer = tracer;
    }
}
