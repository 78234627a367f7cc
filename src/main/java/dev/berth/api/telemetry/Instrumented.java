package dev.berth.api.telemetry;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Wraps any interface (the storage driver, the metadata store) so that every call is timed into a latency
 * histogram and every failure counted, labelled by the method's name as {@code operation}. A dynamic proxy rather
 * than a hand-written decorator: the interfaces grow (a driver gains a method, the store gains a query) and the
 * wrapper follows without anyone having to remember it.
 *
 * <p>Only the call itself is timed: a stream or writer the call returns is not. {@code equals}, {@code hashCode}
 * and {@code toString} pass straight through.
 */
public final class Instrumented {

    private Instrumented() {
    }

    /**
     * @param type         the interface to wrap
     * @param target       the real thing
     * @param latency      histogram family whose last label is {@code operation}
     * @param errors       counter family whose last label is {@code operation}
     * @param isError      which exceptions count as errors (an expected "not found" may not)
     * @param fixedLabels  values of the labels before {@code operation} (for example the driver's name)
     */
    public static <T> T wrap(Class<T> type, T target, Metrics.HistogramFamily latency, Metrics.CounterFamily errors,
                             Predicate<Throwable> isError, String... fixedLabels) {
        Objects.requireNonNull(target, "target");
        if (!type.isInterface()) {
            throw new IllegalArgumentException(type + " is not an interface");
        }
        Handler h = new Handler(target, latency, errors, isError, fixedLabels);
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h));
    }

    /** The wrapped object behind a proxy made by {@link #wrap}, or {@code o} itself. */
    public static Object unwrap(Object o) {
        if (o != null && Proxy.isProxyClass(o.getClass()) && Proxy.getInvocationHandler(o) instanceof Handler h) {
            return h.target;
        }
        return o;
    }

    private record Children(Metrics.Histogram latency, Metrics.Counter errors) {
    }

    private static final class Handler implements InvocationHandler {
        private final Object target;
        private final Metrics.HistogramFamily latency;
        private final Metrics.CounterFamily errors;
        private final Predicate<Throwable> isError;
        private final String[] fixedLabels;
        private final Map<Method, Children> children = new ConcurrentHashMap<>();

        Handler(Object target, Metrics.HistogramFamily latency, Metrics.CounterFamily errors,
                Predicate<Throwable> isError, String[] fixedLabels) {
            this.target = target;
            this.latency = latency;
            this.errors = errors;
            this.isError = isError;
            this.fixedLabels = fixedLabels.clone();
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> "instrumented " + target;
                };
            }
            Children c = children.get(method);
            if (c == null) {
                c = children.computeIfAbsent(method, m -> {
                    String[] labels = Arrays.copyOf(fixedLabels, fixedLabels.length + 1);
                    labels[fixedLabels.length] = m.getName();
                    return new Children(latency.labels(labels), errors.labels(labels));
                });
            }
            long start = System.nanoTime();
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (isError.test(cause)) {
                    c.errors().inc();
                }
                throw cause;
            } finally {
                c.latency().observeSince(start);
            }
        }
    }
}
