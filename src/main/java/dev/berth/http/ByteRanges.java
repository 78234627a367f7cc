package dev.berth.http;

import dev.berth.api.ErrorCode;
import dev.berth.registry.ChunkRange;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The two kinds of ranges the API sees: HTTP {@code Range} on blob GET, and OCI upload {@code Content-Range}. */
final class ByteRanges {

    private static final Pattern HTTP_RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
    private static final Pattern CHUNK_RANGE = Pattern.compile("(?:bytes[ =])?(\\d{1,18})-(\\d{1,18})(?:/(?:\\d{1,18}|\\*))?");

    private ByteRanges() {
    }

    /** A satisfiable byte range of a blob, inclusive. */
    record Range(long start, long end) {
        long length() {
            return end - start + 1;
        }
    }

    /**
     * Parses a single HTTP byte range against a representation of {@code size} bytes. Empty when the header is
     * to be ignored (malformed, several ranges, not bytes): the whole blob is then sent, as RFC 9110 allows.
     * A well-formed range no byte satisfies is RANGE_INVALID (416) with {@code Content-Range: bytes * /size}.
     */
    static Optional<Range> parse(String header, long size) {
        Matcher m = HTTP_RANGE.matcher(header.trim());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())
                || m.group(1).length() > 18 || m.group(2).length() > 18) {
            return Optional.empty();
        }
        long start;
        long end;
        if (m.group(1).isEmpty()) {              // suffix: the last n bytes
            long n = Long.parseLong(m.group(2));
            if (n == 0) {
                throw unsatisfiable(size);
            }
            start = Math.max(0, size - n);
            end = size - 1;
        } else {
            start = Long.parseLong(m.group(1));
            end = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
            if (!m.group(2).isEmpty() && Long.parseLong(m.group(2)) < start) {
                return Optional.empty();        // invalid: ignored
            }
        }
        if (start >= size || size == 0) {
            throw unsatisfiable(size);
        }
        return Optional.of(new Range(start, end));
    }

    private static dev.berth.api.RegistryException unsatisfiable(long size) {
        return ErrorCode.RANGE_INVALID.exception("no byte of the blob is in the requested range")
                .withHeader("Content-Range", "bytes */" + size);
    }

    /** Parses an upload chunk's {@code Content-Range: <start>-<end>} (a {@code bytes} unit and a total are tolerated). */
    static ChunkRange parseChunkRange(String header) {
        Matcher m = CHUNK_RANGE.matcher(header.trim());
        if (!m.matches()) {
            throw ErrorCode.BLOB_UPLOAD_INVALID.exception("malformed Content-Range",
                    "expected <start>-<end>, got: " + sanitize(header));
        }
        long start = Long.parseLong(m.group(1));
        long end = Long.parseLong(m.group(2));
        if (end < start) {
            throw ErrorCode.BLOB_UPLOAD_INVALID.exception("malformed Content-Range", "end is before start");
        }
        return new ChunkRange(start, end);
    }

    private static String sanitize(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
