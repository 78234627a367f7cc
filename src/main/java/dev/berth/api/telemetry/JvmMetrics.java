package dev.berth.api.telemetry;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.RuntimeMXBean;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JVM's own numbers (from {@code java.lang.management}), read when scraped: memory by area and pool, buffer
 * pools (direct memory, where Netty's buffers live), threads, garbage collections, CPU time, open files, uptime.
 * Names follow the Prometheus Java client's, so existing dashboards work.
 */
public final class JvmMetrics {

    private JvmMetrics() {
    }

    public static void register(Metrics metrics) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        RuntimeMXBean runtime = ManagementFactory.getRuntimeMXBean();
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();

        metrics.gauges("jvm_memory_bytes_used", "Used bytes of a given JVM memory area.", "area",
                () -> areas(memory, MemoryUsage::getUsed));
        metrics.gauges("jvm_memory_bytes_committed", "Committed bytes of a given JVM memory area.", "area",
                () -> areas(memory, MemoryUsage::getCommitted));
        metrics.gauges("jvm_memory_bytes_max", "Max bytes of a given JVM memory area (-1 when unbounded).",
                "area", () -> areas(memory, MemoryUsage::getMax));
        metrics.gauges("jvm_memory_pool_bytes_used", "Used bytes of a given JVM memory pool.", "pool", () -> {
            Map<String, Long> m = new LinkedHashMap<>();
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                MemoryUsage u = p.getUsage();
                if (u != null) {
                    m.put(p.getName(), u.getUsed());
                }
            }
            return m;
        });
        metrics.gauges("jvm_buffer_pool_used_bytes", "Used bytes of a given JVM buffer pool (direct, mapped).",
                "pool", () -> {
                    Map<String, Long> m = new LinkedHashMap<>();
                    for (BufferPoolMXBean p : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
                        m.put(p.getName(), p.getMemoryUsed());
                    }
                    return m;
                });
        metrics.gauge("jvm_threads_current", "Current thread count of the JVM (platform threads).",
                threads::getThreadCount);
        metrics.gauge("jvm_threads_daemon", "Daemon thread count of the JVM.", threads::getDaemonThreadCount);
        metrics.gauge("jvm_threads_peak", "Peak thread count of the JVM.", threads::getPeakThreadCount);
        metrics.gauges("jvm_gc_collection_seconds_count", "Garbage collections of a given collector.", "gc", () -> {
            Map<String, Long> m = new LinkedHashMap<>();
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                m.put(gc.getName(), Math.max(0, gc.getCollectionCount()));
            }
            return m;
        });
        metrics.gauges("jvm_gc_collection_seconds_sum", "Time spent in a given collector, in seconds.", "gc", () -> {
            Map<String, Double> m = new LinkedHashMap<>();
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                m.put(gc.getName(), Math.max(0, gc.getCollectionTime()) / 1000.0);
            }
            return m;
        });
        metrics.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.",
                () -> runtime.getStartTime() / 1000.0);
        metrics.gauge("process_uptime_seconds", "Time since the JVM started, in seconds.",
                () -> runtime.getUptime() / 1000.0);
        metrics.gauge("process_available_processors", "Processors available to the JVM.",
                os::getAvailableProcessors);
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            metrics.counterCallback("process_cpu_seconds_total", "CPU time used by the process, in seconds.",
                    () -> sun.getProcessCpuTime() / 1e9);
        }
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            metrics.gauge("process_open_fds", "Open file descriptors.", unix::getOpenFileDescriptorCount);
            metrics.gauge("process_max_fds", "Limit of open file descriptors.", unix::getMaxFileDescriptorCount);
        }
    }

    private static Map<String, Long> areas(MemoryMXBean memory, java.util.function.ToLongFunction<MemoryUsage> f) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("heap", f.applyAsLong(memory.getHeapMemoryUsage()));
        m.put("nonheap", f.applyAsLong(memory.getNonHeapMemoryUsage()));
        return m;
    }
}
