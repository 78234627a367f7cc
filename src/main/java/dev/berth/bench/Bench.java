package dev.berth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static dev.berth.bench.Report.Better.HIGHER;
import static dev.berth.bench.Report.Better.LOWER;

/**
 * Runs the benchmark: every step on the target and (when given) the baseline, one after the other, alternating
 * which registry goes first from round to round, so both see the same machine state. Every loop is bounded in
 * count and in time; every request has a time-out; only the URLs given are contacted.
 */
public final class Bench {

    static final Report.Metric PUSH = new Report.Metric("push.monolithic", "push blob, monolithic (POST+PUT)",
            "MiB/s", HIGHER, 0);
    static final Report.Metric PUSH_CHUNKED = new Report.Metric("push.chunked", "push blob, chunked (PATCH)",
            "MiB/s", HIGHER, 0);
    static final Report.Metric PULL = new Report.Metric("pull", "pull blob", "MiB/s", HIGHER, 0);
    static final Report.Metric PULL_RANGE = new Report.Metric("pull.range", "pull Range (middle half)", "MiB/s",
            HIGHER, 0);
    static final Report.Metric HEAD_RPS = new Report.Metric("head.rps", "HEAD blob", "req/s", HIGHER, 0);
    static final Report.Metric HEAD_P50 = new Report.Metric("head.p50", "HEAD blob p50", "ms", LOWER, 3);
    static final Report.Metric HEAD_P99 = new Report.Metric("head.p99", "HEAD blob p99", "ms", LOWER, 3);
    static final Report.Metric AB_RPS = new Report.Metric("head.ab.rps", "HEAD blob, ab -k (HTTP/1.0)", "req/s",
            HIGHER, 0);
    static final Report.Metric AB_P50 = new Report.Metric("head.ab.p50", "HEAD blob, ab -k p50", "ms", LOWER, 0);
    static final Report.Metric AB_P99 = new Report.Metric("head.ab.p99", "HEAD blob, ab -k p99", "ms", LOWER, 0);
    static final Report.Metric MANIFEST_RPS = new Report.Metric("manifest.rps", "GET manifest by tag", "req/s",
            HIGHER, 0);
    static final Report.Metric MANIFEST_P50 = new Report.Metric("manifest.p50", "GET manifest by tag p50", "ms",
            LOWER, 3);
    static final Report.Metric MANIFEST_P99 = new Report.Metric("manifest.p99", "GET manifest by tag p99", "ms",
            LOWER, 3);
    static final Report.Metric SMALL = new Report.Metric("small.rate", "push small blobs (POST+PUT)", "blobs/s",
            HIGHER, 0);
    static final Report.Metric SMALL_P50 = new Report.Metric("small.p50", "push small blob p50", "ms", LOWER, 3);
    static final Report.Metric SMALL_P99 = new Report.Metric("small.p99", "push small blob p99", "ms", LOWER, 3);
    static final Report.Metric IMAGE_PUSH = new Report.Metric("image.push", "image push (layers, config, manifest)",
            "s", LOWER, 3);
    static final Report.Metric IMAGE_PULL = new Report.Metric("image.pull", "image pull, digests verified", "s",
            LOWER, 3);
    static final Report.Metric TAGS_LIST = new Report.Metric("tags.list", "GET tags/list (all tags)", "req/s",
            HIGHER, 0);
    static final Report.Metric TAGS_PAGES = new Report.Metric("tags.paging", "list every tag, paging with n",
            "ms", LOWER, 2);
    static final Report.Metric CATALOG_PAGES = new Report.Metric("catalog.paging",
            "list every repository, _catalog paging with n", "ms", LOWER, 2);
    static final Report.Metric RSS_PEAK = new Report.Metric("rss.peak", "server peak RSS (VmHWM)", "MiB", LOWER, 1);
    static final Report.Metric RSS_MAX = new Report.Metric("rss.sampled", "server largest RSS sampled", "MiB",
            LOWER, 1);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BenchOptions o;
    private final PrintWriter log;
    private final Report report = new Report();
    private final long deadline;
    private final Map<Report.Side, State> states = new LinkedHashMap<>();
    private final Map<Long, String> digests = new ConcurrentHashMap<>();

    /** What the run has put into one registry so far. */
    private static final class State {
        final Target target;
        String bigDigest;
        long bigSeed;
        boolean hot;
        String hotBlob;
        boolean tagsFilled;
        boolean reposFilled;
        RssSampler rss;

        State(Target target) {
            this.target = target;
        }
    }

    private Bench(BenchOptions options, PrintWriter log) {
        this.o = options;
        this.log = log;
        this.deadline = System.nanoTime() + options.maxTime().toNanos();
        states.put(Report.Side.TARGET, new State(options.target()));
        if (options.baseline() != null) {
            states.put(Report.Side.BASELINE, new State(options.baseline()));
        }
    }

    /** Runs the benchmark, logging progress to {@code log}; the report. */
    public static Report run(BenchOptions options, PrintWriter log) throws InterruptedException {
        return new Bench(options, log).run();
    }

    /** The report as a table (Markdown). */
    public static String table(Report report, BenchOptions o) {
        return report.table(o.baseline() != null, "target", "baseline");
    }

    public static String json(Report report) {
        return report.json("target", "baseline");
    }

    public static List<String> failures(Report report) {
        return report.failures();
    }

    private Report run() throws InterruptedException {
        describeContext();
        for (State s : states.values()) {
            if (s.target.pid() > 0) {
                s.rss = new RssSampler(s.target.pid());
            }
        }
        try {
            for (State s : states.values()) {
                checkReachable(s);
            }
            if (o.warmupPass()) {
                warmupPass();
            }
            for (int round = 0; round < o.rounds(); round++) {
                List<Report.Side> order = new ArrayList<>(states.keySet());
                if (round % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                if (o.dropCaches() && o.runs("push")) {
                    dropCaches();   // the round's monolithic push is also the blob its pulls read, cached again
                }
                for (String scenario : BenchOptions.ALL_SCENARIOS) {
                    if (!o.runs(scenario)) {
                        continue;
                    }
                    for (Report.Side side : order) {
                        if (System.nanoTime() - deadline > 0) {
                            report.failure("--max-time reached: " + scenario + " on " + side + " and later steps"
                                    + " were not run");
                            return report;
                        }
                        step(round, scenario, side);
                    }
                }
            }
        } finally {
            if (!fileServerRates.isEmpty()) {
                double target = report.median(PULL.id(), Report.Side.TARGET);
                double fs = Report.median(fileServerRates);
                report.comparison("pull.fileserver", String.format(Locale.ROOT, "pull %s, the same file: target"
                                + " %.0f MiB/s, file server %s %.0f MiB/s: the target reaches %.0f%% of the file "
                                + "server", Units.size(o.blobSize()), target, o.fileServer().url(), fs,
                        100 * target / fs), target, fs, "fileServer");
            }
            for (Map.Entry<Report.Side, State> e : states.entrySet()) {
                RssSampler rss = e.getValue().rss;
                if (rss != null) {
                    rss.close();
                    if (rss.problem() != null && rss.peakMib() == 0) {
                        report.failure(e.getKey() + ": " + rss.problem());
                    } else {
                        report.add(RSS_PEAK, e.getKey(), rss.peakMib());
                        report.add(RSS_MAX, e.getKey(), rss.maxRssMib());
                        report.note(RSS_PEAK, e.getKey(), "pid " + e.getValue().target.pid());
                    }
                }
            }
        }
        return report;
    }

    private void describeContext() {
        report.context("target", o.target().url().toString());
        if (o.baseline() != null) {
            report.context("baseline", o.baseline().url().toString());
        }
        report.context("machine", machine());
        report.context("client", "berth bench, Java " + Runtime.version() + ", " + o.clientThreads()
                + " load thread(s)");
        report.context("settings", "blob " + Units.size(o.blobSize()) + ", chunks " + Units.size(o.chunkSize())
                + ", " + o.connections() + " connections x " + Units.duration(o.duration()) + " (after "
                + Units.duration(o.warmup()) + " warm-up), " + o.smallWorkers() + " workers x "
                + Units.size(o.smallSize()) + " blobs, image " + o.layers() + " x " + Units.size(o.layerSize())
                + ", " + o.tags() + " tags, " + o.repos() + " repositories, pages of " + o.pageSize() + ", "
                + o.rounds() + " round(s)" + (o.rounds() > 1 ? " (median, min-max)" : ""));
        report.context("repositories", "bench/" + o.runId() + "/...");
        report.context("ratio", "how many times better the target is (target/baseline for rates, "
                + "baseline/target for times and sizes)");
    }

    static String machine() {
        String cpu = "";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).strip();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            cpu = "?";
        }
        long memKib = 0;
        try {
            memKib = RssSampler.field(Files.readString(Path.of("/proc/meminfo")), "MemTotal:");
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return Runtime.getRuntime().availableProcessors() + " CPUs (" + cpu + "), "
                + (memKib > 0 ? (memKib / 1024 / 1024) + " GiB RAM, " : "")
                + System.getProperty("os.name") + " " + System.getProperty("os.version");
    }

    private void checkReachable(State s) {
        try (OciClient c = client(s.target)) {
            HttpConn.Response r = c.getText("/v2/");
            if (r.status() != 200 && r.status() != 401) {
                throw new BenchException(s.target + ": GET /v2/ answered " + r.describe());
            }
        } catch (IOException e) {
            throw new BenchException(s.target + " is not reachable: " + e.getMessage(), e);
        }
    }

    // ---- steps ---------------------------------------------------------------------------------------------------

    private void step(int round, String scenario, Report.Side side) throws InterruptedException {
        State s = states.get(side);
        String where = "[round " + (round + 1) + "/" + o.rounds() + "] " + scenario + " on " + side.name()
                .toLowerCase(Locale.ROOT) + " " + s.target.url();
        log.println(where + " ...");
        log.flush();
        waitForIdle();
        long t0 = System.nanoTime();
        CpuMeter serverCpu = CpuMeter.of(s.target.pid());
        CpuMeter clientCpu = CpuMeter.self();
        CpuMeter machineCpu = CpuMeter.machine();
        try {
            switch (scenario) {
                case "push" -> push(s, side, round, false, o.blobSize());
                case "push-chunked" -> push(s, side, round, true, o.blobSize());
                case "pull" -> pull(s, side, round);
                case "pull-range" -> pullRange(s, side, round);
                case "head" -> head(s, side);
                case "head-ab" -> headAb(s, side);
                case "manifest" -> manifest(s, side);
                case "small" -> small(s, side, round);
                case "image" -> image(s, side, round);
                case "tags" -> tags(s, side);
                case "catalog" -> catalog(s, side);
                default -> throw new IllegalStateException(scenario);
            }
        } catch (IOException | RuntimeException e) {
            String msg = where + ": " + e;
            report.failure(msg);
            log.println("  FAILED: " + e.getMessage());
        }
        String cpu = CpuMeter.describe(serverCpu, clientCpu, machineCpu);
        log.printf(Locale.ROOT, "  done in %.1f s%s%n", (System.nanoTime() - t0) / 1e9, cpu.isEmpty() ? ""
                : " (" + cpu + ")");
        log.flush();
    }

    /**
     * Waits (up to {@link BenchOptions#waitIdle()}) until processes other than the registries and this client
     * use less than 0.15 cores over a second, and the kernel has written back what earlier steps left dirty in
     * the page cache (under {@link #DIRTY_QUIET_MIB}): a push that starts over gigabytes of dirty pages is throttled
     * to the disk's speed by the kernel, whichever registry it measures.
     */
    private void waitForIdle() throws InterruptedException {
        if (o.waitIdle().isZero()) {
            return;
        }
        long until = System.nanoTime() + o.waitIdle().toNanos();
        long t0 = System.nanoTime();
        double others;
        do {
            CpuMeter machine = CpuMeter.machine();
            CpuMeter self = CpuMeter.self();
            List<CpuMeter> servers = new ArrayList<>();
            for (State st : states.values()) {
                servers.add(CpuMeter.of(st.target.pid()));
            }
            Thread.sleep(1000);
            others = machine.cores() - Math.max(0, self.cores());
            for (CpuMeter m : servers) {
                others -= Math.max(0, m.cores());
            }
            if (others < 0.15) {
                break;
            }
        } while (System.nanoTime() - until < 0);
        long dirty;
        while ((dirty = dirtyMiB()) >= DIRTY_QUIET_MIB && System.nanoTime() - until < 0) {
            Thread.sleep(200);
        }
        double waited = (System.nanoTime() - t0) / 1e9;
        if (waited > 1.5) {
            log.printf(Locale.ROOT, "  waited %.0f s for other processes to calm down (now %.2f cores, %d MiB dirty)%n",
                    waited, Math.max(0, others), dirty);
        }
    }

    static final long DIRTY_QUIET_MIB = 128;

    /**
     * sync(1), then drop the clean page cache (not dentries and inodes), at the start of a round: its pushes start
     * with free memory, and what a round pushes stays cached for its pulls.
     */
    private void dropCaches() throws InterruptedException {
        try {
            Process sync = new ProcessBuilder("sync").inheritIO().start();
            if (!sync.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
                sync.destroyForcibly();
                throw new BenchException("sync did not finish within 120 s");
            }
            java.nio.file.Files.writeString(DROP_CACHES, "1");
        } catch (IOException e) {
            throw new BenchException("--drop-caches: cannot drop the page cache (" + e.getMessage()
                    + "); it needs root", e);
        }
    }

    private static final java.nio.file.Path DROP_CACHES = java.nio.file.Path.of("/proc/sys/vm/drop_caches");

    /** Dirty and under-writeback page cache, from {@code /proc/meminfo}; 0 where it cannot be read. */
    static long dirtyMiB() {
        try {
            long kib = 0;
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo"))) {
                if (line.startsWith("Dirty:") || line.startsWith("Writeback:")) {
                    kib += Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            return kib / 1024;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private OciClient client(Target t) {
        return new OciClient(t, o.requestTimeout());
    }

    private String repo(String what) {
        return "bench/" + o.runId() + "/" + what;
    }

    private long seed(String kind, int round) {
        return (o.runId() + "/" + kind + "/" + round).hashCode() * 0x9E3779B97F4A7C15L + round;
    }

    /** The digest of {@code size} bytes of the pattern with {@code seed}, computed once per run. */
    private String digestOf(long seed, long size) {
        return digests.computeIfAbsent(seed * 31 + size, k -> {
            MessageDigest md = sha256();
            new PatternSource(seed).hash(md, 0, size);
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        });
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] bytes) {
        return "sha256:" + HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static double mibPerSecond(long bytes, long nanos) {
        return bytes / (double) Units.MIB / (nanos / 1e9);
    }

    private void push(State s, Report.Side side, int round, boolean chunked, long size) throws IOException {
        long seed = seed(chunked ? "chunked" : "mono", round);
        String digest = digestOf(seed, size);
        PatternSource source = new PatternSource(seed);
        String repo = repo("big");
        try (OciClient c = client(s.target)) {
            CpuMeter serverCpu = CpuMeter.of(s.target.pid());
            CpuMeter clientCpu = CpuMeter.self();
            CpuMeter machineCpu = CpuMeter.machine();
            long t0 = System.nanoTime();
            String location = c.startUpload(repo);
            if (chunked) {
                for (long off = 0; off < size; off += o.chunkSize()) {
                    long len = Math.min(o.chunkSize(), size - off);
                    location = c.patch(location, off, HttpConn.Body.of(source, off, len));
                }
                c.finishUpload(location, digest, null);
            } else {
                c.finishUpload(location, digest, HttpConn.Body.of(source, 0, size));
            }
            long nanos = System.nanoTime() - t0;
            if (round >= 0) {
                report.add(chunked ? PUSH_CHUNKED : PUSH, side, mibPerSecond(size, nanos));
                CpuMeter.record(report, chunked ? PUSH_CHUNKED : PUSH, side, serverCpu, clientCpu, machineCpu);
                report.note(chunked ? PUSH_CHUNKED : PUSH, side, Units.size(size)
                        + (chunked ? " in " + Units.size(o.chunkSize()) + " chunks" : ""));
                log.printf(Locale.ROOT, "  %s %s in %.2f s: %.0f MiB/s%n", chunked ? "chunked" : "monolithic",
                        Units.size(size), nanos / 1e9, mibPerSecond(size, nanos));
            }
            if (!chunked) {
                s.bigDigest = digest;
                s.bigSeed = seed;
            }
        }
    }

    private void ensureBig(State s, Report.Side side, int round) throws IOException {
        if (s.bigDigest == null) {
            log.println("  (pushing the blob to pull first)");
            push(s, side, -1, false, o.blobSize());
        }
    }

    private void pull(State s, Report.Side side, int round) throws IOException {
        ensureBig(s, side, round);
        String repo = repo("big");
        MessageDigest md = o.verify() ? sha256() : null;
        try (OciClient c = client(s.target)) {
            CpuMeter serverCpu = CpuMeter.of(s.target.pid());
            CpuMeter clientCpu = CpuMeter.self();
            CpuMeter machineCpu = CpuMeter.machine();
            long t0 = System.nanoTime();
            HttpConn.Response r = c.getBlob(repo, s.bigDigest, null, md == null ? null : HttpConn.hashing(md));
            long nanos = System.nanoTime() - t0;
            CpuMeter.record(report, PULL, side, serverCpu, clientCpu, machineCpu);
            checkLength(r, o.blobSize());
            if (md != null) {
                checkDigest(md, s.bigDigest);
            }
            double rate = mibPerSecond(o.blobSize(), nanos);
            report.add(PULL, side, rate);
            report.note(PULL, side, Units.size(o.blobSize()) + (md != null ? ", verified" : ""));
            log.printf(Locale.ROOT, "  %s in %.2f s: %.0f MiB/s%n", Units.size(o.blobSize()), nanos / 1e9, rate);
        }
        if (side == Report.Side.TARGET && o.fileServer() != null) {
            fileServerPull(s);
        }
    }

    /** The same blob file, pulled from the static file server whose document root is the target's storage root. */
    private void fileServerPull(State s) throws IOException {
        String hex = s.bigDigest.substring("sha256:".length());
        String path = "/docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data";
        try (OciClient c = client(o.fileServer())) {
            long t0 = System.nanoTime();
            HttpConn.Response r = c.get(path, null);
            long nanos = System.nanoTime() - t0;
            checkLength(r, o.blobSize());
            double rate = mibPerSecond(o.blobSize(), nanos);
            fileServerRates.add(rate);
            log.printf(Locale.ROOT, "  file server %s%s: %.0f MiB/s%n", o.fileServer().url(), path, rate);
        }
    }

    private final List<Double> fileServerRates = new ArrayList<>();

    private void pullRange(State s, Report.Side side, int round) throws IOException {
        ensureBig(s, side, round);
        long from = o.blobSize() / 4;
        long to = o.blobSize() - o.blobSize() / 4 - 1;
        long length = to - from + 1;
        MessageDigest md = o.verify() ? sha256() : null;
        try (OciClient c = client(s.target)) {
            long t0 = System.nanoTime();
            HttpConn.Response r = c.getBlob(repo("big"), s.bigDigest, "bytes=" + from + "-" + to,
                    md == null ? null : HttpConn.hashing(md));
            long nanos = System.nanoTime() - t0;
            checkLength(r, length);
            String cr = r.header("content-range");
            if (cr == null || !cr.startsWith("bytes " + from + "-" + to + "/")) {
                throw new BenchException("Range answered with Content-Range " + cr);
            }
            if (md != null) {
                MessageDigest expected = sha256();
                new PatternSource(s.bigSeed).hash(expected, from, length);
                if (!MessageDigest.isEqual(expected.digest(), md.digest())) {
                    throw new BenchException("the range's bytes are not those pushed");
                }
            }
            double rate = mibPerSecond(length, nanos);
            report.add(PULL_RANGE, side, rate);
            report.note(PULL_RANGE, side, Units.size(length) + " at offset " + Units.size(from)
                    + (md != null ? ", verified" : ""));
            log.printf(Locale.ROOT, "  %s in %.2f s: %.0f MiB/s%n", Units.size(length), nanos / 1e9, rate);
        }
    }

    private static void checkLength(HttpConn.Response r, long expected) {
        if (r.bodyLength() != expected) {
            throw new BenchException("received " + r.bodyLength() + " bytes, expected " + expected);
        }
    }

    private static void checkDigest(MessageDigest md, String expected) {
        String actual = "sha256:" + HexFormat.of().formatHex(md.digest());
        if (!actual.equals(expected)) {
            throw new BenchException("pulled bytes hash to " + actual + ", expected " + expected);
        }
    }

    // ---- the hot repository: one small blob and one manifest, for HEAD and GET manifest -------------------------

    private static final String HOT_TAG = "latest";

    private void ensureHot(State s) throws IOException {
        if (s.hot) {
            return;
        }
        String repo = repo("hot");
        try (OciClient c = client(s.target)) {
            byte[] layer = new PatternSource(seed("hot", 0)).bytes(0, 4096);
            String layerDigest = sha256(layer);
            c.pushBlob(repo, layerDigest, HttpConn.Body.of(layer));
            byte[] config = configJson("hot");
            String configDigest = sha256(config);
            c.pushBlob(repo, configDigest, HttpConn.Body.of(config));
            byte[] manifest = manifestJson(configDigest, config.length, List.of(layerDigest),
                    List.of((long) layer.length));
            c.putManifest(repo, HOT_TAG, OciClient.OCI_MANIFEST, manifest);
            s.hotBlob = layerDigest;
            hotConfig = configDigest;
            hotConfigSize = config.length;
            hotLayerSize = layer.length;
        }
        s.hot = true;
    }

    private String hotConfig;
    private long hotConfigSize;
    private long hotLayerSize;

    static byte[] configJson(String id) {
        String json = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"bench\":\"" + id
                + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] manifestJson(String configDigest, long configSize, List<String> layers, List<Long> sizes) {
        StringBuilder b = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"").append(OciClient.OCI_MANIFEST)
                .append("\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"")
                .append(configDigest).append("\",\"size\":").append(configSize).append("},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"")
                    .append(layers.get(i)).append("\",\"size\":").append(sizes.get(i)).append('}');
        }
        return b.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private void head(State s, Report.Side side) throws IOException, InterruptedException {
        ensureHot(s);
        String path = "/v2/" + repo("hot") + "/blobs/" + s.hotBlob;
        String request = o.headHttp10()
                ? "HEAD " + path + " HTTP/1.0\r\nHost: " + hostHeader(s.target) + "\r\nConnection: keep-alive\r\n"
                + "User-Agent: berth-bench\r\nAccept: */*\r\n\r\n"
                : "HEAD " + path + " HTTP/1.1\r\nHost: " + hostHeader(s.target) + "\r\nUser-Agent: berth-bench\r\n"
                + "Accept: */*\r\n\r\n";
        load(s, side, request, true, o.connections(), o.warmup(), o.duration(), HEAD_RPS, HEAD_P50, HEAD_P99,
                o.headHttp10() ? "HTTP/1.0 keep-alive" : "HTTP/1.1");
    }

    private void manifest(State s, Report.Side side) throws IOException, InterruptedException {
        ensureHot(s);
        String request = "GET /v2/" + repo("hot") + "/manifests/" + HOT_TAG + " HTTP/1.1\r\nHost: "
                + hostHeader(s.target) + "\r\nUser-Agent: berth-bench\r\nAccept: " + OciClient.ACCEPT_MANIFESTS
                + "\r\n\r\n";
        load(s, side, request, false, o.connections(), o.warmup(), o.duration(), MANIFEST_RPS, MANIFEST_P50,
                MANIFEST_P99, "HTTP/1.1");
    }

    private static String hostHeader(Target t) {
        return (t.host().contains(":") ? "[" + t.host() + "]" : t.host()) + ":" + t.port();
    }

    private void load(State s, Report.Side side, String request, boolean head, int connections, Duration warmup,
                      Duration duration, Report.Metric rps, Report.Metric p50, Report.Metric p99, String how)
            throws InterruptedException {
        LoadGenerator.Plan plan = new LoadGenerator.Plan(s.target.host(), s.target.port(),
                request.getBytes(StandardCharsets.ISO_8859_1), head, connections, o.clientThreads(),
                warmup.toNanos(), duration.toNanos(), Long.MAX_VALUE);
        CpuMeter serverCpu = CpuMeter.of(s.target.pid());
        CpuMeter clientCpu = CpuMeter.self();
        CpuMeter machineCpu = CpuMeter.machine();
        LoadGenerator.Result r = LoadGenerator.run(plan);
        CpuMeter.record(report, rps, side, serverCpu, clientCpu, machineCpu);
        report.add(rps, side, r.perSecond());
        if (p50 != null) {
            report.add(p50, side, r.latency().percentile(50) / 1e6);
            report.add(p99, side, r.latency().percentile(99) / 1e6);
        }
        report.note(rps, side, connections + " conns, " + how);
        if (r.errors() > 0) {
            report.note(rps, side, r.errors() + " errors" + (r.lastErrorStatus() != 0 ? " (status "
                    + r.lastErrorStatus() + ")" : "") + (r.lastError() != null ? " " + r.lastError() : ""));
        }
        if (r.requests() == 0) {
            throw new BenchException("no request succeeded"
                    + (r.lastErrorStatus() != 0 ? " (last status " + r.lastErrorStatus() + ")" : "")
                    + (r.lastError() != null ? ": " + r.lastError() : ""));
        }
        log.printf(Locale.ROOT, "  %d requests in %.1f s: %.0f req/s, p50 %.3f ms, p99 %.3f ms, %d errors, "
                        + "%d connections opened%n", r.requests(), r.seconds(), r.perSecond(),
                r.latency().percentile(50) / 1e6, r.latency().percentile(99) / 1e6, r.errors(), r.connects());
    }

    private void headAb(State s, Report.Side side) throws IOException, InterruptedException {
        if (o.ab() == null) {
            return;
        }
        ensureHot(s);
        String url = "http://" + hostHeader(s.target) + "/v2/" + repo("hot") + "/blobs/" + s.hotBlob;
        AbDriver.Result r = AbDriver.head(o.ab(), url, o.connections(), o.duration());
        report.add(AB_RPS, side, r.perSecond());
        report.add(AB_P50, side, r.p50Ms());
        report.add(AB_P99, side, r.p99Ms());
        report.note(AB_RPS, side, o.connections() + " conns, one ab thread");
        if (r.failed() > 0 || r.non2xx() > 0) {
            report.note(AB_RPS, side, r.failed() + " failed, " + r.non2xx() + " non-2xx");
        }
        log.printf(Locale.ROOT, "  %s%n  %d requests: %.0f req/s, p50 %.0f ms, p99 %.0f ms, %d failed, "
                + "%d non-2xx%n", r.commandLine(), r.complete(), r.perSecond(), r.p50Ms(), r.p99Ms(), r.failed(),
                r.non2xx());
    }

    private void small(State s, Report.Side side, int round) throws InterruptedException {
        long seed = seed("small", round);
        int count = o.smallCount();
        int size = (int) o.smallSize();
        PatternSource digestSource = new PatternSource(seed);
        String[] blobDigests = new String[count];
        byte[] buf = new byte[size];
        for (int i = 0; i < count; i++) {
            digestSource.copy(buf, 0, (long) i * size, size);
            blobDigests[i] = sha256(buf);
        }
        String repo = repo("small");
        AtomicLong next = new AtomicLong();
        long stopAt = System.nanoTime() + o.smallTime().toNanos();
        List<Histogram> histograms = new ArrayList<>();
        List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicLong done = new AtomicLong();
        CpuMeter serverCpu = CpuMeter.of(s.target.pid());
        CpuMeter clientCpu = CpuMeter.self();
        CpuMeter machineCpu = CpuMeter.machine();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(o.smallWorkers(),
                Thread.ofPlatform().name("bench-small-", 0).factory())) {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < o.smallWorkers(); w++) {
                Histogram h = new Histogram();
                histograms.add(h);
                futures.add(pool.submit(() -> {
                    PatternSource source = new PatternSource(seed);
                    try (OciClient c = client(s.target)) {
                        while (System.nanoTime() - stopAt < 0 && errors.size() < 10) {
                            long i = next.getAndIncrement();
                            if (i >= count) {
                                return;
                            }
                            byte[] body = source.bytes(i * size, size);
                            long start = System.nanoTime();
                            try {
                                c.pushBlob(repo, blobDigests[(int) i], HttpConn.Body.of(body));
                                h.record(System.nanoTime() - start);
                                done.incrementAndGet();
                            } catch (IOException | BenchException e) {
                                errors.add(e.getMessage());
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    errors.add(String.valueOf(e.getCause()));
                }
            }
        }
        long nanos = System.nanoTime() - t0;
        CpuMeter.record(report, SMALL, side, serverCpu, clientCpu, machineCpu);
        Histogram all = new Histogram();
        histograms.forEach(all::add);
        if (done.get() == 0) {
            throw new BenchException("no small blob was pushed: " + (errors.isEmpty() ? "?" : errors.get(0)));
        }
        double rate = done.get() / (nanos / 1e9);
        report.add(SMALL, side, rate);
        report.add(SMALL_P50, side, all.percentile(50) / 1e6);
        report.add(SMALL_P99, side, all.percentile(99) / 1e6);
        report.note(SMALL, side, o.smallWorkers() + " workers, " + Units.size(size) + " each");
        if (!errors.isEmpty()) {
            report.note(SMALL, side, errors.size() + " errors, first: " + errors.get(0));
        }
        log.printf(Locale.ROOT, "  %d blobs of %s in %.2f s: %.0f blobs/s, p50 %.3f ms, p99 %.3f ms, %d errors%n",
                done.get(), Units.size(size), nanos / 1e9, rate, all.percentile(50) / 1e6,
                all.percentile(99) / 1e6, errors.size());
    }

    private void image(State s, Report.Side side, int round) throws IOException, InterruptedException {
        String repo = repo("image");
        String tag = "r" + round;
        int n = o.layers();
        long size = o.layerSize();
        long[] seeds = new long[n];
        String[] layerDigests = new String[n];
        for (int i = 0; i < n; i++) {
            seeds[i] = seed("layer" + i, round);
            layerDigests[i] = digestOf(seeds[i], size);
        }
        byte[] config = configJson(o.runId() + "-" + round);
        String configDigest = sha256(config);
        List<Long> sizes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sizes.add(size);
        }
        byte[] manifest = manifestJson(configDigest, config.length, List.of(layerDigests), sizes);
        // push: layers in parallel (as docker does, 3 at a time), then config and manifest
        long t0 = System.nanoTime();
        parallel(n, i -> {
            try (OciClient c = client(s.target)) {
                c.pushBlob(repo, layerDigests[i], HttpConn.Body.of(new PatternSource(seeds[i]), 0, size));
            }
        });
        try (OciClient c = client(s.target)) {
            c.pushBlob(repo, configDigest, HttpConn.Body.of(config));
            c.putManifest(repo, tag, OciClient.OCI_MANIFEST, manifest);
        }
        long pushNanos = System.nanoTime() - t0;
        // pull: manifest, then config and layers in parallel, every digest checked
        long t1 = System.nanoTime();
        List<String> blobs = new ArrayList<>();
        List<Long> blobSizes = new ArrayList<>();
        try (OciClient c = client(s.target)) {
            JsonNode m = JSON.readTree(c.getManifest(repo, tag));
            blobs.add(m.path("config").path("digest").asText());
            blobSizes.add(m.path("config").path("size").asLong());
            for (JsonNode l : m.path("layers")) {
                blobs.add(l.path("digest").asText());
                blobSizes.add(l.path("size").asLong());
            }
        }
        if (blobs.size() != n + 1) {
            throw new BenchException("the pulled manifest names " + blobs.size() + " blobs, expected " + (n + 1));
        }
        parallel(blobs.size(), i -> {
            MessageDigest md = sha256();
            try (OciClient c = client(s.target)) {
                HttpConn.Response r = c.getBlob(repo, blobs.get(i), null, HttpConn.hashing(md));
                checkLength(r, blobSizes.get(i));
            }
            checkDigest(md, blobs.get(i));
        });
        long pullNanos = System.nanoTime() - t1;
        long total = n * size + config.length;
        report.add(IMAGE_PUSH, side, pushNanos / 1e9);
        report.add(IMAGE_PULL, side, pullNanos / 1e9);
        report.note(IMAGE_PUSH, side, n + " x " + Units.size(size) + ", " + o.parallel() + " at a time");
        log.printf(Locale.ROOT, "  push %.2f s (%.0f MiB/s), pull %.2f s (%.0f MiB/s)%n", pushNanos / 1e9,
                mibPerSecond(total, pushNanos), pullNanos / 1e9, mibPerSecond(total, pullNanos));
    }

    @FunctionalInterface
    private interface Task {
        void run(int index) throws IOException;
    }

    /** Runs {@code count} tasks, {@link BenchOptions#parallel()} at a time; the first failure is thrown. */
    private void parallel(int count, Task task) throws IOException, InterruptedException {
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.min(count, o.parallel()),
                Thread.ofPlatform().name("bench-transfer-", 0).factory())) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    task.run(index);
                    return null;
                }));
            }
            awaitAll(futures);
        }
    }

    /** Waits for every task; the first failure is thrown as it was (an IOException or unchecked), else wrapped. */
    private static void awaitAll(List<Future<?>> futures) throws IOException, InterruptedException {
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof IOException io) {
                    throw io;
                }
                if (c instanceof RuntimeException re) {
                    throw re;
                }
                throw new BenchException(String.valueOf(c), c);
            }
        }
    }

    // ---- listings ------------------------------------------------------------------------------------------------

    private void ensureTags(State s) throws IOException, InterruptedException {
        ensureHot(s);
        if (s.tagsFilled) {
            return;
        }
        String repo = repo("tags");
        try (OciClient c = client(s.target)) {
            c.mount(repo, s.hotBlob, repo("hot"));
            c.mount(repo, hotConfig, repo("hot"));
        }
        byte[] manifest = manifestJson(hotConfig, hotConfigSize, List.of(s.hotBlob), List.of(hotLayerSize));
        long t0 = System.nanoTime();
        fill(s, o.tags(), (c, i) -> c.putManifest(repo, tagName(i), OciClient.OCI_MANIFEST, manifest));
        log.printf(Locale.ROOT, "  filled %s with %d tags in %.1f s%n", repo, o.tags(), (System.nanoTime() - t0) / 1e9);
        s.tagsFilled = true;
    }

    static String tagName(int i) {
        return String.format(Locale.ROOT, "t%06d", i);
    }

    private void ensureRepos(State s) throws IOException, InterruptedException {
        ensureHot(s);
        if (s.reposFilled) {
            return;
        }
        byte[] manifest = manifestJson(hotConfig, hotConfigSize, List.of(s.hotBlob), List.of(hotLayerSize));
        long t0 = System.nanoTime();
        fill(s, o.repos(), (c, i) -> {
            String repo = repo(String.format(Locale.ROOT, "c/r%05d", i));
            c.mount(repo, s.hotBlob, repo("hot"));
            c.mount(repo, hotConfig, repo("hot"));
            c.putManifest(repo, "v1", OciClient.OCI_MANIFEST, manifest);
        });
        log.printf(Locale.ROOT, "  filled %d repositories in %.1f s%n", o.repos(), (System.nanoTime() - t0) / 1e9);
        s.reposFilled = true;
    }

    @FunctionalInterface
    private interface FillStep {
        void run(OciClient c, int index) throws IOException;
    }

    /** Runs {@code count} fill steps on 8 connections, bounded by the run's --max-time. */
    private void fill(State s, int count, FillStep step) throws IOException, InterruptedException {
        AtomicLong next = new AtomicLong();
        int workers = Math.min(8, count);
        try (ExecutorService pool = Executors.newFixedThreadPool(workers,
                Thread.ofPlatform().name("bench-fill-", 0).factory())) {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                futures.add(pool.submit(() -> {
                    try (OciClient c = client(s.target)) {
                        long i;
                        while ((i = next.getAndIncrement()) < count) {
                            if (System.nanoTime() - deadline > 0) {
                                throw new BenchException("--max-time reached while filling");
                            }
                            step.run(c, (int) i);
                        }
                    }
                    return null;
                }));
            }
            awaitAll(futures);
        }
    }

    private void tags(State s, Report.Side side) throws IOException, InterruptedException {
        ensureTags(s);
        String repo = repo("tags");
        // the whole list, over and over, on a few connections
        String request = "GET /v2/" + repo + "/tags/list HTTP/1.1\r\nHost: " + hostHeader(s.target)
                + "\r\nUser-Agent: berth-bench\r\n\r\n";
        try (OciClient c = client(s.target)) {
            HttpConn.Response r = c.getText("/v2/" + repo + "/tags/list");
            if (r.status() != 200) {
                throw new BenchException("tags/list answered " + r.describe());
            }
            int listed = JSON.readTree(r.body()).path("tags").size();
            if (listed < o.tags()) {
                report.note(TAGS_LIST, side, "answers " + listed + " of " + o.tags() + " tags without n"
                        + (OciClient.nextLink(r) != null ? " (pages by itself)" : ""));
            }
        }
        load(s, side, request, false, o.listConcurrency(), Duration.ofSeconds(1), o.listDuration(), TAGS_LIST, null,
                null, "HTTP/1.1");
        report.note(TAGS_LIST, side, o.tags() + " tags");
        // paging with n
        PageWalk walk = walk(s, "/v2/" + repo + "/tags/list?n=" + o.pageSize(), "tags");
        if (walk.items < o.tags()) {
            throw new BenchException("paging tags/list gave " + walk.items + " tags, expected " + o.tags());
        }
        report.add(TAGS_PAGES, side, walk.millisPerWalk());
        report.note(TAGS_PAGES, side, String.format(Locale.ROOT, "n=%d: %d page(s) a walk, %.0f pages/s",
                o.pageSize(), walk.pagesPerWalk, walk.pagesPerSecond()));
        log.printf(Locale.ROOT, "  paging: %d walks of %d pages in %.2f s: %.2f ms a walk, %.0f pages/s%n",
                walk.walks, walk.pagesPerWalk, walk.seconds, walk.millisPerWalk(), walk.pagesPerSecond());
    }

    private void catalog(State s, Report.Side side) throws IOException, InterruptedException {
        ensureRepos(s);
        PageWalk walk = walk(s, "/v2/_catalog?n=" + o.pageSize(), "repositories");
        if (walk.items < o.repos()) {
            throw new BenchException("paging _catalog gave " + walk.items + " repositories, expected at least "
                    + o.repos());
        }
        report.add(CATALOG_PAGES, side, walk.millisPerWalk());
        report.note(CATALOG_PAGES, side, String.format(Locale.ROOT, "n=%d: %d repositories in %d page(s), %.0f "
                + "pages/s", o.pageSize(), walk.items, walk.pagesPerWalk, walk.pagesPerSecond()));
        log.printf(Locale.ROOT, "  paging: %d walks of %d pages in %.2f s: %.2f ms a walk, %.0f pages/s "
                + "(%d repositories)%n", walk.walks, walk.pagesPerWalk, walk.seconds, walk.millisPerWalk(),
                walk.pagesPerSecond(), walk.items);
    }

    private record PageWalk(long pages, long items, int walks, long pagesPerWalk, double seconds) {
        double pagesPerSecond() {
            return pages / seconds;
        }

        double millisPerWalk() {
            return seconds * 1000 / walks;
        }
    }

    /**
     * Follows {@code Link: rel="next"} from {@code first} to the end, again and again until
     * {@link BenchOptions#listDuration()} has passed (at least once; at most 100,000 pages a walk).
     */
    private PageWalk walk(State s, String first, String field) throws IOException {
        long t0 = System.nanoTime();
        long stopAt = t0 + o.listDuration().toNanos();
        long pages = 0;
        long items = 0;
        long pagesPerWalk = 0;
        int walks = 0;
        try (OciClient c = client(s.target)) {
            do {
                String next = first;
                long walkPages = 0;
                long walkItems = 0;
                while (next != null && walkPages < 100_000) {
                    HttpConn.Response r = c.getText(next);
                    if (r.status() != 200) {
                        throw new BenchException("GET " + next + " answered " + r.describe());
                    }
                    walkItems += JSON.readTree(r.body()).path(field).size();
                    walkPages++;
                    next = OciClient.nextLink(r);
                }
                pages += walkPages;
                items = walkItems;
                pagesPerWalk = walkPages;
                walks++;
            } while (System.nanoTime() - stopAt < 0 && walks < 10_000);
        }
        return new PageWalk(pages, items, walks, pagesPerWalk, (System.nanoTime() - t0) / 1e9);
    }

    // ---- warm-up -------------------------------------------------------------------------------------------------

    /** Small versions of the transfers and 2 s of each loop on every registry, not measured (JIT, caches). */
    private void warmupPass() throws InterruptedException {
        for (Map.Entry<Report.Side, State> e : states.entrySet()) {
            State s = e.getValue();
            log.println("[warm-up] " + s.target.url());
            log.flush();
            long size = Math.min(o.blobSize(), 64 * Units.MIB);
            try (OciClient c = client(s.target)) {
                for (int i = 0; i < 2; i++) {
                    long seed = seed("warmup" + i, 0);
                    String digest = digestOf(seed, size);
                    PatternSource src = new PatternSource(seed);
                    String location = c.startUpload(repo("warmup"));
                    if (i == 0) {
                        c.finishUpload(location, digest, HttpConn.Body.of(src, 0, size));
                    } else {
                        for (long off = 0; off < size; off += o.chunkSize()) {
                            long len = Math.min(o.chunkSize(), size - off);
                            location = c.patch(location, off, HttpConn.Body.of(src, off, len));
                        }
                        c.finishUpload(location, digest, null);
                    }
                    c.getBlob(repo("warmup"), digest, null, null);
                }
                ensureHot(s);
                Duration d = Duration.ofSeconds(2);
                LoadGenerator.run(new LoadGenerator.Plan(s.target.host(), s.target.port(),
                        ("HEAD /v2/" + repo("hot") + "/blobs/" + s.hotBlob + " HTTP/1.1\r\nHost: "
                                + hostHeader(s.target) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), true,
                        o.connections(), o.clientThreads(), 0, d.toNanos(), Long.MAX_VALUE));
                LoadGenerator.run(new LoadGenerator.Plan(s.target.host(), s.target.port(),
                        ("GET /v2/" + repo("hot") + "/manifests/" + HOT_TAG + " HTTP/1.1\r\nHost: "
                                + hostHeader(s.target) + "\r\nAccept: " + OciClient.ACCEPT_MANIFESTS + "\r\n\r\n")
                                .getBytes(StandardCharsets.ISO_8859_1), false, o.connections(), o.clientThreads(),
                        0, d.toNanos(), Long.MAX_VALUE));
            } catch (IOException | BenchException ex) {
                report.failure("warm-up on " + s.target.url() + ": " + ex.getMessage());
                log.println("  FAILED: " + ex.getMessage());
            }
        }
    }
}
