package dev.berth.bench;

/** A benchmark step failed: the registry answered something the step cannot go on from. */
final class BenchException extends RuntimeException {
    BenchException(String message) {
        super(message);
    }

    BenchException(String message, Throwable cause) {
        super(message, cause);
    }
}
