package dev.berth.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;

/** Asserts the OCI error envelope: {@code {"errors":[{"code","message","detail"}]}} with its status. */
final class ErrorAssert {

    private ErrorAssert() {
    }

    static void assertError(TestClient.Reply r, int status, String code) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(status);
        assertEnvelope(r.json(), r.header("Content-Type"), code, r.toString());
        assertThat(r.header(Router.API_VERSION_HEADER)).contains(Router.API_VERSION);
    }

    static void assertError(RawHttp.Response r, int status, String code) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(status);
        assertEnvelope(r.json(), r.header("Content-Type"), code, r.toString());
        assertThat(r.header("Content-Length")).contains(String.valueOf(r.body().length));
    }

    private static void assertEnvelope(JsonNode json, Optional<String> contentType, String code, String what) {
        assertThat(contentType).as("Content-Type of %s", what).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/json"));
        assertThat(json.isObject()).as("envelope of %s", what).isTrue();
        JsonNode errors = json.get("errors");
        assertThat(errors).as("errors of %s", what).isNotNull();
        assertThat(errors.isArray()).isTrue();
        assertThat(errors).hasSizeGreaterThanOrEqualTo(1);
        JsonNode first = errors.get(0);
        assertThat(first.path("code").asText()).as("code of %s", what).isEqualTo(code);
        assertThat(first.path("message").isTextual()).as("message of %s", what).isTrue();
        assertThat(first.path("message").asText()).isNotBlank();
        assertThat(first.has("detail")).as("detail of %s", what).isTrue();
    }
}
