package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.berth.config.BerthConfig;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenTelemetry tracing: a request's W3C trace context is continued, and its span reaches an OTLP/HTTP receiver. */
class TracingTest {

    @TempDir
    Path dir;

    @Test
    void requestWithTraceparent_isExportedAsAChildSpan_overOtlpHttpJson() throws Exception {
        List<JsonNode> spans = Collections.synchronizedList(new ArrayList<>());
        List<String> contentTypes = Collections.synchronizedList(new ArrayList<>());
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        collector.createContext("/v1/traces", exchange -> {
            try (exchange) {
                contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
                JsonNode body = Ops.JSON.readTree(exchange.getRequestBody());
                for (JsonNode rs : body.path("resourceSpans")) {
                    for (JsonNode ss : rs.path("scopeSpans")) {
                        ss.path("spans").forEach(s -> spans.add(((com.fasterxml.jackson.databind.node.ObjectNode) s)
                                .set("resource", rs.path("resource"))));
                    }
                }
                exchange.sendResponseHeaders(200, -1);
            }
        });
        collector.start();
        try {
            BerthConfig base = Ops.config(dir);
            URI endpoint = URI.create("http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces");
            try (Ops berth = Ops.start(base.withTracing(
                    new BerthConfig.Tracing(true, endpoint, "berth-test", 1.0, Map.of())))) {
                var r = Ops.send(HttpRequest.newBuilder(berth.api("/v2/"))
                        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(berth.get("/v2/no/such/manifests/latest").statusCode()).isEqualTo(404);

                Ops.await("two spans at the collector", () -> spans.size() >= 2);
            }
            JsonNode child = spans.stream()
                    .filter(s -> s.path("traceId").asText().equals("4bf92f3577b34da6a3ce929d0e0e4736"))
                    .findFirst().orElseThrow();
            assertThat(contentTypes).contains("application/json");
            assertThat(child.path("parentSpanId").asText()).isEqualTo("00f067aa0ba902b7");
            assertThat(child.path("spanId").asText()).matches("[0-9a-f]{16}").isNotEqualTo("00f067aa0ba902b7");
            assertThat(child.path("name").asText()).isEqualTo("GET /v2/");
            assertThat(child.path("kind").asInt()).isEqualTo(2);
            assertThat(Long.parseLong(child.path("endTimeUnixNano").asText()))
                    .isGreaterThanOrEqualTo(Long.parseLong(child.path("startTimeUnixNano").asText()));
            assertThat(attributes(child)).containsEntry("http.request.method", "GET")
                    .containsEntry("http.response.status_code", "200")
                    .containsEntry("http.route", "/v2/");
            assertThat(attributes(child.path("resource"))).containsEntry("service.name", "berth-test");

            JsonNode root = spans.stream().filter(s -> !s.path("traceId").asText()
                    .equals("4bf92f3577b34da6a3ce929d0e0e4736")).findFirst().orElseThrow();
            assertThat(root.has("parentSpanId")).as("a request without traceparent starts a trace").isFalse();
            assertThat(root.path("name").asText()).isEqualTo("GET /v2/{name}/manifests/{reference}");
            assertThat(attributes(root)).containsEntry("http.response.status_code", "404");
        } finally {
            collector.stop(0);
        }
    }

    private static Map<String, String> attributes(JsonNode node) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (JsonNode a : node.path("attributes")) {
            JsonNode v = a.path("value");
            String text = v.has("stringValue") ? v.path("stringValue").asText()
                    : v.has("intValue") ? v.path("intValue").asText() : v.toString();
            m.put(a.path("key").asText(), text);
        }
        return m;
    }
}
