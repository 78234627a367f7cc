package dev.berth.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs ApacheBench ({@code ab -k}: HTTP/1.0 with keep-alive) as an external cross-check of the HEAD figures, as
 * the issue asks (wrk stalls on HEAD replies). {@code ab} is single-threaded, so its figure is a floor whenever the
 * server is faster than one client core; its percentiles are whole milliseconds.
 */
public final class AbDriver {

    /** What ab reported. */
    record Result(double perSecond, long complete, long failed, long non2xx, double p50Ms, double p99Ms,
                  String commandLine) {
    }

    private static final Pattern RPS = Pattern.compile("Requests per second:\\s+([0-9.]+)");
    private static final Pattern COMPLETE = Pattern.compile("Complete requests:\\s+(\\d+)");
    private static final Pattern FAILED = Pattern.compile("Failed requests:\\s+(\\d+)");
    private static final Pattern NON2XX = Pattern.compile("Non-2xx responses:\\s+(\\d+)");
    private static final Pattern PERCENT = Pattern.compile("^\\s*(\\d+)%\\s+(\\d+)", Pattern.MULTILINE);

    private AbDriver() {
    }

    /** Whether {@code ab} can be run. */
    public static boolean available(String ab) {
        try {
            Process p = new ProcessBuilder(ab, "-V").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * {@code ab -k -i -q -r -c C -t SECONDS -n MAX URL}: HEAD requests for a fixed time (or until MAX), bounded
     * again by a hard time-out of twice the duration plus 30 s.
     */
    static Result head(String ab, String url, int concurrency, Duration duration) throws IOException,
            InterruptedException {
        long seconds = Math.max(1, duration.toSeconds());
        // ab keeps a record per request: cap its memory (about 40 bytes each) at a few hundred MiB
        long max = Math.min(5_000_000L, seconds * 200_000L);
        List<String> cmd = new ArrayList<>(List.of(ab, "-k", "-i", "-q", "-r", "-c", Integer.toString(concurrency),
                "-t", Long.toString(seconds), "-n", Long.toString(max), url));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[][] out = new byte[1][];
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = new byte[0];
            }
        });
        if (!p.waitFor(seconds * 2 + 30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("ab did not finish in time");
        }
        reader.join();
        String text = new String(out[0], StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("ab failed (exit " + p.exitValue() + "): " + tail(text));
        }
        return parse(text, String.join(" ", cmd));
    }

    static Result parse(String text, String commandLine) throws IOException {
        Matcher rps = RPS.matcher(text);
        if (!rps.find()) {
            throw new IOException("no 'Requests per second' in ab's output: " + tail(text));
        }
        double p50 = -1;
        double p99 = -1;
        Matcher m = PERCENT.matcher(text);
        while (m.find()) {
            if (m.group(1).equals("50")) {
                p50 = Double.parseDouble(m.group(2));
            } else if (m.group(1).equals("99")) {
                p99 = Double.parseDouble(m.group(2));
            }
        }
        return new Result(Double.parseDouble(rps.group(1)), number(COMPLETE, text), number(FAILED, text),
                number(NON2XX, text), p50, p99, commandLine);
    }

    private static long number(Pattern p, String text) {
        Matcher m = p.matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static String tail(String text) {
        String t = text.strip();
        return t.length() > 400 ? "..." + t.substring(t.length() - 400) : t;
    }
}
