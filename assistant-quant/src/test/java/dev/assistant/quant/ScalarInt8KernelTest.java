package dev.assistant.quant;

class ScalarInt8KernelTest extends KernelContract {
    @Override
    Int8Kernel kernel() {
        return ScalarInt8Kernel.instance();
    }
}
