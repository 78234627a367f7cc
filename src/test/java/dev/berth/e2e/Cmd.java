package dev.berth.e2e;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs a real client binary for the end-to-end tests: always with a timeout, stdin from {@code /dev/null}, stdout
 * and stderr captured (into files, so a chatty process never blocks on a full pipe) and shown in full when a check
 * fails. A binary missing from {@code PATH} fails the test with the Debian package that provides it.
 *
 * <pre>{@code
 * Cmd.of("skopeo", "inspect", ref).timeout(Duration.ofSeconds(30)).ok().stdout();
 * }</pre>
 */
final class Cmd {

    /** Which Debian 12 package provides each binary the e2e tests run. */
    static final Map<String, String> DEBIAN_PACKAGES = Map.of(
            "skopeo", "skopeo",
            "umoci", "umoci",
            "podman", "podman",
            "buildah", "buildah",
            "docker", "docker.io");

    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final List<String> command;
    private final Map<String, String> env = new LinkedHashMap<>();
    private Path dir;
    private Duration timeout = DEFAULT_TIMEOUT;

    private Cmd(List<String> command) {
        this.command = List.copyOf(command);
    }

    static Cmd of(String... command) {
        return new Cmd(Arrays.asList(command));
    }

    static Cmd of(List<String> command) {
        return new Cmd(command);
    }

    /** Sets one environment variable of the child (the rest is inherited). */
    Cmd env(String name, String value) {
        env.put(name, value);
        return this;
    }

    Cmd dir(Path workingDirectory) {
        this.dir = workingDirectory;
        return this;
    }

    Cmd timeout(Duration t) {
        this.timeout = t;
        return this;
    }

    /** Runs and requires exit status 0. */
    Result ok() {
        return run().ok();
    }

    /** Runs and returns whatever happened; fails only when the binary is missing or the timeout passes. */
    Result run() {
        Path binary = require(command.get(0));
        List<String> argv = new ArrayList<>(command);
        argv.set(0, binary.toString());
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("berth-e2e-", ".out");
            err = Files.createTempFile("berth-e2e-", ".err");
            ProcessBuilder pb = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            pb.environment().putAll(env);
            long started = System.nanoTime();
            Process p = pb.start();
            boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            Result r = new Result(command, finished ? p.exitValue() : -1, read(out), read(err),
                    Duration.ofNanos(System.nanoTime() - started));
            if (!finished) {
                fail("timed out after " + timeout.toSeconds() + "s (killed): " + r.describe());
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("running " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /**
     * The binary's path on {@code PATH}; fails the test with the Debian package to install when it is missing.
     * Absolute paths are taken as they are.
     */
    static Path require(String binary) {
        return find(binary).orElseThrow(() -> new AssertionError("e2e: '" + binary + "' is not on PATH ("
                + System.getenv("PATH") + "). Install it: apt-get install -y "
                + DEBIAN_PACKAGES.getOrDefault(binary, binary)
                + " (the end-to-end tests drive real clients; .ci/run installs them)"));
    }

    static Optional<Path> find(String binary) {
        if (binary.contains("/")) {
            Path p = Path.of(binary);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/local/bin:/usr/bin:/bin");
        for (String d : path.split(File.pathSeparator)) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, binary);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temp file left behind is harmless
            }
        }
    }

    /** What a finished process did. */
    record Result(List<String> command, int exitCode, String stdout, String stderr, Duration took) {

        /** Requires exit status 0. */
        Result ok() {
            if (exitCode != 0) {
                fail("expected exit status 0: " + describe());
            }
            return this;
        }

        /** Requires a non-zero exit status. */
        Result failed() {
            if (exitCode == 0) {
                fail("expected a non-zero exit status: " + describe());
            }
            return this;
        }

        /** stdout and stderr together, for messages that may go to either. */
        String output() {
            return stdout + stderr;
        }

        String describe() {
            return String.join(" ", command) + "\n  exit status: " + exitCode + " after " + took.toMillis()
                    + " ms\n  ---- stdout ----\n" + indent(stdout) + "\n  ---- stderr ----\n" + indent(stderr);
        }

        private static String indent(String s) {
            return s.isEmpty() ? "  (empty)" : "  " + s.strip().replace("\n", "\n  ");
        }
    }
}
