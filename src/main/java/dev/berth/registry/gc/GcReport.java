package dev.berth.registry.gc;

/**
 * What one collection did (or, in a dry run, would do).
 *
 * @param dryRun    nothing was changed
 * @param tags      tags deleted by retention policies
 * @param manifests manifests deleted
 * @param links     repository links to blobs deleted
 * @param blobs     blob records deleted with their content
 * @param contents  contents without a record deleted
 * @param uploads   upload sessions and upload data without a session deleted
 * @param bytes     storage freed: blobs, contents and uploads
 * @param missing   recorded blobs whose content is not in storage (reported only)
 * @param kept      marked items found in use again when their turn came (a push at the same moment), kept
 * @param failed    items that could not be deleted (storage errors); the next collection tries again
 */
public record GcReport(boolean dryRun, int tags, int manifests, int links, int blobs, int contents, int uploads,
                       long bytes, int missing, int kept, int failed) {

    /** One line: counts, bytes, and what needs attention. */
    public String summary() {
        String what = count(tags, "tag") + ", " + count(manifests, "manifest") + ", " + count(links, "link") + ", "
                + count(blobs, "blob") + ", " + count(contents, "unrecorded content") + ", "
                + count(uploads, "upload");
        StringBuilder out = new StringBuilder();
        if (dryRun) {
            out.append("dry run: would delete ").append(what).append(" and free ");
        } else {
            out.append("deleted ").append(what).append(" and freed ");
        }
        out.append(Sizes.humanAndExact(bytes));
        out.append("; ").append(count(missing, "recorded blob")).append(" missing from storage");
        if (kept > 0) {
            out.append("; ").append(count(kept, "item")).append(" in use again, kept");
        }
        if (failed > 0) {
            out.append("; ").append(count(failed, "item")).append(" could not be deleted (see the log)");
        }
        return out.toString();
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
