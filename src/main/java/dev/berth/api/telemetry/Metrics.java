package dev.berth.api.telemetry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The registry of Berth's metrics and their Prometheus text exposition (format 0.0.4), without any library: counters,
 * gauges and histograms, each a family of children by label values. It lives below every other package (and knows
 * no Netty) so storage, metadata, services and the HTTP adapter can all report into one instance; there is one
 * instance per running server, never a global one (tests run many servers in one JVM).
 *
 * <p>On hot paths, look a child up once and keep it ({@code family.labels("blob", "GET")}): its updates are
 * {@link LongAdder}s. Registering a family twice with the same name and type returns the first one, so code that
 * reports into a family need not know who created it.
 */
public final class Metrics {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    /** Latency buckets in seconds, from half a millisecond to five minutes. */
    public static final double[] LATENCY_BUCKETS = {
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

    private final Map<String, Family<?>> families = new ConcurrentHashMap<>();

    // ------------------------------------------------------------------------------------------------ families

    /** A counter family; {@code labels} name its labels (none: one child, {@link CounterFamily#get()}). */
    public CounterFamily counter(String name, String help, String... labels) {
        return register(name, CounterFamily.class, () -> new CounterFamily(name, help, labels));
    }

    /** A gauge family whose children are set or moved by hand. */
    public GaugeFamily gauge(String name, String help, String... labels) {
        return register(name, GaugeFamily.class, () -> new GaugeFamily(name, help, labels));
    }

    /** A gauge read when scraped. */
    public void gauge(String name, String help, DoubleSupplier value) {
        Objects.requireNonNull(value, "value");
        register(name, CallbackFamily.class, () -> new CallbackFamily(name, help, "gauge",
                List.of(new Sample("", List.of(), List.of(), value))));
    }

    /** A counter read when scraped (for counts kept elsewhere, such as the JVM's). */
    public void counterCallback(String name, String help, DoubleSupplier value) {
        Objects.requireNonNull(value, "value");
        register(name, CallbackFamily.class, () -> new CallbackFamily(name, help, "counter",
                List.of(new Sample("", List.of(), List.of(), value))));
    }

    /** A family of gauges read when scraped, one per entry of what {@code values} returns at that moment. */
    public void gauges(String name, String help, String label, java.util.function.Supplier<Map<String, ? extends Number>> values) {
        Objects.requireNonNull(values, "values");
        register(name, DynamicFamily.class, () -> new DynamicFamily(name, help, "gauge", label, values));
    }

    /** A histogram family with the given upper bounds (seconds for latencies, bytes for sizes). */
    public HistogramFamily histogram(String name, String help, double[] buckets, String... labels) {
        return register(name, HistogramFamily.class, () -> new HistogramFamily(name, help, buckets, labels));
    }

    private <F extends Family<?>> F register(String name, Class<F> type, java.util.function.Supplier<F> create) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a metric name: " + name);
        }
        Family<?> f = families.computeIfAbsent(name, n -> create.get());
        if (!type.isInstance(f)) {
            throw new IllegalArgumentException("metric " + name + " is already registered as a "
                    + f.getClass().getSimpleName());
        }
        return type.cast(f);
    }

    // ------------------------------------------------------------------------------------------------ exposition

    /** The content type of {@link #scrape()}. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** Every family in the Prometheus text format, sorted by name. */
    public String scrape() {
        StringBuilder out = new StringBuilder(16 * 1024);
        List<Family<?>> sorted = new ArrayList<>(families.values());
        sorted.sort(Comparator.comparing(f -> f.name));
        for (Family<?> f : sorted) {
            out.append("# HELP ").append(f.name).append(' ');
            escapeHelp(f.help, out);
            out.append('\n').append("# TYPE ").append(f.name).append(' ').append(f.type).append('\n');
            f.write(out);
        }
        return out.toString();
    }

    private static void escapeHelp(String s, StringBuilder out) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                out.append("\\\\");
            } else if (c == '\n') {
                out.append("\\n");
            } else {
                out.append(c);
            }
        }
    }

    static void sampleLine(StringBuilder out, String name, List<String> labelNames, List<String> labelValues,
                           String extraName, String extraValue, String value) {
        out.append(name);
        boolean any = !labelNames.isEmpty() || extraName != null;
        if (any) {
            out.append('{');
            for (int i = 0; i < labelNames.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                out.append(labelNames.get(i)).append("=\"");
                escapeLabel(labelValues.get(i), out);
                out.append('"');
            }
            if (extraName != null) {
                if (!labelNames.isEmpty()) {
                    out.append(',');
                }
                out.append(extraName).append("=\"");
                escapeLabel(extraValue, out);
                out.append('"');
            }
            out.append('}');
        }
        out.append(' ').append(value).append('\n');
    }

    private static void escapeLabel(String s, StringBuilder out) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
    }

    /** A number as Prometheus reads it: whole numbers without a fraction, {@code +Inf}, {@code NaN}. */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    // ------------------------------------------------------------------------------------------------ types

    /** A metric family: a name, help, type, label names and children by label values. */
    public abstract static class Family<C> {
        final String name;
        final String help;
        final String type;
        final List<String> labelNames;
        private final Map<List<String>, C> children = new ConcurrentHashMap<>();
        private final Function<List<String>, C> create;

        Family(String name, String help, String type, String[] labelNames, Function<List<String>, C> create) {
            this.name = name;
            this.help = Objects.requireNonNull(help, "help");
            this.type = type;
            for (String l : labelNames) {
                if (!LABEL.matcher(l).matches() || l.startsWith("__") || l.equals("le")) {
                    throw new IllegalArgumentException("not a label name: " + l);
                }
            }
            this.labelNames = List.of(labelNames);
            this.create = create;
        }

        /** The child for these label values (created on first use; keep it on hot paths). */
        public C labels(String... values) {
            if (values.length != labelNames.size()) {
                throw new IllegalArgumentException(name + " takes labels " + labelNames + ", got "
                        + Arrays.toString(values));
            }
            List<String> key = List.of(values);
            C c = children.get(key);
            return c != null ? c : children.computeIfAbsent(key, create);
        }

        /** The only child of a family without labels. */
        public C get() {
            return labels();
        }

        void write(StringBuilder out) {
            TreeMap<String, Map.Entry<List<String>, C>> sorted = new TreeMap<>();
            for (Map.Entry<List<String>, C> e : children.entrySet()) {
                sorted.put(String.join("\u0000", e.getKey()), e);
            }
            for (Map.Entry<List<String>, C> e : sorted.values()) {
                writeChild(out, e.getKey(), e.getValue());
            }
        }

        abstract void writeChild(StringBuilder out, List<String> labelValues, C child);
    }

    /** A value that only goes up. */
    public static final class Counter {
        private final LongAdder value = new LongAdder();

        public void inc() {
            value.increment();
        }

        public void add(long n) {
            if (n < 0) {
                throw new IllegalArgumentException("a counter only goes up");
            }
            value.add(n);
        }

        public long value() {
            return value.sum();
        }
    }

    public static final class CounterFamily extends Family<Counter> {
        CounterFamily(String name, String help, String[] labels) {
            super(name, help, "counter", labels, k -> new Counter());
        }

        @Override
        void writeChild(StringBuilder out, List<String> labelValues, Counter c) {
            sampleLine(out, name, labelNames, labelValues, null, null, Long.toString(c.value()));
        }
    }

    /** A value that goes up and down. */
    public static final class Gauge {
        private final LongAdder value = new LongAdder();

        public void inc() {
            value.increment();
        }

        public void dec() {
            value.decrement();
        }

        public void add(long n) {
            value.add(n);
        }

        public void set(long n) {
            synchronized (this) {
                value.add(n - value.sum());
            }
        }

        public long value() {
            return value.sum();
        }
    }

    public static final class GaugeFamily extends Family<Gauge> {
        GaugeFamily(String name, String help, String[] labels) {
            super(name, help, "gauge", labels, k -> new Gauge());
        }

        @Override
        void writeChild(StringBuilder out, List<String> labelValues, Gauge g) {
            sampleLine(out, name, labelNames, labelValues, null, null, Long.toString(g.value()));
        }
    }

    /** Counts of observations in buckets, their sum and count. */
    public static final class Histogram {
        private final double[] bounds;
        private final long[] nanoBounds;
        private final LongAdder[] buckets;     // not cumulative: bucket i counts bounds[i-1] < v <= bounds[i]
        private final LongAdder sumNanos = new LongAdder();
        private final LongAdder count = new LongAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.nanoBounds = new long[bounds.length];
            for (int i = 0; i < bounds.length; i++) {
                nanoBounds[i] = (long) (bounds[i] * 1e9);
            }
            this.buckets = new LongAdder[bounds.length + 1];
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = new LongAdder();
            }
        }

        /** Records a duration in nanoseconds (the bounds are seconds). */
        public void observeNanos(long nanos) {
            int i = 0;
            while (i < nanoBounds.length && nanos > nanoBounds[i]) {
                i++;
            }
            buckets[i].increment();
            sumNanos.add(nanos);
            count.increment();
        }

        /** Records the time since {@code startNanos} ({@link System#nanoTime()}). */
        public void observeSince(long startNanos) {
            observeNanos(System.nanoTime() - startNanos);
        }

        public long count() {
            return count.sum();
        }

        /** The sum of observations in seconds. */
        public double sum() {
            return sumNanos.sum() / 1e9;
        }
    }

    public static final class HistogramFamily extends Family<Histogram> {
        private final double[] bounds;
        private final String[] les;

        HistogramFamily(String name, String help, double[] buckets, String[] labels) {
            super(name, help, "histogram", labels, k -> new Histogram(buckets.clone()));
            for (int i = 1; i < buckets.length; i++) {
                if (!(buckets[i] > buckets[i - 1])) {
                    throw new IllegalArgumentException("buckets must increase: " + Arrays.toString(buckets));
                }
            }
            this.bounds = buckets.clone();
            this.les = new String[buckets.length];
            for (int i = 0; i < buckets.length; i++) {
                les[i] = number(buckets[i]);
            }
        }

        @Override
        void writeChild(StringBuilder out, List<String> labelValues, Histogram h) {
            long cumulative = 0;
            for (int i = 0; i < bounds.length; i++) {
                cumulative += h.buckets[i].sum();
                sampleLine(out, name + "_bucket", labelNames, labelValues, "le", les[i], Long.toString(cumulative));
            }
            cumulative += h.buckets[bounds.length].sum();
            sampleLine(out, name + "_bucket", labelNames, labelValues, "le", "+Inf", Long.toString(cumulative));
            sampleLine(out, name + "_sum", labelNames, labelValues, null, null, number(h.sumNanos.sum() / 1e9));
            // the count written is the sum of the buckets, so the exposition is consistent under concurrent updates
            sampleLine(out, name + "_count", labelNames, labelValues, null, null, Long.toString(cumulative));
        }
    }

    private record Sample(String suffix, List<String> labelNames, List<String> labelValues, DoubleSupplier value) {
    }

    private static final class CallbackFamily extends Family<Void> {
        private final List<Sample> samples;

        CallbackFamily(String name, String help, String type, List<Sample> samples) {
            super(name, help, type, new String[0], k -> null);
            this.samples = samples;
        }

        @Override
        void write(StringBuilder out) {
            for (Sample s : samples) {
                double v;
                try {
                    v = s.value().getAsDouble();
                } catch (RuntimeException e) {
                    continue; // a source that cannot answer right now is left out of this scrape
                }
                sampleLine(out, name + s.suffix(), s.labelNames(), s.labelValues(), null, null, number(v));
            }
        }

        @Override
        void writeChild(StringBuilder out, List<String> labelValues, Void child) {
        }
    }

    private static final class DynamicFamily extends Family<Void> {
        private final String label;
        private final java.util.function.Supplier<Map<String, ? extends Number>> values;

        DynamicFamily(String name, String help, String type, String label,
                      java.util.function.Supplier<Map<String, ? extends Number>> values) {
            super(name, help, type, new String[] {label}, k -> null);
            this.label = label;
            this.values = values;
        }

        @Override
        void write(StringBuilder out) {
            Map<String, ? extends Number> now;
            try {
                now = new TreeMap<>(values.get());
            } catch (RuntimeException e) {
                return;
            }
            List<String> names = List.of(label);
            for (Map.Entry<String, ? extends Number> e : now.entrySet()) {
                sampleLine(out, name, names, List.of(e.getKey()), null, null, number(e.getValue().doubleValue()));
            }
        }

        @Override
        void writeChild(StringBuilder out, List<String> labelValues, Void child) {
        }
    }
}
