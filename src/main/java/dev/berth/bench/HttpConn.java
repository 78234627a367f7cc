package dev.berth.bench;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One blocking HTTP/1.1 keep-alive connection, small and fast enough that the client is never what a transfer
 * measures: request bodies are written from a direct buffer ({@link PatternSource}), large response bodies are
 * read into a direct buffer and only counted (or hashed) unless collected. Responses with {@code Content-Length},
 * chunked, or delimited by close are understood. Every exchange has a deadline; a watchdog closes a connection
 * that overruns it, so no call blocks forever.
 */
final class HttpConn implements Closeable {

    private static final int HEAD_LIMIT = 64 * 1024;
    private static final int BULK = 1 << 20;
    private static final Set<HttpConn> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Thread watchdog = Thread.ofPlatform().daemon().name("bench-http-watchdog").start(() -> {
            while (true) {
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                for (HttpConn c : OPEN) {
                    long d = c.deadline;
                    if (d != 0 && now - d > 0) {
                        c.timedOut = true;
                        c.closeQuietly();
                    }
                }
            }
        });
        watchdog.setPriority(Thread.MAX_PRIORITY);
    }

    /** What to do with a response body. */
    interface BodySink {
        void accept(ByteBuffer data) throws IOException;
    }

    /** A request body: its length and how to write it. */
    interface Body {
        long length();

        void writeTo(SocketChannel channel) throws IOException;

        /** The whole body in memory, or null when it is generated while written. */
        default byte[] inMemory() {
            return null;
        }

        static Body of(byte[] bytes) {
            return new Body() {
                @Override
                public long length() {
                    return bytes.length;
                }

                @Override
                public void writeTo(SocketChannel channel) throws IOException {
                    writeFully(channel, ByteBuffer.wrap(bytes));
                }

                @Override
                public byte[] inMemory() {
                    return bytes;
                }
            };
        }

        static Body of(PatternSource source, long offset, long length) {
            return new Body() {
                @Override
                public long length() {
                    return length;
                }

                @Override
                public void writeTo(SocketChannel channel) throws IOException {
                    source.writeTo(channel, offset, length);
                }
            };
        }
    }

    /** A response: status, headers (names lower-cased), the body if it was collected, and its length. */
    record Response(int status, Map<String, List<String>> headers, byte[] body, long bodyLength) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        String bodyText() {
            return body == null ? "" : new String(body, StandardCharsets.UTF_8);
        }

        /** The status and, for errors, the start of the body: for messages. */
        String describe() {
            String text = bodyText();
            return status + (text.isEmpty() ? "" : " " + (text.length() > 300 ? text.substring(0, 300) + "..." : text));
        }
    }

    private final String host;
    private final int port;
    private final String hostHeader;
    private final long timeoutNanos;
    private final ByteBuffer in = ByteBuffer.allocate(HEAD_LIMIT);
    private ByteBuffer bulk;
    private SocketChannel channel;
    private volatile long deadline;
    private volatile boolean timedOut;
    private long connects;

    HttpConn(String host, int port, java.time.Duration timeout) {
        this.host = host;
        this.port = port;
        this.hostHeader = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        this.timeoutNanos = timeout.toNanos();
        in.flip();
    }

    /** How many TCP connections this object opened (1 when every exchange was kept alive). */
    long connects() {
        return connects;
    }

    Response exchange(String method, String target, Map<String, String> headers, Body body, BodySink sink,
                      long collectLimit) throws IOException {
        boolean fresh = ensureOpen();
        try {
            return doExchange(method, target, headers, body, sink, collectLimit);
        } catch (IOException e) {
            closeQuietly();
            if (timedOut) {
                timedOut = false;
                throw new IOException(method + " " + target + ": no answer within "
                        + (timeoutNanos / 1_000_000_000) + "s", e);
            }
            if (!fresh && body == null && isIdempotent(method)) {
                // the server closed an idle keep-alive connection: try once more on a new one
                ensureOpen();
                try {
                    return doExchange(method, target, headers, null, sink, collectLimit);
                } catch (IOException again) {
                    closeQuietly();
                    throw again;
                }
            }
            throw e;
        } finally {
            deadline = 0;
        }
    }

    /** A request without a body whose response body is collected (up to 64 MiB). */
    Response exchange(String method, String target, Map<String, String> headers) throws IOException {
        return exchange(method, target, headers, null, null, 64 * Units.MIB);
    }

    private static boolean isIdempotent(String method) {
        return method.equals("GET") || method.equals("HEAD");
    }

    private boolean ensureOpen() throws IOException {
        if (channel != null && channel.isOpen()) {
            return false;
        }
        timedOut = false;
        deadline = System.nanoTime() + timeoutNanos;
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel = ch;
            OPEN.add(this);
            ch.connect(new InetSocketAddress(host, port));
        } catch (IOException e) {
            closeQuietly();
            throw new IOException("cannot connect to " + hostHeader + ": " + e.getMessage(), e);
        }
        connects++;
        in.clear().flip();
        return true;
    }

    private Response doExchange(String method, String target, Map<String, String> headers, Body body,
                                BodySink sink, long collectLimit) throws IOException {
        deadline = System.nanoTime() + timeoutNanos;
        StringBuilder head = new StringBuilder(256);
        head.append(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ").append(hostHeader)
                .append("\r\n");
        for (Map.Entry<String, String> h : headers.entrySet()) {
            head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length()).append("\r\n");
        } else if (method.equals("PUT") || method.equals("POST") || method.equals("PATCH")) {
            head.append("Content-Length: 0\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] small = body == null ? null : body.inMemory();
        if (small != null && small.length <= 64 * 1024) {
            // one write for small requests: head and body in one segment
            ByteBuffer both = ByteBuffer.allocate(headBytes.length + small.length);
            both.put(headBytes).put(small).flip();
            writeFully(channel, both);
        } else {
            writeFully(channel, ByteBuffer.wrap(headBytes));
            if (body != null) {
                body.writeTo(channel);
            }
        }
        return readResponse(method.equals("HEAD"), sink, collectLimit);
    }

    private Response readResponse(boolean headRequest, BodySink sink, long collectLimit) throws IOException {
        while (true) {
            int end = findHeadEnd();
            String headText = new String(in.array(), in.position(), end - in.position(), StandardCharsets.ISO_8859_1);
            in.position(end + 4);
            String[] lines = headText.split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
                throw new IOException("not an HTTP response: " + lines[0]);
            }
            int status = Integer.parseInt(statusLine[1]);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.computeIfAbsent(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                            k -> new ArrayList<>()).add(lines[i].substring(colon + 1).strip());
                }
            }
            if (status >= 100 && status < 200) {
                continue;       // 100 Continue and friends: the real answer follows
            }
            boolean http10 = statusLine[0].equals("HTTP/1.0");
            String connection = first(headers, "connection");
            boolean keepAlive = http10 ? "keep-alive".equalsIgnoreCase(connection)
                    : !"close".equalsIgnoreCase(connection);
            Collector collector = new Collector(sink, collectLimit);
            String te = first(headers, "transfer-encoding");
            String cl = first(headers, "content-length");
            if (headRequest || status == 204 || status == 304) {
                // no body
            } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
                readChunked(collector);
            } else if (cl != null) {
                readExactly(Long.parseLong(cl.strip()), collector);
            } else {
                readToEnd(collector);
                keepAlive = false;
            }
            if (!keepAlive) {
                closeQuietly();
            }
            return new Response(status, headers, collector.collected(), collector.total);
        }
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> v = headers.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** Index of the CR of the CRLFCRLF that ends the head, reading until it is buffered. */
    private int findHeadEnd() throws IOException {
        int scanFrom = in.position();
        while (true) {
            byte[] a = in.array();
            for (int i = Math.max(scanFrom, in.position()); i + 3 < in.limit(); i++) {
                if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') {
                    return i;
                }
            }
            if (in.remaining() >= HEAD_LIMIT) {
                throw new IOException("response head larger than " + HEAD_LIMIT + " bytes");
            }
            scanFrom = Math.max(in.position(), in.limit() - 3);
            int shift = in.position();
            if (!fill()) {
                throw new IOException("connection closed before a complete response head");
            }
            scanFrom -= shift;
        }
    }

    /** Reads more into {@link #in} (compacting it first); false at end of stream. */
    private boolean fill() throws IOException {
        in.compact();
        try {
            int n = channel.read(in);
            return n > 0;
        } finally {
            in.flip();
        }
    }

    private void readExactly(long length, Collector out) throws IOException {
        long remaining = length;
        if (in.hasRemaining() && remaining > 0) {
            int n = (int) Math.min(in.remaining(), remaining);
            ByteBuffer part = in.slice(in.position(), n);
            in.position(in.position() + n);
            out.accept(part);
            remaining -= n;
        }
        if (remaining == 0) {
            return;
        }
        if (bulk == null) {
            bulk = ByteBuffer.allocateDirect(BULK);
        }
        while (remaining > 0) {
            bulk.clear().limit((int) Math.min(BULK, remaining));
            int n = channel.read(bulk);
            if (n < 0) {
                throw new IOException("connection closed " + remaining + " bytes before the end of the body");
            }
            bulk.flip();
            out.accept(bulk);
            remaining -= n;
        }
    }

    private void readToEnd(Collector out) throws IOException {
        if (in.hasRemaining()) {
            out.accept(in.slice());
            in.position(in.limit());
        }
        if (bulk == null) {
            bulk = ByteBuffer.allocateDirect(BULK);
        }
        while (true) {
            bulk.clear();
            if (channel.read(bulk) < 0) {
                return;
            }
            bulk.flip();
            out.accept(bulk);
        }
    }

    private void readChunked(Collector out) throws IOException {
        while (true) {
            String sizeLine = readLine();
            int semi = sizeLine.indexOf(';');
            long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).strip(), 16);
            if (size == 0) {
                while (!readLine().isEmpty()) {
                    // trailers
                }
                return;
            }
            readExactly(size, out);
            if (!readLine().isEmpty()) {
                throw new IOException("malformed chunk: no CRLF after its data");
            }
        }
    }

    private String readLine() throws IOException {
        while (true) {
            byte[] a = in.array();
            for (int i = in.position(); i + 1 < in.limit(); i++) {
                if (a[i] == '\r' && a[i + 1] == '\n') {
                    String line = new String(a, in.position(), i - in.position(), StandardCharsets.ISO_8859_1);
                    in.position(i + 2);
                    return line;
                }
            }
            if (in.remaining() >= HEAD_LIMIT - 1 || !fill()) {
                throw new IOException("malformed chunked body");
            }
        }
    }

    /** Counts a body, passes it to the sink, and keeps up to a limit of it. */
    private static final class Collector {
        private final BodySink sink;
        private final long limit;
        private java.io.ByteArrayOutputStream kept;
        long total;

        Collector(BodySink sink, long limit) {
            this.sink = sink;
            this.limit = limit;
        }

        void accept(ByteBuffer data) throws IOException {
            int n = data.remaining();
            if (limit > 0 && total < limit) {
                if (kept == null) {
                    kept = new java.io.ByteArrayOutputStream();
                }
                int keep = (int) Math.min(n, limit - total);
                ByteBuffer d = data.duplicate();
                byte[] tmp = new byte[keep];
                d.get(tmp);
                kept.write(tmp);
            }
            total += n;
            if (sink != null) {
                sink.accept(data);
            }
            data.position(data.limit());
        }

        byte[] collected() {
            return kept == null ? new byte[0] : kept.toByteArray();
        }
    }

    /** A sink hashing the body. */
    static BodySink hashing(MessageDigest digest) {
        byte[] tmp = new byte[64 * 1024];
        return data -> {
            ByteBuffer d = data.duplicate();
            while (d.hasRemaining()) {
                int n = Math.min(tmp.length, d.remaining());
                d.get(tmp, 0, n);
                digest.update(tmp, 0, n);
            }
        };
    }

    static void writeFully(SocketChannel channel, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            channel.write(src);
        }
    }

    private void closeQuietly() {
        SocketChannel ch = channel;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        OPEN.remove(this);
    }

    @Override
    public void close() {
        deadline = 0;
        closeQuietly();
        channel = null;
    }
}
