package dev.rampart.journal.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EcdsaTest {
  private static final BigInteger N =
      new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
  private static final byte[] MESSAGE = "entry".getBytes(StandardCharsets.US_ASCII);

  private static KeyPair ec(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  private static BigInteger[] rs(byte[] der) {
    int rLen = der[3];
    return new BigInteger[] {new BigInteger(Arrays.copyOfRange(der, 4, 4 + rLen)),
        new BigInteger(Arrays.copyOfRange(der, 6 + rLen, der.length))};
  }

  private static byte[] der(byte[] r, byte[] s) {
    byte[] out = new byte[6 + r.length + s.length];
    out[0] = 0x30;
    out[1] = (byte) (4 + r.length + s.length);
    out[2] = 2;
    out[3] = (byte) r.length;
    System.arraycopy(r, 0, out, 4, r.length);
    out[4 + r.length] = 2;
    out[5 + r.length] = (byte) s.length;
    System.arraycopy(s, 0, out, 6 + r.length, s.length);
    return out;
  }

  @Test
  void signatures_areLowS_andVerify_andTheJdkAgrees() throws Exception {
    KeyPair k = ec("secp256r1");
    // the premise: about half of the provider's raw signatures are high-S, so 20 of Ecdsa.sign's all coming out
    // low-S (below) shows the normalisation at work (2^-20 by chance); here the raw ones must meet a high-S one
    int rawHigh = 0;
    for (int i = 0; i < 20; i++) {
      Signature raw = Signature.getInstance("SHA256withECDSA");
      raw.initSign(k.getPrivate());
      raw.update(MESSAGE);
      rawHigh += rs(raw.sign())[1].compareTo(N.shiftRight(1)) > 0 ? 1 : 0;
    }
    assertThat(rawHigh).as("high-S among 20 raw JDK signatures").isPositive();
    for (int i = 0; i < 20; i++) {
      byte[] sig = Ecdsa.sign(k.getPrivate(), MESSAGE);
      assertThat(rs(sig)[1]).isLessThanOrEqualTo(N.shiftRight(1));
      assertThat(Ecdsa.isCanonical(sig)).isTrue();
      assertThat(Ecdsa.verify(k.getPublic(), MESSAGE, sig)).isTrue();
      Signature jdk = Signature.getInstance("SHA256withECDSA");
      jdk.initVerify(k.getPublic());
      jdk.update(MESSAGE);
      assertThat(jdk.verify(sig)).isTrue();
    }
  }

  @Test
  void malleatedOrPaddedSignatures_areRefused() throws Exception {
    KeyPair k = ec("secp256r1");
    byte[] sig = Ecdsa.sign(k.getPrivate(), MESSAGE);
    BigInteger[] rs = rs(sig);
    byte[] high = der(rs[0].toByteArray(), N.subtract(rs[1]).toByteArray());
    Signature jdk = Signature.getInstance("SHA256withECDSA");
    jdk.initVerify(k.getPublic());
    jdk.update(MESSAGE);
    assertThat(jdk.verify(high)).as("the JDK accepts the malleated form").isTrue();
    assertThat(Ecdsa.verify(k.getPublic(), MESSAGE, high)).isFalse();
    byte[] s = rs[1].toByteArray();
    byte[] padded = new byte[s.length + 1];
    System.arraycopy(s, 0, padded, 1, s.length);
    assertThat(Ecdsa.verify(k.getPublic(), MESSAGE, der(rs[0].toByteArray(), padded))).isFalse();
    assertThat(Ecdsa.verify(k.getPublic(), "other".getBytes(StandardCharsets.US_ASCII), sig)).isFalse();
    assertThat(Ecdsa.verify(k.getPublic(), MESSAGE, new byte[] {0x30, 0})).isFalse();
  }

  @Test
  void onlyP256Keys_areAccepted() throws Exception {
    KeyPair p256 = ec("secp256r1");
    assertThat(Ecdsa.isP256(p256.getPublic())).isTrue();
    assertThat(Ecdsa.parseSpki(p256.getPublic().getEncoded())).isEqualTo(p256.getPublic());
    assertThatThrownBy(() -> Ecdsa.parseSpki(ec("secp384r1").getPublic().getEncoded()))
        .hasMessageContaining("384 bits").hasMessageContaining("P-256");
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    assertThatThrownBy(() -> Ecdsa.parseSpki(rsa.generateKeyPair().getPublic().getEncoded()))
        .hasMessageContaining("not an EC");
    assertThatThrownBy(() -> Ecdsa.parseSpki(new byte[] {1, 2, 3})).hasMessageContaining("not an EC");
    assertThat(Ecdsa.fingerprint(p256.getPublic().getEncoded())).hasSize(16);
  }
}
