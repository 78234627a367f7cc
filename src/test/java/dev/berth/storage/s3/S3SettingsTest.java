package dev.berth.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

class S3SettingsTest {

    private static S3Settings.Builder valid() {
        return S3Settings.builder("my-bucket", "eu-west-1");
    }

    @Test
    void builder_defaults_areDistributions() {
        S3Settings s = valid().build();

        assertThat(s.endpoint()).isNull();
        assertThat(s.pathStyle()).isFalse();
        assertThat(s.accessKey()).isNull();
        assertThat(s.rootDirectory()).isEmpty();
        assertThat(s.keyPrefix()).isEmpty();
        assertThat(s.storageClass()).isEqualTo("STANDARD");
        assertThat(s.encryption()).isEqualTo(S3Settings.Encryption.NONE);
        assertThat(s.chunkSize()).isEqualTo(10 * S3Settings.MIB);
        assertThat(s.multipartCopyThreshold()).isEqualTo(32 * S3Settings.MIB);
        assertThat(s.multipartCopyChunkSize()).isEqualTo(32 * S3Settings.MIB);
        assertThat(s.multipartCopyMaxConcurrency()).isEqualTo(16);
    }

    @Test
    void rootDirectory_slashesAroundIt_areDropped() {
        S3Settings s = valid().rootDirectory("/registry/berth/").build();

        assertThat(s.rootDirectory()).isEqualTo("registry/berth");
        assertThat(s.keyPrefix()).isEqualTo("registry/berth/");
        assertThat(valid().rootDirectory("/").build().keyPrefix()).isEmpty();
        assertThat(valid().rootDirectory(null).build().keyPrefix()).isEmpty();
    }

    @Test
    void rootDirectory_withEmptyDotOrOddSegments_isRefused() {
        for (String root : new String[] {"a//b", "a/../b", "./a", "a b", "a~b", "\u00e9"}) {
            assertThatThrownBy(() -> valid().rootDirectory(root).build()).as(root)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("root directory");
        }
    }

    @Test
    void chunkSize_outside5MiBTo5GiB_isRefusedWithTheLimit() {
        assertThat(valid().chunkSize(5 * S3Settings.MIB).build().chunkSize()).isEqualTo(5 * S3Settings.MIB);
        assertThatThrownBy(() -> valid().chunkSize(5 * S3Settings.MIB - 1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("chunk size must be between 5 MiB");
        assertThatThrownBy(() -> valid().chunkSize(S3Settings.MAX_PART_SIZE + 1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5 GiB");
    }

    @Test
    void multipartCopy_limitsAreChecked() {
        assertThatThrownBy(() -> valid().multipartCopy(S3Settings.MAX_PART_SIZE + 1, 32 * S3Settings.MIB, 4).build())
                .hasMessageContaining("multipart copy threshold");
        assertThatThrownBy(() -> valid().multipartCopy(0, S3Settings.MIB, 4).build())
                .hasMessageContaining("multipart copy chunk size");
        assertThatThrownBy(() -> valid().multipartCopy(0, 32 * S3Settings.MIB, 0).build())
                .hasMessageContaining("multipart copy concurrency");
    }

    @Test
    void credentials_keyWithoutSecret_isRefused() {
        assertThatThrownBy(() -> valid().credentials("AKIA", null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("together");
        assertThatThrownBy(() -> valid().credentials(null, "secret").build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toString_masksTheSecretKey() {
        String text = valid().credentials("AKIAEXAMPLE", "wJalrXUtnFEMI-very-secret").build().toString();

        assertThat(text).contains("AKIAEXAMPLE").contains("*****").doesNotContain("very-secret");
    }

    @Test
    void endpoint_mustBeHttpOrHttpsUrl() {
        assertThat(valid().endpoint(URI.create("http://127.0.0.1:9000")).build().endpoint()).hasPort(9000);
        for (String bad : new String[] {"ftp://host", "/relative", "http:opaque"}) {
            assertThatThrownBy(() -> valid().endpoint(URI.create(bad)).build()).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("endpoint");
        }
    }

    @Test
    void bucketAndRegion_areRequired() {
        assertThatThrownBy(() -> S3Settings.builder("", "us-east-1").build()).hasMessageContaining("bucket");
        assertThatThrownBy(() -> S3Settings.builder("a/b", "us-east-1").build()).hasMessageContaining("bucket");
        assertThatThrownBy(() -> S3Settings.builder("b", " ").build()).hasMessageContaining("region");
    }

    @Test
    void storageClass_noneMeansNoHeader() {
        assertThat(valid().storageClass("NONE").build().storageClass()).isNull();
        assertThat(valid().storageClass("REDUCED_REDUNDANCY").build().storageClass()).isEqualTo("REDUCED_REDUNDANCY");
        assertThatThrownBy(() -> valid().storageClass("standard ").build()).hasMessageContaining("storage class");
    }

    @Test
    void encryption_parsesDistributionsWordsAndKmsKeyNeedsKms() {
        assertThat(S3Settings.Encryption.parse("none")).isEqualTo(S3Settings.Encryption.NONE);
        assertThat(S3Settings.Encryption.parse("AES256")).isEqualTo(S3Settings.Encryption.AES256);
        assertThat(S3Settings.Encryption.parse("aws:kms")).isEqualTo(S3Settings.Encryption.KMS);
        assertThat(S3Settings.Encryption.KMS.header()).isEqualTo("aws:kms");
        assertThatThrownBy(() -> S3Settings.Encryption.parse("rot13")).hasMessageContaining("AES256");
        assertThatThrownBy(() -> valid().encryption(S3Settings.Encryption.AES256, "key").build())
                .hasMessageContaining("KMS key id");
        assertThat(valid().encryption(S3Settings.Encryption.KMS, "arn:aws:kms:k").build().kmsKeyId())
                .isEqualTo("arn:aws:kms:k");
    }
}
