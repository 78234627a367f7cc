package dev.berth.registry.gc;

import java.util.Objects;

/**
 * One thing a collection deleted (or, in a dry run, would delete), or found wrong. {@link #line} is what
 * {@code berth gc} prints and the server logs.
 *
 * @param kind    what it is
 * @param subject which one: {@code repo:tag}, {@code repo@digest}, a digest, {@code repo/uuid}
 * @param bytes   storage it frees (for a missing blob: its recorded size); 0 when none
 * @param note    why, in a few words; may be empty
 */
public record Finding(Kind kind, String subject, long bytes, String note) {

    /** The kinds of findings, with the word printed for them. */
    public enum Kind {
        /** A tag deleted by a retention policy. */
        TAG("tag"),
        /** A manifest no tag, index or present subject needs. */
        MANIFEST("manifest"),
        /** A repository's link to a blob no manifest of the repository refers to. */
        LINK("link"),
        /** A blob record nothing needs, with its content. */
        BLOB("blob"),
        /** Bytes in storage that no record names. */
        CONTENT("content"),
        /** An upload session idle too long, or upload data without a session. */
        UPLOAD("upload"),
        /** A recorded blob whose bytes are gone from storage: reported, never deleted. */
        MISSING("missing");

        private final String word;

        Kind(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }
    }

    public Finding {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(subject, "subject");
        note = note == null ? "" : note;
    }

    /**
     * {@code would delete blob sha256:ab... (5.0 MiB)}, {@code deleted tag team/app:v1 (retention policy team/**)},
     * {@code MISSING blob sha256:ab... (5.0 MiB): ...}.
     */
    public String line(boolean dryRun) {
        if (kind == Kind.MISSING) {
            return "MISSING blob " + subject + " (" + Sizes.human(bytes) + "): " + note;
        }
        StringBuilder out = new StringBuilder(dryRun ? "would delete " : "deleted ");
        out.append(kind.word()).append(' ').append(subject);
        String size = bytes > 0 || kind == Kind.BLOB || kind == Kind.CONTENT ? Sizes.human(bytes) : "";
        if (!size.isEmpty() || !note.isEmpty()) {
            out.append(" (").append(size);
            out.append(!size.isEmpty() && !note.isEmpty() ? ", " : "").append(note).append(')');
        }
        return out.toString();
    }
}
