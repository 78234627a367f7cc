package dev.berth.registry.gc;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How garbage collection runs: on a schedule or not, how long content is protected after it was written or last
 * confirmed, whether manifests that lost their last tag are removed, and the retention policies applied first.
 *
 * @param enabled        whether the server collects in the background
 * @param interval       time between background collections (the first one starts {@link #firstRunDelay()} after
 *                       start)
 * @param gracePeriod    nothing recorded, linked, confirmed or written more recently than this is removed; a push
 *                       in progress (its blobs exist before its manifest) is never broken while it takes less
 * @param deleteUntagged whether manifests no tag points to (and no index lists) are removed, with what only they
 *                       needed
 * @param retention      tag retention policies; the first whose repository pattern matches applies
 */
public record GcSettings(boolean enabled, Duration interval, Duration gracePeriod, boolean deleteUntagged,
                         List<RetentionPolicy> retention) {

    public static final Duration DEFAULT_INTERVAL = Duration.ofHours(24);
    public static final Duration DEFAULT_GRACE_PERIOD = Duration.ofHours(6);

    public GcSettings {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(gracePeriod, "gracePeriod");
        retention = List.copyOf(Objects.requireNonNull(retention, "retention"));
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("gc interval must be positive");
        }
        if (gracePeriod.isNegative()) {
            throw new IllegalArgumentException("gc grace period must not be negative");
        }
    }

    /** Background collection every 24h, 6h grace period, untagged manifests kept, no retention policies. */
    public static GcSettings defaults() {
        return new GcSettings(true, DEFAULT_INTERVAL, DEFAULT_GRACE_PERIOD, false, List.of());
    }

    /** The first background collection: an hour after start, or one interval if that is shorter. */
    public Duration firstRunDelay() {
        return interval.compareTo(Duration.ofHours(1)) < 0 ? interval : Duration.ofHours(1);
    }

    /**
     * How old a blob link must be before a HEAD or GET of the blob confirms it (see {@code Blobs}): half the grace
     * period, at most an hour and at least a minute, so a client that found a layer has at least that long to refer
     * to it, and a link costs at most one write per that time.
     */
    public Duration linkConfirmationAge() {
        Duration half = gracePeriod.dividedBy(2);
        if (half.compareTo(Duration.ofMinutes(1)) < 0) {
            return Duration.ofMinutes(1);
        }
        return half.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : half;
    }

    public GcSettings withGracePeriod(Duration grace) {
        return new GcSettings(enabled, interval, grace, deleteUntagged, retention);
    }

    public GcSettings withDeleteUntagged(boolean delete) {
        return new GcSettings(enabled, interval, gracePeriod, delete, retention);
    }

    public GcSettings withRetention(List<RetentionPolicy> policies) {
        return new GcSettings(enabled, interval, gracePeriod, deleteUntagged, policies);
    }

    public GcSettings withEnabled(boolean on) {
        return new GcSettings(on, interval, gracePeriod, deleteUntagged, retention);
    }
}
