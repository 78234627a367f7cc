package dev.berth.http.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.telemetry.RequestScope;
import dev.berth.api.telemetry.TraceContext;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class AccessLogTest {

    @Test
    void line_namesTheAuthenticatedUser_andTheTrace() {
        RequestScope scope = new RequestScope("PUT", "/v2/team/app/manifests/v1", "10.0.0.7:51234", "r.example",
                "docker/27", new TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "1111111111111111", null, true), 0);
        RequestScope.enter(scope);
        try {
            RequestScope.setUser("alice");
        } finally {
            RequestScope.enter(null);
        }
        AccessLog.Entry e = new AccessLog.Entry(scope, 201, 1234, 0, 12_345_678);
        assertThat(e.line()).isEqualTo("PUT /v2/team/app/manifests/v1 201 12.345ms in=1234 out=0 "
                + "client=10.0.0.7:51234 user=alice trace=4bf92f3577b34da6a3ce929d0e0e4736");
        Map<String, Object> fields = new LinkedHashMap<>();
        e.fields(fields::put);
        assertThat(fields).containsEntry("auth.user.name", "alice").containsEntry("http.response.status", 201)
                .containsEntry("http.request.contentlength", 1234L).containsEntry("span_id", "1111111111111111");
    }

    @Test
    void clientControlledText_cannotForgeFieldsOrLines() {
        RequestScope scope = new RequestScope("GET", "/v2/a b\nforged 200", "127.0.0.1:1", null, null, null, 0);
        scope.user("mallory\r\nGET / 200");
        String line = new AccessLog.Entry(scope, 404, 0, 10, 1_000).line();
        assertThat(line).isEqualTo("GET /v2/a?b?forged?200 404 0.001ms in=0 out=10 client=127.0.0.1:1 "
                + "user=mallory??GET?/?200");
    }
}
