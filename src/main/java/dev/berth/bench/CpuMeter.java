package dev.berth.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of a process from {@code /proc/<pid>/stat} (user + system, in clock ticks of 10 ms), so a step can say
 * how many cores the server and the client each burned: on a 2-core machine, that is what bounds most figures.
 */
final class CpuMeter {

    private static final double TICK_SECONDS = 0.01;   // USER_HZ is 100 on Linux

    private final Path stat;
    private final long startTicks;
    private final long startNanos;

    private CpuMeter(Path stat) {
        this.stat = stat;
        this.startTicks = ticks(stat);
        this.startNanos = System.nanoTime();
    }

    /** A meter of {@code pid} (0: none, which reads as -1). */
    static CpuMeter of(long pid) {
        return new CpuMeter(pid > 0 ? Path.of("/proc", Long.toString(pid), "stat") : null);
    }

    static CpuMeter self() {
        return new CpuMeter(Path.of("/proc/self/stat"));
    }

    /** The whole machine's busy time (every CPU), from {@code /proc/stat}. */
    static CpuMeter machine() {
        return new CpuMeter(Path.of("/proc/stat"));
    }

    /** Cores used on average since this meter was made, or -1 when unknown. */
    double cores() {
        if (stat == null || startTicks < 0) {
            return -1;
        }
        long now = ticks(stat);
        double wall = (System.nanoTime() - startNanos) / 1e9;
        if (now < 0 || wall <= 0) {
            return -1;
        }
        return (now - startTicks) * TICK_SECONDS / wall;
    }

    static long ticks(Path stat) {
        if (stat == null) {
            return -1;
        }
        try {
            String s = Files.readString(stat);
            if (stat.getFileName().toString().equals("stat") && stat.getParent() != null
                    && stat.getParent().toString().equals("/proc")) {
                // cpu  user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait
                String[] f = s.substring(0, s.indexOf('\n')).trim().split("\\s+");
                long busy = 0;
                for (int i = 1; i < Math.min(f.length, 9); i++) {
                    if (i != 4 && i != 5) {
                        busy += Long.parseLong(f[i]);
                    }
                }
                return busy;
            }
            // the command name (field 2) may hold spaces: fields are counted after its closing parenthesis
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);    // utime, stime: fields 14 and 15
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Records what the three meters saw into the report, for one round of a metric. */
    static void record(Report report, Report.Metric m, Report.Side side, CpuMeter server, CpuMeter client,
                       CpuMeter machine) {
        double s = server.cores();
        double c = client.cores();
        double all = machine.cores();
        if (s < 0 || c < 0 || all < 0) {
            return;
        }
        report.cpu(m, side, s, c, Math.max(0, all - s - c));
    }

    /**
     * {@code server 1.62 cores, client 0.38, others 0.02} for a note: what the measured server, this client and
     * every other process on the machine burned meanwhile. Others above a tenth of a core make a figure suspect
     * (a shared machine); empty when nothing is known.
     */
    static String describe(CpuMeter server, CpuMeter client, CpuMeter machine) {
        double s = server.cores();
        double c = client.cores();
        double m = machine.cores();
        StringBuilder b = new StringBuilder();
        if (s >= 0) {
            b.append(String.format(java.util.Locale.ROOT, "server %.2f cores", s));
        }
        if (c >= 0) {
            b.append(b.isEmpty() ? "" : ", ").append(String.format(java.util.Locale.ROOT, "client %.2f", c));
        }
        if (m >= 0 && s >= 0 && c >= 0) {
            b.append(String.format(java.util.Locale.ROOT, ", others %.2f", Math.max(0, m - s - c)));
        }
        return b.toString();
    }
}
