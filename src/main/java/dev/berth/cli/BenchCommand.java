package dev.berth.cli;

import dev.berth.bench.AbDriver;
import dev.berth.bench.Bench;
import dev.berth.bench.BenchOptions;
import dev.berth.bench.Report;
import dev.berth.bench.Startup;
import dev.berth.bench.Target;
import dev.berth.bench.Units;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code berth bench}: drives any OCI registry (and optionally a baseline, in alternation) and prints a table of
 * what it measured; {@code berth bench startup}: how long a server command takes to answer {@code GET /v2/}.
 * Exit codes: 0 every step ran, 1 a step failed, 2 bad usage.
 */
@Command(name = "bench",
        description = {"Benchmark an OCI registry, optionally against a baseline measured in alternation.",
                "Pushes and pulls a large blob (monolithic, chunked, Range), drives HEAD blob and GET manifest at "
                        + "a fixed concurrency for a fixed time, pushes many small blobs, pushes and pulls an image, "
                        + "fills and pages tag lists and the catalog, and samples the servers' resident memory. "
                        + "Every loop is bounded in count and time; only the URLs given are contacted, and only "
                        + "loopback addresses unless --allow-remote.",
                "Steps: " + "push, push-chunked, pull, pull-range, head, head-ab, manifest, small, image, tags, "
                        + "catalog."},
        subcommands = {BenchCommand.StartupCommand.class},
        sortOptions = false)
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--target", paramLabel = "URL", description = "The registry measured: http://HOST:PORT.")
    String target;

    @Option(names = "--baseline", paramLabel = "URL",
            description = "A registry to compare with; every figure is measured on both, alternating.")
    String baseline;

    @Option(names = "--target-pid", paramLabel = "PID", description = "The target server's PID: its peak RSS "
            + "(VmHWM) and largest sampled VmRSS are reported.")
    long targetPid;

    @Option(names = "--baseline-pid", paramLabel = "PID", description = "The baseline server's PID.")
    long baselinePid;

    @Option(names = "--file-server", paramLabel = "URL", description = "A static file server (nginx) whose document "
            + "root is the target's storage root directory: the pulled blob's file is pulled from it too, for "
            + "comparison.")
    String fileServer;

    @Option(names = "--only", paramLabel = "STEPS", split = ",", description = "Run only these steps.")
    List<String> only;

    @Option(names = "--skip", paramLabel = "STEPS", split = ",", description = "Skip these steps.")
    List<String> skip;

    @Option(names = "--blob-size", paramLabel = "SIZE", defaultValue = "1GiB",
            description = "Size of the large blob (default: ${DEFAULT-VALUE}).")
    String blobSize;

    @Option(names = "--chunk-size", paramLabel = "SIZE", defaultValue = "16MiB",
            description = "Chunk size of the chunked push (default: ${DEFAULT-VALUE}).")
    String chunkSize;

    @Option(names = "--connections", paramLabel = "N", defaultValue = "64",
            description = "Connections of the HEAD and GET manifest loops (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--client-threads", paramLabel = "N", defaultValue = "1",
            description = "Threads of the load generator (default: ${DEFAULT-VALUE}).")
    int clientThreads;

    @Option(names = "--duration", paramLabel = "TIME", defaultValue = "10s",
            description = "How long each load loop measures (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--warmup", paramLabel = "TIME", defaultValue = "2s",
            description = "Unmeasured time before each load loop (default: ${DEFAULT-VALUE}).")
    String warmup;

    @Option(names = "--head-http10", description = "Send the HEAD loop as HTTP/1.0 with keep-alive, as ab -k does.")
    boolean headHttp10;

    @Option(names = "--ab", paramLabel = "PATH", defaultValue = "ab",
            description = "ApacheBench for the head-ab cross-check, or 'none' (default: ${DEFAULT-VALUE}; skipped "
                    + "when not installed).")
    String ab;

    @Option(names = "--small-workers", paramLabel = "N", defaultValue = "16",
            description = "Workers pushing small blobs (default: ${DEFAULT-VALUE}).")
    int smallWorkers;

    @Option(names = "--small-count", paramLabel = "N", defaultValue = "5000",
            description = "Small blobs pushed at most per round (default: ${DEFAULT-VALUE}).")
    int smallCount;

    @Option(names = "--small-size", paramLabel = "SIZE", defaultValue = "4KiB",
            description = "Size of a small blob (default: ${DEFAULT-VALUE}).")
    String smallSize;

    @Option(names = "--small-time", paramLabel = "TIME", defaultValue = "30s",
            description = "Time limit of the small-blob loop (default: ${DEFAULT-VALUE}).")
    String smallTime;

    @Option(names = "--layers", paramLabel = "N", defaultValue = "4",
            description = "Layers of the end-to-end image (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--layer-size", paramLabel = "SIZE", defaultValue = "32MiB",
            description = "Size of each layer (default: ${DEFAULT-VALUE}).")
    String layerSize;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "3",
            description = "Concurrent blob transfers of the image push and pull (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--tags", paramLabel = "N", defaultValue = "1000",
            description = "Tags filled into one repository (default: ${DEFAULT-VALUE}).")
    int tags;

    @Option(names = "--repos", paramLabel = "N", defaultValue = "300",
            description = "Repositories filled for the catalog (default: ${DEFAULT-VALUE}).")
    int repos;

    @Option(names = "--page-size", paramLabel = "N", defaultValue = "100",
            description = "n of tag and catalog paging (default: ${DEFAULT-VALUE}).")
    int pageSize;

    @Option(names = "--list-concurrency", paramLabel = "N", defaultValue = "8",
            description = "Connections of the tag-list loop (default: ${DEFAULT-VALUE}).")
    int listConcurrency;

    @Option(names = "--list-duration", paramLabel = "TIME", defaultValue = "5s",
            description = "Duration of the tag-list loop and of each paging walk (default: ${DEFAULT-VALUE}).")
    String listDuration;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "1",
            description = "Rounds; the table shows medians (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--no-warmup", description = "Skip the unmeasured warm-up pass.")
    boolean noWarmup;

    @Option(names = "--verify", description = "Hash every pulled byte of the large blob and compare.")
    boolean verify;

    @Option(names = "--request-timeout", paramLabel = "TIME", defaultValue = "300s",
            description = "Longest any single request may take (default: ${DEFAULT-VALUE}).")
    String requestTimeout;

    @Option(names = "--max-time", paramLabel = "TIME", defaultValue = "30m",
            description = "No step starts after this (default: ${DEFAULT-VALUE}).")
    String maxTime;

    @Option(names = "--wait-idle", paramLabel = "TIME", defaultValue = "0s",
            description = "Before each step, wait up to this long for other processes to use under 0.15 cores "
                    + "and for the page cache's dirty data to be written back below 128 MiB "
                    + "(for a shared machine; default: ${DEFAULT-VALUE}, do not wait).")
    String waitIdle;

    @Option(names = "--drop-caches",
            description = "At the start of each round that pushes, sync and drop the kernel's clean page cache "
                    + "(needs root; the registries must run on this machine), so pushes start with free memory "
                    + "rather than reclaiming cache left by earlier rounds.")
    boolean dropCaches;

    @Option(names = "--run-id", paramLabel = "ID",
            description = "Names this run's repositories, bench/ID/... (default: random).")
    String runId;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON ('-': stdout, "
            + "instead of the table).")
    Path json;

    @Option(names = "--allow-remote", description = "Allow non-loopback URLs.")
    boolean allowRemote;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    public BenchCommand() {
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BenchOptions options;
        try {
            options = options();
        } catch (IllegalArgumentException e) {
            err.println("berth bench: " + e.getMessage());
            err.flush();
            return Main.EXIT_CONFIG;
        }
        Report report;
        try {
            report = Bench.run(options, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("berth bench: interrupted");
            err.flush();
            return 1;
        } catch (RuntimeException e) {
            err.println("berth bench: " + e.getMessage());
            err.flush();
            return 1;
        }
        String table = Bench.table(report, options);
        String jsonText = Bench.json(report);
        if (json != null && json.toString().equals("-")) {
            out.println(jsonText);
            err.println();
            err.print(table);
        } else {
            out.print(table);
            if (json != null) {
                try {
                    Files.writeString(json, jsonText + "\n", StandardCharsets.UTF_8);
                } catch (IOException e) {
                    err.println("berth bench: cannot write " + json + ": " + e.getMessage());
                    err.flush();
                    return 1;
                }
            }
        }
        out.flush();
        err.flush();
        return report.failures().isEmpty() ? 0 : 1;
    }

    BenchOptions options() {
        if (target == null) {
            throw new IllegalArgumentException("--target URL is required");
        }
        Target t = Target.parse("--target", target, targetPid, allowRemote);
        Target b = baseline == null ? null : Target.parse("--baseline", baseline, baselinePid, allowRemote);
        Target f = fileServer == null ? null : Target.parse("--file-server", fileServer, 0, allowRemote);
        if (dropCaches && (allowRemote || !java.nio.file.Files.isWritable(java.nio.file.Path.of(
                "/proc/sys/vm/drop_caches")))) {
            throw new IllegalArgumentException("--drop-caches needs root and registries on this machine "
                    + "(not with --allow-remote)");
        }
        List<String> steps = new ArrayList<>(only == null ? BenchOptions.ALL_SCENARIOS : only);
        for (String s : steps) {
            if (!BenchOptions.ALL_SCENARIOS.contains(s)) {
                throw new IllegalArgumentException("unknown step '" + s + "'; steps: "
                        + String.join(", ", BenchOptions.ALL_SCENARIOS));
            }
        }
        if (skip != null) {
            for (String s : skip) {
                if (!BenchOptions.ALL_SCENARIOS.contains(s)) {
                    throw new IllegalArgumentException("unknown step '" + s + "'; steps: "
                            + String.join(", ", BenchOptions.ALL_SCENARIOS));
                }
            }
            steps.removeAll(skip);
        }
        String abPath = ab == null || ab.equals("none") ? null : ab;
        if (abPath != null && steps.contains("head-ab") && !AbDriver.available(abPath)) {
            spec.commandLine().getErr().println("berth bench: '" + abPath + "' cannot be run: head-ab is skipped "
                    + "(apt-get install apache2-utils)");
            abPath = null;
        }
        if (abPath == null) {
            steps.remove("head-ab");
        }
        String id = runId != null ? runId.toLowerCase(Locale.ROOT)
                : HexFormat.of().formatHex(longBytes(ThreadLocalRandom.current().nextLong())).substring(0, 8);
        return new BenchOptions(t, b, f, steps, Units.parseSize(blobSize), Units.parseSize(chunkSize), connections,
                clientThreads, Units.parseDuration(duration), Units.parseDuration(warmup), headHttp10, abPath,
                smallWorkers, smallCount, Units.parseSize(smallSize), Units.parseDuration(smallTime), layers,
                Units.parseSize(layerSize), parallel, tags, repos, pageSize, listConcurrency,
                Units.parseDuration(listDuration), rounds, !noWarmup, verify, Units.parseDuration(requestTimeout),
                Units.parseDuration(maxTime), Units.parseDuration(waitIdle), dropCaches, id, json);
    }

    private static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 7; i >= 0; i--) {
            b[i] = (byte) v;
            v >>>= 8;
        }
        return b;
    }

    /** {@code berth bench startup --url URL -- COMMAND...}. */
    @Command(name = "startup",
            description = {"Measure how long a server command takes to answer GET /v2/: launch it, poll every 5 ms, "
                    + "stop it (SIGTERM), repeat.",
                    "Example: berth bench startup --url http://127.0.0.1:5053 -- env BERTH_HTTP_ADDR=127.0.0.1:5053 "
                            + "./berth serve"},
            sortOptions = false)
    static final class StartupCommand implements Callable<Integer> {

        @Option(names = "--url", paramLabel = "URL", required = true,
                description = "Where the server will listen: http://HOST:PORT (loopback).")
        String url;

        @Option(names = "--runs", paramLabel = "N", defaultValue = "5",
                description = "Launches (default: ${DEFAULT-VALUE}).")
        int runs;

        @Option(names = "--timeout", paramLabel = "TIME", defaultValue = "60s",
                description = "Longest wait for an answer per launch (default: ${DEFAULT-VALUE}).")
        String timeout;

        @Option(names = "--output", paramLabel = "FILE",
                description = "Append the server's output here (default: discarded).")
        Path output;

        @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The server command and its arguments.")
        List<String> command;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Target t;
            try {
                t = Target.parse("--url", url, 0, false);
                if (runs <= 0) {
                    throw new IllegalArgumentException("--runs must be positive");
                }
            } catch (IllegalArgumentException e) {
                err.println("berth bench startup: " + e.getMessage());
                err.flush();
                return Main.EXIT_CONFIG;
            }
            try {
                Startup.Result r = Startup.measure(command, t, runs, Units.parseDuration(timeout), output, err);
                out.printf(Locale.ROOT, "start-up to first 200 on GET /v2/ over %d runs: median %.0f ms, max %.0f ms"
                        + " (each: %s)%n", r.millis().size(), r.median(), r.max(),
                        String.join(", ", r.millis().stream().map(m -> String.format(Locale.ROOT, "%.0f", m))
                                .toList()));
                out.flush();
                return 0;
            } catch (IOException e) {
                err.println("berth bench startup: " + e.getMessage());
                err.flush();
                return 1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
    }
}
