package dev.hyperattention4j.llm.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a SentencePiece {@code tokenizer.model} protobuf with the fields a reader needs: pieces (text, score,
 * type), trainer_spec.model_type and byte_fallback, normalizer_spec.add_dummy_prefix.
 */
public final class SentencePieceWriter {
    private SentencePieceWriter() {}

    public static Path write(Path file, List<String> pieces, float[] scores, int[] types, int modelType,
                             boolean byteFallback, boolean dummyPrefix) throws IOException {
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        for (int i = 0; i < pieces.size(); i++) {
            ByteArrayOutputStream p = new ByteArrayOutputStream();
            bytesField(p, 1, pieces.get(i).getBytes(StandardCharsets.UTF_8));
            varint(p, 2 << 3 | 5);
            int bits = Float.floatToRawIntBits(scores[i]);
            for (int k = 0; k < 4; k++) {
                p.write(bits >>> (8 * k) & 0xff);
            }
            varint(p, 3 << 3);
            varint(p, types[i]);
            bytesField(model, 1, p.toByteArray());
        }
        ByteArrayOutputStream trainer = new ByteArrayOutputStream();
        varint(trainer, 3 << 3);
        varint(trainer, modelType);
        varint(trainer, 35 << 3);
        varint(trainer, byteFallback ? 1 : 0);
        bytesField(model, 2, trainer.toByteArray());
        ByteArrayOutputStream normalizer = new ByteArrayOutputStream();
        bytesField(normalizer, 1, "identity".getBytes(StandardCharsets.UTF_8));
        varint(normalizer, 3 << 3);
        varint(normalizer, dummyPrefix ? 1 : 0);
        bytesField(model, 3, normalizer.toByteArray());
        return Files.write(file, model.toByteArray());
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] data) {
        varint(out, field << 3 | 2);
        varint(out, data.length);
        out.writeBytes(data);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }
}
