package dev.berth.config;

import dev.berth.registry.gc.RetentionPolicy;

import dev.berth.registry.gc.Glob;

import dev.berth.registry.gc.GcSettings;

import dev.berth.config.ConfigLoader.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {

    private static final Map<String, String> NO_ENV = Map.of();

    private static BerthConfig parse(String yaml) {
        return ConfigLoader.parse(yaml, "config.yml", NO_ENV);
    }

    private static String problem(String yaml) {
        return problem(yaml, NO_ENV);
    }

    private static String problem(String yaml, Map<String, String> env) {
        try {
            ConfigLoader.parse(yaml, "config.yml", env);
        } catch (ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a ConfigException for:\n" + yaml);
    }

    @Test
    void noFile_noEnv_givesDefaults() {
        assertThat(ConfigLoader.load(null, NO_ENV)).isEqualTo(BerthConfig.defaults());
        assertThat(ConfigLoader.load(NO_ENV)).isEqualTo(BerthConfig.defaults());
    }

    @Test
    void emptyFile_givesDefaults() {
        assertThat(parse("")).isEqualTo(BerthConfig.defaults());
        assertThat(parse("# nothing here\n")).isEqualTo(BerthConfig.defaults());
    }

    @Test
    void fullFile_setsEveryKey(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, """
                version: 0.1
                log:
                  level: info
                  fields:
                    service: registry
                http:
                  addr: 10.1.2.3:5001
                  idletimeout: 90s
                  maxmanifestbytes: 1048576
                  maxpagesize: 250
                storage:
                  filesystem:
                    rootdirectory: /srv/registry
                  delete:
                    enabled: true
                  maintenance:
                    uploadpurging:
                      age: 48h
                database:
                  url: jdbc:postgresql://db:5432/berth
                  username: berth
                  password: s3cret
                  maxpoolsize: 20
                """);
        BerthConfig c = ConfigLoader.load(file, NO_ENV);
        assertThat(c.http()).isEqualTo(new BerthConfig.Http("10.1.2.3", 5001, Duration.ofSeconds(90), 1048576, 250));
        assertThat(c.storage()).isEqualTo(
                new BerthConfig.Storage("filesystem", Path.of("/srv/registry"), true, Duration.ofHours(48)));
        assertThat(c.database()).isEqualTo(
                new BerthConfig.Database("jdbc:postgresql://db:5432/berth", "berth", "s3cret", 20));
    }

    @Test
    void inmemoryDriver_isSelectedByItsKey() {
        BerthConfig c = parse("""
                storage:
                  inmemory: {}
                """);
        assertThat(c.storage().driver()).isEqualTo("inmemory");
        assertThat(parse("storage:\n  inmemory:\n").storage().driver()).isEqualTo("inmemory");
    }

    @Test
    void twoDrivers_areRefused() {
        assertThat(problem("""
                storage:
                  filesystem:
                    rootdirectory: /x
                  inmemory: {}
                """)).isEqualTo("storage: configure exactly one driver, got filesystem and inmemory");
    }

    @Test
    void distributionDefaultsThatMatchBerth_areAccepted() {
        BerthConfig c = parse("""
                version: 0.1
                log:
                  fields:
                    service: registry
                http:
                  addr: :5000
                  net: tcp
                  secret: asecretforlocaldevelopment
                storage:
                  cache:
                    blobdescriptor: inmemory
                  filesystem:
                    rootdirectory: /var/lib/registry
                  maintenance:
                    uploadpurging:
                      enabled: true
                      age: 168h
                      dryrun: false
                """);
        assertThat(c.http().host()).isEqualTo("0.0.0.0");
        assertThat(c.http().port()).isEqualTo(5000);
        assertThat(c.storage().rootDirectory()).isEqualTo(Path.of("/var/lib/registry"));
    }

    @Test
    void envOverrides_replaceFileAndDefaultValues() {
        Map<String, String> env = Map.of(
                "BERTH_HTTP_ADDR", "0.0.0.0:6000",
                "BERTH_HTTP_IDLETIMEOUT", "1h30m",
                "BERTH_HTTP_MAXMANIFESTBYTES", "1000",
                "BERTH_STORAGE_FILESYSTEM_ROOTDIRECTORY", "/env/root",
                "BERTH_STORAGE_DELETE_ENABLED", "true",
                "BERTH_STORAGE_MAINTENANCE_UPLOADPURGING_AGE", "2h",
                "BERTH_DATABASE_URL", "jdbc:postgresql://pg/berth",
                "BERTH_DATABASE_USERNAME", "u",
                "BERTH_DATABASE_PASSWORD", "p",
                "BERTH_DATABASE_MAXPOOLSIZE", "3");
        BerthConfig c = ConfigLoader.parse("""
                http:
                  addr: 127.0.0.1:7000
                storage:
                  filesystem:
                    rootdirectory: /file/root
                  delete:
                    enabled: false
                """, "config.yml", env);
        assertThat(c.http()).isEqualTo(new BerthConfig.Http("0.0.0.0", 6000, Duration.ofMinutes(90), 1000));
        assertThat(c.storage()).isEqualTo(
                new BerthConfig.Storage("filesystem", Path.of("/env/root"), true, Duration.ofHours(2)));
        assertThat(c.database()).isEqualTo(new BerthConfig.Database("jdbc:postgresql://pg/berth", "u", "p", 3));
    }

    @Test
    void envOverrides_applyWithoutAFile() {
        BerthConfig c = ConfigLoader.load(null, Map.of("BERTH_HTTP_ADDR", ":0", "BERTH_STORAGE", "inmemory",
                "PATH", "/usr/bin", "BERTH_JAVA_OPTS", "-Xmx1g"));
        assertThat(c.http().port()).isZero();
        assertThat(c.storage().driver()).isEqualTo("inmemory");
    }

    @Test
    void envOverride_emptyValue_isIgnored() {
        assertThat(ConfigLoader.load(Map.of("BERTH_HTTP_ADDR", ""))).isEqualTo(BerthConfig.defaults());
    }

    @Test
    void envOverride_badValue_namesKeyAndVariable() {
        assertThatThrownBy(() -> ConfigLoader.load(Map.of("BERTH_STORAGE_DELETE_ENABLED", "maybe")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("storage.delete.enabled (from BERTH_STORAGE_DELETE_ENABLED): expected true or false, "
                        + "got maybe");
    }

    @Test
    void envOverride_unknownVariableInAConfigSection_isRefused() {
        assertThatThrownBy(() -> ConfigLoader.load(Map.of("BERTH_HTTP_ADR", ":5000")))
                .hasMessage("unknown environment override: BERTH_HTTP_ADR");
    }

    @Test
    void goDurations_parse() {
        assertThat(ConfigLoader.parseDuration("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(ConfigLoader.parseDuration("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(ConfigLoader.parseDuration("168h")).isEqualTo(Duration.ofDays(7));
        assertThat(ConfigLoader.parseDuration("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(ConfigLoader.parseDuration("1.5h")).isEqualTo(Duration.ofMinutes(90));
        assertThat(ConfigLoader.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(ConfigLoader.parseDuration("2us")).isEqualTo(Duration.ofNanos(2000));
        assertThat(ConfigLoader.parseDuration("2µs")).isEqualTo(Duration.ofNanos(2000));
        assertThat(ConfigLoader.parseDuration("7ns")).isEqualTo(Duration.ofNanos(7));
        assertThat(ConfigLoader.parseDuration("1h2m3s4ms")).isEqualTo(Duration.ofMillis(3_723_004));
        assertThat(ConfigLoader.parseDuration("0")).isEqualTo(Duration.ZERO);
        assertThat(ConfigLoader.parseDuration("-1m")).isEqualTo(Duration.ofMinutes(-1));
    }

    @Test
    void goDurations_formatRoundTrips() {
        for (String s : new String[] {"168h", "1h30m", "1m30s", "5m", "250ms", "1.5s", "2h0m1s"}) {
            Duration d = ConfigLoader.parseDuration(s);
            assertThat(ConfigLoader.parseDuration(ConfigLoader.formatDuration(d))).isEqualTo(d);
        }
        assertThat(ConfigLoader.formatDuration(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(ConfigLoader.formatDuration(Duration.ofDays(7))).isEqualTo("168h");
    }

    @Test
    void badDurations_areRefusedWithTheKey() {
        assertThat(problem("http:\n  idletimeout: 5 minutes\n"))
                .isEqualTo("http.idletimeout: expected a duration like 90s, 5m, 168h or 1h30m, got 5 minutes");
        assertThat(problem("http:\n  idletimeout: 300\n"))
                .isEqualTo("http.idletimeout: a duration needs a unit (for example 300s), got 300");
        assertThat(problem("http:\n  idletimeout: 0s\n")).isEqualTo("http.idletimeout: must be positive, got 0s");
        assertThat(problem("storage:\n  maintenance:\n    uploadpurging:\n      age: 7d\n"))
                .isEqualTo("storage.maintenance.uploadpurging.age: expected a duration like 90s, 5m, 168h or "
                        + "1h30m, got 7d");
    }

    @Test
    void addrWithoutHost_meansAllInterfaces() {
        BerthConfig c = parse("http:\n  addr: \":5050\"\n");
        assertThat(c.http().host()).isEqualTo("0.0.0.0");
        assertThat(c.http().port()).isEqualTo(5050);
        assertThat(parse("http:\n  addr: :5050\n").http().host()).isEqualTo("0.0.0.0");
    }

    @Test
    void addr_ipv6InBrackets() {
        BerthConfig c = parse("http:\n  addr: \"[::1]:5050\"\n");
        assertThat(c.http().host()).isEqualTo("::1");
        assertThat(c.http().addr()).isEqualTo("[::1]:5050");
    }

    @Test
    void badPort_isRefusedWithExactMessage() {
        assertThat(problem("http:\n  addr: 127.0.0.1:70000\n")).isEqualTo("http.addr: port must be 0-65535, got 70000");
        assertThat(problem("http:\n  addr: 127.0.0.1:http\n")).isEqualTo("http.addr: port must be a number, got http");
        assertThat(problem("http:\n  addr: 5050\n"))
                .isEqualTo("http.addr: expected host:port (for example 127.0.0.1:5050 or :5050), got 5050");
        assertThat(problem("", Map.of("BERTH_HTTP_ADDR", ":99999")))
                .isEqualTo("http.addr (from BERTH_HTTP_ADDR): port must be 0-65535, got 99999");
    }

    @Test
    void badValues_nameTheirKeys() {
        assertThat(problem("database:\n  maxpoolsize: 0\n"))
                .isEqualTo("database.maxpoolsize: must be a whole number of at least 1, got 0");
        assertThat(problem("database:\n  url: jdbc:mysql://x/y?password=hunter2\n"))
                .isEqualTo("database.url: must start with jdbc:sqlite: or jdbc:postgresql:, "
                        + "got jdbc:mysql://x/y?password=*****");
        assertThat(problem("http:\n  maxmanifestbytes: 4MB\n"))
                .isEqualTo("http.maxmanifestbytes: must be a positive whole number of bytes, got 4MB");
        assertThat(problem("http:\n  maxpagesize: 0\n"))
                .isEqualTo("http.maxpagesize: must be a positive whole number, got 0");
        assertThat(problem("http: 5050\n")).isEqualTo("http: expected a mapping of keys, got '5050'");
        assertThat(problem("http:\n  addr:\n    host: x\n")).isEqualTo("http.addr: expected a single value, got a mapping");
        assertThat(problem("version: 0.2\n")).isEqualTo("version: Berth reads configuration version 0.1, got 0.2");
    }

    @Test
    void severalProblems_areReportedTogether() {
        try {
            parse("http:\n  addr: :70000\ndatabase:\n  maxpoolsize: -1\n");
            throw new AssertionError("expected failure");
        } catch (ConfigException e) {
            assertThat(e.problems()).containsExactly(
                    "http.addr: port must be 0-65535, got 70000",
                    "database.maxpoolsize: must be a whole number of at least 1, got -1");
            assertThat(e.getMessage()).startsWith("2 configuration problems:");
        }
    }

    @Test
    void unknownKeys_areListedWithFullPaths() {
        assertThat(problem("""
                http:
                  adr: :5000
                  idletimeout: 5m
                storage:
                  filesystem:
                    root: /x
                colour: blue
                """)).isEqualTo("unknown configuration keys: http.adr, storage.filesystem.root, colour");
        assertThat(problem("databse:\n  url: x\n")).isEqualTo("unknown configuration key: databse");
    }

    @Test
    void unsupportedDistributionKeys_areNamedAsSuch() {
        assertThat(problem("""
                storage:
                  azure:
                    accountname: a
                middleware:
                  registry: []
                """)).isEqualTo("not supported by Berth: storage.azure, middleware");
        try {
            parse("""
                    http:
                      tls:
                        letsencrypt:
                          email: a@example.com
                    auth:
                      silly:
                        realm: r
                    storage:
                      maintenance:
                        uploadpurging:
                          enabled: false
                    """);
            throw new AssertionError("expected failure");
        } catch (ConfigException e) {
            assertThat(e.problems()).containsExactly(
                    "storage.maintenance.uploadpurging.enabled: only true is supported by Berth "
                            + "(idle uploads are always purged), got false",
                    "not supported by Berth: http.tls.letsencrypt, auth.silly");
        }
    }

    @Test
    void invalidYaml_namesFileAndLine() {
        assertThat(problem("http:\n  addr: [1, 2\n")).startsWith("config.yml: invalid YAML at line ");
        assertThat(problem("http:\n  addr: :1\n  addr: :2\n")).startsWith("config.yml: invalid YAML at line 3")
                .contains("addr");
        assertThat(problem("- a\n- b\n")).isEqualTo("config.yml: expected a mapping of keys at the top level, got a list");
    }

    @Test
    void missingFile_isAConfigError(@TempDir Path dir) {
        Path file = dir.resolve("nope.yml");
        assertThatThrownBy(() -> ConfigLoader.load(file, NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessage("config file not found: " + file);
    }

    @Test
    void describe_masksSecrets() {
        BerthConfig c = BerthConfig.defaults().withDatabase(
                new BerthConfig.Database("jdbc:postgresql://u:urlpass@db/berth?password=qp&ssl=true", "berth",
                        "hunter2", 8));
        String text = ConfigLoader.describe(c);
        assertThat(text).contains("password: *****")
                .contains("username: berth")
                .contains("url: jdbc:postgresql://u:*****@db/berth?password=*****&ssl=true")
                .doesNotContain("hunter2").doesNotContain("urlpass").doesNotContain("qp&");
    }

    @Test
    void describe_rendersEveryKeyAndReadsBack() {
        BerthConfig c = new BerthConfig(
                new BerthConfig.Http("0.0.0.0", 5000, Duration.ofMinutes(90), 1234, 77),
                new BerthConfig.Storage("filesystem", Path.of("/srv/my registry #1"), true, Duration.ofHours(168))
                        .withGc(new GcSettings(true, Duration.ofHours(12), Duration.ofHours(2), true, List.of(
                                new RetentionPolicy(Glob.of("team/**"), Optional.of(5), Optional.of(Duration.ofDays(30)),
                                        List.of(Glob.of("latest"), Glob.of("v*")))))),
                new BerthConfig.Database("jdbc:sqlite:/tmp/b.db", null, null, 4));
        String text = ConfigLoader.describe(c);
        assertThat(text).startsWith("""
                http:
                  addr: 0.0.0.0:5000
                  idletimeout: 1h30m
                  maxmanifestbytes: 1234
                  maxpagesize: 77
                  draintimeout: 10s
                storage:
                  filesystem:
                    rootdirectory: "/srv/my registry #1"
                  delete:
                    enabled: true
                  maintenance:
                    uploadpurging:
                      age: 168h
                    readonly:
                      enabled: false
                    gc:
                      enabled: true
                      interval: 12h
                      graceperiod: 2h
                      deleteuntagged: true
                      retention:
                        - repositories: team/**
                          keepnewest: 5
                          olderthan: 720h
                          keeptags: [latest, v*]
                database:
                  url: jdbc:sqlite:/tmp/b.db
                  maxpoolsize: 4
                """);
        assertThat(parse(text)).isEqualTo(c);
        assertThat(parse(ConfigLoader.describe(BerthConfig.defaults()))).isEqualTo(BerthConfig.defaults());
        BerthConfig inmem = c.withStorage(new BerthConfig.Storage("inmemory", Path.of("x"), false,
                Duration.ofHours(1)));
        assertThat(ConfigLoader.describe(inmem)).contains("  inmemory: {}\n");
    }
}
