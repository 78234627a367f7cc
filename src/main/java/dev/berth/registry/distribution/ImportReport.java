package dev.berth.registry.distribution;

import java.util.List;

/**
 * What an import of a distribution storage tree found and recorded.
 *
 * @param repositories    repositories found in the tree
 * @param links           blob links ({@code _layers}) read; {@code newLinks} of them were not recorded before
 * @param manifests       manifest revisions imported; {@code newManifests} of them were not recorded before
 * @param tags            tags imported; {@code newTags} of them were not recorded (or pointed elsewhere) before
 * @param uploads         upload sessions of distribution's, not imported (clients start them again)
 * @param inconsistencies what was wrong in the tree, one line each (what was skipped or repaired, and why)
 */
public record ImportReport(int repositories, int links, int newLinks, int manifests, int newManifests, int tags,
                           int newTags, int uploads, List<String> inconsistencies) {

    public ImportReport {
        inconsistencies = List.copyOf(inconsistencies);
    }

    public String summary() {
        return repositories + " repositor" + (repositories == 1 ? "y" : "ies") + ", "
                + links + " blob link" + (links == 1 ? "" : "s") + " (" + newLinks + " new), "
                + manifests + " manifest" + (manifests == 1 ? "" : "s") + " (" + newManifests + " new), "
                + tags + " tag" + (tags == 1 ? "" : "s") + " (" + newTags + " new); "
                + inconsistencies.size() + " inconsistenc" + (inconsistencies.size() == 1 ? "y" : "ies")
                + (uploads > 0 ? "; " + uploads + " upload session" + (uploads == 1 ? "" : "s")
                + " in progress not imported" : "");
    }
}
