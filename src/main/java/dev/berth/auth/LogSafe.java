package dev.berth.auth;

/**
 * Makes client-controlled text (user names, issuers, key ids) safe to put in a log line or an error message:
 * control characters become {@code ?} and long values are cut. Never used on secrets, which are never logged.
 */
final class LogSafe {

    private static final int MAX = 128;

    private LogSafe() {
    }

    static String text(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(s.length(), MAX + 3));
        for (int i = 0; i < s.length() && i < MAX; i++) {
            char c = s.charAt(i);
            out.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
        }
        if (s.length() > MAX) {
            out.append("...");
        }
        return out.toString();
    }
}
