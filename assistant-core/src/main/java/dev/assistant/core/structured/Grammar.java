package dev.assistant.core.structured;

import java.util.List;

/**
 * A compiled response format: a pushdown automaton over the bytes of the answer. Immutable and shareable between
 * requests; each request walks it through its own {@link ParserState}.
 */
final class Grammar {
    /** Whitespace characters allowed in a row between the tokens of a document, so a model cannot loop on them. */
    static final int MAX_WHITESPACE = 8;

    private static final Grammar ANY_OBJECT = anyObjectGrammar();

    private final Node root;
    /** The largest finite {@link Node#minBytes()} of any node: how much one byte can add to the bytes left. */
    private final long largestNode;

    Grammar(Node root, long largestNode) {
        this.root = root;
        this.largestNode = largestNode;
    }

    static Grammar anyObject() {
        return ANY_OBJECT;
    }

    ParserState start() {
        return ParserState.initial(new RootFrame(root, false, 0));
    }

    long largestNode() {
        return largestNode;
    }

    /** Any JSON value, as used by JSON-object mode and by schemas that allow anything ({@code true}, {}). */
    static Node anyValue(List<Node> created) {
        RefNode self = new RefNode();
        ObjectNode object = new ObjectNode(new byte[0][], new Node[0], new boolean[0], self);
        ArrayNode array = new ArrayNode(self, 0, Integer.MAX_VALUE);
        StringNode string = new StringNode(0, Integer.MAX_VALUE);
        NumberNode number = new NumberNode(false, null, false, null, false);
        LiteralNode literals = SchemaCompiler.literals("true", "false", "null");
        AnyOfNode any = new AnyOfNode(List.of(object, array, string, number, literals));
        self.resolve(any);
        created.addAll(List.of(self, object, array, string, number, literals, any));
        return any;
    }

    private static Grammar anyObjectGrammar() {
        List<Node> nodes = new java.util.ArrayList<>();
        Node value = anyValue(nodes);
        ObjectNode root = new ObjectNode(new byte[0][], new Node[0], new boolean[0], value);
        nodes.add(root);
        return SchemaCompiler.finish(root, nodes);
    }
}
