package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operations listener: Prometheus metrics after real requests, liveness, readiness naming what failed. */
class MetricsAndHealthTest {

    @TempDir
    Path dir;

    @Test
    void metrics_countRequestsByRouteMethodStatus_bytes_latency_storage_metadata_andJvm() throws Exception {
        try (Ops berth = Ops.start(Ops.config(dir))) {
            byte[] blob = "hello, metrics".repeat(100).getBytes(StandardCharsets.UTF_8);
            String digest = berth.pushBlob("demo/app", blob);
            assertThat(berth.get("/v2/demo/app/blobs/" + digest).statusCode()).isEqualTo(200);
            assertThat(berth.get("/v2/demo/app/blobs/" + digest).statusCode()).isEqualTo(200);
            assertThat(berth.get("/v2/demo/app/blobs/sha256:" + "0".repeat(64)).statusCode()).isEqualTo(404);
            assertThat(berth.get("/nothing/here").statusCode()).isEqualTo(404);

            // a request is counted once its answer is written: the scrape may come a moment before that
            Ops.await("all four GETs counted", () -> {
                Map<String, Double> now = berth.metrics();
                return now.getOrDefault("berth_http_request_duration_seconds_count{route=\"blob\",method=\"GET\"}",
                        0.0) == 3 && now.getOrDefault(
                        "berth_http_requests_total{route=\"none\",method=\"GET\",status=\"404\"}", 0.0) == 1;
            });
            Map<String, Double> m = berth.metrics();

            assertThat(m).containsEntry("berth_http_requests_total{route=\"uploads\",method=\"POST\",status=\"201\"}", 1.0)
                    .containsEntry("berth_http_requests_total{route=\"blob\",method=\"GET\",status=\"404\"}", 1.0)
                    .containsEntry("berth_http_requests_total{route=\"none\",method=\"GET\",status=\"404\"}", 1.0)
                    .containsEntry("berth_http_request_duration_seconds_count{route=\"blob\",method=\"GET\"}", 3.0)
                    .containsEntry("berth_http_request_duration_seconds_bucket{route=\"blob\",method=\"GET\",le=\"+Inf\"}", 3.0)
                    .containsKey("berth_http_request_duration_seconds_bucket{route=\"blob\",method=\"GET\",le=\"0.005\"}")
                    .containsKey("berth_http_request_duration_seconds_sum{route=\"blob\",method=\"GET\"}")
                    .containsEntry("berth_http_request_bytes_total{route=\"uploads\"}", (double) blob.length)
                    .containsEntry("berth_uploads_in_progress", 0.0)
                    .containsEntry("berth_accesslog_dropped_total", 0.0)
                    .containsEntry("berth_readonly", 0.0);
            assertThat(m.get("berth_http_response_bytes_total{route=\"blob\"}")).isGreaterThanOrEqualTo(2.0 * blob.length);
            assertThat(m.get("berth_storage_operation_seconds_count{driver=\"filesystem\",operation=\"move\"}"))
                    .isGreaterThanOrEqualTo(1.0);
            assertThat(m).containsKey("berth_storage_errors_total{driver=\"filesystem\",operation=\"move\"}");
            assertThat(m.entrySet()).anyMatch(e -> e.getKey().startsWith("berth_metadata_operation_seconds_count{operation=")
                    && e.getValue() > 0);
            assertThat(m.get("jvm_memory_bytes_used{area=\"heap\"}")).isPositive();
            assertThat(m.get("jvm_threads_current")).isPositive();
            assertThat(m.get("process_open_fds")).isPositive();
            assertThat(m).containsKey("berth_http_requests_in_flight");

            String text = Ops.text(berth.opsGet("/metrics"));
            assertThat(text).contains("# TYPE berth_http_requests_total counter\n")
                    .contains("# TYPE berth_http_request_duration_seconds histogram\n")
                    .contains("# HELP berth_storage_operation_seconds ");
        }
    }

    @Test
    void metrics_showGarbageCollectionRunsAndBytesFreed() throws Exception {
        try (Ops berth = Ops.start(Ops.config(dir))) {
            assertThat(berth.metrics()).containsEntry("berth_gc_runs_total{result=\"ok\"}", 0.0)
                    .containsEntry("berth_gc_bytes_freed_total", 0.0);
            berth.server.gcMetrics().ran(new dev.berth.registry.gc.GcReport(false, 1, 2, 3, 4, 0, 1, 4096, 0, 0, 0));
            berth.server.gcMetrics().ran(new dev.berth.registry.gc.GcReport(true, 9, 9, 9, 9, 9, 9, 999, 0, 0, 0));
            berth.server.gcMetrics().skipped();
            Map<String, Double> m = berth.metrics();
            assertThat(m).containsEntry("berth_gc_runs_total{result=\"ok\"}", 2.0)
                    .containsEntry("berth_gc_runs_total{result=\"skipped\"}", 1.0)
                    .containsEntry("berth_gc_bytes_freed_total", 4096.0)
                    .containsEntry("berth_gc_deleted_total{kind=\"blobs\"}", 4.0);
            assertThat(m.get("berth_gc_last_success_timestamp_seconds")).isPositive();
        }
    }

    @Test
    void liveness_isOk_andReadiness_checksStorageAndMetadata() throws Exception {
        try (Ops berth = Ops.start(Ops.config(dir))) {
            HttpResponse<byte[]> live = berth.opsGet("/health/live");
            assertThat(live.statusCode()).isEqualTo(200);
            HttpResponse<byte[]> ready = berth.opsGet("/health/ready");
            assertThat(ready.statusCode()).as(Ops.text(ready)).isEqualTo(200);
            JsonNode body = Ops.json(ready);
            assertThat(body.path("status").asText()).isEqualTo("ok");
            assertThat(body.path("checks").path("storage").path("status").asText()).isEqualTo("ok");
            assertThat(body.path("checks").path("metadata").path("status").asText()).isEqualTo("ok");
            assertThat(Ops.text(berth.opsGet("/debug/health")).strip()).isEqualTo("{}");
        }
    }

    @Test
    void readiness_fails_namingStorage_whenItsRootIsUnusable_thenRecovers() throws Exception {
        try (Ops berth = Ops.start(Ops.config(dir))) {
            Path root = dir.resolve("registry");
            deleteTree(root);
            Files.writeString(root, "not a directory");

            HttpResponse<byte[]> ready = berth.opsGet("/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            JsonNode body = Ops.json(ready);
            assertThat(body.path("status").asText()).isEqualTo("unavailable");
            assertThat(body.path("checks").path("storage").path("status").asText()).isEqualTo("error");
            assertThat(body.path("checks").path("storage").path("error").asText()).contains("not a directory");
            assertThat(body.path("checks").path("metadata").path("status").asText()).isEqualTo("ok");
            HttpResponse<byte[]> distribution = berth.opsGet("/debug/health");
            assertThat(distribution.statusCode()).isEqualTo(503);
            assertThat(Ops.json(distribution).fieldNames()).toIterable().containsExactly("storage");

            Files.delete(root);
            Files.createDirectories(root);
            assertThat(berth.opsGet("/health/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void readiness_fails_namingMetadata_whenTheDatabaseIsClosed() throws Exception {
        try (Ops berth = Ops.start(Ops.config(dir))) {
            berth.server.metadata().close();

            HttpResponse<byte[]> ready = berth.opsGet("/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            JsonNode checks = Ops.json(ready).path("checks");
            assertThat(checks.path("metadata").path("status").asText()).isEqualTo("error");
            assertThat(checks.path("metadata").path("error").asText()).isNotBlank();
            assertThat(checks.path("storage").path("status").asText()).isEqualTo("ok");
            assertThat(berth.opsGet("/health/live").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void storageDriverCheck_whileFailing_answersEveryRequest503_untilItPassesAgain() throws Exception {
        var base = Ops.config(dir);
        var config = base.withHealth(base.health().withStorageDriverCheck(java.time.Duration.ofMillis(20), 0));
        try (Ops berth = Ops.start(config)) {
            assertThat(berth.get("/v2/").statusCode()).isEqualTo(200);
            Path root = dir.resolve("registry");
            deleteTree(root);
            Files.writeString(root, "not a directory");

            Ops.await("requests refused", () -> berth.get("/v2/").statusCode() == 503);
            HttpResponse<byte[]> refused = berth.get("/v2/_catalog");
            assertThat(refused.statusCode()).isEqualTo(503);
            JsonNode error = Ops.json(refused).path("errors").path(0);
            assertThat(error.path("code").asText()).isEqualTo("UNAVAILABLE");
            assertThat(error.path("message").asText()).isEqualTo("health check failed: please see /debug/health");
            assertThat(error.path("detail").asText()).startsWith("storagedriver_filesystem: ")
                    .contains("not a directory");

            Files.delete(root);
            Files.createDirectories(root);
            Ops.await("requests answered again", () -> berth.get("/v2/").statusCode() == 200);
        }
    }

    @Test
    void metricsPath_isConfigurable_andCanBeTurnedOff() throws Exception {
        var base = Ops.config(dir);
        var custom = base.withHttp(base.http().withDebug(
                new dev.berth.config.BerthConfig.Debug("127.0.0.1", 0, true, "/prom")));
        try (Ops berth = Ops.start(custom)) {
            assertThat(berth.opsGet("/prom").statusCode()).isEqualTo(200);
            assertThat(berth.opsGet("/metrics").statusCode()).isEqualTo(404);
        }
        var off = base.withHttp(base.http().withDebug(
                new dev.berth.config.BerthConfig.Debug("127.0.0.1", 0, false, "/metrics")));
        try (Ops berth = Ops.start(off)) {
            assertThat(berth.opsGet("/metrics").statusCode()).isEqualTo(404);
            assertThat(berth.opsGet("/health/ready").statusCode()).isEqualTo(200);
        }
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
