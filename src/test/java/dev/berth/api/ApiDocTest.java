package dev.berth.api;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/api.md carries the route table; it must say exactly what {@link Route} serves. */
class ApiDocTest {

    @Test
    void apiDoc_routeTable_equalsTheRouteEnum() throws Exception {
        String doc = Files.readString(Path.of("docs", "api.md"));
        String begin = "<!-- routes:begin -->\n";
        String end = "<!-- routes:end -->";
        int from = doc.indexOf(begin);
        int to = doc.indexOf(end);
        assertThat(from).as("docs/api.md has the routes markers").isGreaterThanOrEqualTo(0);
        assertThat(to).isGreaterThan(from);
        assertThat(doc.substring(from + begin.length(), to)).isEqualTo(Route.markdownTable());
    }
}
