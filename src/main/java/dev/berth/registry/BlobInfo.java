package dev.berth.registry;

import dev.berth.oci.Digest;

/** A committed blob: its digest and size. */
public record BlobInfo(Digest digest, long size) {
}
