package dev.berth.registry.gc;

import java.util.Locale;

/** Byte counts for people: {@code 512 B}, {@code 1.5 KiB}, {@code 12.3 MiB}. */
public final class Sizes {

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private Sizes() {
    }

    public static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double v = bytes;
        int unit = 0;
        while (v >= 1024 && unit < UNITS.length - 1) {
            v /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, UNITS[unit]);
    }

    /** {@code 12.3 MiB (12,890,123 bytes)}. */
    public static String humanAndExact(long bytes) {
        return bytes < 1024 ? human(bytes) : human(bytes) + String.format(Locale.ROOT, " (%,d bytes)", bytes);
    }
}
