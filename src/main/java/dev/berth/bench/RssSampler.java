package dev.berth.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Samples a local process's resident memory from {@code /proc/<pid>/status} every 100 ms while the benchmark runs:
 * the largest {@code VmRSS} seen, and at the end the kernel's own peak, {@code VmHWM} (which also covers moments
 * between samples, and the time before sampling began).
 */
final class RssSampler implements AutoCloseable {

    private final long pid;
    private final Thread thread;
    private volatile boolean stop;
    private volatile long maxRssKib;
    private volatile long lastHwmKib;
    private volatile String problem;

    RssSampler(long pid) {
        this.pid = pid;
        this.thread = Thread.ofPlatform().daemon().name("bench-rss-" + pid).start(this::loop);
    }

    private void loop() {
        while (!stop) {
            sample();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void sample() {
        try {
            String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
            long rss = field(status, "VmRSS:");
            long hwm = field(status, "VmHWM:");
            if (rss > maxRssKib) {
                maxRssKib = rss;
            }
            if (hwm > 0) {
                lastHwmKib = hwm;
            }
        } catch (IOException e) {
            problem = "cannot read /proc/" + pid + "/status: " + e.getMessage();
        }
    }

    /** A {@code Vm...:  1234 kB} field in KiB, or -1. */
    static long field(String status, String name) {
        int at = status.indexOf(name);
        if (at < 0) {
            return -1;
        }
        int i = at + name.length();
        while (i < status.length() && !Character.isDigit(status.charAt(i))) {
            i++;
        }
        long v = 0;
        boolean any = false;
        while (i < status.length() && Character.isDigit(status.charAt(i))) {
            v = v * 10 + (status.charAt(i) - '0');
            i++;
            any = true;
        }
        return any ? v : -1;
    }

    /** Largest VmRSS sampled, in MiB (0 when never sampled). */
    double maxRssMib() {
        return maxRssKib / 1024.0;
    }

    /** The kernel's peak resident size (VmHWM) at the last sample, in MiB. */
    double peakMib() {
        return lastHwmKib / 1024.0;
    }

    String problem() {
        return problem;
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
    }
}
