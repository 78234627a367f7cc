package dev.berth.api.telemetry;

import java.util.function.BiConsumer;

/**
 * A log record's fields as names and values, for the JSON log format: a logger passes one as the record's only
 * parameter ({@code LogRecord.setParameters}) and its message stays the plain-text line. Values are strings,
 * numbers or booleans; nulls are left out.
 */
public interface StructuredLog {

    /** Calls {@code field} once per field, in order. */
    void fields(BiConsumer<String, Object> field);
}
