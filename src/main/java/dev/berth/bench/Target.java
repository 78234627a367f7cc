package dev.berth.bench;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

/**
 * A registry under test: its base URL ({@code http://host:port}), a label for the report, and optionally the PID
 * of its server process (for resident memory).
 *
 * @param pid 0 when unknown
 */
public record Target(String label, URI url, String host, int port, long pid) {

    /**
     * Parses {@code http://host:port}. Only plain HTTP. Unless {@code allowRemote}, the host must be a loopback
     * address: a load test sends its traffic to this machine only.
     */
    public static Target parse(String label, String url, long pid, boolean allowRemote) {
        URI uri;
        try {
            uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(label + ": not a URL: " + url);
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException(label + ": expected http://HOST:PORT, got " + url);
        }
        if (uri.getRawPath() != null && !uri.getRawPath().isEmpty()) {
            throw new IllegalArgumentException(label + ": give the registry's base URL without a path, got " + url);
        }
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        if (!allowRemote) {
            boolean loopback;
            try {
                loopback = InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(label + ": unknown host " + host);
            }
            if (!loopback) {
                throw new IllegalArgumentException(label + ": " + host + " is not a loopback address; "
                        + "berth bench drives only this machine unless --allow-remote is given");
            }
        }
        return new Target(label, uri, host, port, pid);
    }

    @Override
    public String toString() {
        return label + " (" + url + ")";
    }
}
