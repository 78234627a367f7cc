package dev.berth.cli;

import dev.berth.config.BerthConfig;
import dev.berth.registry.gc.GcSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The server collects garbage by itself when storage.maintenance.gc is enabled, and not when it is off. */
class BackgroundGcTest {

    @TempDir
    Path dir;

    private static BerthConfig withGc(BerthConfig c, boolean enabled) {
        return c.withStorage(c.storage().withGc(new GcSettings(enabled, Duration.ofSeconds(1), Duration.ZERO, false,
                List.of())));
    }

    private static String runsOk(BerthServer server) {
        return server.metrics().scrape().lines()
                .filter(l -> l.startsWith("berth_gc_runs_total{result=\"ok\"}"))
                .findFirst().orElse("");
    }

    @Test
    void gcEnabled_serverCollectsOnItsSchedule() throws Exception {
        try (BerthServer server = BerthServer.start(withGc(Ops.config(dir), true))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (runsOk(server).endsWith(" 0") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(runsOk(server)).isNotEmpty().doesNotEndWith(" 0");
        }
    }

    @Test
    void gcDisabled_serverNeverCollects() throws Exception {
        try (BerthServer server = BerthServer.start(withGc(Ops.config(dir), false))) {
            Thread.sleep(2500);
            assertThat(runsOk(server)).endsWith(" 0");
        }
    }
}
