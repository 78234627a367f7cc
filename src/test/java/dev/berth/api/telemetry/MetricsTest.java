package dev.berth.api.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.Map;

import org.junit.jupiter.api.Test;

class MetricsTest {

    @Test
    void exposition_isPrometheusText_withHelpTypeEscapedLabelsAndCumulativeBuckets() {
        Metrics m = new Metrics();
        m.counter("demo_requests_total", "Requests.\nTwo lines.", "path").labels("/a\"b\\c\nd").add(3);
        Metrics.Histogram h = m.histogram("demo_seconds", "Latency.", new double[] {0.001, 0.1}, "op").labels("get");
        h.observeNanos(500_000);         // 0.5 ms
        h.observeNanos(50_000_000);      // 50 ms
        h.observeNanos(2_000_000_000L);  // 2 s
        m.gauge("demo_up", "Up.", () -> 1);

        assertThat(m.scrape()).isEqualTo("""
                # HELP demo_requests_total Requests.\\nTwo lines.
                # TYPE demo_requests_total counter
                demo_requests_total{path="/a\\"b\\\\c\\nd"} 3
                # HELP demo_seconds Latency.
                # TYPE demo_seconds histogram
                demo_seconds_bucket{op="get",le="0.001"} 1
                demo_seconds_bucket{op="get",le="0.1"} 2
                demo_seconds_bucket{op="get",le="+Inf"} 3
                demo_seconds_sum{op="get"} 2.0505
                demo_seconds_count{op="get"} 3
                # HELP demo_up Up.
                # TYPE demo_up gauge
                demo_up 1
                """);
    }

    @Test
    void registeringTwice_returnsTheSameFamily_andADifferentTypeIsRefused() {
        Metrics m = new Metrics();
        m.counter("x_total", "X.", "a").labels("1").inc();
        m.counter("x_total", "X.", "a").labels("1").inc();
        assertThat(m.counter("x_total", "X.", "a").labels("1").value()).isEqualTo(2);
        assertThatThrownBy(() -> m.gauge("x_total", "X.")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.counter("bad name", "X.")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.counter("y_total", "Y.", "a").labels("1", "2"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    interface Store {
        String get(String key) throws IOException;
    }

    @Test
    void instrumented_timesEveryCall_andCountsOnlyTheFailuresThatAreErrors() throws Exception {
        Metrics m = new Metrics();
        Store real = key -> switch (key) {
            case "missing" -> throw new NoSuchFileException(key);
            case "broken" -> throw new IOException("disk on fire");
            default -> "value of " + key;
        };
        Store timed = Instrumented.wrap(Store.class, real,
                m.histogram("store_seconds", "S.", Metrics.LATENCY_BUCKETS, "driver", "operation"),
                m.counter("store_errors_total", "E.", "driver", "operation"),
                e -> !(e instanceof NoSuchFileException), "test");

        assertThat(timed.get("a")).isEqualTo("value of a");
        assertThatThrownBy(() -> timed.get("missing")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> timed.get("broken")).isInstanceOf(IOException.class).hasMessage("disk on fire");
        assertThat(Instrumented.unwrap(timed)).isSameAs(real);

        String text = m.scrape();
        assertThat(text).contains("store_seconds_count{driver=\"test\",operation=\"get\"} 3\n")
                .contains("store_errors_total{driver=\"test\",operation=\"get\"} 1\n");
    }

    @Test
    void dynamicGauges_andFailingSources_areScrapedSafely() {
        Metrics m = new Metrics();
        m.gauges("pool_bytes", "P.", "pool", () -> Map.of("b", 2, "a", 1.5));
        m.gauge("flaky", "F.", () -> {
            throw new UncheckedIOException(new IOException("no"));
        });
        assertThat(m.scrape()).contains("pool_bytes{pool=\"a\"} 1.5\npool_bytes{pool=\"b\"} 2\n")
                .contains("# TYPE flaky gauge\n").doesNotContain("\nflaky ");
    }

    @Test
    void traceparent_isParsedAsW3cSays() {
        TraceContext child = TraceContext.from("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 0);
        assertThat(child.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(child.parentSpanId()).isEqualTo("00f067aa0ba902b7");
        assertThat(child.sampled()).isTrue();
        assertThat(child.spanId()).matches("[0-9a-f]{16}");
        assertThat(child.traceparent()).startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-" + child.spanId());
        assertThat(TraceContext.from("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", 1).sampled())
                .isFalse();
        for (String bad : new String[] {"garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"}) {
            TraceContext fresh = TraceContext.from(bad, 1);
            assertThat(fresh.parentSpanId()).as(bad).isNull();
            assertThat(fresh.traceId()).as(bad).matches("[0-9a-f]{32}").isNotEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        }
        assertThat(TraceContext.from(null, 0).sampled()).isFalse();
        assertThat(TraceContext.childOf("garbage")).isNull();
        assertThat(TraceContext.childOf(null)).isNull();
        assertThat(TraceContext.childOf("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").parentSpanId())
                .isEqualTo("00f067aa0ba902b7");
    }
}
