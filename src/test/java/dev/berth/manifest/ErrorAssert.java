package dev.berth.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

/** Asserts the OCI error envelope {@code {"errors":[{"code","message","detail"}]}} and its status. */
final class ErrorAssert {

    private ErrorAssert() {
    }

    static void assertError(Registry.Reply r, int status, String code) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(status);
        assertThat(r.header("Content-Type")).as("Content-Type of %s", r)
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode first = r.json().path("errors").path(0);
        assertThat(first.path("code").asText()).as("code of %s", r).isEqualTo(code);
        assertThat(first.path("message").asText()).as("message of %s", r).isNotBlank();
        assertThat(first.has("detail")).as("detail of %s", r).isTrue();
    }

    /** The detail of the first error as text (a JSON string's value, or other JSON as written). */
    static String detail(Registry.Reply r) {
        JsonNode detail = r.json().path("errors").path(0).path("detail");
        return detail.isTextual() ? detail.asText() : detail.toString();
    }
}
