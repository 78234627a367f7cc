package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.BerthConfig;
import dev.berth.config.ConfigLoader;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code berth config check}: the effective configuration with secrets masked, or every problem and exit 2. */
class ConfigCheckCommandTest {

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine(env, config -> {
            throw new AssertionError("config check must not start a server");
        });
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void validFile_printsTheEffectiveConfiguration_withSecretsMasked() throws IOException {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, """
                version: 0.1
                http:
                  addr: :5000
                  debug:
                    addr: 127.0.0.1:5001
                storage:
                  filesystem:
                    rootdirectory: /srv/registry
                database:
                  url: jdbc:postgresql://berth:urlpass@db/berth
                  password: dbpass
                notifications:
                  endpoints:
                    - name: hook
                      url: https://hooks.example/in
                      headers:
                        Authorization: [Bearer hooktoken]
                """);
        Run r = run(Map.of("BERTH_DATABASE_MAXPOOLSIZE", "3", "BERTH_TRACING_HEADERS_X_API_KEY", "tracekey"),
                "config", "check", file.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("# configuration OK: " + file
                        + " with environment overrides BERTH_DATABASE_MAXPOOLSIZE, BERTH_TRACING_HEADERS_X_API_KEY\n")
                .contains("  addr: 0.0.0.0:5000\n")
                .contains("    addr: 127.0.0.1:5001\n")
                .contains("    rootdirectory: /srv/registry\n")
                .contains("  url: jdbc:postgresql://berth:*****@db/berth\n")
                .contains("  password: *****\n")
                .contains("  maxpoolsize: 3\n")
                .contains("        Authorization: [*****]\n")
                .contains("    x-api-key: *****\n")
                .doesNotContain("urlpass").doesNotContain("dbpass").doesNotContain("hooktoken")
                .doesNotContain("tracekey");
        String yaml = r.out().lines().filter(l -> !l.startsWith("#")).reduce("", (a, b) -> a + b + "\n");
        assertThat(yaml).isEqualTo(ConfigLoader.describe(ConfigLoader.load(file,
                Map.of("BERTH_DATABASE_MAXPOOLSIZE", "3", "BERTH_TRACING_HEADERS_X_API_KEY", "tracekey"))));
    }

    @Test
    void noFile_checksTheDefaultsAndEnvironment() {
        Run r = run(Map.of(), "config", "check");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("# configuration OK: built-in defaults\n")
                .contains(ConfigLoader.describe(BerthConfig.defaults()));
    }

    @Test
    void distributionFile_withUnsupportedKeys_exitsTwo_namingEachKey() throws IOException {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, """
                version: 0.1
                http:
                  addr: :5000
                  prefix: /r
                  idletimeout: forever
                redis:
                  addr: localhost:6379
                storage:
                  filesystem:
                    rootdirectory: /var/lib/registry
                  swift:
                    container: c
                proxy:
                  remoteurl: https://upstream.example
                """);
        Run r = run(Map.of(), "config", "check", "--config", file.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("berth: 2 configuration errors (" + file + "):\n"
                + "  not supported by Berth: http.prefix, redis, storage.swift, proxy\n"
                + "  http.idletimeout: expected a duration like 90s, 5m, 168h or 1h30m, got forever\n");
    }

    @Test
    void config_withoutCommand_printsUsage_exitsTwo() {
        Run r = run(Map.of(), "config");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("berth config check FILE").contains("check");
        Run help = run(Map.of(), "config", "check", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Usage: berth config check").contains("masked");
    }
}
