package dev.berth.http;

import dev.berth.cli.BerthServer;
import dev.berth.config.BerthConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * A real Berth server for HTTP behaviour tests: filesystem storage under {@code <dataDir>/registry}, SQLite at
 * {@code <dataDir>/berth.db}, listening on an ephemeral port of 127.0.0.1.
 *
 * <p>{@link #close()} also fails the test when Netty reported a leaked buffer (the tests run with paranoid leak
 * detection): leaks found by the garbage collector are logged by Netty's {@code ResourceLeakDetector}, which this
 * class listens to.
 */
public final class TestServer implements AutoCloseable {

    private static final Logger LEAK_LOGGER = Logger.getLogger("io.netty.util.ResourceLeakDetector");
    private static final List<String> LEAKS = new ArrayList<>();

    static {
        LEAK_LOGGER.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                String message = record.getMessage();
                if (record.getLevel().intValue() >= Level.WARNING.intValue() && message != null
                        && message.contains("LEAK")) {
                    synchronized (LEAKS) {
                        LEAKS.add(message);
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
    }

    private final Path dataDir;
    private final boolean deleteEnabled;
    private final BerthServer server;

    private TestServer(Path dataDir, boolean deleteEnabled, BerthServer server) {
        this.dataDir = dataDir;
        this.deleteEnabled = deleteEnabled;
        this.server = server;
    }

    /** A server with deletes disabled (the default configuration). */
    public static TestServer start(Path dataDir) throws Exception {
        return start(dataDir, false);
    }

    public static TestServer start(Path dataDir, boolean deleteEnabled) throws Exception {
        return new TestServer(dataDir, deleteEnabled, BerthServer.start(config(dataDir, deleteEnabled)));
    }

    /** The configuration a test server runs with. */
    public static BerthConfig config(Path dataDir, boolean deleteEnabled) {
        BerthConfig defaults = BerthConfig.defaults();
        BerthConfig.Http http = defaults.http();
        return defaults
                .withHttp(new BerthConfig.Http("127.0.0.1", 0, http.idleTimeout(), http.maxManifestBytes()))
                .withStorage(defaults.storage().withRootDirectory(storageRoot(dataDir))
                        .withDeleteEnabled(deleteEnabled))
                .withDatabase(BerthConfig.Database.sqlite(dataDir.resolve("berth.db")));
    }

    public static Path storageRoot(Path dataDir) {
        return dataDir.resolve("registry");
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    public int port() {
        return server.port();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The filesystem driver's root: {@code <dataDir>/registry}. */
    public Path storageRoot() {
        return storageRoot(dataDir);
    }

    /** A client bound to this server. */
    public TestClient client() {
        return new TestClient(this);
    }

    /** A raw HTTP/1.x connection to this server. */
    public RawHttp raw() throws java.io.IOException {
        return RawHttp.connect(port());
    }

    /** Stops this server and starts a new one on the same data (on a new port). */
    public TestServer restart() throws Exception {
        server.close();
        return start(dataDir, deleteEnabled);
    }

    @Override
    public void close() {
        server.close();
        assertNoLeaks();
    }

    /** Fails when Netty reported a leaked buffer since the last check. */
    public static void assertNoLeaks() {
        // a leak is reported when a buffer is tracked after the leaked one was collected and enqueued
        for (int round = 0; round < 3; round++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            for (int i = 0; i < 16; i++) {
                ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(8);
                b.release();
            }
        }
        List<String> found;
        synchronized (LEAKS) {
            found = List.copyOf(LEAKS);
            LEAKS.clear();
        }
        if (!found.isEmpty()) {
            throw new AssertionError("Netty reported " + found.size() + " leaked buffer(s):\n"
                    + String.join("\n\n", found));
        }
    }
}
