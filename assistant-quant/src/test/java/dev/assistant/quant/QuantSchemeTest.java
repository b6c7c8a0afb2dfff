package dev.assistant.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import org.junit.jupiter.api.Test;

class QuantSchemeTest {

    @Test
    void namesAreStableAndParseBack() {
        assertThat(QuantScheme.PER_CHANNEL.name()).isEqualTo("int8-sym-channel-f32scale");
        assertThat(QuantScheme.perGroup(64).name()).isEqualTo("int8-sym-g64-f32scale");
        assertThat(QuantScheme.supportedNames()).containsExactly("int8-sym-channel-f32scale",
                "int8-sym-g32-f32scale", "int8-sym-g64-f32scale", "int8-sym-g128-f32scale");
        for (String name : QuantScheme.supportedNames()) {
            assertThat(QuantScheme.parse(name).name()).isEqualTo(name);
        }
        assertThat(QuantScheme.parse("int8-sym-g32-f32scale")).isEqualTo(QuantScheme.GROUP_32)
                .hasSameHashCodeAs(QuantScheme.perGroup(32));
    }

    @Test
    void unknownSchemeIsModelInvalidNamingTheSchemeAndTheSupportedOnes() {
        assertThatThrownBy(() -> QuantScheme.parse("int4-awq-g128"))
                .isInstanceOfSatisfying(AssistantException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
                    assertThat(e.reason()).isEqualTo("unsupported_quant_scheme");
                    assertThat(e.getMessage()).contains("int4-awq-g128", "int8-sym-g64-f32scale",
                            "int8-sym-channel-f32scale");
                });
        assertThatThrownBy(() -> QuantScheme.parse("INT8-SYM-G64-F32SCALE"))
                .isInstanceOf(AssistantException.class);
        assertThatThrownBy(() -> QuantScheme.parse(null))
                .isInstanceOfSatisfying(AssistantException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID));
    }

    @Test
    void onlyGroupSizes32To128AreAccepted() {
        assertThatThrownBy(() -> QuantScheme.perGroup(16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QuantScheme.perGroup(256)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void lastGroupOfARowMayBeShorter() {
        assertThat(QuantScheme.GROUP_128.groupsPerRow(576)).isEqualTo(5);
        assertThat(QuantScheme.GROUP_64.groupsPerRow(576)).isEqualTo(9);
        assertThat(QuantScheme.GROUP_32.groupsPerRow(1)).isEqualTo(1);
        assertThat(QuantScheme.PER_CHANNEL.groupsPerRow(576)).isEqualTo(1);
        assertThat(QuantScheme.PER_CHANNEL.effectiveGroupSize(576)).isEqualTo(576);
        assertThat(QuantScheme.PER_CHANNEL.isPerChannel()).isTrue();
        assertThat(QuantScheme.GROUP_64.groupSize()).isEqualTo(64);
    }
}
