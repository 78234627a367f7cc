package dev.berth.registry.gc;

import dev.berth.metadata.TagRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which tags of the repositories matching {@link #repositories} are deleted. A tag is kept when it matches one of
 * {@link #keepTags}, or is among the {@link #keepNewest} most recently pushed of the other tags; any other tag is
 * deleted, but when {@link #olderThan} is given only if it was last pushed longer ago than that. A policy with
 * neither {@code keepNewest} nor {@code olderThan} deletes nothing.
 *
 * <p>Tags are ordered by when they were last pushed (moved), newest first; ties by name, the greater first.
 * Deleting a tag does not delete its manifest: garbage collection then removes manifests that lost their last tag
 * this way (with what only they needed), once they are older than the grace period.
 *
 * @param repositories a {@link Glob} over repository names ({@code team/**}, {@code library/*})
 * @param keepNewest   how many of the newest tags (not counting those kept by pattern) to keep
 * @param olderThan    only tags last pushed longer ago than this are deleted
 * @param keepTags     globs of tags that are always kept ({@code latest}, {@code v*})
 */
public record RetentionPolicy(Glob repositories, Optional<Integer> keepNewest, Optional<Duration> olderThan,
                              List<Glob> keepTags) {

    public RetentionPolicy {
        Objects.requireNonNull(repositories, "repositories");
        Objects.requireNonNull(keepNewest, "keepNewest");
        Objects.requireNonNull(olderThan, "olderThan");
        keepTags = List.copyOf(Objects.requireNonNull(keepTags, "keepTags"));
        if (keepNewest.isPresent() && keepNewest.get() < 0) {
            throw new IllegalArgumentException("keepnewest must not be negative");
        }
        if (olderThan.isPresent() && olderThan.get().isNegative()) {
            throw new IllegalArgumentException("olderthan must not be negative");
        }
    }

    public boolean appliesTo(String repository) {
        return repositories.matches(repository);
    }

    /** The tags this policy deletes, from all the tags of a repository it applies to. */
    public List<TagRecord> tagsToDelete(List<TagRecord> tags, Instant now) {
        if (keepNewest.isEmpty() && olderThan.isEmpty()) {
            return List.of();
        }
        List<TagRecord> ordered = new ArrayList<>(tags);
        ordered.sort((a, b) -> {
            int byTime = b.updatedAt().compareTo(a.updatedAt());
            return byTime != 0 ? byTime : b.name().compareTo(a.name());
        });
        List<TagRecord> delete = new ArrayList<>();
        int kept = 0;
        for (TagRecord t : ordered) {
            if (keepTags.stream().anyMatch(g -> g.matches(t.name()))) {
                continue;
            }
            if (keepNewest.isPresent() && kept < keepNewest.get()) {
                kept++;
                continue;
            }
            if (olderThan.isPresent() && !t.updatedAt().isBefore(now.minus(olderThan.get()))) {
                continue;
            }
            delete.add(t);
        }
        return delete;
    }

    /** The first of {@code policies} that applies to {@code repository}. */
    public static Optional<RetentionPolicy> first(List<RetentionPolicy> policies, String repository) {
        return policies.stream().filter(p -> p.appliesTo(repository)).findFirst();
    }

    /**
     * Parses the compact form used on the command line and in one environment variable:
     * {@code <repositories>:<key>=<value>,...} with keys {@code keepnewest} (a count), {@code olderthan} (a
     * duration read by {@code durations}) and {@code keeptags} (globs separated by {@code |}); for example
     * {@code team/**:keepnewest=10,olderthan=720h,keeptags=latest|v*}.
     *
     * @throws IllegalArgumentException with a message that says what is wrong
     */
    public static RetentionPolicy parse(String text, Function<String, Duration> durations) {
        String s = text.strip();
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected <repositories>:<rules> (for example "
                    + "'team/**:keepnewest=10,keeptags=latest'), got '" + text + "'");
        }
        Glob repositories = Glob.of(s.substring(0, colon).strip());
        Optional<Integer> keepNewest = Optional.empty();
        Optional<Duration> olderThan = Optional.empty();
        List<Glob> keepTags = new ArrayList<>();
        for (String rule : s.substring(colon + 1).split(",")) {
            if (rule.isBlank()) {
                continue;
            }
            int eq = rule.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("expected key=value in retention rule '" + rule.strip() + "'");
            }
            String key = rule.substring(0, eq).strip().toLowerCase(java.util.Locale.ROOT);
            String value = rule.substring(eq + 1).strip();
            switch (key) {
                case "keepnewest" -> {
                    if (!value.matches("[0-9]{1,9}")) {
                        throw new IllegalArgumentException("keepnewest must be a whole number, got '" + value + "'");
                    }
                    keepNewest = Optional.of(Integer.parseInt(value));
                }
                case "olderthan" -> olderThan = Optional.of(durations.apply(value));
                case "keeptags" -> {
                    for (String g : value.split("\\|")) {
                        if (!g.isBlank()) {
                            keepTags.add(Glob.of(g.strip()));
                        }
                    }
                }
                default -> throw new IllegalArgumentException("unknown retention rule '" + key
                        + "' (known: keepnewest, olderthan, keeptags)");
            }
        }
        return new RetentionPolicy(repositories, keepNewest, olderThan, keepTags);
    }

    /** The compact form {@link #parse} reads. */
    public String describe(Function<Duration, String> durations) {
        List<String> rules = new ArrayList<>();
        keepNewest.ifPresent(n -> rules.add("keepnewest=" + n));
        olderThan.ifPresent(d -> rules.add("olderthan=" + durations.apply(d)));
        if (!keepTags.isEmpty()) {
            rules.add("keeptags=" + String.join("|", keepTags.stream().map(Glob::pattern).toList()));
        }
        return repositories + ":" + String.join(",", rules);
    }
}
