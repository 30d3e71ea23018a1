package dev.rampart.coordinator.tee;

import com.google.protobuf.ByteString;
import dev.rampart.attestation.ChannelBinding;
import dev.rampart.coordinator.Caller;
import dev.rampart.coordinator.ServiceException;
import dev.rampart.protocol.v1.*;
import java.io.IOException;
import java.util.HexFormat;

/** The Attest call: evidence from the TEE binding the caller's nonce to the TLS key it is talking to. */
public final class Attestations {
  private final Attester attester;
  private final String measurementHex;

  public Attestations(Attester attester, byte[] measurement) {
    this.attester = attester;
    this.measurementHex = HexFormat.of().formatHex(measurement);
  }

  public AttestResponse attest(Caller caller, AttestRequest r) throws ServiceException, IOException {
    if (r.getNonce().size() != ChannelBinding.NONCE_LENGTH) {
      throw ServiceException.invalid("the nonce must be exactly 32 fresh random bytes, got " + r.getNonce().size());
    }
    AttestationBundle b = attester.attest(ChannelBinding.reportData(r.getNonce().toByteArray(), caller.serverSpki()));
    AttestResponse.Builder out = AttestResponse.newBuilder().setPlatform(b.platform())
        .setEvidence(ByteString.copyFrom(b.evidence())).setMeasurement(measurementHex);
    if (b.endorsementKey() != null) {
      out.setEndorsementKey(ByteString.copyFrom(b.endorsementKey()));
    }
    if (b.chain() != null) {
      out.setChain(ByteString.copyFrom(b.chain()));
    }
    if (b.collateral() != null) {
      out.setCollateral(ByteString.copyFrom(b.collateral()));
    }
    return out.build();
  }
}
