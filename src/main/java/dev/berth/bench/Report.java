package dev.berth.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run measured: for every metric, the value of each round on the target and on the baseline, with notes
 * (errors, what a figure was checked against). Printed as a Markdown table of medians with the ratio
 * (always "how many times better the target is": target/baseline for rates, baseline/target for times), and as
 * JSON with every round.
 */
public final class Report {

    enum Side { TARGET, BASELINE }

    /** Which direction is better. */
    enum Better { HIGHER, LOWER }

    /** A figure the benchmark reports. */
    record Metric(String id, String label, String unit, Better better, int decimals) {
    }

    private static final class Row {
        final Metric metric;
        final Map<Side, List<Double>> values = new LinkedHashMap<>();
        final Map<Side, List<String>> notes = new LinkedHashMap<>();
        final Map<Side, List<double[]>> cpu = new LinkedHashMap<>();

        Row(Metric metric) {
            this.metric = metric;
        }
    }

    private final Map<String, Row> rows = new LinkedHashMap<>();
    private final List<String> comparisons = new ArrayList<>();
    private final ObjectNode comparisonsJson = new ObjectMapper().createObjectNode();
    private final Map<String, String> context = new LinkedHashMap<>();
    private final List<String> failures = new ArrayList<>();

    void context(String key, String value) {
        context.put(key, value);
    }

    synchronized void add(Metric m, Side side, double value) {
        rows.computeIfAbsent(m.id(), k -> new Row(m)).values.computeIfAbsent(side, s -> new ArrayList<>()).add(value);
    }

    synchronized void note(Metric m, Side side, String note) {
        List<String> list = rows.computeIfAbsent(m.id(), k -> new Row(m)).notes
                .computeIfAbsent(side, s -> new ArrayList<>());
        if (!list.contains(note)) {
            list.add(note);
        }
    }

    /**
     * The cores the server, the client and every other process used while one round of a metric was measured
     * (negative: unknown). The table shows the median of each over the rounds.
     */
    synchronized void cpu(Metric m, Side side, double server, double client, double others) {
        rows.computeIfAbsent(m.id(), k -> new Row(m)).cpu.computeIfAbsent(side, s -> new ArrayList<>())
                .add(new double[] {server, client, others});
    }

    private static String cpuNote(List<double[]> rounds) {
        if (rounds == null || rounds.isEmpty() || rounds.get(0)[0] < 0) {
            return null;
        }
        double[] med = new double[3];
        for (int k = 0; k < 3; k++) {
            List<Double> v = new ArrayList<>();
            for (double[] r : rounds) {
                v.add(r[k]);
            }
            med[k] = median(v);
        }
        return String.format(Locale.ROOT, "cores server %.2f, client %.2f, others %.2f", med[0], med[1], med[2]);
    }

    /** A figure compared with something other than the baseline (the file server), as a line under the table. */
    synchronized void comparison(String id, String text, double target, double other, String otherLabel) {
        comparisons.add(text);
        ObjectNode o = comparisonsJson.putObject(id);
        o.put("target", target);
        o.put(otherLabel, other);
        o.put("ratio", other == 0 ? 0 : target / other);
    }

    synchronized void failure(String what) {
        failures.add(what);
    }

    public List<String> failures() {
        return List.copyOf(failures);
    }

    /** The median of a metric's rounds on one side, or NaN. */
    synchronized double median(String id, Side side) {
        Row r = rows.get(id);
        if (r == null || !r.values.containsKey(side)) {
            return Double.NaN;
        }
        return median(r.values.get(side));
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Target's advantage: >1 means the target is better, whatever the metric's direction. */
    static double ratio(Metric m, double target, double baseline) {
        if (Double.isNaN(target) || Double.isNaN(baseline) || target == 0 || baseline == 0) {
            return Double.NaN;
        }
        return m.better() == Better.HIGHER ? target / baseline : baseline / target;
    }

    synchronized String table(boolean withBaseline, String targetLabel, String baselineLabel) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> e : context.entrySet()) {
            out.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        out.append('\n');
        if (withBaseline) {
            out.append("| metric | unit | ").append(targetLabel).append(" | ").append(baselineLabel)
                    .append(" | ratio | notes |\n|---|---|---:|---:|---:|---|\n");
        } else {
            out.append("| metric | unit | ").append(targetLabel).append(" | notes |\n|---|---|---:|---|\n");
        }
        for (Row r : rows.values()) {
            double t = r.values.containsKey(Side.TARGET) ? median(r.values.get(Side.TARGET)) : Double.NaN;
            double b = r.values.containsKey(Side.BASELINE) ? median(r.values.get(Side.BASELINE)) : Double.NaN;
            out.append("| ").append(r.metric.label()).append(" | ").append(r.metric.unit()).append(" | ")
                    .append(format(t, r.metric.decimals(), r.values.get(Side.TARGET)));
            if (withBaseline) {
                out.append(" | ").append(format(b, r.metric.decimals(), r.values.get(Side.BASELINE)));
                double ratio = ratio(r.metric, t, b);
                out.append(" | ").append(Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio));
            }
            List<String> notes = new ArrayList<>();
            for (Side side : Side.values()) {
                List<String> sideNotes = new ArrayList<>(r.notes.getOrDefault(side, List.of()));
                String cpu = cpuNote(r.cpu.get(side));
                if (cpu != null) {
                    sideNotes.add(cpu);
                }
                if (!sideNotes.isEmpty()) {
                    notes.add((withBaseline ? (side == Side.TARGET ? targetLabel : baselineLabel) + ": " : "")
                            + String.join(", ", sideNotes));
                }
            }
            out.append(" | ").append(String.join("; ", notes)).append(" |\n");
        }
        if (!comparisons.isEmpty()) {
            out.append('\n');
            comparisons.forEach(c -> out.append(c).append('\n'));
        }
        if (!failures.isEmpty()) {
            out.append("\nFailed steps:\n");
            failures.forEach(f -> out.append("- ").append(f).append('\n'));
        }
        return out.toString();
    }

    /** {@code 123}, or {@code 123 (110-130)} when rounds differ. */
    private static String format(double median, int decimals, List<Double> rounds) {
        if (Double.isNaN(median)) {
            return "-";
        }
        String m = String.format(Locale.ROOT, "%." + decimals + "f", median);
        if (rounds == null || rounds.size() < 2) {
            return m;
        }
        double lo = rounds.stream().mapToDouble(Double::doubleValue).min().orElse(median);
        double hi = rounds.stream().mapToDouble(Double::doubleValue).max().orElse(median);
        return m + String.format(Locale.ROOT, " (%." + decimals + "f-%." + decimals + "f)", lo, hi);
    }

    synchronized String json(String targetLabel, String baselineLabel) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        ObjectNode ctx = root.putObject("context");
        context.forEach(ctx::put);
        root.put("ratioMeaning", "how many times better the target is: target/baseline for rates, "
                + "baseline/target for times and sizes");
        ArrayNode metrics = root.putArray("metrics");
        for (Row r : rows.values()) {
            ObjectNode o = metrics.addObject();
            o.put("id", r.metric.id());
            o.put("label", r.metric.label());
            o.put("unit", r.metric.unit());
            o.put("better", r.metric.better().name().toLowerCase(Locale.ROOT));
            side(o, "target", targetLabel, r, Side.TARGET);
            side(o, "baseline", baselineLabel, r, Side.BASELINE);
            double t = r.values.containsKey(Side.TARGET) ? median(r.values.get(Side.TARGET)) : Double.NaN;
            double b = r.values.containsKey(Side.BASELINE) ? median(r.values.get(Side.BASELINE)) : Double.NaN;
            double ratio = ratio(r.metric, t, b);
            if (!Double.isNaN(ratio)) {
                o.put("ratio", ratio);
            }
        }
        if (!comparisonsJson.isEmpty()) {
            root.set("comparisons", comparisonsJson);
        }
        ArrayNode f = root.putArray("failures");
        failures.forEach(f::add);
        try {
            return mapper.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void side(ObjectNode o, String key, String label, Row r, Side side) {
        List<Double> values = r.values.get(side);
        if (values == null) {
            return;
        }
        ObjectNode s = o.putObject(key);
        s.put("label", label);
        s.put("median", median(values));
        ArrayNode rounds = s.putArray("rounds");
        values.forEach(rounds::add);
        List<String> notes = r.notes.get(side);
        if (notes != null) {
            ArrayNode n = s.putArray("notes");
            notes.forEach(n::add);
        }
        List<double[]> cpu = r.cpu.get(side);
        if (cpu != null) {
            ArrayNode c = s.putArray("cores");
            for (double[] round : cpu) {
                ObjectNode o2 = c.addObject();
                o2.put("server", round[0]);
                o2.put("client", round[1]);
                o2.put("others", round[2]);
            }
        }
    }
}
