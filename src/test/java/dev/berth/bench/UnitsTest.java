package dev.berth.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UnitsTest {

    @Test
    void sizes() {
        assertThat(Units.parseSize("4096")).isEqualTo(4096);
        assertThat(Units.parseSize("4KiB")).isEqualTo(4096);
        assertThat(Units.parseSize("16MiB")).isEqualTo(16L << 20);
        assertThat(Units.parseSize("1GiB")).isEqualTo(1L << 30);
        assertThat(Units.parseSize("2g")).isEqualTo(2L << 30);
        assertThat(Units.size(1L << 30)).isEqualTo("1 GiB");
        assertThat(Units.size(16L << 20)).isEqualTo("16 MiB");
        assertThatThrownBy(() -> Units.parseSize("lots")).hasMessageContaining("not a size");
    }

    @Test
    void durations() {
        assertThat(Units.parseDuration("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Units.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Units.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Units.parseDuration("3")).isEqualTo(Duration.ofSeconds(3));
        assertThatThrownBy(() -> Units.parseDuration("soon")).hasMessageContaining("not a duration");
    }

    @Test
    void targets_areLoopbackOnly_unlessAllowed() {
        assertThat(Target.parse("--target", "http://127.0.0.1:5052", 0, false).port()).isEqualTo(5052);
        assertThat(Target.parse("--target", "http://[::1]:5052/", 0, false).host()).isEqualTo("::1");
        assertThatThrownBy(() -> Target.parse("--target", "http://192.0.2.1:5000", 0, false))
                .hasMessageContaining("not a loopback address");
        assertThat(Target.parse("--target", "http://192.0.2.1:5000", 0, true).host()).isEqualTo("192.0.2.1");
        assertThatThrownBy(() -> Target.parse("--target", "https://127.0.0.1:5000", 0, false))
                .hasMessageContaining("http://HOST:PORT");
        assertThatThrownBy(() -> Target.parse("--target", "http://127.0.0.1:5000/v2/", 0, false))
                .hasMessageContaining("without a path");
    }
}
