package dev.berth.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.BerthConfig;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code http.idletimeout}: a connection with no traffic either way for that long is closed by the server, on plain
 * HTTP/1.1 and under TLS (before the handshake, HTTP/1.1 and HTTP/2 after it), while one that keeps talking stays
 * open. The timeout is 1 s; each close must come no sooner than the timeout and within {@link #CLOSE_WAIT}.
 */
class IdleTimeoutTest {

    /** The longest a test waits for the server to close a connection idle for 1 s. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(3);
    /** Sooner than this after the last traffic, a close is not the idle timeout's. */
    static final long NOT_BEFORE_MILLIS = 700;

    @TempDir
    static Path tmp;

    static TestPki pki;
    static SecureRegistry plain;
    static SecureRegistry tls;

    @BeforeAll
    static void start() throws Exception {
        pki = new TestPki(tmp.resolve("pki"));
        pki.ca("test-ca");
        pki.serverCertificate("server", "test-ca");
        plain = SecureRegistry.start(config("plain", ""));
        tls = SecureRegistry.start(config("tls", """
                tls:
                  certificate: %s
                  key: %s
                """.formatted(pki.cert("server"), pki.key("server"))));
    }

    static BerthConfig config(String data, String moreHttp) {
        BerthConfig c = SecureRegistry.config(tmp.resolve(data), 0, "idletimeout: 1s\n" + moreHttp, "");
        assertThat(c.http().idleTimeout()).isEqualTo(Duration.ofSeconds(1));
        return c;
    }

    @AfterAll
    static void stop() {
        if (plain != null) {
            plain.close();
        }
        if (tls != null) {
            tls.close();
        }
    }

    // ---- plain HTTP/1.1 ----------------------------------------------------------------------------------------

    @Test
    void plain_aConnectionThatSendsNothing_isClosed() throws Exception {
        try (RawHttp raw = RawHttp.connect(plain.port())) {
            assertClosedAfterIdle(raw, System.nanoTime());
        }
    }

    @Test
    void plain_aKeepAliveConnectionQuietAfterAnAnswer_isClosed() throws Exception {
        try (RawHttp raw = RawHttp.connect(plain.port())) {
            assertThat(get(raw).status()).isEqualTo(200);
            assertClosedAfterIdle(raw, System.nanoTime());
        }
    }

    @Test
    void plain_aConnectionThatKeepsSendingRequests_staysOpenLongerThanTheTimeout() throws Exception {
        try (RawHttp raw = RawHttp.connect(plain.port())) {
            long start = System.nanoTime();
            int answered = 0;
            while (System.nanoTime() - start < Duration.ofMillis(2500).toNanos()) {
                RawHttp.Response r = get(raw);
                assertThat(r.status()).as("request %d, %d ms in", answered + 1, millisSince(start)).isEqualTo(200);
                assertThat(r.header("Connection").orElse("")).as("keep-alive").isNotEqualToIgnoringCase("close");
                answered++;
                Thread.sleep(300);
            }
            assertThat(answered).isGreaterThanOrEqualTo(6);
            assertThat(get(raw).status()).as("still open after %d ms", millisSince(start)).isEqualTo(200);
            assertClosedAfterIdle(raw, System.nanoTime());
        }
    }

    private static RawHttp.Response get(RawHttp raw) throws IOException {
        return raw.write("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").read();
    }

    /** The server closes {@code raw} (sending nothing more) at least the timeout after {@code quietSince}. */
    private static void assertClosedAfterIdle(RawHttp raw, long quietSince) throws IOException {
        assertThat(raw.closedByPeer(CLOSE_WAIT)).as("closed within %s", CLOSE_WAIT).isTrue();
        assertThat(millisSince(quietSince)).as("closed after the idle timeout").isGreaterThanOrEqualTo(
                NOT_BEFORE_MILLIS);
    }

    // ---- TLS ---------------------------------------------------------------------------------------------------

    @Test
    void tls_aConnectionThatNeverStartsTheHandshake_isClosed() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", tls.port()), 5000);
            assertClosedAfterIdle(s, System.nanoTime());
        }
    }

    @Test
    void tlsHttp11_aKeepAliveConnectionQuietAfterAnAnswer_isClosed() throws Exception {
        try (SSLSocket s = tlsConnect("http/1.1")) {
            OutputStream out = s.getOutputStream();
            out.write("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String head = readHead(s.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 200 ").doesNotContainIgnoringCase("connection: close");
            assertClosedAfterIdle(s, System.nanoTime());
        }
    }

    @Test
    void tlsHttp2_aConnectionQuietAfterAnAnswer_isClosed() throws Exception {
        try (SSLSocket s = tlsConnect("h2")) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            writeFrame(out, SETTINGS, 0, 0, new byte[0]);
            writeFrame(out, HEADERS, END_STREAM | END_HEADERS, 1, getV2Headers(tls.port()));
            boolean answered = false;
            boolean ended = false;
            while (!ended) {
                Frame f = readFrame(in);
                assertThat(f.type()).as("no GOAWAY nor RST_STREAM before the answer").isNotIn(GOAWAY, RST_STREAM);
                if (f.type() == SETTINGS && (f.flags() & ACK) == 0) {
                    writeFrame(out, SETTINGS, ACK, 0, new byte[0]);
                } else if (f.stream() == 1 && f.type() == HEADERS) {
                    assertThat(f.payload()[0]).as(":status 200 (HPACK static index 8)").isEqualTo((byte) 0x88);
                    answered = true;
                }
                ended = f.stream() == 1 && (f.type() == HEADERS || f.type() == DATA) && (f.flags() & END_STREAM) != 0;
            }
            assertThat(answered).isTrue();
            assertClosedAfterIdle(s, System.nanoTime());
        }
    }

    private static SSLSocket tlsConnect(String alpn) throws IOException {
        SSLSocket s = (SSLSocket) pki.trusting("test-ca").getSocketFactory().createSocket();
        s.connect(new InetSocketAddress("127.0.0.1", tls.port()), 5000);
        s.setSoTimeout(5000);
        SSLParameters params = s.getSSLParameters();
        params.setApplicationProtocols(new String[] {alpn});
        s.setSSLParameters(params);
        s.startHandshake();
        assertThat(s.getApplicationProtocol()).isEqualTo(alpn);
        return s;
    }

    /** Reads a response's status line and headers, and its Content-Length body; returns the head. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("closed before the end of a response: " + head);
            }
            head.append((char) c);
        }
        Matcher length = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(head);
        in.readNBytes(length.find() ? Integer.parseInt(length.group(1)) : 0);
        return head.toString();
    }

    /**
     * The server closes {@code s} (end of stream, a reset, or TLS ending without close_notify), sending nothing
     * more, at least the timeout after {@code quietSince}.
     */
    private static void assertClosedAfterIdle(Socket s, long quietSince) throws IOException {
        s.setSoTimeout((int) CLOSE_WAIT.toMillis());
        int read;
        try {
            read = s.getInputStream().read();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("still open " + millisSince(quietSince) + " ms after the last traffic", e);
        } catch (IOException e) {
            read = -1;      // reset
        }
        assertThat(read).as("nothing more is sent").isEqualTo(-1);
        assertThat(millisSince(quietSince)).as("closed after the idle timeout").isGreaterThanOrEqualTo(
                NOT_BEFORE_MILLIS);
    }

    private static long millisSince(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos).toMillis();
    }

    // ---- just enough HTTP/2 (RFC 9113) and HPACK (RFC 7541) ----------------------------------------------------

    static final int DATA = 0x0;
    static final int HEADERS = 0x1;
    static final int RST_STREAM = 0x3;
    static final int SETTINGS = 0x4;
    static final int GOAWAY = 0x7;
    static final int END_STREAM = 0x1;
    static final int ACK = 0x1;
    static final int END_HEADERS = 0x4;

    record Frame(int type, int flags, int stream, byte[] payload) {
    }

    /** GET /v2/ over https: :method GET and :scheme https indexed, :path and :authority literal, no Huffman. */
    private static byte[] getV2Headers(int port) {
        byte[] path = "/v2/".getBytes(StandardCharsets.US_ASCII);
        byte[] authority = ("127.0.0.1:" + port).getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(2 + 2 + path.length + 2 + authority.length)
                .put((byte) 0x82).put((byte) 0x87)
                .put((byte) 0x04).put((byte) path.length).put(path)
                .put((byte) 0x01).put((byte) authority.length).put(authority)
                .array();
    }

    private static void writeFrame(OutputStream out, int type, int flags, int stream, byte[] payload)
            throws IOException {
        out.write(ByteBuffer.allocate(9 + payload.length)
                .put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length)
                .put((byte) type).put((byte) flags).putInt(stream).put(payload)
                .array());
        out.flush();
    }

    private static Frame readFrame(DataInputStream in) throws IOException {
        int length = in.readUnsignedByte() << 16 | in.readUnsignedShort();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        byte[] payload = new byte[length];
        in.readFully(payload);
        return new Frame(type, flags, stream, payload);
    }
}
