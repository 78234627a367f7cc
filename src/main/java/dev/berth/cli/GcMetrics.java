package dev.berth.cli;

import dev.berth.api.telemetry.Metrics;
import dev.berth.registry.gc.GcReport;

/**
 * The garbage collector's metrics: runs by result, bytes freed, items deleted by kind, when the last collection
 * succeeded. Registered with every server (at zero until a collection runs); whoever runs collections reports each
 * one here ({@link #ran}, {@link #skipped}, {@link #failed}). A dry run changes nothing, so it counts as a run and
 * frees nothing.
 */
public final class GcMetrics {

    private final Metrics.CounterFamily runs;
    private final Metrics.Counter bytesFreed;
    private final Metrics.CounterFamily deleted;
    private final Metrics.Gauge lastSuccess;

    public GcMetrics(Metrics metrics) {
        runs = metrics.counter("berth_gc_runs_total",
                "Garbage collections by result: ok, failed, skipped (another node held the lease).", "result");
        bytesFreed = metrics.counter("berth_gc_bytes_freed_total", "Storage bytes freed by garbage collection.").get();
        deleted = metrics.counter("berth_gc_deleted_total", "Items deleted by garbage collection, by kind.", "kind");
        lastSuccess = metrics.gauge("berth_gc_last_success_timestamp_seconds",
                "When the last garbage collection finished without failure, in seconds since the Unix epoch.").get();
        for (String r : new String[] {"ok", "failed", "skipped"}) {
            runs.labels(r);
        }
    }

    /** A collection finished (a dry run frees nothing). */
    public void ran(GcReport report) {
        runs.labels(report.failed() > 0 ? "failed" : "ok").inc();
        if (report.dryRun()) {
            return;
        }
        bytesFreed.add(report.bytes());
        deleted.labels("tags").add(report.tags());
        deleted.labels("manifests").add(report.manifests());
        deleted.labels("links").add(report.links());
        deleted.labels("blobs").add(report.blobs());
        deleted.labels("contents").add(report.contents());
        deleted.labels("uploads").add(report.uploads());
        if (report.failed() == 0) {
            lastSuccess.set(System.currentTimeMillis() / 1000);
        }
    }

    /** Another node was collecting. */
    public void skipped() {
        runs.labels("skipped").inc();
    }

    /** A collection failed with an exception. */
    public void failed() {
        runs.labels("failed").inc();
    }
}
