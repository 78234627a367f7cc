package dev.berth.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class LayoutTest {

    private static final String HEX = "abcd" + "0123456789abcdef".repeat(3) + "012345678901";
    private static final Digest SHA256 = Digest.parse("sha256:" + HEX);
    private static final Digest SHA512 = Digest.parse("sha512:" + "f0".repeat(64));
    private static final RepositoryName REPO = RepositoryName.of("library/ubuntu");
    private static final String UPLOAD = "0a1b2c3d-4e5f-4a6b-8c7d-0123456789ef";

    @Test
    void blobData_sha256_isDistributionPath() {
        assertThat(Layout.blobData(SHA256))
                .isEqualTo("/docker/registry/v2/blobs/sha256/ab/" + HEX + "/data");
    }

    @Test
    void blobDirectory_sha256_isParentOfData() {
        assertThat(Layout.blobDirectory(SHA256)).isEqualTo("/docker/registry/v2/blobs/sha256/ab/" + HEX);
    }

    @Test
    void blobData_sha512_usesAlgorithmAndFirstTwoHex() {
        assertThat(Layout.blobData(SHA512))
                .isEqualTo("/docker/registry/v2/blobs/sha512/f0/" + "f0".repeat(64) + "/data");
    }

    @Test
    void repository_isUnderRepositories() {
        assertThat(Layout.repository(REPO)).isEqualTo("/docker/registry/v2/repositories/library/ubuntu");
    }

    @Test
    void uploadPaths_areDistributionPaths() {
        String upload = "/docker/registry/v2/repositories/library/ubuntu/_uploads/" + UPLOAD;

        assertThat(Layout.uploads(REPO)).isEqualTo("/docker/registry/v2/repositories/library/ubuntu/_uploads");
        assertThat(Layout.upload(REPO, UPLOAD)).isEqualTo(upload);
        assertThat(Layout.uploadData(REPO, UPLOAD)).isEqualTo(upload + "/data");
    }

    @Test
    void everyLayoutPath_passesStoragePathCheck() {
        RepositoryName odd = RepositoryName.of("a__b/c--d/e.f_g");
        List<String> paths = List.of(
                Layout.blobData(SHA256), Layout.blobData(SHA512), Layout.repository(odd), Layout.uploads(odd),
                Layout.uploadData(odd, UPLOAD));

        assertThat(paths).allSatisfy(path -> assertThat(StoragePath.check(path)).isEqualTo(path));
    }

    @Test
    void upload_invalidId_throwsBeforeMakingAPath() {
        assertThatThrownBy(() -> Layout.uploadData(REPO, "../../../../blobs"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "0a1b2c3d-4e5f-4a6b-8c7d-0123456789ef",
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
    })
    void isUploadId_lowerCaseUuid_isAccepted(String id) {
        assertThat(Layout.isUploadId(id)).isTrue();
        assertThat(Layout.checkUploadId(id)).isSameAs(id);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
            "0A1B2C3D-4E5F-4A6B-8C7D-0123456789EF",  // upper case
            "0a1b2c3d-4e5f-4a6b-8c7d-0123456789eF",  // one upper-case letter
            "0a1b2c3d4e5f4a6b8c7d0123456789ef",      // no dashes
            "0a1b2c3d-4e5f-4a6b-8c7d-0123456789e",   // 35 characters
            "0a1b2c3d-4e5f-4a6b-8c7d-0123456789eff", // 37 characters
            "0a1b2c3d4-e5f-4a6b-8c7d-0123456789ef",  // dash misplaced
            "0a1b2c3d-4e5f-4a6b-8c7d-0123456789eg",  // not hex
            "0a1b2c3d-4e5f-4a6b-8c7d-01234567/9ef",  // a separator
            "0a1b2c3d-4e5f-4a6b-8c7d-0123456789..",  // traversal
            "{0a1b2c3d-4e5f-4a6b-8c7d-0123456789e}", // braces
            " 0a1b2c3d-4e5f-4a6b-8c7d-0123456789e",  // leading space
            "0a1b2c3d_4e5f_4a6b_8c7d_0123456789ef",  // underscores for dashes
    })
    void isUploadId_anythingElse_isRefused(String id) {
        assertThat(Layout.isUploadId(id)).isFalse();
        assertThatThrownBy(() -> Layout.checkUploadId(id)).isInstanceOf(IllegalArgumentException.class);
    }
}
