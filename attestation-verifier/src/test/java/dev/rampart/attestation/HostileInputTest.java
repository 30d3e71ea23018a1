package dev.rampart.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property test of the parsers under hostile input: random bytes, truncations and bit flips of real samples.
 * The only acceptable outcomes are a result or the typed {@link EvidenceFormatException}; never another
 * exception, a hang or a huge allocation.
 */
class HostileInputTest {
  /** Fixed in CI; explore with -Drampart.fuzz.seed=N -Drampart.fuzz.scale=10. */
  private static final long SEED = Long.getLong("rampart.fuzz.seed", 20261124L);
  private static final int SCALE = Integer.getInteger("rampart.fuzz.scale", 1);

  private static final AttestationPolicy POLICY = AttestationPolicy.builder().platform(Platform.SEV_SNP)
      .platform(Platform.NITRO).platform(Platform.TDX).build();

  private static void verifyQuietly(byte[] evidence, byte[] vek, byte[] chain) {
    verifyQuietly(evidence, vek, chain, null);
  }

  private static void verifyQuietly(byte[] evidence, byte[] vek, byte[] chain, byte[] collateral) {
    try {
      Evidence e = Evidence.decode(evidence);
      VerificationResult r = AttestationVerifier.verify(e, new Endorsements(vek, chain, collateral), POLICY,
          Instant.parse("2026-11-22T00:00:00Z"), null, null);
      assertThat(r).isNotNull();
    } catch (EvidenceFormatException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    } catch (RuntimeException | Error e) {
      fail("hostile input escaped as " + e, e);
    }
  }

  @Test
  void randomBytes_mutatedSamplesAndTruncations_onlyGiveTypedErrors() {
    Random random = new Random(SEED);
    byte[] report = TestVectors.read("snp/trustee__test_data_snp_test-report.bin");
    byte[] vcek = TestVectors.read("snp/trustee__test_data_snp_test-vcek.der");
    byte[] chain = TestVectors.read("snp/gosevguest__verify_trust_ask_ark_milan.pem");
    for (int i = 0; i < 3000 * SCALE; i++) {
      byte[] evidence = switch (i % 4) {
        case 0 -> randomBytes(random, random.nextInt(2 * report.length));
        case 1 -> mutate(random, report);
        case 2 -> java.util.Arrays.copyOf(report, random.nextInt(report.length + 1));
        default -> {
          byte[] sized = randomBytes(random, report.length); // right size, version and algorithm
          sized[0] = 2;
          sized[1] = sized[2] = sized[3] = 0;
          sized[0x34] = 1;
          sized[0x35] = sized[0x36] = sized[0x37] = 0;
          yield sized;
        }
      };
      byte[] vek = i % 7 == 0 ? mutate(random, vcek) : i % 11 == 0 ? randomBytes(random, 300) : vcek;
      byte[] ch = i % 5 == 0 ? mutate(random, chain) : i % 13 == 0 ? java.util.Arrays.copyOf(chain, random.nextInt(chain.length)) : null;
      verifyQuietly(evidence, vek, ch);
    }
  }

  @Test
  void mutatedNitroDocuments_andHugeDeclaredLengths_onlyGiveTypedErrors() {
    Random random = new Random(SEED + 1);
    byte[] doc = TestVectors.read("nitro/evervault__test-data_beta_valid-attestation-doc-bytes");
    for (int i = 0; i < 1500 * SCALE; i++) {
      byte[] evidence = i % 3 == 0
          ? java.util.Arrays.copyOf(doc, 1 + random.nextInt(doc.length - 1))
          : mutate(random, doc);
      verifyQuietly(evidence, null, null);
    }
    byte[][] crafted = {
      {(byte) 0x84, 0x5B, -1, -1, -1, -1, -1, -1, -1, -1}, // byte string of 2^64-1 bytes
      {(byte) 0x84, 0x5A, 0x7F, -1, -1, -1, 0, 0}, // byte string of 2^31 bytes, 2 present
      {(byte) 0x84, (byte) 0x9B, -1, -1, -1, -1, -1, -1, -1, -1}, // array of 2^64-1 items
      {(byte) 0x84, (byte) 0xBA, 0x7F, -1, -1, -1}, // map of 2^31 pairs
      {(byte) 0xD2, (byte) 0x84, (byte) 0x81, (byte) 0x81, (byte) 0x81, (byte) 0x81, (byte) 0x81, (byte) 0x81,
          (byte) 0x81, (byte) 0x81, (byte) 0x81, (byte) 0x81, (byte) 0x81, (byte) 0x81}, // deep nesting
      {(byte) 0x84, 0x5F, 0x41, 0x00}, // indefinite byte string never closed
    };
    for (byte[] c : crafted) {
      verifyQuietly(c, null, null);
    }
  }

  @Test
  void mutatedTdxQuotesAndCollateral_onlyGiveTypedErrors() {
    Random random = new Random(SEED + 2);
    byte[] quote = TestVectors.read("tdx/dcap-qvl__sample_tdx_quote");
    byte[] collateral = TestVectors.read("tdx/dcap-qvl__sample_tdx_quote_collateral.json");
    for (int i = 0; i < 1500 * SCALE; i++) {
      byte[] q = switch (i % 3) {
        case 0 -> java.util.Arrays.copyOf(quote, 1 + random.nextInt(quote.length - 1));
        case 1 -> mutate(random, quote);
        default -> quote;
      };
      byte[] c = i % 3 == 2 ? (i % 2 == 0 ? mutate(random, collateral)
          : java.util.Arrays.copyOf(collateral, random.nextInt(collateral.length))) : collateral;
      verifyQuietly(q, null, null, c);
    }
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static byte[] mutate(Random random, byte[] original) {
    byte[] b = original.clone();
    int flips = 1 + random.nextInt(8);
    for (int k = 0; k < flips; k++) {
      b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
    }
    return b;
  }
}
