package dev.berth.metadata;

import dev.berth.oci.Digest;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of garbage collection's review queue.
 *
 * @param kind       what the entry names
 * @param repositoryKey the store's own key of the repository (0 for blobs and contents): only the store that
 *                   returned the item reads it, to page and to forget
 * @param repository the repository of a tag, manifest or link; null for blobs and contents
 * @param item       a digest, or the tag name for {@link Kind#TAG}
 * @param round      for manifests, the marking round (swept in order); else 0
 * @param size       bytes of a manifest, blob or content; 0 otherwise
 * @param tagDigest  for tags: the manifest the tag pointed to when it was marked
 * @param tagUpdatedAt for tags: when the tag was last pushed, as marked
 */
public record ReviewItem(Kind kind, long repositoryKey, String repository, String item, int round, long size,
                         Digest tagDigest, Instant tagUpdatedAt) {

    /** The kinds of entries, with the code stored in the database. */
    public enum Kind {
        /** A tag a retention policy deletes. */
        TAG('t'),
        /** An unused manifest. */
        MANIFEST('m'),
        /** A repository's link to a blob that no manifest of the repository refers to. */
        LINK('l'),
        /** A blob row nothing needs. */
        BLOB('b'),
        /** Blob bytes whose row is deleted: removed next (persists across runs until done). */
        CONTENT('f');

        private final char code;

        Kind(char code) {
            this.code = code;
        }

        public String code() {
            return String.valueOf(code);
        }

        public static Kind of(String code) {
            for (Kind k : values()) {
                if (k.code().equals(code)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown review kind " + code);
        }
    }

    public ReviewItem {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(item, "item");
    }

    /** The item as a digest (every kind but {@link Kind#TAG}). */
    public Digest digest() {
        return Digest.parse(item);
    }
}
