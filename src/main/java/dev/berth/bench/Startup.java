package dev.berth.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Start-up time: launches a server command, polls {@code GET /v2/} every 5 ms from the moment of launch until it
 * answers 200, then stops the process it started (SIGTERM, then SIGKILL after 20 s) and does it again. Reports
 * the time from launch to the first 200 of each run.
 */
public final class Startup {

    /** The measured runs, in milliseconds. */
    public record Result(List<Double> millis) {
        public double median() {
            return Report.median(millis);
        }

        public double max() {
            return millis.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        }
    }

    private Startup() {
    }

    /**
     * @param command the server command and its arguments (run with this process's environment)
     * @param target  where the server will listen
     * @param output  where the server's stdout and stderr go (appended), or null to discard them
     */
    public static Result measure(List<String> command, Target target, int runs, Duration timeout, Path output,
                                 PrintWriter log) throws IOException, InterruptedException {
        if (answers(target)) {
            throw new IOException(target.url() + " already answers GET /v2/ before launch: stop that server first");
        }
        List<Double> millis = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            ProcessBuilder pb = new ProcessBuilder(command);
            if (output != null) {
                pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
            } else {
                pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            }
            long t0 = System.nanoTime();
            Process p = pb.start();
            try {
                long deadline = t0 + timeout.toNanos();
                boolean up = false;
                while (System.nanoTime() - deadline < 0) {
                    if (!p.isAlive()) {
                        throw new IOException("the server exited with " + p.exitValue() + " before answering"
                                + (output != null ? " (see " + output + ")" : ""));
                    }
                    if (answers(target)) {
                        up = true;
                        break;
                    }
                    Thread.sleep(5);
                }
                double ms = (System.nanoTime() - t0) / 1e6;
                if (!up) {
                    throw new IOException("no answer to GET /v2/ within " + timeout.toSeconds() + " s");
                }
                millis.add(ms);
                log.printf(Locale.ROOT, "run %d: GET /v2/ answered 200 %.0f ms after launch (pid %d)%n", run + 1, ms,
                        p.pid());
                log.flush();
            } finally {
                stop(p);
            }
            // the port must be free again before the next launch
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (answers(target) && System.nanoTime() - until < 0) {
                Thread.sleep(50);
            }
        }
        return new Result(millis);
    }

    /** Stops the process this class started, and its children. */
    private static void stop(Process p) throws InterruptedException {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        children.forEach(ProcessHandle::destroy);
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Whether {@code GET /v2/} answers 200 now (a fresh connection, 200 ms to connect, 1 s to answer). */
    static boolean answers(Target target) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(target.host(), target.port()), 200);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /v2/ HTTP/1.1\r\nHost: " + target.host() + ":" + target.port()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] head = new byte[12];
            int n = 0;
            while (n < head.length) {
                int r = in.read(head, n, head.length - n);
                if (r < 0) {
                    return false;
                }
                n += r;
            }
            String status = new String(head, StandardCharsets.ISO_8859_1);
            return status.startsWith("HTTP/1.") && status.substring(9, 12).equals("200");
        } catch (IOException e) {
            return false;
        }
    }
}
