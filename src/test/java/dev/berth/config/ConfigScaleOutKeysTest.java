package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.ConfigLoader.ConfigException;
import dev.berth.storage.s3.S3Settings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The scale-out keys: {@code storage.s3.*}, {@code storage.redirect.*} and {@code http.secret}. */
class ConfigScaleOutKeysTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    private static BerthConfig parse(String yaml, Map<String, String> env) {
        return ConfigLoader.parse(yaml, "config.yml", env);
    }

    private static BerthConfig parse(String yaml) {
        return parse(yaml, Map.of());
    }

    private static List<String> problems(String yaml, Map<String, String> env) {
        try {
            parse(yaml, env);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected a ConfigException for:\n" + yaml + "\n" + env);
    }

    private static List<String> problems(String yaml) {
        return problems(yaml, Map.of());
    }

    @Test
    void s3Section_setsEveryKeyOfTheDriver() {
        BerthConfig c = parse("""
                http:
                  secret: %s
                storage:
                  s3:
                    bucket: registry
                    region: eu-west-1
                    regionendpoint: https://minio.internal:9000
                    forcepathstyle: true
                    accesskey: AKIAEXAMPLE
                    secretkey: s3-secret-value
                    rootdirectory: /berth/
                    storageclass: REDUCED_REDUNDANCY
                    encrypt: true
                    keyid: arn:aws:kms:eu-west-1:123:key/abc
                    chunksize: 6291456
                    multipartcopychunksize: 10485760
                    multipartcopymaxconcurrency: 4
                    multipartcopythresholdsize: 0
                    spooldirectory: /var/tmp/spool
                  redirect:
                    disable: true
                    expiry: 5m
                """.formatted(SECRET));

        assertThat(c.storage().driver()).isEqualTo("s3");
        assertThat(c.storage().s3()).isEqualTo(S3Settings.builder("registry", "eu-west-1")
                .endpoint(URI.create("https://minio.internal:9000")).pathStyle(true)
                .credentials("AKIAEXAMPLE", "s3-secret-value").rootDirectory("berth")
                .storageClass("REDUCED_REDUNDANCY")
                .encryption(S3Settings.Encryption.KMS, "arn:aws:kms:eu-west-1:123:key/abc")
                .chunkSize(6 * S3Settings.MIB).multipartCopy(0, 10 * S3Settings.MIB, 4)
                .spoolDirectory(Path.of("/var/tmp/spool")).build());
        assertThat(c.storage().redirect()).isEqualTo(new BerthConfig.Redirect(true, Duration.ofMinutes(5)));
        assertThat(c.http().secret()).isEqualTo(SECRET);
    }

    @Test
    void s3Section_withOnlyABucketAndAnEndpoint_takesTheDefaults() {
        BerthConfig c = parse("""
                storage:
                  s3:
                    bucket: registry
                    regionendpoint: http://127.0.0.1:9000
                """);

        S3Settings s3 = c.storage().s3();
        assertThat(s3.region()).as("signing region of S3-compatible stores").isEqualTo("us-east-1");
        assertThat(s3.pathStyle()).isFalse();
        assertThat(s3.accessKey()).as("default credentials chain").isNull();
        assertThat(s3.rootDirectory()).isEmpty();
        assertThat(s3.storageClass()).isEqualTo("STANDARD");
        assertThat(s3.encryption()).isEqualTo(S3Settings.Encryption.NONE);
        assertThat(s3.chunkSize()).isEqualTo(S3Settings.DEFAULT_CHUNK_SIZE);
        assertThat(c.storage().redirect()).isEqualTo(BerthConfig.Redirect.DEFAULT);
        assertThat(c.storage().redirect().disabled()).isFalse();
        assertThat(c.storage().redirect().expiry()).isEqualTo(Duration.ofMinutes(20));
        assertThat(c.http().secret()).isNull();
    }

    @Test
    void encryptWithoutKey_isSseS3_andStorageClassNone_sendsNone() {
        S3Settings s3 = parse("""
                storage:
                  s3: {bucket: b, region: us-west-2, encrypt: true, storageclass: NONE}
                """).storage().s3();

        assertThat(s3.encryption()).isEqualTo(S3Settings.Encryption.AES256);
        assertThat(s3.storageClass()).isNull();
    }

    @Test
    void environmentAlone_configuresS3() {
        BerthConfig c = ConfigLoader.load(Map.of(
                "BERTH_STORAGE_S3_BUCKET", "from-env",
                "BERTH_STORAGE_S3_REGIONENDPOINT", "http://minio:9000",
                "BERTH_STORAGE_S3_FORCEPATHSTYLE", "true",
                "BERTH_STORAGE_S3_ACCESSKEY", "ak",
                "BERTH_STORAGE_S3_SECRETKEY", "sk",
                "BERTH_HTTP_SECRET", SECRET,
                "BERTH_STORAGE_REDIRECT_DISABLE", "true"));

        assertThat(c.storage().driver()).isEqualTo("s3");
        assertThat(c.storage().s3().bucket()).isEqualTo("from-env");
        assertThat(c.storage().s3().secretKey()).isEqualTo("sk");
        assertThat(c.storage().redirect().disabled()).isTrue();
        assertThat(c.http().secret()).isEqualTo(SECRET);
    }

    @Test
    void berthStorageVariable_choosesTheDriver() {
        String yaml = """
                storage:
                  filesystem:
                    rootdirectory: /srv/registry
                  s3:
                    bucket: b
                    region: eu-west-1
                """;
        assertThat(parse(yaml, Map.of("BERTH_STORAGE", "s3")).storage().s3().bucket()).isEqualTo("b");
        BerthConfig fs = parse(yaml, Map.of("BERTH_STORAGE", "filesystem"));
        assertThat(fs.storage().driver()).isEqualTo("filesystem");
        assertThat(fs.storage().s3()).isNull();
        assertThat(problems(yaml)).containsExactly("storage: configure exactly one driver, got filesystem and s3");
    }

    @Test
    void s3VariablesBesideAnotherDriverSection_areRefused() {
        assertThat(problems("storage:\n  filesystem:\n    rootdirectory: /x\n",
                Map.of("BERTH_STORAGE_S3_BUCKET", "b")))
                .containsExactly("storage.s3.bucket (from BERTH_STORAGE_S3_BUCKET): set, but the storage driver is "
                        + "filesystem (configure exactly one driver; BERTH_STORAGE=s3 chooses s3)");
    }

    @Test
    void badS3Values_nameTheirKeys_andNeverShowTheSecretKey() {
        List<String> p = problems("""
                storage:
                  s3:
                    regionendpoint: ftp://store
                    secretkey: hunter2-do-not-show
                    keyid: k
                    chunksize: 1024
                    multipartcopymaxconcurrency: 0
                    storageclass: cold
                  redirect:
                    expiry: 200h
                """);

        assertThat(p).containsExactlyInAnyOrder(
                "storage.redirect.expiry: must be at most 168h (pre-signed URLs live 7 days at most)",
                "storage.s3.bucket: required (the bucket Berth stores blobs in; Berth never creates it)",
                "storage.s3.regionendpoint: expected an http:// or https:// URL such as http://minio:9000, "
                        + "got ftp://store",
                "storage.s3.accesskey and storage.s3.secretkey: give both, or neither for the default credentials "
                        + "chain (environment, web identity, profile, instance role)",
                "storage.s3.storageclass: expected a storage class such as STANDARD, REDUCED_REDUNDANCY or NONE, "
                        + "got cold",
                "storage.s3.keyid: needs storage.s3.encrypt: true",
                "storage.s3.chunksize: must be a whole number of bytes from 5242880 (5 MiB) to 5368709120 (5 GiB), "
                        + "got 1024",
                "storage.s3.multipartcopymaxconcurrency: must be a whole number from 1 to 1000, got 0");
        assertThat(String.join("\n", p)).doesNotContain("hunter2");
    }

    @Test
    void awsWithoutRegion_isRefused() {
        assertThat(problems("storage:\n  s3:\n    bucket: b\n"))
                .containsExactly("storage.s3.region: required with AWS (the bucket's region, such as eu-west-1)");
    }

    @Test
    void rootDirectoryWithDotDot_isRefused() {
        assertThat(problems("storage:\n  s3:\n    bucket: b\n    region: r1\n    rootdirectory: a/../b\n"))
                .singleElement().asString().startsWith("storage.s3: root directory must be made of");
    }

    @Test
    void distributionS3Config_runsAsItIs_andItsUnsupportedKeysAreNamed() {
        BerthConfig c = parse("""
                version: 0.1
                http:
                  addr: :5000
                  secret: %s
                storage:
                  s3:
                    accesskey: awsaccesskey
                    secretkey: awssecretkey
                    region: us-west-1
                    regionendpoint: http://myobjects.local
                    forcepathstyle: true
                    bucket: bucketname
                    encrypt: false
                    secure: true
                    v4auth: true
                    chunksize: 5242880
                    multipartcopychunksize: 33554432
                    multipartcopymaxconcurrency: 100
                    multipartcopythresholdsize: 33554432
                    rootdirectory: /s3/object/name/prefix
                    usedualstack: false
                    loglevel: debug
                  redirect:
                    disable: false
                  delete:
                    enabled: true
                """.formatted(SECRET));
        assertThat(c.storage().s3().bucket()).isEqualTo("bucketname");
        assertThat(c.storage().s3().rootDirectory()).isEqualTo("s3/object/name/prefix");
        assertThat(c.storage().s3().multipartCopyMaxConcurrency()).isEqualTo(100);

        assertThat(problems("""
                storage:
                  s3:
                    bucket: b
                    region: r1
                    v4auth: false
                    skipverify: true
                    maxretries: 3
                """)).containsExactlyInAnyOrder(
                "storage.s3.v4auth: only true is supported by Berth, got false",
                "storage.s3.skipverify: only false is supported by Berth (give the store a certificate the JVM "
                        + "trusts), got true",
                "not supported by Berth: storage.s3.maxretries");
    }

    @Test
    void secret_isMaskedInDescribeAndToString_andDescribeReadsBack() {
        BerthConfig c = parse("""
                http:
                  secret: %s
                storage:
                  s3:
                    bucket: registry
                    region: eu-central-1
                    accesskey: AKIAEXAMPLE
                    secretkey: s3-secret-value
                    rootdirectory: berth
                  redirect:
                    expiry: 90s
                """.formatted(SECRET));

        String text = ConfigLoader.describe(c);
        assertThat(text).contains("  secret: *****\n")
                .contains("  s3:\n    bucket: registry\n    region: eu-central-1\n")
                .contains("    accesskey: AKIAEXAMPLE\n    secretkey: *****\n")
                .contains("  redirect:\n    disable: false\n    expiry: 1m30s\n")
                .doesNotContain("s3-secret-value").doesNotContain(SECRET);
        assertThat(c.toString()).doesNotContain("s3-secret-value").doesNotContain(SECRET);

        BerthConfig withoutSecrets = c.withHttp(c.http().withSecret(null))
                .withStorage(c.storage().withS3(S3Settings.builder("registry", "eu-central-1")
                        .rootDirectory("berth").spoolDirectory(c.storage().s3().spoolDirectory()).build()));
        assertThat(parse(ConfigLoader.describe(withoutSecrets))).isEqualTo(withoutSecrets);
    }

    @Test
    void shortSecret_isRefusedWithoutShowingIt() {
        assertThat(problems("http:\n  secret: tooshort\n"))
                .containsExactly("http.secret: must be at least 16 bytes long (openssl rand -hex 32 makes a good one)");
        assertThat(problems("", Map.of("BERTH_HTTP_SECRET", "tooshort")))
                .containsExactly("http.secret (from BERTH_HTTP_SECRET): must be at least 16 bytes long "
                        + "(openssl rand -hex 32 makes a good one)");
    }

    @Test
    void redirectKeys_withTheFilesystemDriver_areAcceptedAndShown() {
        BerthConfig c = parse("storage:\n  redirect:\n    disable: true\n");
        assertThat(c.storage().driver()).isEqualTo("filesystem");
        assertThat(c.storage().redirect().disabled()).isTrue();
        assertThat(ConfigLoader.describe(c)).contains("  redirect:\n    disable: true\n    expiry: 20m\n");
        assertThat(ConfigLoader.describe(BerthConfig.defaults())).doesNotContain("redirect");
    }
}
