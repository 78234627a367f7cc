package dev.berth.storage.s3;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real S3-compatible server for tests: s3proxy (a self-contained jar the build copies to
 * {@code <build dir>/s3proxy/s3proxy.jar}) run as its own process on 127.0.0.1, storing buckets as directories under
 * {@link #baseDirectory()}, with AWS signatures checked against {@link #ACCESS_KEY}/{@link #SECRET_KEY}.
 */
public final class S3Proxy implements AutoCloseable {

    public static final String ACCESS_KEY = "berth-test";
    public static final String SECRET_KEY = "berth-test-secret";

    private final Process process;
    private final URI endpoint;
    private final Path baseDirectory;
    private final Path log;

    private S3Proxy(Process process, URI endpoint, Path baseDirectory, Path log) {
        this.process = process;
        this.endpoint = endpoint;
        this.baseDirectory = baseDirectory;
        this.log = log;
    }

    /** Starts s3proxy with its data under {@code directory}, and waits until it answers HTTP. */
    public static S3Proxy start(Path directory) throws IOException, InterruptedException {
        Path jar = jar();
        Path data = Files.createDirectories(directory.resolve("data"));
        IOException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            int port = freePort();
            URI endpoint = URI.create("http://127.0.0.1:" + port);
            Path properties = directory.resolve("s3proxy-" + attempt + ".properties");
            Files.writeString(properties, String.join("\n",
                    "s3proxy.endpoint=" + endpoint,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + ACCESS_KEY,
                    "s3proxy.credential=" + SECRET_KEY,
                    "jclouds.provider=filesystem",
                    "jclouds.filesystem.basedir=" + data,
                    ""));
            Path log = directory.resolve("s3proxy-" + attempt + ".log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process process = new ProcessBuilder(List.of(java, "-Xmx512m", "-jar", jar.toString(),
                    "--properties", properties.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            // should the test JVM end without closing it, the server goes too
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            S3Proxy proxy = new S3Proxy(process, endpoint, data, log);
            try {
                proxy.awaitReady();
                return proxy;
            } catch (IOException e) {
                proxy.close();
                last = e; // most likely the port was taken in between: try another
            }
        }
        throw last;
    }

    public URI endpoint() {
        return endpoint;
    }

    /** The directory holding one subdirectory per bucket, and in it one file per object (at its key). */
    public Path baseDirectory() {
        return baseDirectory;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(15, TimeUnit.SECONDS);
        }
    }

    private void awaitReady() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("s3proxy exited with " + process.exitValue() + ":\n" + logTail());
            }
            try {
                // any HTTP answer (403 without credentials) means it is serving
                http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IOException("s3proxy did not answer on " + endpoint + " within 90 s:\n" + logTail());
    }

    private String logTail() throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static Path jar() throws IOException {
        String configured = System.getProperty("berth.s3proxy.jar");
        Path jar;
        if (configured != null) {
            jar = Path.of(configured);
        } else {
            try {
                // <build dir>/test-classes -> <build dir>/s3proxy/s3proxy.jar
                Path testClasses = Path.of(S3Proxy.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                jar = testClasses.getParent().resolve("s3proxy/s3proxy.jar");
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
        }
        if (!Files.isRegularFile(jar)) {
            throw new IOException("s3proxy is not at " + jar + ": run the tests through Maven (the build copies "
                    + "org.gaul:s3proxy:jar-with-dependencies there in process-test-resources), or set "
                    + "-Dberth.s3proxy.jar=<path>");
        }
        return jar;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
