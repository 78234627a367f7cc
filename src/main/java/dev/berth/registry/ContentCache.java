package dev.berth.registry;

import dev.berth.oci.Digest;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded cache of small immutable content by digest (manifest bytes), least recently used first out. Safe by
 * construction: the bytes of a digest never change, and whether a repository may serve a digest is still decided
 * by the metadata on every request, so the cache can never bring back something deleted.
 */
final class ContentCache {

    private final long maxBytes;
    private final LinkedHashMap<Digest, byte[]> entries = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;

    ContentCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    synchronized byte[] get(Digest digest) {
        return entries.get(digest);
    }

    /** Keeps {@code content} (not copied: callers never change it) unless it alone is over a sixteenth of the cap. */
    synchronized void put(Digest digest, byte[] content) {
        if (content.length > maxBytes / 16 || entries.containsKey(digest)) {
            return;
        }
        entries.put(digest, content);
        bytes += content.length;
        Iterator<Map.Entry<Digest, byte[]>> eldest = entries.entrySet().iterator();
        while (bytes > maxBytes && eldest.hasNext()) {
            bytes -= eldest.next().getValue().length;
            eldest.remove();
        }
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized long bytes() {
        return bytes;
    }
}
