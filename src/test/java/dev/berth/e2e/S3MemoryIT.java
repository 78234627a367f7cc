package dev.berth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.storage.s3.S3Proxy;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Memory stays bounded on S3: many concurrent chunked pushes through one Berth whose JVM heap is capped at 256 MiB
 * ({@code java -Xmx256m -jar berth.jar serve}, its own process) over s3proxy (its own process), all on loopback.
 * Every push must succeed, and the run reports the peak heap (the largest occupancy the garbage collector saw before
 * a collection, from {@code -Xlog:gc}) and the peak resident set ({@code VmHWM}, which also counts Netty's direct
 * buffers, thread stacks and the JIT).
 *
 * <p>By default it runs the figure, 32 concurrent pushes of 100 MiB in PATCHes of 25 MiB (about a minute on
 * a 2-core machine; 3.2 GiB go through s3proxy, which needs about 4 GiB of temporary disk). Other runs:
 * {@code -Dberth.memory.uploads=8 -Dberth.memory.size=20 -Dberth.memory.chunk=5 -Dberth.memory.heap=128} (sizes in
 * MiB), {@code -Dberth.memory.jvmargs="-XX:MaxDirectMemorySize=64m"} (more options for the server's JVM). The result is
 * printed and written to {@code <build dir>/s3-memory-report.txt}; docs/scale-out.md records it.
 */
class S3MemoryIT {

    private static final int MIB = 1024 * 1024;
    private static final Pattern GC_LINE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

    @TempDir
    Path tmp;

    private static int property(String name, int fallback) {
        String v = System.getProperty(name);
        return v == null || v.isBlank() ? fallback : Integer.parseInt(v.strip());
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)      // about a minute here
    void concurrentChunkedPushes_throughS3_succeedWithTheHeapCappedAt256MiB() throws Exception {
        int heapMib = property("berth.memory.heap", 256);
        int uploads = property("berth.memory.uploads", 32);
        long size = property("berth.memory.size", 100) * (long) MIB;
        long chunk = property("berth.memory.chunk", (int) (size / MIB / 4)) * (long) MIB;

        Path build = buildDirectory();
        Path jar = build.resolve("berth.jar");
        assertThat(jar).as("the packaged server (failsafe runs after package)").isRegularFile();

        try (S3Proxy proxy = S3Proxy.start(Files.createDirectories(tmp.resolve("s3proxy")))) {
            try (S3Client admin = S3Client.builder().region(Region.US_EAST_1).endpointOverride(proxy.endpoint())
                    .forcePathStyle(true).credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY)))
                    .httpClientBuilder(Apache5HttpClient.builder()).build()) {
                admin.createBucket(b -> b.bucket("memory"));
            }
            int port = freePort();
            Path config = tmp.resolve("berth.yml");
            Files.writeString(config, """
                    version: 0.1
                    http:
                      addr: 127.0.0.1:%d
                    storage:
                      s3:
                        bucket: memory
                        regionendpoint: %s
                        forcepathstyle: true
                        accesskey: %s
                        secretkey: %s
                        spooldirectory: %s
                      maintenance:
                        gc:
                          enabled: false
                    database:
                      url: jdbc:sqlite:%s
                    log:
                      accesslog:
                        disabled: true
                    """.formatted(port, proxy.endpoint(), S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY,
                    tmp.resolve("spool"), tmp.resolve("berth.db")));
            Path gcLog = tmp.resolve("gc.log");
            Path serverLog = tmp.resolve("server.log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = new ArrayList<>(List.of(java, "-Xmx" + heapMib + "m", "-Xlog:gc:file=" + gcLog,
                    "-XX:+ExitOnOutOfMemoryError"));
            String extra = System.getProperty("berth.memory.jvmargs", "");
            if (!extra.isBlank()) {
                command.addAll(List.of(extra.strip().split("\\s+")));
            }
            command.addAll(List.of("-jar", jar.toString(), "serve", "--config", config.toString()));
            Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(serverLog.toFile())
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(server::destroyForcibly));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            URI base = URI.create("http://127.0.0.1:" + port);
            try {
                awaitReady(http, base, server, serverLog);
                long started = System.nanoTime();
                List<String> digests = new ArrayList<>();
                try (ExecutorService pushers = Executors.newVirtualThreadPerTaskExecutor()) {
                    List<Future<String>> pushes = new ArrayList<>();
                    for (int i = 0; i < uploads; i++) {
                        int seed = i;
                        pushes.add(pushers.submit(() -> chunkedPush(http, base, "memory/load-" + seed, seed, size,
                                chunk)));
                    }
                    for (Future<String> f : pushes) {
                        try {
                            digests.add(f.get(15, TimeUnit.MINUTES));
                        } catch (java.util.concurrent.ExecutionException e) {
                            throw new AssertionError("a push failed: " + e.getCause() + "\nserver "
                                    + (server.isAlive() ? "alive" : "exited") + ", its log ends:\n"
                                    + tail(serverLog), e.getCause());
                        }
                    }
                }
                Duration took = Duration.ofNanos(System.nanoTime() - started);

                assertThat(server.isAlive()).as("server alive after the pushes:\n%s", tail(serverLog)).isTrue();
                // every blob is there, at its size, in its repository; one is read back whole (via the bucket)
                for (int i = 0; i < uploads; i++) {
                    HttpResponse<Void> head = http.send(HttpRequest.newBuilder(base.resolve("/v2/memory/load-" + i
                            + "/blobs/" + digests.get(i))).method("HEAD", HttpRequest.BodyPublishers.noBody())
                            .build(), HttpResponse.BodyHandlers.discarding());
                    assertThat(head.statusCode()).isEqualTo(200);
                    assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(size);
                }
                HttpResponse<InputStream> get = http.send(HttpRequest.newBuilder(base.resolve(
                        "/v2/memory/load-0/blobs/" + digests.get(0))).build(), HttpResponse.BodyHandlers
                        .ofInputStream());
                assertThat(get.statusCode()).isEqualTo(200);
                assertThat(sha256Of(get.body())).isEqualTo(digests.get(0));

                long rssPeakKib = procStatus(server.pid(), "VmHWM");
                GcPeak heap = gcPeak(gcLog);
                String report = String.format(Locale.ROOT, "S3MemoryIT: %d concurrent chunked pushes of %d MiB "
                                + "(PATCHes of %d MiB) through S3 with -Xmx%dm: all succeeded in %.1f s; peak heap "
                                + "%d MiB (largest occupancy before a GC, %d GCs), at most %d MiB live after a GC, "
                                + "heap committed at most %d MiB, peak RSS %.0f MiB",
                        uploads, size / MIB, chunk / MIB, heapMib, took.toMillis() / 1000.0, heap.peakMib(),
                        heap.collections(), heap.liveMib(), heap.committedMib(), rssPeakKib / 1024.0);
                System.out.println(report);
                Files.writeString(build.resolve("s3-memory-report.txt"), report + "\n");
                assertThat(heap.peakMib()).isLessThanOrEqualTo(heapMib);
                assertThat(Files.readString(serverLog)).doesNotContain("OutOfMemoryError");
            } finally {
                server.destroy();
                if (!server.waitFor(30, TimeUnit.SECONDS)) {
                    server.destroyForcibly();
                }
            }
        }
    }

    /** POST, PATCHes of {@code chunk} bytes with Content-Range, then PUT ?digest=; returns the digest. */
    private static String chunkedPush(HttpClient http, URI base, String repo, int seed, long size, long chunk)
            throws Exception {
        HttpResponse<String> started = http.send(HttpRequest.newBuilder(base.resolve("/v2/" + repo
                + "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(started.statusCode()).as("POST %s: %s", repo, started.body()).isEqualTo(202);
        String location = started.headers().firstValue("Location").orElseThrow();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Content content = new Content(seed, sha);
        for (long offset = 0; offset < size; offset += chunk) {
            long length = Math.min(chunk, size - offset);
            long from = offset;
            AtomicLong opened = new AtomicLong();
            HttpRequest patch = HttpRequest.newBuilder(base.resolve(location))
                    .timeout(Duration.ofMinutes(10))
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", offset + "-" + (offset + length - 1))
                    .method("PATCH", HttpRequest.BodyPublishers.fromPublisher(
                            HttpRequest.BodyPublishers.ofInputStream(() -> {
                                assertThat(opened.incrementAndGet()).as("body streams opened").isEqualTo(1);
                                return content.stream(from, length);
                            }), length))
                    .build();
            HttpResponse<String> r = http.send(patch, HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("PATCH %s at %d: %s", repo, offset, r.body()).isEqualTo(202);
            location = r.headers().firstValue("Location").orElseThrow();
        }
        String digest = "sha256:" + HexFormat.of().formatHex(sha.digest());
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(base.resolve(location + "&digest=" + digest))
                .timeout(Duration.ofMinutes(10)).PUT(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as("PUT %s: %s", repo, put.body()).isEqualTo(201);
        return digest;
    }

    /**
     * A push's bytes: a random MiB of its own, repeated, with each 64 KiB block stamped with its offset so no two
     * blocks of a blob are alike. Hashed as they are streamed (in order: the chunks go one after the other).
     */
    private static final class Content {
        private final byte[] block = new byte[MIB];
        private final MessageDigest sha;

        Content(int seed, MessageDigest sha) {
            new SplittableRandom(seed * 7919L + 1).nextBytes(block);
            this.sha = sha;
        }

        InputStream stream(long from, long length) {
            return new InputStream() {
                private long position = from;
                private final long end = from + length;

                @Override
                public int read() {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    if (position >= end) {
                        return -1;
                    }
                    int inBlock = (int) (position % MIB);
                    int n = (int) Math.min(Math.min(len, MIB - inBlock), end - position);
                    System.arraycopy(block, inBlock, b, off, n);
                    // stamp the block number into the first 8 bytes of every 64 KiB
                    long last = position + n;
                    for (long k = position / 65536 * 65536; k < last; k += 65536) {
                        for (int j = 0; j < 8; j++) {
                            long p = k + j;
                            if (p >= position && p < last) {
                                b[off + (int) (p - position)] = (byte) ((k / 65536) >>> (8 * j));
                            }
                        }
                    }
                    sha.update(b, off, n);
                    position += n;
                    return n;
                }
            };
        }
    }

    private static String sha256Of(InputStream in) throws IOException, NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (in) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        return "sha256:" + HexFormat.of().formatHex(sha.digest());
    }

    /**
     * The largest heap occupancy before a collection (the peak), the largest after one (what was really live), the
     * largest committed heap, and how many GCs ran.
     */
    record GcPeak(long peakMib, long liveMib, long committedMib, int collections) {
    }

    static GcPeak gcPeak(Path gcLog) throws IOException {
        long peak = 0;
        long live = 0;
        long committed = 0;
        int collections = 0;
        for (String line : Files.readAllLines(gcLog, StandardCharsets.UTF_8)) {
            Matcher m = GC_LINE.matcher(line);
            if (m.find()) {
                collections++;
                peak = Math.max(peak, Long.parseLong(m.group(1)));
                live = Math.max(live, Long.parseLong(m.group(2)));
                committed = Math.max(committed, Long.parseLong(m.group(3)));
            }
        }
        return new GcPeak(peak, live, committed, collections);
    }

    /** A field of /proc/PID/status in KiB ({@code VmHWM}: the peak resident set). */
    private static long procStatus(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException(field + " not in /proc/" + pid + "/status");
    }

    private static void awaitReady(HttpClient http, URI base, Process server, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            assertThat(server.isAlive()).as("server exited:\n%s", tail(log)).isTrue();
            try {
                if (http.send(HttpRequest.newBuilder(base.resolve("/v2/")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("server did not answer within 60 s:\n" + tail(log));
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static Path buildDirectory() throws URISyntaxException {
        // <build dir>/test-classes -> <build dir>
        return Path.of(S3MemoryIT.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
