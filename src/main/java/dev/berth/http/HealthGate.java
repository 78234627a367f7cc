package dev.berth.http;

/**
 * Distribution's health gate ({@code health.storagedriver}): while a periodic check of the storage driver fails,
 * every API request is answered 503 UNAVAILABLE ("health check failed: please see /debug/health"), so a load
 * balancer sends clients elsewhere. Open (passing everything) until a check fails.
 */
public final class HealthGate {

    private volatile String failure;

    /** Why requests are refused, or null while they are not. */
    public String failure() {
        return failure;
    }

    public void fail(String why) {
        this.failure = why == null ? "failed" : why;
    }

    public void pass() {
        this.failure = null;
    }
}
