package dev.toolformer.common.serde;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.avro.Schema;

/**
 * Every released version of a record's schema, read from the classpath resources
 * {@code /avro-history/<RecordName>.v1.avsc}, {@code .v2.avsc}, ... (module {@code schemas}).
 * The current version is the generated class's own schema and is not repeated there.
 */
public final class SchemaHistory {
    static final String ROOT = "/avro-history/";

    private SchemaHistory() {
    }

    /** The older versions of the record named {@code simpleName}, oldest first; empty if it has none. */
    public static List<Schema> olderVersions(String simpleName) {
        List<Schema> versions = new ArrayList<>();
        for (int v = 1; ; v++) {
            String path = ROOT + simpleName + ".v" + v + ".avsc";
            try (InputStream in = SchemaHistory.class.getResourceAsStream(path)) {
                if (in == null) {
                    return List.copyOf(versions);
                }
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read schema " + path, e);
            }
        }
    }
}
