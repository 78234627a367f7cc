package dev.berth.http.netty;

import dev.berth.http.Request;

import java.util.logging.Level;
import java.util.logging.Logger;

/** One line per request: method, path, status, bytes sent, duration, client. Never headers (they carry secrets). */
final class RequestLog {

    private static final Logger LOG = Logger.getLogger("berth.access");

    void log(Request request, int status, long bytes, long startedNanos) {
        if (!LOG.isLoggable(Level.INFO)) {
            return;
        }
        long micros = (System.nanoTime() - startedNanos) / 1000;
        LOG.info(request.method() + " " + request.path() + " " + status + " " + bytes + "B "
                + (micros / 1000) + "." + String.format("%03d", micros % 1000) + "ms " + request.remoteAddress());
    }
}
