package dev.berth.registry.gc;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A glob over repository names or tags: {@code *} matches any run of characters except {@code /}, {@code **}
 * any run including {@code /}, {@code ?} one character except {@code /}; everything else matches itself. The whole
 * name must match.
 */
public final class Glob {

    private final String pattern;
    private final Pattern regex;

    private Glob(String pattern) {
        this.pattern = Objects.requireNonNull(pattern, "pattern");
        if (pattern.isEmpty()) {
            throw new IllegalArgumentException("a pattern must not be empty");
        }
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*' && i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
                re.append(".*");
                i++;
            } else if (c == '*') {
                re.append("[^/]*");
            } else if (c == '?') {
                re.append("[^/]");
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        this.regex = Pattern.compile(re.toString());
    }

    public static Glob of(String pattern) {
        return new Glob(pattern);
    }

    public String pattern() {
        return pattern;
    }

    public boolean matches(String name) {
        return regex.matcher(name).matches();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Glob g && g.pattern.equals(pattern);
    }

    @Override
    public int hashCode() {
        return pattern.hashCode();
    }

    @Override
    public String toString() {
        return pattern;
    }
}
