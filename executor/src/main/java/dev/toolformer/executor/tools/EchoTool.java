package dev.toolformer.executor.tools;

import dev.toolformer.common.json.Jackson;
import dev.toolformer.executor.Tool;
import dev.toolformer.executor.ToolCall;
import dev.toolformer.executor.ToolOutput;

/** Returns its arguments unchanged: the cheapest tool, for tests and for measuring the pipeline itself. */
public final class EchoTool implements Tool {

    @Override
    public String name() {
        return "echo";
    }

    @Override
    public ToolOutput execute(ToolCall call) {
        return ToolOutput.of(Jackson.write(call.arguments()));
    }

    /** Nothing here blocks. */
    @Override
    public boolean interruptible() {
        return true;
    }
}
