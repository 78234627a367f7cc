package dev.berth.http.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.telemetry.RequestScope;
import dev.berth.api.telemetry.TraceContext;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.Test;

class AccessLogTest {

    /** Held strongly: java.util.logging forgets a logger (and its level) nobody references. */
    private static final Logger ACCESS = Logger.getLogger(AccessLog.LOGGER);

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

    /** Deterministic (no time), and showing what a formatter is handed: logger, message, the entry's fields. */
    private static final class Plain extends Formatter {
        @Override
        public String format(LogRecord r) {
            Map<String, Object> fields = new LinkedHashMap<>();
            ((AccessLog.Entry) r.getParameters()[0]).fields(fields::put);
            return r.getLevel() + " " + r.getLoggerName() + " " + r.getMessage() + " status="
                    + fields.get("http.response.status") + System.lineSeparator();
        }
    }

    /**
     * Runs {@code body} with stderr captured (in {@code streamCharset}) and the root logger's only handler a
     * {@link ConsoleHandler} on it (with {@code encoding}, null for the default), as {@code Logging.setup} leaves the
     * server; returns what reached stderr.
     */
    private static byte[] onConsole(String streamCharset, String encoding, Body body) throws Exception {
        AccessLog.flush();      // lines of earlier tests' servers go to the stderr they were logged for
        Logger root = Logger.getLogger("");
        Handler[] saved = root.getHandlers();
        Level savedLevel = ACCESS.getLevel();
        PrintStream savedErr = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, streamCharset));
        ConsoleHandler console = new ConsoleHandler();
        try {
            console.setFormatter(new Plain());
            console.setLevel(Level.ALL);
            console.setEncoding(encoding);
            for (Handler h : saved) {
                root.removeHandler(h);
            }
            root.addHandler(console);
            ACCESS.setLevel(Level.INFO);
            body.run(console, bytes);
            AccessLog.flush();
        } finally {
            root.removeHandler(console);
            for (Handler h : saved) {
                root.addHandler(h);
            }
            ACCESS.setLevel(savedLevel);
            System.setErr(savedErr);
        }
        return bytes.toByteArray();
    }

    @FunctionalInterface
    private interface Body {
        void run(ConsoleHandler console, ByteArrayOutputStream stderr) throws Exception;
    }

    private static RequestScope scope(String path) {
        return new RequestScope("GET", path, "127.0.0.1:4711", "r.example", "test/1", null, 0);
    }

    private static final List<String> PATHS =
            List.of("/v2/", "/v2/caf\u00e9/app/manifests/v1", "/v2/\u4e2d/blobs/x", "/v2/a b");

    /** What the console handler itself writes for the lines: the queued path must write that, byte for byte. */
    private static byte[] handlerBytes(String streamCharset, String encoding) throws Exception {
        return onConsole(streamCharset, encoding, (console, stderr) -> {
            for (String path : PATHS) {
                AccessLog.Entry e = new AccessLog.Entry(scope(path), 200, 0, 2, 1_000_000);
                LogRecord r = new LogRecord(Level.INFO, e.line());
                r.setLoggerName(AccessLog.LOGGER);
                r.setParameters(new Object[] {e});
                console.publish(r);
            }
        });
    }

    private static byte[] accessLogBytes(String streamCharset, String encoding) throws Exception {
        return onConsole(streamCharset, encoding, (console, stderr) -> {
            AccessLog log = new AccessLog(true);
            for (String path : PATHS) {
                log.log(scope(path), 200, 0, 2, 1_000_000);
            }
        });
    }

    @Test
    void consoleSetup_linesAreWrittenInBatches_byteForByteAsTheConsoleHandlerWould() throws Exception {
        String[][] cases = {{"UTF-8", null}, {"ISO-8859-1", null}, {"US-ASCII", null}, {"UTF-8", "ISO-8859-1"},
            {"UTF-8", "UTF-16"}};
        for (String[] c : cases) {
            long batched = AccessLog.batched();
            assertThat(accessLogBytes(c[0], c[1])).as("stderr in %s, handler encoding %s", c[0], c[1])
                    .isEqualTo(handlerBytes(c[0], c[1]));
            // UTF-16 begins the stream with a byte-order mark: the handler writes those lines itself
            assertThat(AccessLog.batched() - batched).as("lines batched").isEqualTo(
                    c[1] != null && c[1].equals("UTF-16") ? 0 : PATHS.size());
        }
        String text = new String(accessLogBytes("UTF-8", null), StandardCharsets.UTF_8);
        assertThat(text).startsWith("INFO berth.access GET /v2/ 200 1.000ms in=0 out=2 client=127.0.0.1:4711 user=- "
                + "status=200" + System.lineSeparator()).contains("GET /v2/caf\u00e9/app/manifests/v1 200 ")
                .contains("GET /v2/a?b 200 ");
    }

    @Test
    void concurrentRequests_noLineIsLost_andEachThreadsLinesKeepTheirOrder() throws Exception {
        int threads = 4;
        int perThread = 2_000;
        long droppedBefore = AccessLog.dropped();
        long batchedBefore = AccessLog.batched();
        byte[] out = onConsole("UTF-8", null, (console, stderr) -> {
            AccessLog log = new AccessLog(true);
            List<Thread> started = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                started.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < perThread; i++) {
                        log.log(scope("/v2/t" + id + "/" + i), 200, 0, 2, 1_000);
                    }
                }));
            }
            for (Thread t : started) {
                t.join();
            }
        });
        assertThat(AccessLog.dropped()).isEqualTo(droppedBefore);
        assertThat(AccessLog.batched() - batchedBefore).isEqualTo(threads * perThread);
        String[] lines = new String(out, StandardCharsets.UTF_8).split(System.lineSeparator());
        assertThat(lines).hasSize(threads * perThread);
        int[] next = new int[threads];
        for (String line : lines) {
            String path = line.split(" ")[3];       // INFO berth.access GET /v2/t<id>/<i> ...
            String[] parts = path.split("/");
            int id = Integer.parseInt(parts[2].substring(1));
            assertThat(Integer.parseInt(parts[3])).as(line).isEqualTo(next[id]++);
        }
        assertThat(next).containsOnly(perThread);
    }

    @Test
    void aLoneLine_isWrittenWithinTheFlushPeriod_withoutAFlush() throws Exception {
        long[] waited = new long[1];
        byte[] out = onConsole("UTF-8", null, (console, stderr) -> {
            long batched = AccessLog.batched();
            long start = System.nanoTime();
            new AccessLog(true).log(scope("/v2/alone"), 200, 0, 2, 1_000);
            // the writer thread takes it within ~100 ms (onConsole's own flush afterwards would hide a writer
            // that never wakes up)
            while (stderr.size() == 0 && System.nanoTime() - start < 5_000_000_000L) {
                Thread.sleep(5);
            }
            waited[0] = System.nanoTime() - start;
            assertThat(AccessLog.batched()).as("written by the background writer").isEqualTo(batched + 1);
        });
        assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo("INFO berth.access GET /v2/alone 200 0.001ms "
                + "in=0 out=2 client=127.0.0.1:4711 user=- status=200" + System.lineSeparator());
        assertThat(waited[0]).as("nanoseconds until written").isLessThan(2_000_000_000L);
    }

    @Test
    void anotherHandler_getsTheRecordThroughJavaUtilLogging_withItsEntry() throws Exception {
        List<LogRecord> seen = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                synchronized (seen) {
                    seen.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        byte[] out = onConsole("UTF-8", null, (console, stderr) -> {
            ACCESS.addHandler(capture);
            try {
                new AccessLog(true).log(scope("/v2/seen"), 404, 0, 10, 1_000);
            } finally {
                ACCESS.removeHandler(capture);
            }
            new AccessLog(false).log(scope("/v2/off"), 200, 0, 2, 1_000);
        });
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).getMessage()).startsWith("GET /v2/seen 404 ");
        assertThat(seen.get(0).getParameters()[0]).isInstanceOf(AccessLog.Entry.class);
        // the console handler still got it (synchronously, as before), and the disabled log wrote nothing
        assertThat(new String(out, StandardCharsets.UTF_8)).contains("GET /v2/seen 404 ").doesNotContain("/v2/off");
    }
}
