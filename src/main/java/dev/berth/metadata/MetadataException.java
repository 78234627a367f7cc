package dev.berth.metadata;

/**
 * A {@link MetadataStore} could not do what was asked: the database failed, refused a statement, or its schema
 * is not one this code can use. Unchecked; the cause (usually a {@link java.sql.SQLException}) is kept.
 */
public class MetadataException extends RuntimeException {

    public MetadataException(String message) {
        super(message);
    }

    public MetadataException(String message, Throwable cause) {
        super(message, cause);
    }
}
