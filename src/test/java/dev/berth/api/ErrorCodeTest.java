package dev.berth.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ErrorCodeTest {

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void status_isAClientOrServerError(ErrorCode code) {
        assertThat(code.status()).isBetween(400, 599);
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void wireCode_isUpperSnakeCase_andMessageIsPresent(ErrorCode code) {
        assertThat(code.code()).matches("[A-Z][A-Z_]*[A-Z]");
        assertThat(code.message()).isNotBlank();
    }

    @Test
    void wireCodes_includeEveryCodeOfTheOciSpec() {
        Set<String> wire = Arrays.stream(ErrorCode.values()).map(ErrorCode::code).collect(Collectors.toSet());

        assertThat(wire).contains(
                "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
                "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN",
                "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS");
    }

    @ParameterizedTest
    @CsvSource({
            "BLOB_UNKNOWN,BLOB_UNKNOWN,404",
            "BLOB_UPLOAD_INVALID,BLOB_UPLOAD_INVALID,400",
            "BLOB_UPLOAD_UNKNOWN,BLOB_UPLOAD_UNKNOWN,404",
            "DIGEST_INVALID,DIGEST_INVALID,400",
            "MANIFEST_BLOB_UNKNOWN,MANIFEST_BLOB_UNKNOWN,400",
            "MANIFEST_INVALID,MANIFEST_INVALID,400",
            "MANIFEST_UNKNOWN,MANIFEST_UNKNOWN,404",
            "NAME_INVALID,NAME_INVALID,400",
            "NAME_UNKNOWN,NAME_UNKNOWN,404",
            "SIZE_INVALID,SIZE_INVALID,400",
            "UNAUTHORIZED,UNAUTHORIZED,401",
            "DENIED,DENIED,403",
            "UNSUPPORTED,UNSUPPORTED,405",
            "TOO_MANY_REQUESTS,TOOMANYREQUESTS,429",
    })
    void specCode_hasTheStatusDistributionUses(ErrorCode code, String wire, int status) {
        assertThat(code.code()).isEqualTo(wire);
        assertThat(code.status()).isEqualTo(status);
    }

    @Test
    void sameWireCodeWithAnotherStatus_isOnlyWhereDocumented() {
        Map<String, Set<Integer>> statuses = Arrays.stream(ErrorCode.values()).collect(Collectors.groupingBy(
                ErrorCode::code, Collectors.mapping(ErrorCode::status, Collectors.toSet())));

        assertThat(statuses.get("BLOB_UPLOAD_INVALID")).containsExactlyInAnyOrder(400, 416);
        assertThat(statuses.get("MANIFEST_INVALID")).containsExactlyInAnyOrder(400, 413);
        assertThat(statuses.get("UNSUPPORTED")).containsExactly(405);
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void exception_carriesTheCodeMessageAndDetail(ErrorCode code) {
        RegistryException plain = code.exception();
        RegistryException detailed = code.exception("the detail");
        RegistryException custom = code.exception("custom message", "more");

        assertThat(plain.errorCode()).isEqualTo(code);
        assertThat(plain.getMessage()).isEqualTo(code.message());
        assertThat(plain.detail()).isNull();
        assertThat(plain.headers()).isEmpty();
        assertThat(detailed.errorCode()).isEqualTo(code);
        assertThat(detailed.detail()).isEqualTo("the detail");
        assertThat(custom.getMessage()).isEqualTo("custom message");
        assertThat(custom.detail()).isEqualTo("more");
    }

    @Test
    void withHeader_returnsACopyWithTheHeader_andLeavesTheOriginalAlone() {
        RegistryException original = ErrorCode.BLOB_UPLOAD_OUT_OF_ORDER.exception("behind");

        RegistryException withRange = original.withHeader("Range", "0-99").withHeader("Docker-Upload-UUID", "u");

        assertThat(original.headers()).isEmpty();
        assertThat(withRange.headers()).containsExactlyInAnyOrderEntriesOf(
                Map.of("Range", "0-99", "Docker-Upload-UUID", "u"));
        assertThat(withRange.errorCode()).isEqualTo(ErrorCode.BLOB_UPLOAD_OUT_OF_ORDER);
        assertThat(withRange.getMessage()).isEqualTo(original.getMessage());
        assertThat(withRange.detail()).isEqualTo("behind");
    }
}
