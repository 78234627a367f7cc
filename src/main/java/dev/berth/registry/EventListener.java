package dev.berth.registry;

/**
 * Receives what the services do ({@link RegistryEvent}s), on the thread of the request that did it, after it is
 * done (content and metadata written). It must return at once and never throw: notification delivery queues the
 * event and sends it on its own threads.
 */
@FunctionalInterface
public interface EventListener {

    /** Drops every event. */
    EventListener NONE = event -> { };

    void on(RegistryEvent event);

    /** Calls the listener, logging rather than propagating anything it throws (a push must not fail for it). */
    static void publish(EventListener listener, RegistryEvent event) {
        if (listener == NONE) {
            return;
        }
        try {
            listener.on(event);
        } catch (RuntimeException e) {
            java.util.logging.Logger.getLogger(EventListener.class.getName())
                    .log(java.util.logging.Level.WARNING, "event listener failed", e);
        }
    }
}
