package dev.berth.http;

/**
 * Read-only mode: while on, every write (POST, PUT, PATCH, DELETE) is answered 405 UNSUPPORTED and reads keep
 * working. Set from {@code storage.maintenance.readonly.enabled} at start and switched at run time through the
 * admin endpoint of the operations listener ({@code POST /admin/readonly?enabled=true}).
 */
public final class ReadOnlySwitch {

    private volatile boolean enabled;

    public ReadOnlySwitch(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean enabled() {
        return enabled;
    }

    public void set(boolean on) {
        this.enabled = on;
    }
}
