package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.BerthConfig;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code http.headers}: configured headers are on every answer of the API, errors included. */
class ResponseHeadersTest {

    @TempDir
    Path dir;

    @Test
    void configuredHeaders_areOnEveryAnswer_errorsIncluded() throws Exception {
        BerthConfig base = Ops.config(dir);
        BerthConfig config = base.withHttp(base.http().withHeaders(Map.of(
                "X-Content-Type-Options", List.of("nosniff"),
                "X-Multi", List.of("a", "b"))));
        try (Ops berth = Ops.start(config)) {
            for (String path : List.of("/v2/", "/v2/nope/manifests/latest", "/elsewhere")) {
                HttpResponse<byte[]> r = berth.get(path);
                assertThat(r.headers().allValues("X-Content-Type-Options")).as(path).containsExactly("nosniff");
                assertThat(r.headers().allValues("X-Multi")).as(path).containsExactly("a", "b");
            }
        }
    }
}
