package dev.berth.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Everything a run is told: where, what, how much, and for how long at most.
 *
 * @param target          the registry measured
 * @param baseline        the registry compared with, or null
 * @param fileServer      a static file server whose document root is the target's storage root (nginx), or null
 * @param scenarios       which steps to run, in {@link #ALL_SCENARIOS} order
 * @param blobSize        the large blob pushed and pulled
 * @param chunkSize       the chunk size of the chunked push
 * @param connections     connections of the HEAD and GET manifest loops
 * @param clientThreads   threads of the load generator
 * @param duration        how long each load loop measures
 * @param warmup          how long each load loop runs before it measures
 * @param headHttp10      HEAD loop in HTTP/1.0 with keep-alive (as ab -k) instead of HTTP/1.1
 * @param ab              the ab executable for the HEAD cross-check, or null to skip it
 * @param smallWorkers    workers pushing small blobs
 * @param smallCount      small blobs pushed at most
 * @param smallSize       size of a small blob
 * @param smallTime       time limit of the small-blob loop
 * @param layers          layers of the end-to-end image
 * @param layerSize       size of each layer
 * @param parallel        concurrent blob transfers of the image push and pull (docker's default is 3)
 * @param tags            tags filled into one repository
 * @param repos           repositories filled for the catalog
 * @param pageSize        {@code n} of tag and catalog paging
 * @param listConcurrency connections of the tag-list loop
 * @param listDuration    duration of the tag-list loop and of each paging walk
 * @param rounds          rounds; each measures every figure on both registries, alternating which goes first
 * @param warmupPass      one unmeasured pass of small sizes on each registry before the first round
 * @param verify          hash every pulled byte and compare (costs client CPU during pulls)
 * @param requestTimeout  no single request may take longer
 * @param maxTime         the whole run stops starting steps after this
 * @param waitIdle        before each step, wait up to this long until other processes use under 0.15 cores
 *                        (a shared machine); zero: do not wait
 * @param dropCaches      at the start of each round, write dirty data back and drop the clean page cache (root,
 *                        local registries only), so pushes start with free memory instead of reclaiming cache
 * @param runId           names the repositories of this run ({@code bench/<runId>/...})
 * @param json            where to write the JSON report ({@code -} for stdout), or null
 */
public record BenchOptions(Target target, Target baseline, Target fileServer, List<String> scenarios,
                           long blobSize, long chunkSize, int connections, int clientThreads, Duration duration,
                           Duration warmup, boolean headHttp10, String ab, int smallWorkers, int smallCount,
                           long smallSize, Duration smallTime, int layers, long layerSize, int parallel, int tags,
                           int repos, int pageSize, int listConcurrency, Duration listDuration, int rounds,
                           boolean warmupPass, boolean verify, Duration requestTimeout, Duration maxTime,
                           Duration waitIdle, boolean dropCaches, String runId, Path json) {

    /** Every step, in the order a round runs them. */
    public static final List<String> ALL_SCENARIOS = List.of("push", "push-chunked", "pull", "pull-range", "head",
            "head-ab", "manifest", "small", "image", "tags", "catalog");

    public BenchOptions {
        scenarios = List.copyOf(scenarios);
        for (String s : scenarios) {
            if (!ALL_SCENARIOS.contains(s)) {
                throw new IllegalArgumentException("unknown step '" + s + "'; steps: " + String.join(", ",
                        ALL_SCENARIOS));
            }
        }
        positive("--blob-size", blobSize);
        positive("--chunk-size", chunkSize);
        positive("--connections", connections);
        positive("--client-threads", clientThreads);
        positive("--small-workers", smallWorkers);
        positive("--small-count", smallCount);
        positive("--small-size", smallSize);
        positive("--layers", layers);
        positive("--layer-size", layerSize);
        positive("--parallel", parallel);
        positive("--tags", tags);
        positive("--repos", repos);
        positive("--page-size", pageSize);
        positive("--list-concurrency", listConcurrency);
        positive("--rounds", rounds);
        if (blobSize < 4) {
            throw new IllegalArgumentException("--blob-size must be at least 4 bytes");
        }
        if (smallSize > 64 * Units.MIB) {
            throw new IllegalArgumentException("--small-size must be at most 64 MiB");
        }
        if (!runId.matches("[a-z0-9]+")) {
            throw new IllegalArgumentException("--run-id must be lower-case letters and digits");
        }
    }

    private static void positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }

    boolean runs(String scenario) {
        return scenarios.contains(scenario);
    }

    Set<String> scenarioSet() {
        return Set.copyOf(scenarios);
    }
}
