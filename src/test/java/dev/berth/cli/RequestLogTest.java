package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.config.BerthConfig;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The access log: one line per request with what matters, never a credential; JSON as an option; off as an option. */
class RequestLogTest {

    /** Held strongly: java.util.logging forgets a logger (and its handlers) nobody references. */
    private static final Logger ACCESS = Logger.getLogger("berth.access");

    private static final String BASIC = "Basic YWxpY2U6aHVudGVyMg==";   // alice:hunter2

    @TempDir
    Path dir;

    private final List<LogRecord> records = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            synchronized (records) {
                records.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        ACCESS.setLevel(Level.INFO);
        ACCESS.addHandler(capture);
    }

    @AfterEach
    void stopListening() {
        ACCESS.removeHandler(capture);
    }

    private List<LogRecord> recorded() {
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    /** Sends one raw HTTP/1.1 request and reads the whole answer (the connection is closed after it). */
    private static String raw(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            return all.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void eachRequest_isOneLine_withMethodPathStatusDurationBytesClientUser_andNoSecret() throws Exception {
        try (Ops berth = Ops.start(Ops.config(dir))) {
            String answer = raw(berth.server.port(), "GET /v2/?password=hunter2&token=s3cr3t HTTP/1.1\r\n"
                    + "Host: registry.example\r\nAuthorization: " + BASIC + "\r\nCookie: session=c00k13\r\n"
                    + "User-Agent: test-agent/1.0\r\nConnection: close\r\n\r\n");
            assertThat(answer).startsWith("HTTP/1.1 200 ");
            String blob = "x".repeat(1000);
            berth.pushBlob("demo/log", blob.getBytes(StandardCharsets.UTF_8));

            Ops.await("two access-log lines", () -> recorded().size() >= 2);
            List<String> lines = recorded().stream().map(LogRecord::getMessage).toList();
            assertThat(lines.get(0)).matches(
                    "GET /v2/ 200 \\d+\\.\\d{3}ms in=0 out=2 client=127\\.0\\.0\\.1:\\d+ user=-");
            assertThat(lines.get(1)).matches(
                    "POST /v2/demo/log/blobs/uploads/ 201 \\d+\\.\\d{3}ms in=1000 out=0 client=127\\.0\\.0\\.1:\\d+ user=-");
            for (LogRecord r : recorded()) {
                String formatted = new Logging.OneLineFormatter().format(r)
                        + new Logging.JsonFormatter(Map.of(), false).format(r);
                assertThat(formatted).doesNotContain("hunter2").doesNotContain("s3cr3t").doesNotContain("YWxpY2U")
                        .doesNotContain("c00k13").doesNotContainIgnoringCase("authorization");
            }
        }
    }

    @Test
    void jsonFormat_carriesTheSameFacts_asFields() throws Exception {
        try (Ops berth = Ops.start(Ops.config(dir))) {
            raw(berth.server.port(), "GET /v2/ HTTP/1.1\r\nHost: registry.example\r\nUser-Agent: test-agent/1.0\r\n"
                    + "Authorization: " + BASIC + "\r\n"
                    + "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
                    + "Connection: close\r\n\r\n");
            Ops.await("an access-log line", () -> !recorded().isEmpty());
            LogRecord record = recorded().get(0);

            String text = new Logging.JsonFormatter(Map.of("service", "registry"), false).format(record);
            assertThat(text).endsWith(System.lineSeparator()).doesNotContain("YWxpY2U");
            JsonNode json = Ops.JSON.readTree(text);
            assertThat(json.path("level").asText()).isEqualTo("info");
            assertThat(json.path("logger").asText()).isEqualTo("berth.access");
            assertThat(json.path("msg").asText()).startsWith("GET /v2/ 200 ")
                    .endsWith(" trace=4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(json.path("http.request.method").asText()).isEqualTo("GET");
            assertThat(json.path("http.request.uri").asText()).isEqualTo("/v2/");
            assertThat(json.path("http.request.host").asText()).isEqualTo("registry.example");
            assertThat(json.path("http.request.useragent").asText()).isEqualTo("test-agent/1.0");
            assertThat(json.path("http.request.remoteaddr").asText()).startsWith("127.0.0.1:");
            assertThat(json.path("http.response.status").asInt()).isEqualTo(200);
            assertThat(json.path("http.response.written").asLong()).isEqualTo(2);
            assertThat(json.path("http.response.duration_ms").isNumber()).isTrue();
            assertThat(json.path("trace_id").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(json.path("service").asText()).isEqualTo("registry");
            assertThat(json.has("time")).isTrue();

            JsonNode logstash = Ops.JSON.readTree(new Logging.JsonFormatter(Map.of(), true).format(record));
            assertThat(logstash.has("@timestamp")).isTrue();
            assertThat(logstash.path("@version").asText()).isEqualTo("1");
            assertThat(logstash.path("message").asText()).startsWith("GET /v2/ 200 ");
        }
    }

    @Test
    void jsonFormat_escapesAnythingAMessageHolds() throws Exception {
        LogRecord r = new LogRecord(Level.WARNING, "quote \" backslash \\ newline \n tab \t bell \u0007 {0}");
        r.setLoggerName("dev.berth.test");
        r.setParameters(new Object[] {"param"});
        r.setThrown(new IllegalStateException("boom"));
        JsonNode json = Ops.JSON.readTree(new Logging.JsonFormatter(Map.of(), false).format(r));
        assertThat(json.path("msg").asText()).isEqualTo("quote \" backslash \\ newline \n tab \t bell \u0007 param");
        assertThat(json.path("level").asText()).isEqualTo("warning");
        assertThat(json.path("error").asText()).contains("IllegalStateException: boom");
    }

    @Test
    void accessLog_canBeTurnedOff() throws Exception {
        BerthConfig base = Ops.config(dir);
        BerthConfig quiet = base.withLog(new BerthConfig.Log("info", "text", Map.of(), false));
        try (Ops berth = Ops.start(quiet)) {
            assertThat(berth.get("/v2/").statusCode()).isEqualTo(200);
            assertThat(berth.get("/v2/").statusCode()).isEqualTo(200);
            // the metrics count a request after its log line would have been written
            Ops.await("both requests counted", () -> berth.metrics()
                    .getOrDefault("berth_http_requests_total{route=\"base\",method=\"GET\",status=\"200\"}", 0.0) == 2);
        }
        assertThat(recorded()).isEmpty();
    }
}
