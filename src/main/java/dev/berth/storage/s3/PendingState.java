package dev.berth.storage.s3;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * An object being written through a multipart upload that is still open: what {@link S3Writer#close()} leaves so
 * that any writer (another request, another node, after a restart) can continue it, and readers can see it.
 * Stored as a small object beside the key ({@code <key>~writer}); the bytes after the last part (fewer than a part,
 * as S3 parts must be at least 5 MiB except the last) are in a tail object ({@code <key>~tail.<n>}).
 *
 * @param uploadId       the open multipart upload of the key
 * @param parts          the uploaded parts that hold the object's first bytes, in order (every one at least 5 MiB)
 * @param tailKey        the tail object, or null when there is no tail
 * @param tailSize       the tail object's size (0 when there is none)
 * @param nextPartNumber the part number the next part takes: numbers are never reused, so a part a failed request
 *                       uploaded can never replace one a state names
 */
record PendingState(String uploadId, List<Part> parts, String tailKey, long tailSize, int nextPartNumber) {

    private static final String MAGIC = "berth-s3-pending 1";

    /** One uploaded part: its number, size and ETag. */
    record Part(int number, long size, String etag) {
    }

    PendingState {
        parts = List.copyOf(parts);
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a pending state has at least one part");
        }
        if ((tailKey == null) != (tailSize == 0)) {
            throw new IllegalArgumentException("a tail key goes with a non-empty tail");
        }
    }

    /** The bytes held by the parts. */
    long partsSize() {
        long total = 0;
        for (Part p : parts) {
            total += p.size();
        }
        return total;
    }

    /** The object's size: parts and tail. */
    long size() {
        return partsSize() + tailSize;
    }

    byte[] encode() {
        StringBuilder out = new StringBuilder(MAGIC).append('\n');
        out.append("upload ").append(b64(uploadId)).append('\n');
        out.append("next ").append(nextPartNumber).append('\n');
        out.append("tail ").append(tailSize).append(' ').append(tailKey == null ? "-" : b64(tailKey)).append('\n');
        for (Part p : parts) {
            out.append("part ").append(p.number()).append(' ').append(p.size()).append(' ').append(b64(p.etag()))
                    .append('\n');
        }
        return out.toString().getBytes(UTF_8);
    }

    static PendingState decode(String key, byte[] bytes) throws IOException {
        try {
            String[] lines = new String(bytes, UTF_8).split("\n");
            if (!lines[0].equals(MAGIC)) {
                throw new IllegalArgumentException("not a pending-write state");
            }
            String uploadId = null;
            String tailKey = null;
            long tailSize = 0;
            int next = 0;
            List<Part> parts = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                String[] f = lines[i].split(" ");
                switch (f[0]) {
                    case "upload" -> uploadId = unb64(f[1]);
                    case "next" -> next = Integer.parseInt(f[1]);
                    case "tail" -> {
                        tailSize = Long.parseLong(f[1]);
                        tailKey = f[2].equals("-") ? null : unb64(f[2]);
                    }
                    case "part" -> parts.add(new Part(Integer.parseInt(f[1]), Long.parseLong(f[2]), unb64(f[3])));
                    default -> throw new IllegalArgumentException("unknown line " + f[0]);
                }
            }
            if (uploadId == null || next <= 0) {
                throw new IllegalArgumentException("incomplete");
            }
            return new PendingState(uploadId, parts, tailKey, tailSize, next);
        } catch (RuntimeException e) {
            throw new IOException("unreadable pending-write state of " + key + ": " + e.getMessage(), e);
        }
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(UTF_8));
    }

    private static String unb64(String s) {
        return new String(Base64.getUrlDecoder().decode(s), UTF_8);
    }
}
