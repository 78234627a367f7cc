package dev.berth.cli;

import dev.berth.config.BerthConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

    /** One in-process run of the command: exit code and what it wrote. */
    private record Run(int code, String out, String err) {
    }

    private final List<BerthConfig> started = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A server that "starts" on port 4321 and returns from awaitTermination at once. */
    private final ServeCommand.Launcher fakeServer = config -> {
        started.add(config);
        return new ServeCommand.Running() {
            @Override
            public int port() {
                return config.http().port() == 0 ? 4321 : config.http().port();
            }

            @Override
            public void close() {
                closed.set(true);
            }

            @Override
            public void awaitTermination() {
            }
        };
    };

    private Run run(Map<String, String> env, ServeCommand.Launcher launcher, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine(env, launcher);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Run run(String... args) {
        return run(Map.of(), fakeServer, args);
    }

    @Test
    void help_exitsZero_andListsCommands() {
        Run r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: berth").contains("serve").contains("version").contains("--version");
        assertThat(run("-h").out()).isEqualTo(r.out());
    }

    @Test
    void everyCommand_hasHelp() {
        Run serve = run("serve", "--help");
        assertThat(serve.code()).isZero();
        assertThat(serve.out()).contains("Usage: berth serve").contains("--config=FILE").contains("BERTH_");
        Run version = run("version", "-h");
        assertThat(version.code()).isZero();
        assertThat(version.out()).contains("Usage: berth version");
        assertThat(run("help", "serve").out()).isEqualTo(serve.out());
    }

    @Test
    void version_printsBerthAndVersion() {
        Run r = run("version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("berth " + Main.version() + System.lineSeparator());
        // run from classes rather than the jar there is no manifest version
        assertThat(Main.version()).isNotBlank();
        Run flag = run("--version");
        assertThat(flag.code()).isZero();
        assertThat(flag.out()).isEqualTo(r.out());
    }

    @Test
    void noCommand_printsUsage_exitsTwo() {
        Run r = run();
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("missing command").contains("Usage: berth");
    }

    @Test
    void unknownOption_exitsTwo() {
        Run r = run("serve", "--confg", "x.yml");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--confg");
    }

    @Test
    void serve_badConfigFile_exitsTwo_namingTheKey(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, "http:\n  addr: 127.0.0.1:70000\n");
        Run r = run("serve", "--config", file.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("berth: configuration error (" + file + "): "
                + "http.addr: port must be 0-65535, got 70000" + System.lineSeparator());
        assertThat(r.out()).isEmpty();
        assertThat(started).isEmpty();
    }

    @Test
    void serve_unknownKeys_exitTwo_listingThem(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, "http:\n  adr: :1\nstorage:\n  azure:\n    accountname: b\n");
        Run r = run("serve", "-c", file.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("2 configuration errors")
                .contains("  unknown configuration key: http.adr")
                .contains("  not supported by Berth: storage.azure")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void serve_missingConfigFile_exitsTwo(@TempDir Path dir) {
        Run r = run("serve", "--config", dir.resolve("absent.yml").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("config file not found: ");
    }

    @Test
    void serve_badEnvironmentOverride_exitsTwo() {
        Run r = run(Map.of("BERTH_DATABASE_MAXPOOLSIZE", "lots"), fakeServer, "serve");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("database.maxpoolsize (from BERTH_DATABASE_MAXPOOLSIZE): "
                + "must be a whole number of at least 1, got lots");
    }

    @Test
    void serve_startsServer_andPrintsWhereItListens(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, "http:\n  addr: 127.0.0.1:0\nstorage:\n  inmemory: {}\n");
        Run r = run(Map.of("BERTH_STORAGE_DELETE_ENABLED", "true"), fakeServer, "serve", "--config", file.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("berth listening on http://127.0.0.1:4321" + System.lineSeparator());
        assertThat(started).hasSize(1);
        assertThat(started.get(0).storage().driver()).isEqualTo("inmemory");
        assertThat(started.get(0).storage().deleteEnabled()).isTrue();
    }

    @Test
    void serve_withoutConfig_usesDefaultsAndEnvironment() {
        Run r = run(Map.of("BERTH_HTTP_ADDR", ":6001"), fakeServer, "serve");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("berth listening on http://0.0.0.0:6001" + System.lineSeparator());
        assertThat(started.get(0).storage()).isEqualTo(BerthConfig.defaults().storage());
    }

    @Test
    void serve_ipv6Host_isBracketedInTheUrl() {
        Run r = run(Map.of("BERTH_HTTP_ADDR", "[::1]:0"), fakeServer, "serve");
        assertThat(r.out()).isEqualTo("berth listening on http://[::1]:4321" + System.lineSeparator());
    }

    @Test
    void serve_withTls_printsAnHttpsUrl(@TempDir Path dir) throws IOException {
        Path cert = Files.writeString(dir.resolve("server.crt"), "read when the server starts");
        Path key = Files.writeString(dir.resolve("server.key"), "read when the server starts");
        Run r = run(Map.of("BERTH_HTTP_ADDR", "127.0.0.1:0", "BERTH_HTTP_TLS_CERTIFICATE", cert.toString(),
                "BERTH_HTTP_TLS_KEY", key.toString()), fakeServer, "serve");
        assertThat(r.out()).isEqualTo("berth listening on https://127.0.0.1:4321" + System.lineSeparator());
    }

    @Test
    void serve_portInUse_exitsOne_withOneLine() {
        Run r = run(Map.of(), config -> {
            throw new BindException("Address already in use");
        }, "serve");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("berth: could not start: Address already in use" + System.lineSeparator());
    }

    @Test
    void logFormatter_writesOneLine() {
        var record = new java.util.logging.LogRecord(java.util.logging.Level.INFO, "hello {0}");
        record.setParameters(new Object[] {"world"});
        record.setLoggerName("dev.berth.cli.ServeCommand");
        record.setInstant(java.time.Instant.parse("2026-11-29T15:00:00.123Z"));
        assertThat(new Logging.OneLineFormatter().format(record))
                .isEqualTo("2026-11-29T15:00:00.123Z INFO  dev.berth.cli.ServeCommand hello world"
                        + System.lineSeparator());
        record.setLevel(java.util.logging.Level.WARNING);
        assertThat(new Logging.OneLineFormatter().format(record)).contains("Z WARN  dev.berth");
        record.setLevel(java.util.logging.Level.SEVERE);
        assertThat(new Logging.OneLineFormatter().format(record)).contains("Z ERROR dev.berth");
    }
}
