package dev.berth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.cli.BenchCommand;
import dev.berth.http.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code berth bench} end to end, on small sizes, against two real Berth servers. */
class BenchCommandTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new BenchCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static final String[] SMALL = {"--blob-size", "3MiB", "--chunk-size", "1MiB", "--duration", "500ms",
            "--warmup", "100ms", "--connections", "4", "--small-count", "40", "--small-workers", "4", "--layers", "2",
            "--layer-size", "256KiB", "--tags", "30", "--repos", "12", "--page-size", "10", "--list-duration", "200ms",
            "--list-concurrency", "2", "--ab", "none", "--no-warmup", "--verify"};

    @Test
    void everyStep_onTargetAndBaseline_givesATableAndJson(@TempDir Path dir) throws Exception {
        try (TestServer target = TestServer.start(dir.resolve("t"));
             TestServer baseline = TestServer.start(dir.resolve("b"))) {
            Path json = dir.resolve("report.json");
            List<String> args = new ArrayList<>(List.of(SMALL));
            args.addAll(List.of("--target", "http://127.0.0.1:" + target.port(), "--baseline",
                    "http://127.0.0.1:" + baseline.port(), "--target-pid", Long.toString(ProcessHandle.current().pid()),
                    "--rounds", "2", "--run-id", "test1", "--json", json.toString()));
            Run r = run(args.toArray(String[]::new));

            assertThat(r.code()).as(r.err() + r.out()).isZero();
            assertThat(r.out()).contains("| push blob, monolithic (POST+PUT) | MiB/s |", "| pull Range (middle half) |",
                    "| HEAD blob | req/s |", "| GET manifest by tag | req/s |", "| push small blobs (POST+PUT) |",
                    "| image pull, digests verified | s |", "| GET tags/list (all tags) |",
                    "| list every repository, _catalog paging with n | ms |", "| server peak RSS (VmHWM) | MiB |")
                    .doesNotContain("Failed steps");
            JsonNode report = new ObjectMapper().readTree(Files.readString(json));
            assertThat(report.path("failures")).isEmpty();
            JsonNode push = null;
            for (JsonNode m : report.path("metrics")) {
                if (m.path("id").asText().equals("push.monolithic")) {
                    push = m;
                }
            }
            assertThat(push).isNotNull();
            assertThat(push.path("target").path("rounds")).hasSize(2);
            assertThat(push.path("baseline").path("rounds")).hasSize(2);
            assertThat(push.path("ratio").asDouble()).isPositive();
            assertThat(r.err()).contains("[round 2/2] push on baseline", "[round 2/2] push on target");
        }
    }

    @Test
    void target_only_withSelectedSteps(@TempDir Path dir) throws Exception {
        try (TestServer target = TestServer.start(dir)) {
            List<String> args = new ArrayList<>(List.of(SMALL));
            args.addAll(List.of("--target", "http://127.0.0.1:" + target.port(), "--only", "pull,head"));
            Run r = run(args.toArray(String[]::new));

            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("| pull blob | MiB/s |", "| HEAD blob | req/s |")
                    .doesNotContain("push blob", "| ratio |");
        }
    }

    @Test
    void badUsage_exits2() {
        assertThat(run("--baseline", "http://127.0.0.1:1").code()).isEqualTo(2);
        Run remote = run("--target", "http://192.0.2.1:5000");
        assertThat(remote.code()).isEqualTo(2);
        assertThat(remote.err()).contains("not a loopback address");
        assertThat(run("--target", "http://127.0.0.1:1", "--only", "everything").err()).contains("unknown step");
    }

    @Test
    void unreachableTarget_exits1() {
        Run r = run("--target", "http://127.0.0.1:1", "--no-warmup");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("not reachable");
    }
}
