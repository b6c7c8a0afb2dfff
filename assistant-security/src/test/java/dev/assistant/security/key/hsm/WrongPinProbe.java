package dev.assistant.security.key.hsm;

import dev.assistant.security.key.KeyProviderException;

/** Child-JVM probe: a PKCS#11 login is per process, so a wrong PIN is only seen by a process not yet logged in. */
public final class WrongPinProbe {
    private WrongPinProbe() {
    }

    public static void main(String[] args) {
        var config = Pkcs11Config.builder().keyLabel(args[0]).pin(args[1].toCharArray()).build();
        try (Pkcs11Hsm hsm = Pkcs11Hsm.open(config)) {
            System.out.println("opened " + hsm.keyLabel());
        } catch (KeyProviderException e) {
            System.out.println(e.failure() + " " + e.getMessage());
        }
    }
}
